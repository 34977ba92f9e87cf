use sea_orm::entity::prelude::*;

/// The head of one audit chain: how many events it holds and the hash of the newest, so that
/// removing the newest events of a chain shows as surely as changing any.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_chains")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub chain: String,
    pub sequence: i64,
    pub head_hash: String,
    /// The number of the last event removed by the retention period (0: none was); the chain
    /// verifies from the event after it.
    pub cut_sequence: i64,
    /// The hash of that event, which the first event kept links to.
    pub cut_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
