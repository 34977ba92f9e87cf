use crate::ImportRunId;
use sea_orm::entity::prelude::*;

/// A line of an import's file that was not applied: `SKIPPED` (a valid record the import may not
/// apply, such as an existing account without upsert) or `REJECTED` (not a valid record).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "import_problems")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub run_id: ImportRunId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub line: i64,
    pub outcome: String,
    pub message: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
