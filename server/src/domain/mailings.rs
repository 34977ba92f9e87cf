//! Mail that carries a one-time link: each function issues the token and queues the message on
//! the caller's transaction, so the link exists exactly when the change that asked for it does.
//! The caller wakes the mailer after committing.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value as Json};

use super::tokens::{self, NewToken};
use crate::error::Result;
use crate::mail::messages::{self, valid_for};
use crate::mail::outbox::{self, Envelope};
use crate::mail::Brand;
use crate::state::AppState;
use steward_entity::{membership, organization, user, OrgId, UserId};

/// Lockout mail goes out at most this often per user.
const LOCKOUT_MAIL_EVERY: Duration = Duration::hours(1);

/// Counts one mail an admin or API client is about to have sent to `recipient` against the
/// per-actor and per-recipient budgets (`RATE_LIMITED` past either). Every alias of a mailing
/// mutation counts, so no request sends more than the budget allows.
pub fn spend_admin_budget(scope: &dyn crate::authz::Scope, recipient: &str) -> Result<()> {
    let actor = scope.actor();
    let key = match (actor.user_id, actor.api_client_id) {
        (_, Some(client)) => format!("client:{client}"),
        (Some(user), None) => format!("user:{user}"),
        (None, None) => "anonymous".to_owned(),
    };
    scope.app().limits.check_admin_mail(&key, recipient)
}

/// The organization whose brand a user's mail wears: `preferred` when the user belongs to it,
/// else the user's only organization, else none (the product's own brand).
pub async fn brand_org(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    preferred: Option<OrgId>,
) -> Result<Option<organization::Model>> {
    let orgs: Vec<OrgId> = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .all(connection)
        .await?
        .into_iter()
        .map(|membership| membership.org_id)
        .collect();
    let chosen = match preferred {
        Some(org) if orgs.contains(&org) => Some(org),
        _ if orgs.len() == 1 => orgs.first().copied(),
        _ => None,
    };
    match chosen {
        Some(org) => Ok(organization::Entity::find_by_id(org).one(connection).await?),
        None => Ok(None),
    }
}

async fn queue(
    connection: &impl ConnectionTrait,
    app: &AppState,
    to: &str,
    user_id: Option<UserId>,
    org: Option<&organization::Model>,
    message: &dyn crate::mail::Message,
    now: DateTime<Utc>,
) -> Result<()> {
    let envelope = Envelope {
        to,
        org_id: org.map(|org| org.id),
        user_id,
    };
    outbox::enqueue(connection, &app.mailer, envelope, message, now).await
}

/// A password-reset link to the user's address. Outstanding reset links die: only the newest
/// works.
pub async fn password_reset(
    connection: &impl ConnectionTrait,
    app: &AppState,
    user: &user::Model,
    org: Option<&organization::Model>,
    by_admin: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    tokens::invalidate(connection, user.id, tokens::PASSWORD_RESET, now).await?;
    let new = NewToken {
        org_id: org.map(|org| org.id),
        ..NewToken::for_user(tokens::PASSWORD_RESET, user.id)
    };
    let lifetime = new.lifetime;
    let token = tokens::create(connection, new, now).await?;
    let message = messages::PasswordReset {
        brand: Brand::of(org),
        name: user.name.clone(),
        email: user.email.clone(),
        link: Some(tokens::link(&app.config, tokens::PASSWORD_RESET, &token)),
        valid_for: valid_for(lifetime),
        by_admin,
    };
    queue(connection, app, &user.email, Some(user.id), org, &message, now).await
}

/// A link that verifies the user's current address. Earlier verification links die.
pub async fn verification(
    connection: &impl ConnectionTrait,
    app: &AppState,
    user: &user::Model,
    org: Option<&organization::Model>,
    now: DateTime<Utc>,
) -> Result<()> {
    tokens::invalidate(connection, user.id, tokens::EMAIL_VERIFICATION, now).await?;
    let new = NewToken {
        org_id: org.map(|org| org.id),
        data: json!({ "email": user.email }),
        ..NewToken::for_user(tokens::EMAIL_VERIFICATION, user.id)
    };
    let lifetime = new.lifetime;
    let token = tokens::create(connection, new, now).await?;
    let message = messages::EmailVerification {
        brand: Brand::of(org),
        name: user.name.clone(),
        email: user.email.clone(),
        link: Some(tokens::link(&app.config, tokens::EMAIL_VERIFICATION, &token)),
        valid_for: valid_for(lifetime),
    };
    queue(connection, app, &user.email, Some(user.id), org, &message, now).await
}

