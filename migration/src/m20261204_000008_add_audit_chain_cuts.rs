//! Where each audit chain was cut by the retention period: the number and hash of the last event
//! removed, so that what remains still verifies from there.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditChains {
    Table,
    CutSequence,
    CutHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditChains::Table)
                    .add_column(
                        ColumnDef::new(AuditChains::CutSequence)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditChains::Table)
                    .add_column(ColumnDef::new(AuditChains::CutHash).string_len(64).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [AuditChains::CutSequence, AuditChains::CutHash] {
            manager
                .alter_table(Table::alter().table(AuditChains::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
