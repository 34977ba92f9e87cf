//! Recovery: password reset by mail, tickets and admin-set passwords, unlock links, and what the
//! page a link leads to may show before the link is used.

use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::ids::parse;
use super::types::{password_policy, PasswordPolicy, PublicOrganization, User};
use crate::domain::{recovery, tokens};

type GqlResult<T> = async_graphql::Result<T>;

/// A password-change link for an administrator to pass on.
#[derive(SimpleObject)]
pub struct Ticket {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    /// A reset link or a ticket: `resetPassword` takes it.
    PasswordReset,
    /// `verifyEmail` takes it.
    EmailVerification,
    /// `verifyEmail` takes it, and switches the account to `email`.
    EmailChange,
    /// `acceptInvitation` takes it.
    Invitation,
    /// `unlockAccount` takes it.
    Unlock,
}

impl TokenPurpose {
    fn from_stored(purpose: &str) -> Option<Self> {
        Some(match purpose {
            tokens::PASSWORD_RESET => Self::PasswordReset,
            tokens::EMAIL_VERIFICATION => Self::EmailVerification,
            tokens::EMAIL_CHANGE => Self::EmailChange,
            tokens::INVITATION => Self::Invitation,
            tokens::UNLOCK => Self::Unlock,
            _ => return None,
        })
    }
}

/// What the page a link leads to may show before the link is used.
#[derive(SimpleObject)]
pub struct TokenInfo {
    pub purpose: TokenPurpose,
    /// The address concerned: the account's, or the one being verified or invited.
    pub email: String,
    pub expires_at: DateTime<Utc>,
    /// Whose brand the page wears.
    pub organization: Option<PublicOrganization>,
    /// The policy a password set through this link must meet.
    pub password_policy: PasswordPolicy,
    /// For an invitation: the address already has an account with a password of its owner's, so
    /// accepting asks for that password instead of a new one.
    pub account_exists: bool,
    /// For a ticket: where the page sends the user once the password is set.
    pub result_url: Option<String>,
}

#[derive(Default)]
pub struct RecoveryQuery;

#[Object]
impl RecoveryQuery {
    /// Describes an emailed link without using it, for the page it opens: the address, the
    /// organization's brand, the password policy. Null for an unknown, used or expired link.
    ///
    /// **Permissions**: anyone holding the link.
    async fn token_info(&self, ctx: &Context<'_>, token: String) -> GqlResult<Option<TokenInfo>> {
        let caller = super::acting::caller(ctx);
        let Some(info) = recovery::describe(&caller.public(), &token).await? else {
            return Ok(None);
        };
        let Some(purpose) = TokenPurpose::from_stored(&info.purpose) else {
            return Ok(None);
        };
        Ok(Some(TokenInfo {
            purpose,
            email: info.email,
            expires_at: info.expires_at,
            organization: info.organization.as_ref().map(PublicOrganization::of),
            password_policy: password_policy(&info.policy),
            account_exists: info.account_exists,
            result_url: info.result_url,
        }))
    }
}

#[derive(Default)]
pub struct RecoveryMutation;

#[Object]
impl RecoveryMutation {
    /// "Forgot password": mails a reset link (valid 1 hour) if the address has an account.
    /// Always answers `true`, at once, whether or not it does. With `orgSlug` the mail wears
    /// that organization's brand. Rate limited per client IP and per address.
    ///
    /// **Permissions**: anyone.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        email: String,
        org_slug: Option<String>,
    ) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        recovery::request_reset(&caller.public(), &email, org_slug.as_deref()).await?;
        Ok(true)
    }

    /// Lifts the user's brute-force locks from the link of a lockout mail.
    ///
    /// **Permissions**: anyone holding the link.
    async fn unlock_account(&self, ctx: &Context<'_>, token: String) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        recovery::unlock(&caller.public(), &token).await?;
        Ok(true)
    }

    /// Mails the user a password-reset link (valid 1 hour).
    ///
    /// **Permissions**: ADMIN or USER_MANAGER in every organization the user belongs to (only an
    /// ADMIN for an ADMIN); superadmin.
    async fn send_password_reset_email(&self, ctx: &Context<'_>, user_id: ID) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        recovery::send_reset(&caller.identity_manager(parse(&user_id)?).await?).await?;
        Ok(true)
    }

    /// A password-change link for the administrator to pass on: valid `ttlSeconds` (default one
    /// day, at most 30 days); afterwards the page sends the user to `resultUrl`, which must share
    /// the origin of `STEWARD_PUBLIC_URL` or one in `STEWARD_REDIRECT_ORIGINS`.
    ///
    /// **Permissions**: as `sendPasswordResetEmail`.
    async fn create_password_change_ticket(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        ttl_seconds: Option<i32>,
        result_url: Option<String>,
        #[graphql(default_with = "Some(false)")] mark_email_as_verified: Option<bool>,
    ) -> GqlResult<Ticket> {
        let caller = super::acting::caller(ctx);
        let scope = caller.identity_manager(parse(&user_id)?).await?;
        let (url, expires_at) = recovery::create_ticket(
            &scope,
            ttl_seconds,
            result_url.as_deref(),
            mark_email_as_verified.unwrap_or(false),
        )
        .await?;
        Ok(Ticket { url, expires_at })
    }

    /// Sets the user's password. Unless `requireChangeAtNextLogin: false`, the user must choose a
    /// new one at the next sign-in. The user's sessions end.
    ///
    /// **Permissions**: as `sendPasswordResetEmail`.
    async fn set_user_password(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        password: String,
        #[graphql(default_with = "Some(true)")] require_change_at_next_login: Option<bool>,
    ) -> GqlResult<User> {
        let caller = super::acting::caller(ctx);
        let scope = caller.identity_manager(parse(&user_id)?).await?;
        Ok(User(
            recovery::set_password(&scope, &password, require_change_at_next_login.unwrap_or(true)).await?,
        ))
    }
}