/// A link to the new address of a user's own email change; following it makes the change. With
/// `send` false the change is recorded as pending but nothing is mailed (the address belongs to
/// another account, which the asker must not learn).
#[allow(clippy::too_many_arguments)]
pub async fn email_change(
    connection: &impl ConnectionTrait,
    app: &AppState,
    user: &user::Model,
    new_email: &str,
    org: Option<&organization::Model>,
    send: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    tokens::invalidate(connection, user.id, tokens::EMAIL_CHANGE, now).await?;
    let new = NewToken {
        org_id: org.map(|org| org.id),
        data: json!({ "email": new_email }),
        ..NewToken::for_user(tokens::EMAIL_CHANGE, user.id)
    };
    let lifetime = new.lifetime;
    let token = tokens::create(connection, new, now).await?;
    if !send {
        return Ok(());
    }
    let message = messages::EmailChange {
        brand: Brand::of(org),
        name: user.name.clone(),
        email: new_email.to_owned(),
        link: Some(tokens::link(&app.config, tokens::EMAIL_CHANGE, &token)),
        valid_for: valid_for(lifetime),
    };
    queue(connection, app, new_email, Some(user.id), org, &message, now).await
}

/// Tells the old address that the account's address changed.
pub async fn email_changed(
    connection: &impl ConnectionTrait,
    app: &AppState,
    before: &user::Model,
    new_email: &str,
    org: Option<&organization::Model>,
    now: DateTime<Utc>,
) -> Result<()> {
    let message = messages::EmailChanged {
        brand: Brand::of(org),
        name: before.name.clone(),
        old_email: before.email.clone(),
        new_email: new_email.to_owned(),
        link: None,
    };
    queue(connection, app, &before.email, Some(before.id), org, &message, now).await
}

/// Tells the user their password was changed (`how`: `self`, `reset` or `admin`), on the
/// caller's transaction.
pub async fn password_changed(
    connection: &impl ConnectionTrait,
    app: &AppState,
    user: &user::Model,
    how: &'static str,
    preferred: Option<OrgId>,
    now: DateTime<Utc>,
) -> Result<()> {
    let org = brand_org(connection, user.id, preferred).await?;
    let message = messages::PasswordChanged {
        brand: Brand::of(org.as_ref()),
        name: user.name.clone(),
        how,
        link: None,
    };
    queue(connection, app, &user.email, Some(user.id), org.as_ref(), &message, now).await
}

/// What an invitation grants.
pub struct InvitationGrant<'a> {
    pub email: &'a str,
    pub name: Option<String>,
    pub roles: Vec<&'static str>,
    /// Set when the account already exists (`createUser` with `sendInvitation`).
    pub user_id: Option<UserId>,
    pub invited_by: Option<UserId>,
}

/// An invitation link: accepting it verifies the address, sets a password for a new account and
/// makes the user a member with the given roles. Returns the invitation's id (the token's hash:
/// it names the invitation without being usable as one) and when it expires.
pub async fn invitation(
    connection: &impl ConnectionTrait,
    app: &AppState,
    grant: InvitationGrant<'_>,
    org: &organization::Model,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>)> {
    let data: Json = json!({
        "email": grant.email,
        "roles": grant.roles,
        "invitedBy": grant.invited_by,
    });
    let new = NewToken {
        purpose: tokens::INVITATION,
        user_id: grant.user_id,
        org_id: Some(org.id),
        data,
        lifetime: tokens::lifetime(tokens::INVITATION),
    };
    let lifetime = new.lifetime;
    let token = tokens::create(connection, new, now).await?;
    let message = messages::Invitation {
        brand: Brand::of(Some(org)),
        name: grant.name,
        email: grant.email.to_owned(),
        link: Some(tokens::link(&app.config, tokens::INVITATION, &token)),
        valid_for: valid_for(lifetime),
        account_created: grant.user_id.is_some(),
    };
    queue(connection, app, grant.email, grant.user_id, Some(org), &message, now).await?;
    Ok((crate::crypto::token_hash(&token), now + lifetime))
}

/// Tells a user that wrong passwords locked their sign-in, with a link that lifts the lock — at
/// most once an hour, so an attacker cannot flood their inbox.
pub async fn lockout(
    connection: &impl ConnectionTrait,
    app: &AppState,
    user: &user::Model,
    ip: &str,
    attempts: i32,
    now: DateTime<Utc>,
) -> Result<()> {
    if outbox::queued_since(connection, user.id, "LOCKOUT", now - LOCKOUT_MAIL_EVERY).await? {
        return Ok(());
    }
    let org = brand_org(connection, user.id, None).await?;
    let new = NewToken {
        data: json!({ "ip": ip }),
        ..NewToken::for_user(tokens::UNLOCK, user.id)
    };
    let token = tokens::create(connection, new, now).await?;
    let message = messages::Lockout {
        brand: Brand::of(org.as_ref()),
        name: user.name.clone(),
        email: user.email.clone(),
        ip: ip.to_owned(),
        attempts,
        link: Some(tokens::link(&app.config, tokens::UNLOCK, &token)),
    };
    queue(connection, app, &user.email, Some(user.id), org.as_ref(), &message, now).await
}
