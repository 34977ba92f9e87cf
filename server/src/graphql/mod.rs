//! The GraphQL API: one schema merged from one query and one mutation object per area.
//! Resolvers are thin: input → `authz` scope → domain call → output type.

mod access;
mod acting;
mod api_clients;
mod audit;
mod bulk;
mod connection;
pub mod cookies;
mod cost;
mod enums;
mod errors;
pub use acting::SignedInCallers;
pub use errors::ensure_codes;
pub(crate) mod documents;
mod ids;
mod imports;
mod inputs;
mod invitations;
pub mod loaders;
mod members;
mod membership;
mod metadata_schemas;
mod organizations;
mod outbox;
mod recovery;
mod session;
mod types;
mod users;
mod verification;

use async_graphql::{MergedObject, Schema};

#[derive(MergedObject, Default)]
pub struct Query(
    session::SessionQuery,
    organizations::OrganizationQuery,
    users::UserQuery,
    audit::AuditQuery,
    recovery::RecoveryQuery,
    outbox::OutboxQuery,
    api_clients::ApiClientQuery,
    metadata_schemas::MetadataSchemaQuery,
    imports::ImportQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    session::SessionMutation,
    organizations::OrganizationMutation,
    users::UserMutation,
    members::MemberMutation,
    access::AccessMutation,
    invitations::InvitationMutation,
    recovery::RecoveryMutation,
    verification::VerificationMutation,
    api_clients::ApiClientMutation,
    bulk::BulkMutation,
    metadata_schemas::MetadataSchemaMutation,
);

pub type StewardSchema = Schema<Query, Mutation, audit::AuditSubscription>;

/// The schema. It holds no state: each request brings its `Caller`.
pub fn schema() -> StewardSchema {
    Schema::build(Query::default(), Mutation::default(), audit::AuditSubscription)
        .extension(errors::ErrorCodes)
        .extension(documents::DocumentChecks)
        // A single request cannot do unbounded work: see `cost` for what a field costs. The
        // depth still admits GraphiQL's introspection query.
        .limit_depth(20)
        .limit_complexity(cost::LIMIT)
        .limit_recursive_depth(32)
        .finish()
}

/// The SDL, as `steward export-schema` prints it and `schema.graphql` keeps it.
pub fn sdl() -> String {
    schema().sdl()
}
