use crate::UserId;
use sea_orm::entity::prelude::*;

/// Failed sign-in attempts for one user from one client IP. At the policy's limit the pair is
/// locked until `locked_until` (or until cleared, when that is far in the future).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "login_failures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub ip: String,
    pub failed_attempts: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub last_failed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
