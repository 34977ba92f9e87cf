//! Getting back in and being let in: reset requests by mail, reset links sent by an
//! administrator, password-change tickets, passwords set by an administrator, and unlock links.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::audit::{self, Event};
use super::tokens::{self, NewToken};
use super::{lockouts, outbox, passwords, validate};
use crate::config::Config;
use crate::domain::authz::{Actor, IdentityManager, Public, Scope};
use crate::domain::state::AppState;
use crate::error::{Error, Result};
use crate::policy::settings::{OrgSettings, PasswordPolicy};
use steward_entity::{organization, user};

/// A ticket lives a day unless told otherwise, and at most 30 days.
const TICKET_DEFAULT_SECONDS: i32 = 24 * 3600;
const TICKET_MAX_SECONDS: i32 = 30 * 24 * 3600;

/// "Forgot password". Always succeeds and answers at once: the lookup and the mail happen after
/// the answer, so neither its content nor its timing tells whether the address has an account
/// (or whether mail is being delivered). Unknown and blocked addresses are never mailed.
pub async fn request_reset(scope: &Public<'_>, email: &str, org_slug: Option<&str>) -> Result<()> {
    let app = scope.app().clone();
    let actor = scope.actor();
    let email = validate::email(email).unwrap_or_default();
    app.limits.check_mail_request(actor.ip.as_deref(), &email).await?;
    if email.is_empty() {
        return Ok(());
    }
    let org_slug = org_slug.map(|slug| slug.trim().to_lowercase());
    app.background.clone().spawn(async move {
        if let Err(error) = mail_requested_reset(&app, &actor, &email, org_slug.as_deref()).await {
            tracing::error!(%error, "a requested password reset could not be queued");
        }
    });
    Ok(())
}

async fn mail_requested_reset(app: &AppState, actor: &Actor, email: &str, org_slug: Option<&str>) -> Result<()> {
    let database = app.database.reader();
    let Some(user) = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(database)
        .await?
    else {
        return Ok(());
    };
    if user.blocked {
        return Ok(());
    }
    let preferred = match org_slug {
        // A slug of the wrong shape names no organization.
        Some(slug) => match super::validate::slug(&slug.to_lowercase()) {
            Ok(slug) => organization::Entity::find()
                .filter(organization::Column::Slug.eq(slug))
                .one(database)
                .await?
                .map(|org| org.id),
            Err(_) => None,
        },
        None => None,
    };
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let org = outbox::brand_org(&*transaction, user.id, preferred).await?;
    outbox::password_reset(&*transaction, app, &user, org.as_ref(), false, now).await?;
    audit::record(
        &*transaction,
        actor,
        now,
        Event::new("PASSWORD_RESET_REQUESTED").user(user.id),
    )
    .await?;
    transaction.commit().await?;
    app.mailer.wake();
    Ok(())
}

async fn target(scope: &IdentityManager<'_>) -> Result<user::Model> {
    user::Entity::find_by_id(scope.user_id())
        .one(scope.database().reader())
        .await?
        .ok_or(Error::NotFound)
}

/// An administrator sends the user a reset link.
pub async fn send_reset(scope: &IdentityManager<'_>) -> Result<()> {
    let app = scope.app();
    let user = target(scope).await?;
    outbox::spend_admin_budget(scope, &user.email).await?;
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let org = outbox::brand_org(&*transaction, user.id, scope.caller().acting_org()).await?;
    outbox::password_reset(&*transaction, app, &user, org.as_ref(), true, now).await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("PASSWORD_RESET_SENT").user(user.id),
    )
    .await?;
    transaction.commit().await?;
    app.mailer.wake();
    Ok(())
}

