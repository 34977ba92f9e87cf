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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
