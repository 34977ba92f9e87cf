//! API clients: partner applications that get client-credentials tokens for one organization.

use sea_orm_migration::prelude::*;

use crate::m20261127_000001_create_identity_tables::{index, instant};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiClients {
    Table,
    Id,
    OrgId,
    Name,
    ClientId,
    SecretHash,
    Scopes,
    CreatedBy,
    CreatedAt,
    SecretRotatedAt,
    SecretVersion,
    LastUsedAt,
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
        manager
            .create_table(
                Table::create()
                    .table(ApiClients::Table)
                    .col(ColumnDef::new(ApiClients::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(ApiClients::OrgId).uuid().not_null())
                    .col(ColumnDef::new(ApiClients::Name).string_len(255).not_null())
                    .col(
                        ColumnDef::new(ApiClients::ClientId)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ApiClients::SecretHash).string_len(64).not_null())
                    .col(ColumnDef::new(ApiClients::Scopes).json_binary().not_null())
                    .col(ColumnDef::new(ApiClients::CreatedBy).uuid().null())
                    .col(instant(ApiClients::CreatedAt, backend).not_null())
                    .col(instant(ApiClients::SecretRotatedAt, backend).not_null())
                    .col(ColumnDef::new(ApiClients::SecretVersion).integer().not_null())
                    .col(instant(ApiClients::LastUsedAt, backend).null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiClients::Table, ApiClients::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "api_clients_org_id_created_at",
                ApiClients::Table,
                &["org_id", "created_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiClients::Table).to_owned())
            .await
    }
}
