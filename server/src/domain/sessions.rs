//! Sign-in, refresh with rotation and reuse detection, sign-out, and the user's own password
//! change.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use super::audit::{self, Event};
use super::lockouts;
use super::password_checks::{self, Account, Checked};
use super::passwords;
use super::tokens;
use super::validate;
use crate::crypto::{random_token, token_hash};
use crate::domain::authz::keys::Claims;
use crate::domain::authz::{Actor, Myself, Public, Scope};
use crate::domain::state::AppState;
use crate::error::{Error, Result};
use crate::policy::roles::ACTIVE;
use crate::policy::settings::OrgSettings;
use steward_entity::{membership, organization, refresh_token, session, user, OrgId, SessionId, UserId};

/// What a successful sign-in or refresh hands out.
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub user: user::Model,
    pub password_change_required: bool,
}

async fn record_failure(app: &AppState, actor: &Actor, user: Option<UserId>, reason: &str, email: &str) -> Result<()> {
    let transaction = app.database.write().await?;
    let mut event = Event::new("LOGIN_FAILED").details(json!({ "reason": reason, "email": email }));
    event.target_user = user;
    audit::record(&*transaction, actor, app.clock.now(), event).await?;
    transaction.commit().await
}

fn access_token(app: &AppState, session: &session::Model, now: DateTime<Utc>) -> Result<(String, i64)> {
    let lifetime = app
        .config
        .access_token_ttl_seconds
        .min((session.expires_at - now).num_seconds().max(1));
    let claims = Claims {
        iss: app.config.public_base().to_owned(),
        sub: session.user_id,
        sid: session.id,
        org: session.org_id,
        iat: now.timestamp(),
        exp: now.timestamp() + lifetime,
    };
    Ok((app.keys.issue(&claims)?, lifetime))
}

async fn new_refresh_token(
    connection: &impl ConnectionTrait,
    session_id: SessionId,
    now: DateTime<Utc>,
) -> Result<String> {
    let token = random_token();
    refresh_token::ActiveModel {
        token_hash: Set(token_hash(&token)),
        session_id: Set(session_id),
        created_at: Set(now),
        used_at: Set(None),
    }
    .insert(connection)
    .await?;
    Ok(token)
}

