//! The one way a password is checked against an account, wherever it is asked for: sign-in,
//! `changeMyPassword`, `changeMyEmail`, an invitation accepted by an existing account. Every such
//! check draws on the same rate limits and the same lockout count, so a stolen session or an
//! invitation link is no side door for guessing.
//!
//! An address with no account is checked the same way — a verification against a dummy hash, a
//! count of its own that locks after as many tries — so that neither the answer, nor its time,
//! nor the lockout tells whether the address exists.

use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde_json::json;

use super::audit::{self, Event};
use super::authz::PasswordOperation;
use super::hasher::Verified;
use super::lockouts::{self, Subject};
use crate::crypto::token_hash;
use crate::domain::authz::Actor;
use crate::domain::state::AppState;
use crate::error::{Error, Result};
use crate::policy::settings::LockoutPolicy;
use steward_entity::{credential, user};

/// Whose password is being checked.
pub enum Account<'a> {
    Known(&'a user::Model),
    /// An address with no account, counted under `policy` (that of the organization the sign-in
    /// named, or the defaults).
    Unknown {
        email: &'a str,
        policy: LockoutPolicy,
    },
}

/// What a check found.
pub enum Checked {
    /// The right password, and the attempt counts as a success.
    Right(Verified),
    /// The wrong password (or no account): counted as a failure.
    Wrong,
    /// The right password, but the attempt was not admissible (a sign-in naming an organization
    /// the user is not in): counted as a failure and answered like a wrong password.
    Refused,
    /// The pair of account and client IP is locked: the password was not looked at.
    Locked,
}

/// Checks `password` for `account` under the rate limits and the lockout. `admissible: false`
/// makes even the right password count as a failure.
pub(super) async fn check(
    app: &AppState,
    operation: &PasswordOperation,
    actor: &Actor,
    account: Account<'_>,
    password: &str,
    admissible: bool,
) -> Result<Checked> {
    let ip = actor.ip.as_deref().unwrap_or("unknown");
    let email = match &account {
        Account::Known(user) => user.email.as_str(),
        Account::Unknown { email, .. } => email,
    };
    app.limits.check_login(ip, email).await?;
    let address_hash;
    let (subject, policy, stored) = match &account {
        Account::Known(user) => {
            let database = app.database.reader();
            let policy = lockouts::policy_for(database, user.id).await?;
            let stored = credential::Entity::find_by_id(user.id)
                .one(database)
                .await?
                .map(|found| found.password_hash);
            (Subject::User(user.id), policy, stored)
        }
        Account::Unknown { email, policy } => {
            address_hash = token_hash(&format!("address:{email}"));
            (Subject::Address(&address_hash), policy.clone(), None)
        }
    };

    let transaction = app.database.write().await?;
    let reserved = lockouts::reserve(&*transaction, subject, ip, &policy, app.clock.now()).await?;
    transaction.commit().await?;
    if !reserved {
        return Ok(Checked::Locked);
    }
    let verified = app.hasher.verify(operation, password, stored.as_deref()).await?;
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    if verified.matches && admissible {
        lockouts::succeeded(&*transaction, subject, ip).await?;
        transaction.commit().await?;
        return Ok(Checked::Right(verified));
    }
    let locked = lockouts::failed(&*transaction, subject, ip, &policy, now).await?;
    if let (true, Account::Known(user)) = (locked, &account) {
        record_lock(&*transaction, app, actor, user, ip, &policy, now).await?;
    }
    transaction.commit().await?;
    app.mailer.wake();
    Ok(if verified.matches {
        Checked::Refused
    } else {
        Checked::Wrong
    })
}

/// Checks the signed-in (or link-holding) user's own password, for an operation that needs it
/// proven: the right one passes, anything else is `INVALID_CREDENTIALS` or `LOCKED_OUT`.
pub(super) async fn require_right(
    app: &AppState,
    operation: &PasswordOperation,
    actor: &Actor,
    user: &user::Model,
    password: &str,
) -> Result<Verified> {
    match check(app, operation, actor, Account::Known(user), password, true).await? {
        Checked::Right(verified) => Ok(verified),
        Checked::Locked => Err(Error::LockedOut),
        Checked::Wrong | Checked::Refused => Err(Error::InvalidCredentials),
    }
}

/// The try that locked an account: one audit event and, at most hourly, a mail with an unlock
/// link.
async fn record_lock(
    connection: &impl sea_orm::ConnectionTrait,
    app: &AppState,
    actor: &Actor,
    user: &user::Model,
    ip: &str,
    policy: &LockoutPolicy,
    now: DateTime<Utc>,
) -> Result<()> {
    let details = json!({ "ip": ip, "failedAttempts": policy.max_failed_attempts });
    audit::record(
        connection,
        actor,
        now,
        Event::new("LOCKED_OUT").user(user.id).details(details),
    )
    .await?;
    super::outbox::lockout(connection, app, user, ip, policy.max_failed_attempts, now).await
}
