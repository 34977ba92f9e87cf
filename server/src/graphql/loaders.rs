//! Batch loaders: a field that every item of a list asks for is loaded once for the whole list.
//! Each request gets its own loaders (no cache outlives a request), built from the caller's
//! [`Lookups`]: every query a loader sends ANDs in what the caller may see.

use async_graphql::dataloader::{DataLoader, Loader};
use std::collections::HashMap;

use crate::domain::authz::Lookups;
use crate::domain::{email_domains, members, metadata_schemas, organizations};
use steward_entity::{membership, metadata_schema, organization, OrgId, UserId};

/// `Organization.memberCount` for every organization in a response, in one query.
pub struct MemberCounts(Lookups);

impl Loader<OrgId> for MemberCounts {
    type Value = u64;
    type Error = async_graphql::Error;

    async fn load(&self, org_ids: &[OrgId]) -> Result<HashMap<OrgId, u64>, Self::Error> {
        Ok(members::member_counts(&self.0, org_ids).await?)
    }
}

/// `Organization.domains` for every organization in a response, in one query.
pub struct Domains(Lookups);

impl Loader<OrgId> for Domains {
    type Value = Vec<String>;
    type Error = async_graphql::Error;

    async fn load(&self, org_ids: &[OrgId]) -> Result<HashMap<OrgId, Vec<String>>, Self::Error> {
        Ok(email_domains::of_many(&self.0, org_ids).await?)
    }
}

/// The memberships the caller may see of each user on a page, in one query.
pub struct Memberships(Lookups);

impl Loader<UserId> for Memberships {
    type Value = Vec<membership::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, user_ids: &[UserId]) -> Result<HashMap<UserId, Self::Value>, Self::Error> {
        Ok(members::memberships_of(&self.0, user_ids).await?)
    }
}

/// The organizations of every membership in a response, in one query.
pub struct Organizations(Lookups);

impl Loader<OrgId> for Organizations {
    type Value = organization::Model;
    type Error = async_graphql::Error;

    async fn load(&self, org_ids: &[OrgId]) -> Result<HashMap<OrgId, Self::Value>, Self::Error> {
        Ok(organizations::get_many(&self.0, org_ids).await?)
    }
}

/// The metadata schemas that bear on what the caller reads of each user's documents, in two
/// queries for a page of users.
pub struct MetadataRules(pub(crate) Lookups);

impl Loader<UserId> for MetadataRules {
    type Value = Vec<metadata_schema::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, user_ids: &[UserId]) -> Result<HashMap<UserId, Self::Value>, Self::Error> {
        Ok(metadata_schemas::of_users(&self.0, user_ids).await?)
    }
}

/// The loaders for one request.
pub struct Loaders {
    pub member_counts: DataLoader<MemberCounts>,
    pub domains: DataLoader<Domains>,
    pub memberships: DataLoader<Memberships>,
    pub organizations: DataLoader<Organizations>,
    pub metadata_rules: DataLoader<MetadataRules>,
    /// What the loaders read with, for the fields that filter what they load.
    pub lookups: Lookups,
}

pub fn for_request(lookups: Lookups) -> Loaders {
    Loaders {
        member_counts: DataLoader::new(MemberCounts(lookups.clone()), tokio::spawn),
        domains: DataLoader::new(Domains(lookups.clone()), tokio::spawn),
        memberships: DataLoader::new(Memberships(lookups.clone()), tokio::spawn),
        organizations: DataLoader::new(Organizations(lookups.clone()), tokio::spawn),
        // No batch window: a single user's read (the common case) would wait the default 1 ms for
        // nothing. The rows of a list ask in one pass, so they still mostly share a batch.
        metadata_rules: DataLoader::new(MetadataRules(lookups.clone()), tokio::spawn).delay(std::time::Duration::ZERO),
        lookups,
    }
}
