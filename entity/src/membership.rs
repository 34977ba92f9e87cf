use crate::{OrgId, UserId};
use sea_orm::entity::prelude::*;

/// A user's membership in an organization. Roles are flags so that a role filter is a plain
/// column comparison on every backend.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: OrgId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    pub role_admin: bool,
    pub role_user_manager: bool,
    pub role_auditor: bool,
    pub role_member: bool,
    /// `ACTIVE` or `SUSPENDED`.
    pub status: String,
    pub suspended_reason: Option<String>,
    pub metadata: Json,
    pub revision: i64,
    pub created_at: DateTimeUtc,
    /// Copies of the user's sort and search keys, kept in step with `users` in the same
    /// transaction, so that an organization's member list is served by this table's indexes.
    pub user_email: String,
    pub user_name_sort: String,
    pub user_search_text: String,
    pub user_created_at: DateTimeUtc,
    pub user_last_login_sort: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrgId",
        to = "super::organization::Column::Id",
        on_delete = "Cascade"
    )]
    Organization,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
