//! One-time tokens (setup, password reset, verification, invitation, unlock): 256 random bits
//! sent only in a link, stored only as a hash, single-use. Unknown, used and expired tokens fail
//! alike with `TOKEN_INVALID`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{json, Value as Json};

use crate::config::Config;
use crate::crypto::{constant_time_eq, random_token, token_hash};
use crate::error::{Error, Result};
use steward_entity::{one_time_token, OrgId, UserId};

pub const SETUP: &str = "SETUP";
pub use crate::policy::link_purposes::{EMAIL_CHANGE, EMAIL_VERIFICATION, INVITATION, PASSWORD_RESET, UNLOCK};

/// How long each kind of link lives unless told otherwise.
pub fn lifetime(purpose: &str) -> Duration {
    match purpose {
        PASSWORD_RESET => Duration::hours(1),
        EMAIL_VERIFICATION | EMAIL_CHANGE | UNLOCK => Duration::hours(24),
        INVITATION => Duration::days(7),
        _ => Duration::hours(24),
    }
}

/// The portal page that takes each kind of token.
pub fn route(purpose: &str) -> &'static str {
    match purpose {
        PASSWORD_RESET => "/reset-password",
        EMAIL_VERIFICATION | EMAIL_CHANGE => "/verify-email",
        INVITATION => "/accept-invitation",
        UNLOCK => "/unlock",
        _ => "/setup",
    }
}

/// `STEWARD_PUBLIC_URL` + the portal route for the token's purpose + `?token=`.
pub fn link(config: &Config, purpose: &str, token: &str) -> String {
    format!("{}{}?token={token}", config.public_base(), route(purpose))
}

/// What a new token is for and about.
pub struct NewToken {
    pub purpose: &'static str,
    pub user_id: Option<UserId>,
    pub org_id: Option<OrgId>,
    pub data: Json,
    pub lifetime: Duration,
}

impl NewToken {
    /// A token for a user with the purpose's default lifetime and no data.
    pub fn for_user(purpose: &'static str, user_id: UserId) -> Self {
        Self {
            purpose,
            user_id: Some(user_id),
            org_id: None,
            data: json!({}),
            lifetime: lifetime(purpose),
        }
    }
}