/// Signs a user in. Every refusal a stranger could provoke answers like a wrong password: an
/// unknown address (checked against a dummy hash, and locked after as many tries as an account),
/// an organization the user is not in (counted as a failure even with the right password, so
/// naming a foreign organization neither clears the count nor tells a right password from a
/// wrong one), and a blocked user's wrong password. Only the right password learns that the user
/// is blocked, suspended or unverified; during a lockout no answer tells whether it was right.
pub async fn login(scope: &Public<'_>, email: &str, password: &str, org_slug: Option<&str>) -> Result<Issued> {
    let operation = scope.caller().password_operation()?;
    let app = scope.app();
    let actor = scope.actor();
    let database = app.database.reader();
    // An address that is no address has no account, and is counted under its hash: each one
    // locks on its own, like any unknown address.
    let (email, found) = match validate::email(email) {
        Ok(email) => {
            let found = user::Entity::find()
                .filter(user::Column::Email.eq(email.as_str()))
                .one(database)
                .await?;
            (email, found)
        }
        Err(_) => (format!("invalid:{}", token_hash(email.trim())), None),
    };
    // A slug no organization could have names none (and is never sent to the database, which
    // might refuse it and so answer differently for a known and an unknown address).
    let org = match org_slug.and_then(|slug| validate::slug(&slug.to_lowercase()).ok()) {
        Some(slug) => {
            organization::Entity::find()
                .filter(organization::Column::Slug.eq(slug))
                .one(database)
                .await?
        }
        None => None,
    };
    let Some(user) = found else {
        let policy = org
            .as_ref()
            .map(|org| OrgSettings::from_json(&org.settings).lockout)
            .unwrap_or_default();
        let account = Account::Unknown { email: &email, policy };
        let checked = password_checks::check(app, &operation, &actor, account, password, false).await?;
        let (reason, error) = match checked {
            Checked::Locked => ("locked_out", Error::LockedOut),
            _ => ("unknown_user", Error::InvalidCredentials),
        };
        record_failure(app, &actor, None, reason, &email).await?;
        return Err(error);
    };
    let member = match &org {
        Some(org) => membership::Entity::find_by_id((org.id, user.id)).one(database).await?,
        None => None,
    };
    let admissible = org_slug.is_none() || member.is_some();
    let checked = password_checks::check(app, &operation, &actor, Account::Known(&user), password, admissible).await?;
    let verified = match checked {
        Checked::Right(verified) => verified,
        Checked::Locked => {
            record_failure(app, &actor, Some(user.id), "locked_out", &email).await?;
            return Err(Error::LockedOut);
        }
        Checked::Refused => {
            record_failure(app, &actor, Some(user.id), "not_a_member", &email).await?;
            return Err(Error::InvalidCredentials);
        }
        Checked::Wrong => {
            record_failure(app, &actor, Some(user.id), "wrong_password", &email).await?;
            return Err(Error::InvalidCredentials);
        }
    };
    if user.blocked {
        record_failure(app, &actor, Some(user.id), "blocked", &email).await?;
        return Err(Error::UserBlocked);
    }

    let mut lifetime = Duration::seconds(app.config.session_lifetime_seconds);
    let mut bound_org: Option<OrgId> = None;
    if let (Some(org), Some(member)) = (org, member) {
        if member.status != ACTIVE {
            record_failure(app, &actor, Some(user.id), "suspended", &email).await?;
            return Err(Error::UserBlocked);
        }
        let settings = OrgSettings::from_json(&org.settings);
        if settings.require_verified_email && !user.email_verified {
            record_failure(app, &actor, Some(user.id), "email_not_verified", &email).await?;
            return Err(Error::EmailNotVerified);
        }
        lifetime = Duration::seconds(settings.session_lifetime_seconds.into());
        bound_org = Some(org.id);
    }
    let rehash = if verified.needs_rehash {
        Some(app.hasher.hash(&operation, password).await?)
    } else {
        None
    };

    open_session(app, actor, user.id, bound_org, lifetime, rehash).await
}

/// Opens a session for a user who has proven who they are (a password, an invitation link):
/// records the sign-in and hands out the first token pair.
pub(super) async fn open_session(
    app: &AppState,
    actor: Actor,
    user_id: UserId,
    bound_org: Option<OrgId>,
    lifetime: Duration,
    rehash: Option<String>,
) -> Result<Issued> {
    let database = app.database.reader();
    let now = app.clock.now();
    let user = user::Entity::find_by_id(user_id)
        .one(database)
        .await?
        .ok_or(Error::InvalidCredentials)?;
    let transaction = app.database.write().await?;
    if let Some(hash) = rehash {
        passwords::replace(&*transaction, user.id, hash, now).await?;
    }
    let session = session::ActiveModel {
        id: Set(SessionId::new()),
        user_id: Set(user.id),
        org_id: Set(bound_org),
        password_change_only: Set(user.password_change_required),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(now + lifetime),
        revoked_at: Set(None),
        ip: Set(actor.ip.clone()),
        user_agent: Set(actor.user_agent.clone()),
    }
    .insert(&*transaction)
    .await?;
    let refresh = new_refresh_token(&*transaction, session.id, now).await?;
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(now))
        .col_expr(user::Column::LastLoginSort, Expr::value(now.timestamp_micros()))
        .col_expr(user::Column::LoginsCount, Expr::col(user::Column::LoginsCount).add(1))
        .filter(user::Column::Id.eq(user.id))
        .exec(&*transaction)
        .await?;
    steward_entity::membership::Entity::update_many()
        .col_expr(
            steward_entity::membership::Column::UserLastLoginSort,
            Expr::value(now.timestamp_micros()),
        )
        .filter(steward_entity::membership::Column::UserId.eq(user.id))
        .exec(&*transaction)
        .await?;
    let mut event = Event::new("LOGIN_SUCCEEDED")
        .user(user.id)
        .details(json!({ "sessionId": session.id }));
    event.organization = bound_org;
    audit::record(
        &*transaction,
        &Actor {
            user_id: Some(user.id),
            ..actor
        },
        now,
        event,
    )
    .await?;
    transaction.commit().await?;

    let (access_token, expires_in) = access_token(app, &session, now)?;
    let user = user::Entity::find_by_id(user.id)
        .one(database)
        .await?
        .ok_or(Error::InvalidCredentials)?;
    Ok(Issued {
        access_token,
        refresh_token: refresh,
        expires_in,
        password_change_required: user.password_change_required,
        user,
    })
}

