//! Listing organizations (all of them for a superadmin, one's own otherwise) and creating one.

use graphql_client::GraphQLQuery;

use super::client::{execute, Session};
use super::error::ApiError;
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::DateTime;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/organizations.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct Organizations;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/organizations.graphql",
    response_derives = "Debug, Clone, PartialEq",
    skip_serializing_none
)]
pub struct CreateOrganization;

pub type OrganizationPage = organizations::OrganizationsOrganizations;
pub type OrganizationSummary = organizations::OrganizationsOrganizationsEdgesNode;
pub type CreatedOrganization = create_organization::CreateOrganizationCreateOrganization;

/// One page of organizations; `search` matches on name and slug, on the server.
pub async fn list_organizations(
    session: Session,
    first: i64,
    after: Option<String>,
    search: Option<String>,
) -> Result<OrganizationPage, ApiError> {
    let variables = organizations::Variables { first, after, search };
    Ok(execute::<Organizations>(session, variables).await?.organizations)
}

/// Superadmins only; the server answers `FORBIDDEN` to anyone else and `CONFLICT` for a taken slug.
pub async fn create_organization(
    session: Session,
    slug: String,
    name: String,
    domains: Vec<String>,
) -> Result<CreatedOrganization, ApiError> {
    let variables = create_organization::Variables { slug, name, domains };
    Ok(execute::<CreateOrganization>(session, variables)
        .await?
        .create_organization)
}