/// Creates a token and returns its secret, the only copy there will be.
pub(super) async fn issue(
    connection: &impl ConnectionTrait,
    purpose: &'static str,
    user_id: Option<UserId>,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<String> {
    let new = NewToken {
        purpose,
        user_id,
        org_id: None,
        data: json!({}),
        lifetime,
    };
    create(connection, new, now).await
}

/// Creates a token as described and returns its secret.
pub(super) async fn create(connection: &impl ConnectionTrait, new: NewToken, now: DateTime<Utc>) -> Result<String> {
    let token = random_token();
    one_time_token::ActiveModel {
        token_hash: Set(token_hash(&token)),
        purpose: Set(new.purpose.to_owned()),
        user_id: Set(new.user_id),
        org_id: Set(new.org_id),
        data: Set(new.data),
        created_at: Set(now),
        expires_at: Set(now + new.lifetime),
        used_at: Set(None),
    }
    .insert(connection)
    .await?;
    Ok(token)
}

/// A token that could still be spent, without spending it (to show a page, or to check a new
/// password before the token is used). `None` for unknown, used and expired tokens alike.
pub(super) async fn peek(
    connection: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<one_time_token::Model>> {
    let hash = token_hash(token);
    let found = one_time_token::Entity::find_by_id(hash.clone()).one(connection).await?;
    Ok(found.filter(|found| {
        constant_time_eq(found.token_hash.as_bytes(), hash.as_bytes())
            && found.used_at.is_none()
            && found.expires_at > now
    }))
}

/// The newest unspent token of a purpose for a user (a pending email change).
pub(super) async fn newest_pending(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<Option<one_time_token::Model>> {
    Ok(one_time_token::Entity::find()
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::Purpose.eq(purpose))
        .filter(one_time_token::Column::UsedAt.is_null())
        .filter(one_time_token::Column::ExpiresAt.gt(now))
        .order_by_desc(one_time_token::Column::CreatedAt)
        .one(connection)
        .await?)
}

/// Spends a user's outstanding tokens of each of these purposes.
pub(super) async fn invalidate_each(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    purposes: &[&str],
    now: DateTime<Utc>,
) -> Result<()> {
    for purpose in purposes {
        invalidate(connection, user_id, purpose, now).await?;
    }
    Ok(())
}

/// Spends a token: it must exist, serve `purpose`, be unexpired and unused. Marking it used is a
/// conditional update, so two requests racing with one token cannot both succeed.
pub(super) async fn consume(
    connection: &impl ConnectionTrait,
    token: &str,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<one_time_token::Model> {
    let hash = token_hash(token);
    let found = one_time_token::Entity::find_by_id(hash.clone())
        .one(connection)
        .await?
        .ok_or(Error::TokenInvalid)?;
    let usable = constant_time_eq(found.token_hash.as_bytes(), hash.as_bytes())
        && found.purpose == purpose
        && found.used_at.is_none()
        && found.expires_at > now;
    if !usable {
        return Err(Error::TokenInvalid);
    }
    let spent = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, sea_orm::sea_query::Expr::value(now))
        .filter(one_time_token::Column::TokenHash.eq(hash))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(connection)
        .await?;
    if spent.rows_affected != 1 {
        return Err(Error::TokenInvalid);
    }
    Ok(found)
}

/// Spends the outstanding tokens that `condition` selects. They are found first and spent by
/// their keys: an update that searches an index range would lock the range on MariaDB, and two
/// transactions that then insert tokens beside it deadlock.
async fn spend(connection: &impl ConnectionTrait, condition: sea_orm::Condition, now: DateTime<Utc>) -> Result<()> {
    use sea_orm::QuerySelect;
    let outstanding: Vec<String> = one_time_token::Entity::find()
        .select_only()
        .column(one_time_token::Column::TokenHash)
        .filter(condition)
        .filter(one_time_token::Column::UsedAt.is_null())
        .into_tuple()
        .all(connection)
        .await?;
    if outstanding.is_empty() {
        return Ok(());
    }
    one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, sea_orm::sea_query::Expr::value(now))
        .filter(one_time_token::Column::TokenHash.is_in(outstanding))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(connection)
        .await?;
    Ok(())
}

/// Spends every outstanding token of one purpose for a user (a password change invalidates
/// pending reset links).
pub(super) async fn invalidate(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let condition = sea_orm::Condition::all()
        .add(one_time_token::Column::UserId.eq(user_id))
        .add(one_time_token::Column::Purpose.eq(purpose));
    spend(connection, condition, now).await
}

/// Spends a user's outstanding tokens of one purpose that belong to one organization.
pub(super) async fn invalidate_in_org(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    org_id: OrgId,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let condition = sea_orm::Condition::all()
        .add(one_time_token::Column::UserId.eq(user_id))
        .add(one_time_token::Column::OrgId.eq(org_id))
        .add(one_time_token::Column::Purpose.eq(purpose));
    spend(connection, condition, now).await
}

/// Spends the outstanding invitations into `org_id` for `email`, whether or not they were made
/// for an account (`inviteMember` invites an address): a member who is removed, or who has just
/// joined, has no further link into the organization.
pub(super) async fn invalidate_invitations_for(
    connection: &impl ConnectionTrait,
    org_id: OrgId,
    email: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    use sea_orm::QuerySelect;
    // An organization's pending invitations are few; their address lives in the token's data.
    let pending: Vec<(String, serde_json::Value)> = one_time_token::Entity::find()
        .select_only()
        .columns([one_time_token::Column::TokenHash, one_time_token::Column::Data])
        .filter(one_time_token::Column::OrgId.eq(org_id))
        .filter(one_time_token::Column::Purpose.eq(INVITATION))
        .filter(one_time_token::Column::UsedAt.is_null())
        .filter(one_time_token::Column::ExpiresAt.gt(now))
        .into_tuple()
        .all(connection)
        .await?;
    let for_address: Vec<String> = pending
        .into_iter()
        .filter(|(_, data)| data.get("email").and_then(|found| found.as_str()) == Some(email))
        .map(|(hash, _)| hash)
        .collect();
    if for_address.is_empty() {
        return Ok(());
    }
    spend(
        connection,
        sea_orm::Condition::all().add(one_time_token::Column::TokenHash.is_in(for_address)),
        now,
    )
    .await
}

/// Spends every outstanding token of a user, whatever its purpose (a block).
pub(super) async fn invalidate_all(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    now: DateTime<Utc>,
) -> Result<()> {
    spend(
        connection,
        sea_orm::Condition::all().add(one_time_token::Column::UserId.eq(user_id)),
        now,
    )
    .await
}
