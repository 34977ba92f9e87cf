use crate::OrgId;
use sea_orm::entity::prelude::*;

/// A JSON Schema (draft 2020-12) that one kind of metadata document must satisfy: an
/// organization's (`org_id` set) or the platform's (`org_id` empty), which every organization's
/// documents must satisfy as well. `key` is `<org id or "platform">/<target>`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "metadata_schemas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub org_id: Option<OrgId>,
    /// `USER_METADATA`, `APP_METADATA` or `MEMBERSHIP_METADATA`.
    pub target: String,
    pub schema: Json,
    pub revision: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
