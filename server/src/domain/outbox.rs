//! The outbox: every message is rendered and written to the outbox table inside the transaction of
//! the change that caused it, so the mail exists exactly when the change does; [`super::delivery`]
//! sends it. Messages that carry a one-time link issue the token here too. The caller wakes the
//! mailer after committing.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::authz::{Scope, Superadmin};
use super::pagination::{newest_first, Page, PageRequest};
use super::tokens::{self, NewToken};
use crate::domain::state::AppState;
use crate::error::Result;
use crate::mail::messages::{self, valid_for};
use crate::mail::{Brand, Mailer, Message};
use steward_entity::{membership, organization, outbox_mail, user, OrgId, UserId};

pub const PENDING: &str = "PENDING";
pub const SENT: &str = "SENT";
pub const FAILED: &str = "FAILED";
pub const LOGGED: &str = "LOGGED";

/// Who a message goes to, and what it concerns.
pub struct Envelope<'a> {
    pub to: &'a str,
    pub org_id: Option<OrgId>,
    pub user_id: Option<UserId>,
}

/// Renders `message` and writes it to the outbox on `connection`, which should be the transaction
/// of the change that caused it: the mail exists exactly when the change does. Call
/// [`Mailer::wake`] after the commit to send it at once.
pub(super) async fn enqueue(
    connection: &impl ConnectionTrait,
    mailer: &Mailer,
    envelope: Envelope<'_>,
    message: &dyn Message,
    now: DateTime<Utc>,
) -> Result<()> {
    let rendered = mailer.render(message)?;
    outbox_mail::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(message.kind().to_owned()),
        recipient: Set(envelope.to.to_owned()),
        subject: Set(rendered.subject.chars().take(500).collect()),
        text_body: Set(Some(rendered.text)),
        html_body: Set(Some(rendered.html)),
        link: Set(message.link().map(str::to_owned)),
        org_id: Set(envelope.org_id),
        user_id: Set(envelope.user_id),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        lease_owner: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
    .insert(connection)
    .await?;
    crate::counters::mail_queued(message.kind());
    Ok(())
}

/// Whether a message of `kind` was queued for `user_id` since `since` (to mail at most so often).
pub(super) async fn queued_since(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    kind: &str,
    since: DateTime<Utc>,
) -> Result<bool> {
    let found = outbox_mail::Entity::find()
        .select_only()
        .column(outbox_mail::Column::Id)
        .filter(outbox_mail::Column::UserId.eq(user_id))
        .filter(outbox_mail::Column::Kind.eq(kind))
        .filter(outbox_mail::Column::CreatedAt.gte(since))
        .limit(1)
        .into_tuple::<Uuid>()
        .one(connection)
        .await?;
    Ok(found.is_some())
}

fn listed(status: Option<&str>) -> sea_orm::Select<outbox_mail::Entity> {
    let mut select = outbox_mail::Entity::find();
    if let Some(status) = status {
        select = select.filter(outbox_mail::Column::Status.eq(status));
    }
    select
}

/// The outbox, newest first.
pub async fn list(
    scope: &Superadmin<'_>,
    status: Option<&str>,
    page: &PageRequest,
) -> Result<Page<outbox_mail::Model>> {
    newest_first(
        scope.database().reader(),
        listed(status),
        (outbox_mail::Column::CreatedAt, outbox_mail::Column::Id),
        page,
        |mail| (mail.created_at, mail.id),
    )
    .await
}

pub async fn count(scope: &Superadmin<'_>, status: Option<&str>) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(listed(status).count(scope.database().reader()).await?)
}

/// Lockout mail goes out at most this often per user.
const LOCKOUT_MAIL_EVERY: Duration = Duration::hours(1);

/// Counts one mail an admin or API client is about to have sent to `recipient` against the
/// per-actor and per-recipient budgets (`RATE_LIMITED` past either). Every alias of a mailing
/// mutation counts, so no request sends more than the budget allows.
pub(super) async fn spend_admin_budget(scope: &dyn Scope, recipient: &str) -> Result<()> {
    let actor = scope.actor();
    let key = match (actor.user_id, actor.api_client_id) {
        (_, Some(client)) => format!("client:{client}"),
        (Some(user), None) => format!("user:{user}"),
        (None, None) => "anonymous".to_owned(),
    };
    scope.app().limits.check_admin_mail(&key, recipient).await
}

/// The organization whose brand a user's mail wears: `preferred` when the user belongs to it,
/// else the user's only organization, else none (the product's own brand).
pub(super) async fn brand_org(
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
    message: &dyn Message,
    now: DateTime<Utc>,
) -> Result<()> {
    let envelope = Envelope {
        to,
        org_id: org.map(|org| org.id),
        user_id,
    };
    enqueue(connection, &app.mailer, envelope, message, now).await
}

/// A password-reset link to the user's address. Outstanding reset links die: only the newest
/// works.
pub(super) async fn password_reset(
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
pub(super) async fn verification(
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
pub(super) async fn email_change(
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
pub(super) async fn email_changed(
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
pub(super) async fn password_changed(
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
pub(super) async fn invitation(
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
pub(super) async fn lockout(
    connection: &impl ConnectionTrait,
    app: &AppState,
    user: &user::Model,
    ip: &str,
    attempts: i32,
    now: DateTime<Utc>,
) -> Result<()> {
    if queued_since(connection, user.id, "LOCKOUT", now - LOCKOUT_MAIL_EVERY).await? {
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
