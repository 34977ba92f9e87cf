//! The first superadmin: a one-time setup link printed on first start, and `create-admin`.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use super::audit::{self, Event};
use super::sessions::{self, Issued};
use super::{passwords, tokens, users, validate};
use crate::domain::authz::{Operator, Public, Scope};
use crate::error::{Error, Result};
use crate::policy::settings::PasswordPolicy;
use steward_entity::user;

async fn superadmin_exists(scope: &dyn Scope) -> Result<bool> {
    let count = user::Entity::find()
        .filter(user::Column::IsSuperadmin.eq(true))
        .count(scope.database().reader())
        .await?;
    Ok(count > 0)
}

/// When no superadmin exists, issues a setup link (valid 24 hours) and returns it.
pub async fn setup_link_if_needed(scope: &Operator<'_>) -> Result<Option<String>> {
    if superadmin_exists(scope).await? {
        return Ok(None);
    }
    let app = scope.app();
    let transaction = app.database.write().await?;
    let token = tokens::issue(&*transaction, tokens::SETUP, None, app.clock.now(), Duration::hours(24)).await?;
    transaction.commit().await?;
    Ok(Some(format!("{}/setup?token={token}", app.config.public_base())))
}

/// Creates the first superadmin from a setup link and signs them in. The link is checked, and
/// the absence of a superadmin, before the password is looked at: without a live link nothing is
/// hashed, and once setup is done the operation is dead.
pub async fn setup_first_admin(
    scope: &Public<'_>,
    token: &str,
    email: &str,
    password: &str,
    name: Option<&str>,
) -> Result<Issued> {
    let app = scope.app();
    let ip = scope.actor().ip.unwrap_or_else(|| "unknown".into());
    // Each guess at a link costs a try of the sign-in budget of this IP.
    app.limits.check_login(&ip, "setup").await?;
    let now = app.clock.now();
    let live = tokens::peek(app.database.reader(), token, now)
        .await?
        .is_some_and(|found| found.purpose == tokens::SETUP);
    if !live || superadmin_exists(scope).await? {
        return Err(Error::TokenInvalid);
    }
    let email = validate::email(email).map_err(|message| Error::invalid("email", message))?;
    let name = name
        .map(|name| validate::text(name, 255))
        .transpose()
        .map_err(|message| Error::invalid("name", message))?;
    passwords::check(
        &PasswordPolicy::default(),
        password,
        &passwords::Personal::new(&email, [name.as_deref()], &[]),
    )?;
    let operation = scope.caller().password_operation()?;
    let hash = app.hasher.hash(&operation, password).await?;
    let transaction = app.database.write().await?;
    tokens::consume(&*transaction, token, tokens::SETUP, now).await?;
    // Links printed before the first admin existed die once there is one.
    let existing = user::Entity::find()
        .filter(user::Column::IsSuperadmin.eq(true))
        .count(&*transaction)
        .await?;
    if existing > 0 {
        return Err(Error::TokenInvalid);
    }
    let admin = users::insert_bare(&*transaction, email.clone(), name, true, now).await?;
    passwords::store(&*transaction, admin.id, hash, now).await?;
    let mut actor = scope.actor();
    actor.user_id = Some(admin.id);
    audit::record(
        &*transaction,
        &actor,
        now,
        Event::new("SUPERADMIN_CREATED")
            .user(admin.id)
            .details(json!({ "via": "setup link" })),
    )
    .await?;
    transaction.commit().await?;
    let lifetime = Duration::seconds(app.config.session_lifetime_seconds);
    sessions::open_session(app, actor, admin.id, None, lifetime, None).await
}

pub struct AdminOutcome {
    pub created: bool,
    /// A one-time set-password link, when no password was given.
    pub link: Option<String>,
}

/// Creates a superadmin, or promotes an existing user. With a password it is set (the operator
/// chose it); without, a set-password link valid 24 hours is returned.
pub async fn create_admin(scope: &Operator<'_>, email: &str, password: Option<&str>) -> Result<AdminOutcome> {
    let email = validate::email(email).map_err(|message| Error::invalid("email", message))?;
    let app = scope.app();
    let hash = match password {
        Some(password) => {
            passwords::check(
                &PasswordPolicy::default(),
                password,
                &passwords::Personal::new(&email, [None], &[]),
            )?;
            let operation = scope.caller().password_operation()?;
            Some(app.hasher.hash(&operation, password).await?)
        }
        None => None,
    };
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&*transaction)
        .await?;
    let created = existing.is_none();
    let admin = match existing {
        Some(existing) => {
            user::Entity::update_many()
                .col_expr(user::Column::IsSuperadmin, Expr::value(true))
                .col_expr(user::Column::UpdatedAt, Expr::value(now))
                .filter(user::Column::Id.eq(existing.id))
                .exec(&*transaction)
                .await?;
            existing
        }
        None => users::insert_bare(&*transaction, email, None, true, now).await?,
    };
    let link = match hash {
        Some(hash) => {
            passwords::store(&*transaction, admin.id, hash, now).await?;
            None
        }
        None => {
            let token = tokens::issue(
                &*transaction,
                tokens::PASSWORD_RESET,
                Some(admin.id),
                now,
                Duration::hours(24),
            )
            .await?;
            Some(format!("{}/reset-password?token={token}", app.config.public_base()))
        }
    };
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new(if created {
            "SUPERADMIN_CREATED"
        } else {
            "SUPERADMIN_GRANTED"
        })
        .user(admin.id)
        .details(json!({ "via": "command line" })),
    )
    .await?;
    transaction.commit().await?;
    Ok(AdminOutcome { created, link })
}

/// `steward rotate-keys`: a new signing key, published at once; it signs on every instance once
/// they have all read it, and the old key stays published until its tokens have expired.
/// Returns the new key's `kid`.
pub async fn rotate_signing_key(scope: &Operator<'_>) -> anyhow::Result<String> {
    let app = scope.app();
    app.keys.rotate(app.clock.now()).await
}
