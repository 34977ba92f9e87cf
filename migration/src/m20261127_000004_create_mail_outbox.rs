//! The mail outbox: every message is written here in the same transaction as the change that
//! caused it, and a background worker delivers it. A row is claimed by a lease (`lease_until`,
//! `lease_owner`) taken with a conditional update, so several instances never send one message
//! twice.

use sea_orm_migration::prelude::*;

use crate::m20261127_000001_create_identity_tables::{index, instant};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    Kind,
    Recipient,
    Subject,
    TextBody,
    HtmlBody,
    Link,
    OrgId,
    UserId,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LeaseOwner,
    LastError,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(MailOutbox::Table)
                    .col(ColumnDef::new(MailOutbox::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(MailOutbox::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(MailOutbox::Recipient).string_len(320).not_null())
                    .col(ColumnDef::new(MailOutbox::Subject).string_len(500).not_null())
                    .col(ColumnDef::new(MailOutbox::TextBody).text().null())
                    .col(ColumnDef::new(MailOutbox::HtmlBody).text().null())
                    .col(ColumnDef::new(MailOutbox::Link).text().null())
                    .col(ColumnDef::new(MailOutbox::OrgId).uuid().null())
                    .col(ColumnDef::new(MailOutbox::UserId).uuid().null())
                    .col(ColumnDef::new(MailOutbox::Status).string_len(16).not_null())
                    .col(ColumnDef::new(MailOutbox::Attempts).integer().not_null())
                    .col(instant(MailOutbox::NextAttemptAt, backend).not_null())
                    .col(instant(MailOutbox::LeaseUntil, backend).null())
                    .col(ColumnDef::new(MailOutbox::LeaseOwner).string_len(64).null())
                    .col(ColumnDef::new(MailOutbox::LastError).string_len(1000).null())
                    .col(instant(MailOutbox::CreatedAt, backend).not_null())
                    .col(instant(MailOutbox::SentAt, backend).null())
                    .to_owned(),
            )
            .await?;
        // What the worker looks for: pending mail that is due; the Mail page, newest first; and
        // "was this user mailed about this lately?".
        for (name, columns) in [
            ("mail_outbox_status_next_attempt_at", &["status", "next_attempt_at"][..]),
            ("mail_outbox_created_at_id", &["created_at", "id"][..]),
            (
                "mail_outbox_user_id_kind_created_at",
                &["user_id", "kind", "created_at"][..],
            ),
        ] {
            manager.create_index(index(name, MailOutbox::Table, columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MailOutbox::Table).to_owned())
            .await
    }
}
