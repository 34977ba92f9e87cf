//! API clients: partner applications' credentials, managed by an organization's ADMINs.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::cost;
use super::ids::parse;
use crate::domain::api_clients::{self, Credentials};
use steward_entity::api_client;

type GqlResult<T> = async_graphql::Result<T>;

/// A partner application that calls the API inside one organization with client-credentials
/// tokens from `POST /oauth/token`.
pub struct ApiClient(pub api_client::Model);

#[Object]
impl ApiClient {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the application sends as `client_id`.
    async fn client_id(&self) -> &str {
        &self.0.client_id
    }
    /// `users:read`, `users:write`, `users:delete`, `metadata:write`, `audit:read`, `org:read`.
    async fn scopes(&self) -> Vec<String> {
        crate::policy::client_scopes::held_by(&self.0)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last obtained a token.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
}

/// A client with its secret, which is shown this once: only its hash is kept.
#[derive(SimpleObject)]
pub struct ApiClientCredentials {
    pub client: ApiClient,
    pub client_secret: String,
}

impl From<Credentials> for ApiClientCredentials {
    fn from(credentials: Credentials) -> Self {
        Self {
            client: ApiClient(credentials.client),
            client_secret: credentials.secret,
        }
    }
}

#[derive(Default)]
pub struct ApiClientQuery;

#[Object]
impl ApiClientQuery {
    /// The organization's API clients, oldest first.
    ///
    /// **Permissions**: the organization's ADMIN; superadmin.
    #[graphql(complexity = "cost::queried_list(cost::API_CLIENTS, child_complexity)")]
    async fn api_clients(&self, ctx: &Context<'_>, org_id: ID) -> GqlResult<Vec<ApiClient>> {
        let caller = super::acting::caller(ctx);
        let scope = caller.org_admin(parse(&org_id)?)?;
        Ok(api_clients::list(&scope).await?.into_iter().map(ApiClient).collect())
    }
}

#[derive(Default)]
pub struct ApiClientMutation;

#[Object]
impl ApiClientMutation {
    /// Creates an API client with scopes; the answer holds its secret, shown this once.
    ///
    /// **Permissions**: the organization's ADMIN; superadmin.
    async fn create_api_client(
        &self,
        ctx: &Context<'_>,
        org_id: ID,
        name: String,
        scopes: Vec<String>,
    ) -> GqlResult<ApiClientCredentials> {
        let caller = super::acting::caller(ctx);
        let scope = caller.org_admin(parse(&org_id)?)?;
        Ok(api_clients::create(&scope, &name, &scopes).await?.into())
    }

    /// Gives the client a new secret. The old secret, and every token issued with it, stop
    /// working at once.
    ///
    /// **Permissions**: as `createApiClient`.
    async fn rotate_api_client_secret(&self, ctx: &Context<'_>, id: ID) -> GqlResult<ApiClientCredentials> {
        let caller = super::acting::caller(ctx);
        let scope = caller.api_client_admin(parse(&id)?).await?;
        Ok(api_clients::rotate(&scope, parse(&id)?).await?.into())
    }

    /// Deletes the client; its tokens stop working at once.
    ///
    /// **Permissions**: as `createApiClient`.
    async fn delete_api_client(&self, ctx: &Context<'_>, id: ID) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        let scope = caller.api_client_admin(parse(&id)?).await?;
        api_clients::delete(&scope, parse(&id)?).await?;
        Ok(true)
    }
}
