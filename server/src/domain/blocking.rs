//! What keeps a user out: blocking (everywhere), suspension (one organization), lockouts, and
//! revoking sessions. Each takes effect on the very next request, because every request checks
//! the session, the user and the memberships it relies on.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::audit::{self, Event};
use super::{lockouts, sessions, tokens, validate};
use crate::domain::authz::{IdentityManager, MemberManager, Scope, SessionReader};
use crate::error::{Error, Result};
use crate::policy::roles::{ACTIVE, SUSPENDED};
use steward_entity::{membership, user};

fn reason_text(reason: Option<&str>) -> Result<Option<String>> {
    reason
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .map(|reason| validate::text(reason, 1024))
        .transpose()
        .map_err(|message| Error::invalid("reason", message))
}

/// Blocks a user everywhere: sign-in, refresh and every access token stop working at once, and
/// every pending one-time link (reset, verification, unlock) dies.
pub async fn block(scope: &IdentityManager<'_>, reason: Option<&str>) -> Result<user::Model> {
    let reason = reason_text(reason)?;
    if scope.caller().user().is_ok_and(|me| me.user_id == scope.user_id()) {
        return Err(Error::Forbidden("you cannot block yourself"));
    }
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let updated = user::Entity::update_many()
        .col_expr(user::Column::Blocked, Expr::value(true))
        .col_expr(user::Column::BlockedReason, Expr::value(reason.clone()))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .col_expr(user::Column::Revision, Expr::col(user::Column::Revision).add(1))
        .filter(user::Column::Id.eq(scope.user_id()))
        .exec(&*transaction)
        .await?;
    if updated.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    let revoked = sessions::revoke_all(&*transaction, scope.user_id(), None, now).await?;
    tokens::invalidate_all(&*transaction, scope.user_id(), now).await?;
    let details = json!({ "reason": reason, "sessionsRevoked": revoked });
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("USER_BLOCKED").user(scope.user_id()).details(details),
    )
    .await?;
    let blocked = user::Entity::find_by_id(scope.user_id())
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound)?;
    transaction.commit().await?;
    Ok(blocked)
}

pub async fn unblock(scope: &IdentityManager<'_>) -> Result<user::Model> {
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    user::Entity::update_many()
        .col_expr(user::Column::Blocked, Expr::value(false))
        .col_expr(user::Column::BlockedReason, Expr::value(Option::<String>::None))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .col_expr(user::Column::Revision, Expr::col(user::Column::Revision).add(1))
        .filter(user::Column::Id.eq(scope.user_id()))
        .exec(&*transaction)
        .await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("USER_UNBLOCKED").user(scope.user_id()),
    )
    .await?;
    let unblocked = user::Entity::find_by_id(scope.user_id())
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound)?;
    transaction.commit().await?;
    Ok(unblocked)
}

async fn set_status(
    scope: &MemberManager<'_>,
    status: &str,
    reason: Option<String>,
    event_type: &str,
) -> Result<membership::Model> {
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    membership::Entity::update_many()
        .col_expr(membership::Column::Status, Expr::value(status))
        .col_expr(membership::Column::SuspendedReason, Expr::value(reason.clone()))
        .filter(membership::Column::OrgId.eq(scope.org_id))
        .filter(membership::Column::UserId.eq(scope.user_id))
        .exec(&*transaction)
        .await?;
    let event = Event::new(event_type)
        .user(scope.user_id)
        .org(scope.org_id)
        .details(json!({ "reason": reason }));
    audit::record(&*transaction, &scope.actor(), now, event).await?;
    let updated = membership::Entity::find_by_id((scope.org_id, scope.user_id))
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound)?;
    transaction.commit().await?;
    Ok(updated)
}

/// Suspends a membership: the organization drops out of the user's reach at once, and signing
/// in to it answers `USER_BLOCKED`; other organizations are untouched.
pub async fn suspend(scope: &MemberManager<'_>, reason: Option<&str>) -> Result<membership::Model> {
    if scope.caller().user().is_ok_and(|me| me.user_id == scope.user_id) {
        return Err(Error::Forbidden("you cannot suspend yourself"));
    }
    set_status(scope, SUSPENDED, reason_text(reason)?, "MEMBER_SUSPENDED").await
}

pub async fn reinstate(scope: &MemberManager<'_>) -> Result<membership::Model> {
    set_status(scope, ACTIVE, None, "MEMBER_REINSTATED").await
}

/// Lifts every brute-force lock on the user.
pub async fn clear_lockouts(scope: &IdentityManager<'_>) -> Result<user::Model> {
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let cleared = lockouts::clear(&*transaction, scope.user_id(), now).await?;
    let details = json!({ "locksCleared": cleared });
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("LOCKOUT_CLEARED").user(scope.user_id()).details(details),
    )
    .await?;
    let user = user::Entity::find_by_id(scope.user_id())
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound)?;
    transaction.commit().await?;
    Ok(user)
}

/// Ends one live session of the user (the caller's own current one included: that signs them
/// out here). `NOT_FOUND` when it is not a live session of theirs.
pub async fn revoke_session(scope: &SessionReader<'_>, session_id: steward_entity::SessionId) -> Result<()> {
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    if !sessions::revoke_one(&*transaction, scope.user_id, session_id, now).await? {
        return Err(Error::NotFound);
    }
    let details = json!({ "sessionId": session_id.to_string() });
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("SESSION_REVOKED").user(scope.user_id).details(details),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Ends every session of the user (the caller's own included, when they sign themselves out
/// everywhere). Returns how many were live.
pub async fn revoke_sessions(scope: &SessionReader<'_>) -> Result<u64> {
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let revoked = sessions::revoke_all(&*transaction, scope.user_id, None, now).await?;
    let details = json!({ "sessionsRevoked": revoked });
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("SESSIONS_REVOKED").user(scope.user_id).details(details),
    )
    .await?;
    transaction.commit().await?;
    Ok(revoked)
}
