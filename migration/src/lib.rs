//! Steward's database migrations. A migration that has landed is never edited: change the schema
//! with a new one.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_create_identity_tables;
mod m20261127_000002_create_login_failures;
mod m20261127_000003_create_password_history;
mod m20261127_000004_create_mail_outbox;
mod m20261127_000005_create_api_clients;
mod m20261204_000006_create_address_login_failures;
mod m20261204_000007_chain_audit_events;
mod m20261204_000008_add_audit_chain_cuts;
mod m20261204_000009_create_organization_domains;
mod m20261205_000010_create_metadata_schemas;
mod m20261205_000011_create_import_runs;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_identity_tables::Migration),
            Box::new(m20261127_000002_create_login_failures::Migration),
            Box::new(m20261127_000003_create_password_history::Migration),
            Box::new(m20261127_000004_create_mail_outbox::Migration),
            Box::new(m20261127_000005_create_api_clients::Migration),
            Box::new(m20261204_000006_create_address_login_failures::Migration),
            Box::new(m20261204_000007_chain_audit_events::Migration),
            Box::new(m20261204_000008_add_audit_chain_cuts::Migration),
            Box::new(m20261204_000009_create_organization_domains::Migration),
            Box::new(m20261205_000010_create_metadata_schemas::Migration),
            Box::new(m20261205_000011_create_import_runs::Migration),
        ]
    }
}
