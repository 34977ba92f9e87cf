//! Brute-force lockout: failed sign-in attempts per user and client IP.

use sea_orm_migration::prelude::*;

use crate::m20261127_000001_create_identity_tables::instant;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    UserId,
    Ip,
    FailedAttempts,
    LockedUntil,
    LastFailedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .col(ColumnDef::new(LoginFailures::UserId).uuid().not_null())
                    .col(ColumnDef::new(LoginFailures::Ip).string_len(64).not_null())
                    .col(ColumnDef::new(LoginFailures::FailedAttempts).integer().not_null())
                    .col(instant(LoginFailures::LockedUntil, backend).null())
                    .col(instant(LoginFailures::LastFailedAt, backend).not_null())
                    .primary_key(Index::create().col(LoginFailures::UserId).col(LoginFailures::Ip))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LoginFailures::Table, LoginFailures::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginFailures::Table).to_owned())
            .await
    }
}
