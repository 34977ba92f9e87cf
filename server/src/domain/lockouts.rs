//! Brute-force lockout, per user and client IP, on by default.
//!
//! Each sign-in attempt first *reserves* a try with one conditional update — "count one more if
//! fewer than the limit and not locked" — and only a reserved try gets its password checked. So
//! 50 wrong passwords sent at once are checked at most `maxFailedAttempts` times, on every
//! backend and across instances: the database, not the process, holds the count.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Condition, Expr, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, StatementBuilder, Value};

use super::authz::{Scope, UserReader};
use crate::error::Result;
use crate::policy::settings::{LockoutPolicy, OrgSettings};
use steward_entity::{login_failure, membership, organization, UserId};

/// A lock with `lockoutSeconds: 0` lasts until lifted; it is stored this far ahead.
const UNTIL_LIFTED_DAYS: i64 = 365 * 100;

/// The strictest lockout policy among the user's organizations; the defaults when the user
/// belongs to none. One policy per user, whatever organization a sign-in names: the count is
/// shared, so naming a laxer organization (or a foreign one) must not buy more guesses.
pub(super) async fn policy_for(connection: &impl ConnectionTrait, user_id: UserId) -> Result<LockoutPolicy> {
    let orgs = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .find_also_related(organization::Entity)
        .all(connection)
        .await?;
    Ok(strictest(
        orgs.into_iter()
            .filter_map(|(_, org)| org)
            .map(|org| OrgSettings::from_json(&org.settings).lockout),
    ))
}

/// The strictest of some policies: the fewest attempts, the longest lock ("until lifted" beats
/// any length); the defaults when there are none.
pub fn strictest(policies: impl Iterator<Item = LockoutPolicy>) -> LockoutPolicy {
    policies
        .reduce(|mine, theirs| LockoutPolicy {
            max_failed_attempts: mine.max_failed_attempts.min(theirs.max_failed_attempts),
            lockout_seconds: if mine.lockout_seconds == 0 || theirs.lockout_seconds == 0 {
                0
            } else {
                mine.lockout_seconds.max(theirs.lockout_seconds)
            },
        })
        .unwrap_or_default()
}

/// Whose failed attempts are counted: an account's, or those of an address that has no account
/// (kept apart, by hash), so that both lock after the same number of wrong passwords.
#[derive(Clone, Copy, Debug)]
pub enum Subject<'a> {
    User(UserId),
    /// The SHA-256 of an address with no account.
    Address(&'a str),
}

impl Subject<'_> {
    fn table(&self) -> Alias {
        Alias::new(match self {
            Subject::User(_) => "login_failures",
            Subject::Address(_) => "address_login_failures",
        })
    }

    fn key_column(&self) -> Alias {
        Alias::new(match self {
            Subject::User(_) => "user_id",
            Subject::Address(_) => "address_hash",
        })
    }

    fn key(&self) -> Value {
        match self {
            Subject::User(user_id) => (*user_id).into(),
            Subject::Address(hash) => (*hash).into(),
        }
    }

    /// The row of this subject and `ip`.
    fn pair(&self, ip: &str) -> Condition {
        Condition::all()
            .add(Expr::col(self.key_column()).eq(self.key()))
            .add(Expr::col(Alias::new("ip")).eq(ip))
    }
}

const FAILED_ATTEMPTS: &str = "failed_attempts";
const LOCKED_UNTIL: &str = "locked_until";
const LAST_FAILED_AT: &str = "last_failed_at";

fn column(name: &str) -> Alias {
    Alias::new(name)
}

async fn run(connection: &impl ConnectionTrait, statement: &impl StatementBuilder) -> Result<u64> {
    let statement = connection.get_database_backend().build(statement);
    Ok(connection.execute(statement).await?.rows_affected())
}

