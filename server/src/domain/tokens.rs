//! One-time tokens (setup, password reset, …): 256 random bits sent only in a link, stored only as
//! a hash, single-use. Unknown, used and expired tokens fail alike with `TOKEN_INVALID`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::crypto::{constant_time_eq, random_token, token_hash};
use crate::error::{Error, Result};
use steward_entity::{one_time_token, UserId};

pub const SETUP: &str = "SETUP";
pub const PASSWORD_RESET: &str = "PASSWORD_RESET";

/// Creates a token and returns its secret, the only copy there will be.
pub async fn issue(
    connection: &impl ConnectionTrait,
    purpose: &str,
    user_id: Option<UserId>,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<String> {
    let token = random_token();
    one_time_token::ActiveModel {
        token_hash: Set(token_hash(&token)),
        purpose: Set(purpose.to_owned()),
        user_id: Set(user_id),
        org_id: Set(None),
        data: Set(json!({})),
        created_at: Set(now),
        expires_at: Set(now + lifetime),
        used_at: Set(None),
    }
    .insert(connection)
    .await?;
    Ok(token)
}

/// Spends a token: it must exist, serve `purpose`, be unexpired and unused. Marking it used is a
/// conditional update, so two requests racing with one token cannot both succeed.
pub async fn consume(
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

/// Spends every outstanding token of one purpose for a user (a password change invalidates
/// pending reset links).
pub async fn invalidate(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, sea_orm::sea_query::Expr::value(now))
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::Purpose.eq(purpose))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(connection)
        .await?;
    Ok(())
}
