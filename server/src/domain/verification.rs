//! Email addresses: verification links, the user's own address change (which takes effect only
//! when the new address is verified, and tells the old one), and an administrator's say-so.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::audit::{self, Event};
use super::{outbox, password_checks, tokens, users, validate};
use crate::domain::authz::{IdentityManager, Myself, Public, Scope, UserReader};
use crate::error::{conflict_on_unique, Error, Result};
use steward_entity::{user, UserId};

async fn find(scope: &dyn Scope, user_id: UserId) -> Result<user::Model> {
    user::Entity::find_by_id(user_id)
        .one(scope.database().reader())
        .await?
        .ok_or(Error::NotFound)
}

/// Queues a verification link for the user's current address.
async fn mail_verification(scope: &dyn Scope, user: &user::Model, event_type: &str) -> Result<()> {
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let org = outbox::brand_org(&*transaction, user.id, scope.caller().acting_org()).await?;
    outbox::verification(&*transaction, app, user, org.as_ref(), now).await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new(event_type)
            .user(user.id)
            .details(json!({ "email": user.email })),
    )
    .await?;
    transaction.commit().await?;
    app.mailer.wake();
    Ok(())
}

/// An administrator (re)sends the verification link.
pub async fn send(scope: &IdentityManager<'_>) -> Result<()> {
    let user = find(scope, scope.user_id()).await?;
    if user.email_verified {
        return Err(Error::invalid("userId", "the address is already verified"));
    }
    outbox::spend_admin_budget(scope, &user.email).await?;
    mail_verification(scope, &user, "VERIFICATION_EMAIL_SENT").await
}

/// The user asks for the link again. Rate limited; a verified address gets nothing and the same
/// answer.
pub async fn resend_mine(scope: &Myself<'_>) -> Result<()> {
    let user = find(scope, scope.user.user_id).await?;
    let actor = scope.actor();
    // Keyed by the account, not its address: a flood of anonymous reset requests for the address
    // must not use up the signed-in user's own budget.
    let key = format!("user:{}", user.id);
    scope.app().limits.check_mail_request(actor.ip.as_deref(), &key).await?;
    if user.email_verified {
        return Ok(());
    }
    mail_verification(scope, &user, "VERIFICATION_EMAIL_SENT").await
}

/// Follows a verification link: confirms the address it names, or — for an email change —
/// switches the account to the new address and tells the old one.
pub async fn verify(scope: &Public<'_>, token: &str) -> Result<()> {
    let app = scope.app();
    let now = app.clock.now();
    let peeked = tokens::peek(app.database.reader(), token, now)
        .await?
        .filter(|found| [tokens::EMAIL_VERIFICATION, tokens::EMAIL_CHANGE].contains(&found.purpose.as_str()))
        .ok_or(Error::TokenInvalid)?;
    let transaction = app.database.write().await?;
    let spent = tokens::consume(&*transaction, token, &peeked.purpose, now).await?;
    let user_id = spent.user_id.ok_or(Error::TokenInvalid)?;
    let email = spent
        .data
        .get("email")
        .and_then(|email| email.as_str())
        .ok_or(Error::TokenInvalid)?;
    let before = user::Entity::find_by_id(user_id)
        .one(&*transaction)
        .await?
        .ok_or(Error::TokenInvalid)?;
    if before.blocked {
        return Err(Error::TokenInvalid);
    }
    let event = if spent.purpose == tokens::EMAIL_VERIFICATION {
        // A link for an address the account no longer has verifies nothing.
        if before.email != email {
            return Err(Error::TokenInvalid);
        }
        Event::new("EMAIL_VERIFIED")
            .user(user_id)
            .details(json!({ "email": email }))
    } else {
        let mut after = before.clone();
        after.email = email.to_owned();
        users::refresh_derived(&mut after);
        user::Entity::update_many()
            .col_expr(user::Column::Email, Expr::value(after.email.clone()))
            .col_expr(user::Column::SearchText, Expr::value(after.search_text.clone()))
            .filter(user::Column::Id.eq(user_id))
            .exec(&*transaction)
            .await
            .map_err(|error| conflict_on_unique(error, "the address now belongs to another account"))?;
        super::members::sync_user_keys(&*transaction, &after).await?;
        // Links sent to the old address must not outlive it.
        let old_links = [tokens::PASSWORD_RESET, tokens::EMAIL_VERIFICATION, tokens::INVITATION];
        tokens::invalidate_each(&*transaction, user_id, &old_links, now).await?;
        let org = outbox::brand_org(&*transaction, user_id, spent.org_id).await?;
        outbox::email_changed(&*transaction, app, &before, email, org.as_ref(), now).await?;
        Event::new("EMAIL_CHANGED")
            .user(user_id)
            .details(json!({ "from": before.email, "to": email }))
    };
    user::Entity::update_many()
        .col_expr(user::Column::EmailVerified, Expr::value(true))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .col_expr(user::Column::Revision, Expr::col(user::Column::Revision).add(1))
        .filter(user::Column::Id.eq(user_id))
        .exec(&*transaction)
        .await?;
    audit::record(&*transaction, &scope.actor(), now, event).await?;
    transaction.commit().await?;
    app.mailer.wake();
    Ok(())
}

/// The user's own address change: proven by the password (and rate limited like other mail
/// requests), it takes effect when the link sent to the new address is followed. An address that
/// belongs to another account answers the same and shows as pending the same, but is sent
/// nothing, so the form cannot be used to find out who has an account.
pub async fn change_mine(scope: &Myself<'_>, new_email: &str, password: &str) -> Result<()> {
    let app = scope.app();
    let user_id = scope.user.user_id;
    let new_email = validate::email(new_email).map_err(|message| Error::invalid("newEmail", message))?;
    // Counted before the password is checked, so a stolen session cannot guess it freely here.
    let actor = scope.actor();
    app.limits
        .check_mail_request(actor.ip.as_deref(), &format!("user:{user_id}"))
        .await?;
    let operation = scope.caller().password_operation()?;
    let user = find(scope, user_id).await?;
    password_checks::require_right(app, &operation, &actor, &user, password).await?;
    if user.email == new_email {
        return Err(Error::invalid("newEmail", "that is already your address"));
    }
    let taken = user::Entity::find()
        .filter(user::Column::Email.eq(new_email.as_str()))
        .one(app.database.reader())
        .await?
        .is_some();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let org = outbox::brand_org(&*transaction, user_id, scope.caller().acting_org()).await?;
    outbox::email_change(&*transaction, app, &user, &new_email, org.as_ref(), !taken, now).await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("EMAIL_CHANGE_REQUESTED")
            .user(user_id)
            // Never whether the address is taken: admins and auditors read these details.
            .details(json!({ "to": new_email })),
    )
    .await?;
    transaction.commit().await?;
    app.mailer.wake();
    Ok(())
}

/// The address a user's pending change would switch to, if one is pending.
pub async fn pending_email(scope: &UserReader<'_>) -> Result<Option<String>> {
    let now = scope.app().clock.now();
    let pending = tokens::newest_pending(scope.database().reader(), scope.user_id(), tokens::EMAIL_CHANGE, now).await?;
    Ok(pending.and_then(|token| token.data.get("email").and_then(|e| e.as_str()).map(str::to_owned)))
}
