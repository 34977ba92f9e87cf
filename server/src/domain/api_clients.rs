//! API clients: partner applications in one organization. An ADMIN creates one with scopes and
//! gets its secret once; the application exchanges `client_id` and secret for an access token at
//! `/oauth/token` (the client-credentials grant) and calls the API inside its organization.
//! Deleting a client or rotating its secret stops its tokens on the very next request.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use super::audit::{self, Event};
use super::validate;
use crate::crypto::{constant_time_eq, random_token, token_hash};
use crate::domain::authz::keys::ClientClaims;
use crate::domain::authz::{OrgAdmin, Public, Scope};
use crate::error::{Error, Result};
use crate::policy::client_scopes::{self, held_by};
use steward_entity::{api_client, ApiClientId};

/// A client and its secret, which is shown this once and stored only as a hash.
pub struct Credentials {
    pub client: api_client::Model,
    pub secret: String,
}

fn checked_scopes(scopes: &[String]) -> Result<Vec<String>> {
    let mut checked: Vec<String> = Vec::new();
    for scope in scopes {
        let scope = scope.trim();
        if !client_scopes::ALL.contains(&scope) {
            return Err(Error::invalid(
                "scopes",
                format!("unknown scope `{scope}`; known: {}", client_scopes::ALL.join(", ")),
            ));
        }
        if !checked.iter().any(|held| held == scope) {
            checked.push(scope.to_owned());
        }
    }
    if checked.is_empty() {
        return Err(Error::invalid("scopes", "give at least one scope"));
    }
    Ok(checked)
}

pub async fn create(scope: &OrgAdmin<'_>, name: &str, scopes: &[String]) -> Result<Credentials> {
    let name = validate::text(name, 255).map_err(|message| Error::invalid("name", message))?;
    let scopes = checked_scopes(scopes)?;
    let app = scope.app();
    let now = app.clock.now();
    let secret = random_token();
    let transaction = app.database.write().await?;
    let client = api_client::ActiveModel {
        id: Set(ApiClientId::new()),
        org_id: Set(scope.org_id()),
        name: Set(name),
        client_id: Set(format!("stw_{}", uuid::Uuid::new_v4().simple())),
        secret_hash: Set(token_hash(&secret)),
        scopes: Set(json!(scopes)),
        created_by: Set(scope.actor().user_id),
        created_at: Set(now),
        secret_rotated_at: Set(now),
        secret_version: Set(1),
        last_used_at: Set(None),
    }
    .insert(&*transaction)
    .await?;
    let details = json!({ "apiClientId": client.id, "name": client.name, "scopes": scopes });
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("API_CLIENT_CREATED").org(scope.org_id()).details(details),
    )
    .await?;
    transaction.commit().await?;
    Ok(Credentials { client, secret })
}

pub async fn list(scope: &OrgAdmin<'_>) -> Result<Vec<api_client::Model>> {
    Ok(api_client::Entity::find()
        .filter(api_client::Column::OrgId.eq(scope.org_id()))
        .order_by_asc(api_client::Column::CreatedAt)
        .all(scope.database().reader())
        .await?)
}

/// A new secret; the old one, and every token issued with it, stop working at once.
pub async fn rotate(scope: &OrgAdmin<'_>, id: ApiClientId) -> Result<Credentials> {
    let app = scope.app();
    let now = app.clock.now();
    let secret = random_token();
    let transaction = app.database.write().await?;
    let updated = api_client::Entity::update_many()
        .col_expr(api_client::Column::SecretHash, Expr::value(token_hash(&secret)))
        .col_expr(api_client::Column::SecretRotatedAt, Expr::value(now))
        .col_expr(
            api_client::Column::SecretVersion,
            Expr::col(api_client::Column::SecretVersion).add(1),
        )
        .filter(api_client::Column::Id.eq(id))
        .filter(api_client::Column::OrgId.eq(scope.org_id()))
        .exec(&*transaction)
        .await?;
    if updated.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("API_CLIENT_SECRET_ROTATED")
            .org(scope.org_id())
            .details(json!({ "apiClientId": id })),
    )
    .await?;
    let client = api_client::Entity::find_by_id(id)
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound)?;
    transaction.commit().await?;
    Ok(Credentials { client, secret })
}

pub async fn delete(scope: &OrgAdmin<'_>, id: ApiClientId) -> Result<()> {
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let deleted = api_client::Entity::delete_many()
        .filter(api_client::Column::Id.eq(id))
        .filter(api_client::Column::OrgId.eq(scope.org_id()))
        .exec(&*transaction)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("API_CLIENT_DELETED")
            .org(scope.org_id())
            .details(json!({ "apiClientId": id })),
    )
    .await?;
    transaction.commit().await
}

/// An access token from the client-credentials grant.
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
    pub scope: String,
}

/// Why a token request failed, in RFC 6749's terms.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Unknown client or wrong secret (alike).
    InvalidClient,
    /// A requested scope the client does not hold.
    InvalidScope,
    RateLimited,
    /// The server failed; the credentials may be fine.
    Internal,
}

/// The client-credentials grant. An unknown client and a wrong secret fail alike; `requested`
/// (space-separated) narrows the token to some of the client's scopes.
pub async fn issue_token(
    scope: &Public<'_>,
    client_id: &str,
    secret: &str,
    requested: Option<&str>,
) -> std::result::Result<IssuedToken, TokenError> {
    let app = scope.app();
    let ip = scope.actor().ip;
    if app.limits.check_token_ip(ip.as_deref()).await.is_err() {
        return Err(TokenError::RateLimited);
    }
    let client = api_client::Entity::find()
        .filter(api_client::Column::ClientId.eq(client_id))
        .one(app.database.reader())
        .await
        .map_err(|error| {
            tracing::error!(%error, "an API client could not be read");
            TokenError::Internal
        })?;
    let presented = token_hash(secret);
    let Some(client) = client.filter(|client| constant_time_eq(client.secret_hash.as_bytes(), presented.as_bytes()))
    else {
        return Err(TokenError::InvalidClient);
    };
    if app.limits.check_token_client(&client.client_id).await.is_err() {
        return Err(TokenError::RateLimited);
    }
    let held = held_by(&client);
    let granted: Vec<String> = match requested.map(str::split_whitespace) {
        Some(asked) => {
            let asked: Vec<String> = asked.map(str::to_owned).collect();
            if asked.iter().any(|scope| !held.contains(scope)) {
                return Err(TokenError::InvalidScope);
            }
            if asked.is_empty() {
                held
            } else {
                asked
            }
        }
        None => held,
    };
    let now = app.clock.now();
    let lifetime = Duration::seconds(app.config.client_token_ttl_seconds);
    let claims = ClientClaims {
        iss: app.config.public_base().to_owned(),
        sub: client.client_id.clone(),
        cid: client.id,
        org: client.org_id,
        scope: granted.join(" "),
        ver: client.secret_version,
        iat: now.timestamp(),
        exp: (now + lifetime).timestamp(),
    };
    let access_token = app.keys.issue(&claims).map_err(|_| TokenError::Internal)?;
    // Throttled like sessions' last use: a busy client does not write on every token.
    if client.last_used_at.is_none_or(|at| now - at > Duration::seconds(60)) {
        let _ = api_client::Entity::update_many()
            .col_expr(api_client::Column::LastUsedAt, Expr::value(now))
            .filter(api_client::Column::Id.eq(client.id))
            .exec(app.database.reader())
            .await;
    }
    Ok(IssuedToken {
        access_token,
        expires_in: lifetime.num_seconds(),
        scope: claims.scope,
    })
}
