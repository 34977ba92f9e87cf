use sea_orm::entity::prelude::*;

/// Failed sign-in attempts for an address that has no account, from one client IP: counted like
/// [`crate::login_failure`] so that unknown and known addresses lock alike. The address is kept
/// only as its SHA-256.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "address_login_failures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub address_hash: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub ip: String,
    pub failed_attempts: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub last_failed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