/// Where a ticket may send the user afterwards: the public URL's origin or one listed in
/// `STEWARD_REDIRECT_ORIGINS`. Anything else would be an open redirect.
pub fn check_result_url(config: &Config, raw: &str) -> Result<String> {
    let refuse = |why: &str| Error::invalid("resultUrl", why);
    let url = url::Url::parse(raw.trim()).map_err(|_| refuse("must be an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(refuse("must be an http or https URL"));
    }
    let origin = url.origin().ascii_serialization();
    let public = url::Url::parse(config.public_base())
        .map(|public| public.origin().ascii_serialization())
        .unwrap_or_default();
    let listed = config
        .redirect_origins
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(|allowed| url::Url::parse(allowed.trim()).ok())
        .any(|allowed| allowed.origin().ascii_serialization() == origin);
    if origin == public || listed {
        Ok(url.to_string())
    } else {
        Err(refuse(
            "must share the origin of the public URL or be listed in STEWARD_REDIRECT_ORIGINS",
        ))
    }
}

/// A password-change ticket: a reset link handed to the administrator (to pass on by other
/// means) instead of mailed.
pub async fn create_ticket(
    scope: &IdentityManager<'_>,
    ttl_seconds: Option<i32>,
    result_url: Option<&str>,
    mark_email_as_verified: bool,
) -> Result<(String, DateTime<Utc>)> {
    let app = scope.app();
    let ttl = ttl_seconds.unwrap_or(TICKET_DEFAULT_SECONDS);
    if !(1..=TICKET_MAX_SECONDS).contains(&ttl) {
        return Err(Error::invalid(
            "ttlSeconds",
            format!("must be between 1 and {TICKET_MAX_SECONDS} (30 days)"),
        ));
    }
    let result_url = result_url.map(|url| check_result_url(&app.config, url)).transpose()?;
    let user = target(scope).await?;
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let new = NewToken {
        data: json!({ "resultUrl": result_url, "markEmailAsVerified": mark_email_as_verified }),
        lifetime: Duration::seconds(ttl.into()),
        org_id: scope.caller().acting_org(),
        ..NewToken::for_user(tokens::PASSWORD_RESET, user.id)
    };
    let expires_at = now + new.lifetime;
    let token = tokens::create(&*transaction, new, now).await?;
    let details = json!({ "ttlSeconds": ttl, "resultUrl": result_url, "markEmailAsVerified": mark_email_as_verified });
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("PASSWORD_TICKET_CREATED").user(user.id).details(details),
    )
    .await?;
    transaction.commit().await?;
    Ok((tokens::link(&app.config, tokens::PASSWORD_RESET, &token), expires_at))
}

/// An administrator sets the password. Unless told otherwise the user must change it at the next
/// sign-in, since the administrator knows it. Every session of the user ends (but the caller's
/// own, when they set their own).
pub async fn set_password(scope: &IdentityManager<'_>, password: &str, require_change: bool) -> Result<user::Model> {
    let operation = scope.caller().password_operation()?;
    let app = scope.app();
    let user = target(scope).await?;
    let hash = passwords::vet(app, &operation, &user, password, None).await?;
    let now = app.clock.now();
    let keep = scope
        .caller()
        .user()
        .ok()
        .filter(|me| me.user_id == user.id)
        .map(|me| me.session_id);
    let transaction = app.database.write().await?;
    let revoked = passwords::commit(&*transaction, user.id, hash, require_change, keep, now).await?;
    outbox::password_changed(&*transaction, app, &user, "admin", scope.caller().acting_org(), now).await?;
    let details = json!({ "requireChangeAtNextLogin": require_change, "sessionsRevoked": revoked });
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("PASSWORD_SET").user(user.id).details(details),
    )
    .await?;
    let updated = user::Entity::find_by_id(user.id)
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound)?;
    transaction.commit().await?;
    app.mailer.wake();
    Ok(updated)
}

/// Follows the link of a lockout mail: every lock of the user is lifted.
pub async fn unlock(scope: &Public<'_>, token: &str) -> Result<()> {
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let spent = tokens::consume(&*transaction, token, tokens::UNLOCK, now).await?;
    let user_id = spent.user_id.ok_or(Error::TokenInvalid)?;
    let lifted = lockouts::clear(&*transaction, user_id, now).await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("LOCKOUT_CLEARED")
            .user(user_id)
            .details(json!({ "locksLifted": lifted, "via": "unlock_link" })),
    )
    .await?;
    transaction.commit().await
}

