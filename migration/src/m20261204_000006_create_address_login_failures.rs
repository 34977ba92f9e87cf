//! Brute-force lockout for addresses that have no account: counted exactly like a user's, so that
//! an unknown address locks after as many wrong passwords as a known one and sign-in tells
//! nobody which addresses exist. The address is stored only as a hash.

use sea_orm_migration::prelude::*;

use crate::m20261127_000001_create_identity_tables::instant;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AddressLoginFailures {
    Table,
    AddressHash,
    Ip,
    FailedAttempts,
    LockedUntil,
    LastFailedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(AddressLoginFailures::Table)
                    .col(
                        ColumnDef::new(AddressLoginFailures::AddressHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AddressLoginFailures::Ip).string_len(64).not_null())
                    .col(
                        ColumnDef::new(AddressLoginFailures::FailedAttempts)
                            .integer()
                            .not_null(),
                    )
                    .col(instant(AddressLoginFailures::LockedUntil, backend).null())
                    .col(instant(AddressLoginFailures::LastFailedAt, backend).not_null())
                    .primary_key(
                        Index::create()
                            .col(AddressLoginFailures::AddressHash)
                            .col(AddressLoginFailures::Ip),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AddressLoginFailures::Table).to_owned())
            .await
    }
}
