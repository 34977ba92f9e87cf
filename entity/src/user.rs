use crate::UserId;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: UserId,
    /// Trimmed and lower-cased; unique.
    #[sea_orm(unique)]
    pub email: String,
    pub email_verified: bool,
    #[sea_orm(unique)]
    pub username: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub phone_number: Option<String>,
    pub locale: Option<String>,
    pub user_metadata: Json,
    pub app_metadata: Json,
    pub blocked: bool,
    pub blocked_reason: Option<String>,
    pub is_superadmin: bool,
    pub password_change_required: bool,
    pub last_login_at: Option<DateTimeUtc>,
    pub logins_count: i64,
    /// Lower-cased email, name and username joined by newlines: the column text search reads.
    pub search_text: String,
    /// Lower-cased name or empty: a non-null sort key, so keyset pagination needs no NULL cases.
    pub name_sort: String,
    /// `last_login_at` in microseconds since the epoch, 0 for never: a non-null sort key.
    pub last_login_sort: i64,
    /// Bumped by every profile or metadata write: optimistic concurrency for merge patches.
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::membership::Entity")]
    Membership,
}

impl Related<super::membership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Membership.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