/// Exchanges a refresh token for a new pair. A token is good once: presenting a spent one again
/// means it was stolen or replayed, and the whole session is revoked.
pub async fn refresh(scope: &Public<'_>, presented: &str) -> Result<Issued> {
    let app = scope.app();
    let now = app.clock.now();
    let hash = token_hash(presented);
    let database = app.database.reader();
    let found = refresh_token::Entity::find_by_id(hash.clone())
        .one(database)
        .await?
        .ok_or(Error::Unauthenticated)?;
    let session = session::Entity::find_by_id(found.session_id)
        .one(database)
        .await?
        .ok_or(Error::Unauthenticated)?;
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Err(Error::Unauthenticated);
    }
    let user = user::Entity::find_by_id(session.user_id)
        .one(database)
        .await?
        .ok_or(Error::Unauthenticated)?;
    if user.blocked {
        return Err(Error::UserBlocked);
    }
    if let Some(org_id) = session.org_id {
        let member = membership::Entity::find_by_id((org_id, user.id)).one(database).await?;
        if member.is_none_or(|member| member.status != ACTIVE) {
            return Err(Error::UserBlocked);
        }
    }
    let transaction = app.database.write().await?;
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&*transaction)
        .await?;
    if spent.rows_affected != 1 {
        revoke_session(&*transaction, session.id, now).await?;
        let actor = Actor {
            user_id: Some(user.id),
            ..scope.actor()
        };
        audit::record(
            &*transaction,
            &actor,
            now,
            Event::new("REFRESH_TOKEN_REUSED")
                .user(user.id)
                .details(json!({ "sessionId": session.id })),
        )
        .await?;
        transaction.commit().await?;
        return Err(Error::Unauthenticated);
    }
    let refresh = new_refresh_token(&*transaction, session.id, now).await?;
    transaction.commit().await?;
    let (access_token, expires_in) = access_token(app, &session, now)?;
    Ok(Issued {
        access_token,
        refresh_token: refresh,
        expires_in,
        password_change_required: session.password_change_only,
        user,
    })
}

async fn revoke_session(connection: &impl ConnectionTrait, session_id: SessionId, now: DateTime<Utc>) -> Result<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(connection)
        .await?;
    Ok(())
}

/// Revokes one live session of `user_id`; answers whether it was live (an unknown, ended or
/// someone else's session is not).
pub(super) async fn revoke_one(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    session_id: SessionId,
    now: DateTime<Utc>,
) -> Result<bool> {
    let ended = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .exec(connection)
        .await?;
    Ok(ended.rows_affected == 1)
}

/// Revokes every live session of a user except `keep`; returns how many.
pub(super) async fn revoke_all(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    keep: Option<SessionId>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut update = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(session::Column::Id.ne(keep));
    }
    Ok(update.exec(connection).await?.rows_affected)
}

pub async fn logout(scope: &Myself<'_>) -> Result<()> {
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    revoke_session(&*transaction, scope.user.session_id, now).await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("LOGOUT").user(scope.user.user_id),
    )
    .await?;
    transaction.commit().await
}

