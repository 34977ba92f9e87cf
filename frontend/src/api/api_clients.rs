//! An organization's API clients: listing them, creating one, giving one a new secret and deleting
//! one. Creating and rotating are the only answers that hold a secret.

use graphql_client::GraphQLQuery;

use super::client::{execute, Session};
use super::error::ApiError;
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::DateTime;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/api_clients.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct OrganizationApiClients;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/api_clients.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct CreateApiClient;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/api_clients.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct RotateApiClientSecret;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/api_clients.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct DeleteApiClient;

pub type ApiClient = organization_api_clients::OrganizationApiClientsApiClients;

/// What creating a client or rotating its secret hands over, this once: the server keeps only the
/// secret's hash.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientCredentials {
    pub id: String,
    pub name: String,
    pub client_id: String,
    pub secret: String,
}

/// The organization's clients, oldest first.
pub async fn load_api_clients(session: Session, organization_id: String) -> Result<Vec<ApiClient>, ApiError> {
    let variables = organization_api_clients::Variables {
        org_id: organization_id,
    };
    Ok(execute::<OrganizationApiClients>(session, variables).await?.api_clients)
}

/// A new client with these scopes, and its secret.
pub async fn create_api_client(
    session: Session,
    organization_id: String,
    name: String,
    scopes: Vec<String>,
) -> Result<ClientCredentials, ApiError> {
    let variables = create_api_client::Variables {
        org_id: organization_id,
        name,
        scopes,
    };
    let created = execute::<CreateApiClient>(session, variables).await?.create_api_client;
    Ok(ClientCredentials {
        id: created.client.id,
        name: created.client.name,
        client_id: created.client.client_id,
        secret: created.client_secret,
    })
}

/// A new secret; the old one, and every token issued with it, stop working at once.
pub async fn rotate_api_client_secret(session: Session, id: String) -> Result<ClientCredentials, ApiError> {
    let variables = rotate_api_client_secret::Variables { id };
    let rotated = execute::<RotateApiClientSecret>(session, variables)
        .await?
        .rotate_api_client_secret;
    Ok(ClientCredentials {
        id: rotated.client.id,
        name: rotated.client.name,
        client_id: rotated.client.client_id,
        secret: rotated.client_secret,
    })
}

/// The client can no longer obtain tokens, and those it holds stop working at once.
pub async fn delete_api_client(session: Session, id: String) -> Result<(), ApiError> {
    execute::<DeleteApiClient>(session, delete_api_client::Variables { id }).await?;
    Ok(())
}
