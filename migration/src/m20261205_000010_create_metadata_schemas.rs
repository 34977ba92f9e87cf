//! JSON Schemas for metadata: one per organization and kind of document (`userMetadata`,
//! `appMetadata`, membership `metadata`), and platform-wide ones that every organization's
//! documents must also satisfy. The key names the owner and the kind (`platform/USER_METADATA`,
//! `<org id>/APP_METADATA`), so that a platform schema (no organization) is unique as well.

use sea_orm_migration::prelude::*;

use crate::m20261127_000001_create_identity_tables::{index, instant, json};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MetadataSchemas {
    Table,
    Key,
    OrgId,
    Target,
    Schema,
    Revision,
    UpdatedAt,
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
                    .table(MetadataSchemas::Table)
                    .col(
                        ColumnDef::new(MetadataSchemas::Key)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(MetadataSchemas::OrgId).uuid().null())
                    .col(ColumnDef::new(MetadataSchemas::Target).string_len(32).not_null())
                    .col(json(MetadataSchemas::Schema))
                    .col(ColumnDef::new(MetadataSchemas::Revision).big_integer().not_null())
                    .col(instant(MetadataSchemas::UpdatedAt, backend).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(MetadataSchemas::Table, MetadataSchemas::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("metadata_schemas_org_id", MetadataSchemas::Table, &["org_id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MetadataSchemas::Table).to_owned())
            .await
    }
}
