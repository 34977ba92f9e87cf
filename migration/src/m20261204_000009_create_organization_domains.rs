//! The email domains an organization has claimed. Its admins and API clients create accounts, and
//! change addresses, only inside them; everything else they invite. A domain belongs to at most one
//! organization.

use sea_orm_migration::prelude::*;

use crate::m20261127_000001_create_identity_tables::{index, instant};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrganizationDomains {
    Table,
    Domain,
    OrgId,
    CreatedAt,
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
                    .table(OrganizationDomains::Table)
                    .col(
                        ColumnDef::new(OrganizationDomains::Domain)
                            .string_len(253)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(OrganizationDomains::OrgId).uuid().not_null())
                    .col(instant(OrganizationDomains::CreatedAt, backend).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrganizationDomains::Table, OrganizationDomains::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "organization_domains_org_id",
                OrganizationDomains::Table,
                &["org_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrganizationDomains::Table).to_owned())
            .await
    }
}
