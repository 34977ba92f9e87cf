//! Imports that stream a file in batches. A run remembers how far into its file it has committed
//! (byte offset and line) and what it has counted, in the same transaction as each batch's users,
//! so that a run cut off at any moment continues where its last batch ended when started again:
//! no user is written twice and nothing is counted twice. `key` names the run's input (the file's
//! SHA-256, the organization and the options), which is how the same command finds its run again.
//! `import_problems` holds the lines a run skipped or rejected, with the reason.

use sea_orm_migration::prelude::*;

use crate::m20261127_000001_create_identity_tables::{index, instant};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImportRuns {
    Table,
    Id,
    Key,
    OrgId,
    ActorUserId,
    Source,
    Format,
    Upsert,
    UpdateShared,
    Status,
    FileBytes,
    ByteOffset,
    Line,
    Created,
    Updated,
    Skipped,
    Rejected,
    Failure,
    StartedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum ImportProblems {
    Table,
    RunId,
    Line,
    Outcome,
    Message,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let count = |column: ImportRuns| ColumnDef::new(column).big_integer().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(ImportRuns::Table)
                    .col(ColumnDef::new(ImportRuns::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(ImportRuns::Key).string_len(64).not_null())
                    .col(ColumnDef::new(ImportRuns::OrgId).uuid().not_null())
                    .col(ColumnDef::new(ImportRuns::ActorUserId).uuid().null())
                    .col(ColumnDef::new(ImportRuns::Source).string_len(16).not_null())
                    .col(ColumnDef::new(ImportRuns::Format).string_len(16).not_null())
                    .col(ColumnDef::new(ImportRuns::Upsert).boolean().not_null())
                    .col(ColumnDef::new(ImportRuns::UpdateShared).boolean().not_null())
                    .col(ColumnDef::new(ImportRuns::Status).string_len(16).not_null())
                    .col(count(ImportRuns::FileBytes))
                    .col(count(ImportRuns::ByteOffset))
                    .col(count(ImportRuns::Line))
                    .col(count(ImportRuns::Created))
                    .col(count(ImportRuns::Updated))
                    .col(count(ImportRuns::Skipped))
                    .col(count(ImportRuns::Rejected))
                    .col(ColumnDef::new(ImportRuns::Failure).text().null())
                    .col(instant(ImportRuns::StartedAt, backend).not_null())
                    .col(instant(ImportRuns::UpdatedAt, backend).not_null())
                    .col(instant(ImportRuns::FinishedAt, backend).null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportRuns::Table, ImportRuns::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("import_runs_key", ImportRuns::Table, &["key"]))
            .await?;
        manager
            .create_index(index(
                "import_runs_org_id",
                ImportRuns::Table,
                &["org_id", "started_at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ImportProblems::Table)
                    .col(ColumnDef::new(ImportProblems::RunId).uuid().not_null())
                    .col(ColumnDef::new(ImportProblems::Line).big_integer().not_null())
                    .col(ColumnDef::new(ImportProblems::Outcome).string_len(16).not_null())
                    .col(ColumnDef::new(ImportProblems::Message).text().not_null())
                    .primary_key(Index::create().col(ImportProblems::RunId).col(ImportProblems::Line))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportProblems::Table, ImportProblems::RunId)
                            .to(ImportRuns::Table, ImportRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImportProblems::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ImportRuns::Table).to_owned())
            .await
    }
}