/// Reserves one try for the pair. `false` means the pair is locked (or its last tries are still
/// being checked): answer `LOCKED_OUT` without looking at the password.
pub(super) async fn reserve(
    connection: &impl ConnectionTrait,
    subject: Subject<'_>,
    ip: &str,
    policy: &LockoutPolicy,
    now: DateTime<Utc>,
) -> Result<bool> {
    let none: Option<DateTime<Utc>> = None;
    let insert = Query::insert()
        .into_table(subject.table())
        .columns([
            subject.key_column(),
            column("ip"),
            column(FAILED_ATTEMPTS),
            column(LOCKED_UNTIL),
            column(LAST_FAILED_AT),
        ])
        .values_panic([subject.key().into(), ip.into(), 0.into(), none.into(), now.into()])
        // A no-op update rather than DO NOTHING, which MariaDB's dialect lacks.
        .on_conflict(
            OnConflict::columns([subject.key_column(), column("ip")])
                .update_column(column("ip"))
                .to_owned(),
        )
        .to_owned();
    run(connection, &insert).await?;
    // A lock that has run out starts the count afresh.
    let expired = Query::update()
        .table(subject.table())
        .value(column(FAILED_ATTEMPTS), 0)
        .value(column(LOCKED_UNTIL), none)
        .cond_where(subject.pair(ip))
        .and_where(Expr::col(column(LOCKED_UNTIL)).lte(now))
        .to_owned();
    run(connection, &expired).await?;
    let reserve = Query::update()
        .table(subject.table())
        .value(column(FAILED_ATTEMPTS), Expr::col(column(FAILED_ATTEMPTS)).add(1))
        .value(column(LAST_FAILED_AT), now)
        .cond_where(subject.pair(ip))
        .and_where(Expr::col(column(LOCKED_UNTIL)).is_null())
        .and_where(Expr::col(column(FAILED_ATTEMPTS)).lt(policy.max_failed_attempts))
        .to_owned();
    Ok(run(connection, &reserve).await? == 1)
}

/// The reserved try had the wrong password. Returns true when this try locked the pair (so the
/// caller records it once).
pub(super) async fn failed(
    connection: &impl ConnectionTrait,
    subject: Subject<'_>,
    ip: &str,
    policy: &LockoutPolicy,
    now: DateTime<Utc>,
) -> Result<bool> {
    let until = if policy.lockout_seconds == 0 {
        now + Duration::days(UNTIL_LIFTED_DAYS)
    } else {
        now + Duration::seconds(policy.lockout_seconds.into())
    };
    let lock = Query::update()
        .table(subject.table())
        .value(column(LOCKED_UNTIL), until)
        .cond_where(subject.pair(ip))
        .and_where(Expr::col(column(LOCKED_UNTIL)).is_null())
        .and_where(Expr::col(column(FAILED_ATTEMPTS)).gte(policy.max_failed_attempts))
        .to_owned();
    Ok(run(connection, &lock).await? == 1)
}

/// The password was right: the pair starts from zero.
pub(super) async fn succeeded(connection: &impl ConnectionTrait, subject: Subject<'_>, ip: &str) -> Result<()> {
    let delete = Query::delete()
        .from_table(subject.table())
        .cond_where(subject.pair(ip))
        .to_owned();
    run(connection, &delete).await?;
    Ok(())
}

/// Lifts every lock and count of a user (password reset, `clearLockouts`). Returns how many
/// locks were active.
pub(super) async fn clear(connection: &impl ConnectionTrait, user_id: UserId, now: DateTime<Utc>) -> Result<u64> {
    let active = standing(connection, user_id, now).await?.len() as u64;
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::UserId.eq(user_id))
        .exec(connection)
        .await?;
    Ok(active)
}

async fn standing(
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

/// One standing lock on a user's sign-in from one client address.
pub struct ActiveLock {
    pub ip: String,
    pub failed_attempts: i32,
    /// `None`: until an admin clears it or the user resets their password.
    pub locked_until: Option<DateTime<Utc>>,
}

/// The user's standing locks, for whoever may read the user.
pub async fn active(scope: &UserReader<'_>) -> Result<Vec<ActiveLock>> {
    let now = scope.app().clock.now();
    let locks = standing(scope.database().reader(), scope.user_id(), now).await?;
    Ok(locks
        .into_iter()
        .map(|lock| ActiveLock {
            ip: lock.ip,
            failed_attempts: lock.failed_attempts,
            locked_until: lock.locked_until.filter(|until| !is_until_lifted(*until, now)),
        })
        .collect())
}

/// Whether a stored lock stands for "until lifted".
pub fn is_until_lifted(until: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    until - now > Duration::days(UNTIL_LIFTED_DAYS / 2)
}
