//! Brute-force lockout, per user and client IP, on by default.
//!
//! Each sign-in attempt first *reserves* a try with one conditional update — "count one more if
//! fewer than the limit and not locked" — and only a reserved try gets its password checked. So
//! 50 wrong passwords sent at once are checked at most `maxFailedAttempts` times, on every
//! backend and across instances: the database, not the process, holds the count.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::settings::{LockoutPolicy, OrgSettings};
use crate::error::Result;
use steward_entity::{login_failure, membership, organization, UserId};

/// A lock with `lockoutSeconds: 0` lasts until lifted; it is stored this far ahead.
const UNTIL_LIFTED_DAYS: i64 = 365 * 100;

/// The strictest lockout policy among the user's organizations (or `org`'s alone, for a sign-in
/// bound to it); the defaults when the user belongs to none.
pub async fn policy_for(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    org: Option<&organization::Model>,
) -> Result<LockoutPolicy> {
    if let Some(org) = org {
        return Ok(OrgSettings::from_json(&org.settings).lockout);
    }
    let orgs = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .find_also_related(organization::Entity)
        .all(connection)
        .await?;
    let mut strictest: Option<LockoutPolicy> = None;
    for org in orgs.into_iter().filter_map(|(_, org)| org) {
        let theirs = OrgSettings::from_json(&org.settings).lockout;
        strictest = Some(match strictest {
            None => theirs,
            Some(mine) => LockoutPolicy {
                max_failed_attempts: mine.max_failed_attempts.min(theirs.max_failed_attempts),
                lockout_seconds: if mine.lockout_seconds == 0 || theirs.lockout_seconds == 0 {
                    0
                } else {
                    mine.lockout_seconds.max(theirs.lockout_seconds)
                },
            },
        });
    }
    Ok(strictest.unwrap_or_default())
}

fn pair(user_id: UserId, ip: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(login_failure::Column::UserId.eq(user_id))
        .add(login_failure::Column::Ip.eq(ip))
}

/// Reserves one try for the pair. `false` means the pair is locked (or its last tries are still
/// being checked): answer `LOCKED_OUT` without looking at the password.
pub async fn reserve(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    ip: &str,
    policy: &LockoutPolicy,
    now: DateTime<Utc>,
) -> Result<bool> {
    let row = login_failure::ActiveModel {
        user_id: Set(user_id),
        ip: Set(ip.to_owned()),
        failed_attempts: Set(0),
        locked_until: Set(None),
        last_failed_at: Set(now),
    };
    let inserted = login_failure::Entity::insert(row)
        .on_conflict(
            // A no-op update rather than DO NOTHING, which MariaDB's dialect lacks.
            OnConflict::columns([login_failure::Column::UserId, login_failure::Column::Ip])
                .update_column(login_failure::Column::Ip)
                .to_owned(),
        )
        .exec(connection)
        .await;
    match inserted {
        Ok(_) | Err(DbErr::RecordNotInserted) => {}
        Err(error) => return Err(error.into()),
    }
    // A lock that has run out starts the count afresh.
    login_failure::Entity::update_many()
        .col_expr(login_failure::Column::FailedAttempts, Expr::value(0))
        .col_expr(
            login_failure::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(pair(user_id, ip))
        .filter(login_failure::Column::LockedUntil.lte(now))
        .exec(connection)
        .await?;
    let reserved = login_failure::Entity::update_many()
        .col_expr(
            login_failure::Column::FailedAttempts,
            Expr::col(login_failure::Column::FailedAttempts).add(1),
        )
        .col_expr(login_failure::Column::LastFailedAt, Expr::value(now))
        .filter(pair(user_id, ip))
        .filter(login_failure::Column::LockedUntil.is_null())
        .filter(login_failure::Column::FailedAttempts.lt(policy.max_failed_attempts))
        .exec(connection)
        .await?;
    Ok(reserved.rows_affected == 1)
}

/// The reserved try had the wrong password. Returns true when this try locked the pair (so the
/// caller records it once).
pub async fn failed(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    ip: &str,
    policy: &LockoutPolicy,
    now: DateTime<Utc>,
) -> Result<bool> {
    let until = if policy.lockout_seconds == 0 {
        now + Duration::days(UNTIL_LIFTED_DAYS)
    } else {
        now + Duration::seconds(policy.lockout_seconds.into())
    };
    let locked = login_failure::Entity::update_many()
        .col_expr(login_failure::Column::LockedUntil, Expr::value(until))
        .filter(pair(user_id, ip))
        .filter(login_failure::Column::LockedUntil.is_null())
        .filter(login_failure::Column::FailedAttempts.gte(policy.max_failed_attempts))
        .exec(connection)
        .await?;
    Ok(locked.rows_affected == 1)
}

/// The password was right: the pair starts from zero.
pub async fn succeeded(connection: &impl ConnectionTrait, user_id: UserId, ip: &str) -> Result<()> {
    login_failure::Entity::delete_many()
        .filter(pair(user_id, ip))
        .exec(connection)
        .await?;
    Ok(())
}

/// Lifts every lock and count of a user (password reset, `clearLockouts`). Returns how many
/// locks were active.
pub async fn clear(connection: &impl ConnectionTrait, user_id: UserId, now: DateTime<Utc>) -> Result<u64> {
    let active = active(connection, user_id, now).await?.len() as u64;
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::UserId.eq(user_id))
        .exec(connection)
        .await?;
    Ok(active)
}

/// The user's active locks.
pub async fn active(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    now: DateTime<Utc>,
) -> Result<Vec<login_failure::Model>> {
    Ok(login_failure::Entity::find()
        .filter(login_failure::Column::UserId.eq(user_id))
        .filter(login_failure::Column::LockedUntil.gt(now))
        .all(connection)
        .await?)
}

/// Whether a stored lock stands for "until lifted".
pub fn is_until_lifted(until: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    until - now > Duration::days(UNTIL_LIFTED_DAYS / 2)
}
