use crate::{ImportRunId, OrgId, UserId};
use sea_orm::entity::prelude::*;

/// One streaming import of a file into an organization, and how far it has come. `byte_offset`
/// and `line` say where the next batch starts in the file; the counts cover every batch committed
/// so far. Both move in the transaction of the batch they describe.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "import_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ImportRunId,
    /// SHA-256 (hex) of the file's contents, the organization and the options: the same command
    /// on the same file finds its run again.
    pub key: String,
    pub org_id: OrgId,
    /// Who started it; none for the command line.
    pub actor_user_id: Option<UserId>,
    /// `CLI` or `API`.
    pub source: String,
    /// `NDJSON` or `CSV`.
    pub format: String,
    pub upsert: bool,
    pub update_shared: bool,
    /// `RUNNING`, `SUCCEEDED` or `FAILED`.
    pub status: String,
    pub file_bytes: i64,
    pub byte_offset: i64,
    pub line: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub rejected: i64,
    /// Why a `FAILED` run stopped.
    pub failure: Option<String>,
    pub started_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
