use crate::{OrgId, UserId};
use sea_orm::entity::prelude::*;

/// A single-use token sent in a link (password reset, first-admin setup, …), stored only as its
/// SHA-256.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "one_time_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    /// `PASSWORD_RESET`, `SETUP`, …
    pub purpose: String,
    pub user_id: Option<UserId>,
    pub org_id: Option<OrgId>,
    pub data: Json,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
