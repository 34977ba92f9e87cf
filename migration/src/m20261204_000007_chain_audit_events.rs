//! A hash chain through the audit log. Each organization's events form one chain, and the events
//! of no organization (identity-wide: sign-ins, profile, password) another. Every event stores its
//! place in its chain, the hash of its canonical form and the hash of the event before it;
//! `audit_chains` holds each chain's head, so that removing the newest events shows too.
//!
//! Events written before this migration stay outside the chains; the pseudo-chain `legacy`
//! records how many there were, so that one removed or added among them shows as well.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Chain,
    Sequence,
    Hash,
    PreviousHash,
}

#[derive(DeriveIden)]
enum AuditChains {
    Table,
    Chain,
    Sequence,
    HeadHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in [
            ColumnDef::new(AuditEvents::Chain).string_len(64).null().to_owned(),
            ColumnDef::new(AuditEvents::Sequence).big_integer().null().to_owned(),
            ColumnDef::new(AuditEvents::Hash).string_len(64).null().to_owned(),
            ColumnDef::new(AuditEvents::PreviousHash)
                .string_len(64)
                .null()
                .to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("audit_events_chain_sequence")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::Chain)
                    .col(AuditEvents::Sequence)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditChains::Table)
                    .col(
                        ColumnDef::new(AuditChains::Chain)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AuditChains::Sequence).big_integer().not_null())
                    .col(ColumnDef::new(AuditChains::HeadHash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        let count = Query::select()
            .expr(Expr::col(Asterisk).count())
            .from(AuditEvents::Table)
            .to_owned();
        let legacy: i64 = manager
            .get_connection()
            .query_one(manager.get_database_backend().build(&count))
            .await?
            .map(|row| row.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0);
        let record = Query::insert()
            .into_table(AuditChains::Table)
            .columns([AuditChains::Chain, AuditChains::Sequence, AuditChains::HeadHash])
            .values_panic(["legacy".into(), legacy.into(), "".into()])
            .to_owned();
        manager.exec_stmt(record).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditChains::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("audit_events_chain_sequence")
                    .table(AuditEvents::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            AuditEvents::Chain,
            AuditEvents::Sequence,
            AuditEvents::Hash,
            AuditEvents::PreviousHash,
        ] {
            manager
                .alter_table(Table::alter().table(AuditEvents::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