/// What a page reached from a link may show before the link is used.
pub struct LinkInfo {
    pub purpose: String,
    /// The address concerned: the account's, or the one being verified or invited.
    pub email: String,
    pub expires_at: DateTime<Utc>,
    pub organization: Option<organization::Model>,
    /// The policy a password set through this link must meet.
    pub policy: PasswordPolicy,
    /// For an invitation: the address has an account with a password already.
    pub account_exists: bool,
    /// For a ticket: where to send the user afterwards.
    pub result_url: Option<String>,
}

/// Describes a link without using it. `None` for unknown, used and expired links alike, and for
/// the setup link, which has a page of its own.
pub async fn describe(scope: &Public<'_>, token: &str) -> Result<Option<LinkInfo>> {
    let app = scope.app();
    let database = app.database.reader();
    let Some(found) = tokens::peek(database, token, app.clock.now()).await? else {
        return Ok(None);
    };
    let data_email = found
        .data
        .get("email")
        .and_then(|email| email.as_str())
        .map(str::to_owned);
    let user = match found.user_id {
        Some(user_id) => user::Entity::find_by_id(user_id).one(database).await?,
        None => match &data_email {
            Some(email) => {
                user::Entity::find()
                    .filter(user::Column::Email.eq(email.as_str()))
                    .one(database)
                    .await?
            }
            None => None,
        },
    };
    let joining = match (found.purpose.as_str(), found.org_id) {
        (tokens::INVITATION, Some(org_id)) => organization::Entity::find_by_id(org_id).one(database).await?,
        _ => None,
    };
    let (email, organization, account_exists, mut policies) = match (found.purpose.as_str(), &user) {
        (tokens::SETUP, _) => return Ok(None),
        (tokens::INVITATION, _) => {
            let Some(org) = joining.clone() else { return Ok(None) };
            let has_password = match &user {
                Some(user) => super::invitations::has_own_password(database, user).await?,
                None => false,
            };
            let email = data_email.unwrap_or_default();
            (email, Some(org), has_password, Vec::new())
        }
        (_, Some(user)) => {
            let org = outbox::brand_org(database, user.id, found.org_id).await?;
            (data_email.unwrap_or_else(|| user.email.clone()), org, true, Vec::new())
        }
        (_, None) => return Ok(None),
    };
    if let Some(user) = &user {
        policies.push(passwords::policy_for(database, user.id).await?.0);
    }
    if let Some(org) = &joining {
        policies.push(OrgSettings::from_json(&org.settings).password_policy);
    }
    Ok(Some(LinkInfo {
        purpose: found.purpose.clone(),
        email,
        expires_at: found.expires_at,
        organization,
        policy: passwords::strictest(policies.into_iter()),
        account_exists,
        result_url: found
            .data
            .get("resultUrl")
            .and_then(|url| url.as_str())
            .map(str::to_owned),
    }))
}

#[cfg(test)]
mod tests {
    use super::check_result_url;
    use crate::config::Config;

    #[test]
    fn result_urls_must_stay_on_known_origins() {
        let config = Config {
            public_url: "https://id.example.com".into(),
            redirect_origins: Some("https://app.example.com, http://localhost:3000".into()),
            ..Config::default()
        };
        assert!(check_result_url(&config, "https://id.example.com/done").is_ok());
        assert!(check_result_url(&config, "https://app.example.com/welcome?x=1").is_ok());
        assert!(check_result_url(&config, "http://localhost:3000/").is_ok());
        for bad in [
            "https://evil.example.com/",
            "https://app.example.com.evil.com/",
            "http://app.example.com/",
            "javascript:alert(1)",
            "//evil.com",
            "https://id.example.com:8443/",
        ] {
            assert!(check_result_url(&config, bad).is_err(), "{bad}");
        }
    }
}