/// The user's own password change: proves the current password, checks the policy, ends every
/// other session and lifts a forced change.
pub async fn change_my_password(scope: &Myself<'_>, current: &str, new: &str) -> Result<()> {
    let operation = scope.caller().password_operation()?;
    let app = scope.app();
    let user_id = scope.user.user_id;
    let database = app.database.reader();
    let user = user::Entity::find_by_id(user_id)
        .one(database)
        .await?
        .ok_or(Error::Unauthenticated)?;
    password_checks::require_right(app, &operation, &scope.actor(), &user, current).await?;
    if current == new {
        return Err(Error::PasswordPolicy {
            reasons: vec!["must differ from the current password".into()],
        });
    }
    let hash = passwords::vet(app, &operation, &user, new, None).await?;
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let revoked = passwords::commit(&*transaction, user_id, hash, false, Some(scope.user.session_id), now).await?;
    super::outbox::password_changed(&*transaction, app, &user, "self", scope.caller().acting_org(), now).await?;
    session::Entity::update_many()
        .col_expr(session::Column::PasswordChangeOnly, Expr::value(false))
        .filter(session::Column::Id.eq(scope.user.session_id))
        .exec(&*transaction)
        .await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("PASSWORD_CHANGED")
            .user(user_id)
            .details(json!({ "sessionsRevoked": revoked })),
    )
    .await?;
    transaction.commit().await?;
    app.mailer.wake();
    Ok(())
}

/// Sets a new password from a reset link, an admin's ticket (or the link `create-admin`
/// prints). Every session ends, every other reset link dies and lockouts are lifted; a ticket
/// made with `markEmailAsVerified` also verifies the address.
pub async fn reset_password(scope: &Public<'_>, token: &str, new: &str) -> Result<()> {
    let operation = scope.caller().password_operation()?;
    let app = scope.app();
    let now = app.clock.now();
    let database = app.database.reader();
    // Peek first so that a policy failure does not spend the token.
    let peeked = tokens::peek(database, token, now)
        .await?
        .filter(|found| found.purpose == tokens::PASSWORD_RESET)
        .ok_or(Error::TokenInvalid)?;
    let user_id = peeked.user_id.ok_or(Error::TokenInvalid)?;
    let user = user::Entity::find_by_id(user_id)
        .one(database)
        .await?
        .ok_or(Error::TokenInvalid)?;
    if user.blocked {
        return Err(Error::TokenInvalid);
    }
    let hash = passwords::vet(app, &operation, &user, new, None).await?;
    let transaction = app.database.write().await?;
    let spent = tokens::consume(&*transaction, token, tokens::PASSWORD_RESET, now).await?;
    let revoked = passwords::commit(&*transaction, user_id, hash, false, None, now).await?;
    super::outbox::password_changed(&*transaction, app, &user, "reset", None, now).await?;
    let verify = spent.data.get("markEmailAsVerified").and_then(|v| v.as_bool()) == Some(true);
    if verify && !user.email_verified {
        user::Entity::update_many()
            .col_expr(user::Column::EmailVerified, Expr::value(true))
            .filter(user::Column::Id.eq(user_id))
            .exec(&*transaction)
            .await?;
    }
    // Whoever can reset the password may sign in again from anywhere.
    lockouts::clear(&*transaction, user_id, now).await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("PASSWORD_RESET")
            .user(user_id)
            .details(json!({ "sessionsRevoked": revoked, "emailVerified": verify })),
    )
    .await?;
    transaction.commit().await?;
    app.mailer.wake();
    Ok(())
}

/// A user's live sessions, newest first.
pub async fn live(scope: &crate::domain::authz::SessionReader<'_>) -> Result<Vec<session::Model>> {
    use sea_orm::QueryOrder;
    let now = scope.app().clock.now();
    Ok(session::Entity::find()
        .filter(session::Column::UserId.eq(scope.user_id))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .order_by_desc(session::Column::CreatedAt)
        .all(scope.database().reader())
        .await?)
}
