//! Mail and the flows that run through it: password reset by mail, tickets and admin-set
//! passwords, email verification and change, invitations, unlock links, and the outbox for
//! superadmins.

use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::connection::{Connection, Count};
use super::cost;
use super::enums::{role_set, OrgRole};
use super::ids::parse;
use super::session::payload;
use super::types::{password_policy, AuthPayload, PasswordPolicy, PublicOrganization, User};
use crate::domain::invitations::{self, Invitation as DomainInvitation};
use crate::domain::outbox;
use crate::domain::pagination::PageRequest;
use crate::domain::{recovery, tokens, users, verification};
use steward_entity::outbox_mail;

type GqlResult<T> = async_graphql::Result<T>;

#[derive(SimpleObject)]
pub struct Invitation {
    /// Names the invitation (to revoke it); it is not the link's token.
    pub id: ID,
    pub email: String,
    pub roles: Vec<OrgRole>,
    pub expires_at: DateTime<Utc>,
}

impl From<DomainInvitation> for Invitation {
    fn from(invitation: DomainInvitation) -> Self {
        Self {
            id: ID(invitation.id),
            email: invitation.email,
            roles: invitation.roles.roles().into_iter().map(OrgRole::from).collect(),
            expires_at: invitation.expires_at,
        }
    }
}

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

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailStatus {
    /// Waiting to be sent, or to be retried.
    Pending,
    Sent,
    /// The mail server refused it for good.
    Failed,
    /// No mail server is configured: written to the log and kept here.
    Logged,
}

impl MailStatus {
    fn stored(self) -> &'static str {
        match self {
            MailStatus::Pending => outbox::PENDING,
            MailStatus::Sent => outbox::SENT,
            MailStatus::Failed => outbox::FAILED,
            MailStatus::Logged => outbox::LOGGED,
        }
    }

    fn from_stored(value: &str) -> Self {
        match value {
            outbox::SENT => MailStatus::Sent,
            outbox::FAILED => MailStatus::Failed,
            outbox::LOGGED => MailStatus::Logged,
            _ => MailStatus::Pending,
        }
    }
}

/// How this server delivers mail.
#[derive(SimpleObject)]
pub struct MailDelivery {
    /// An SMTP server is configured (`STEWARD_SMTP_URL`) and mail is sent; otherwise it is kept
    /// in the outbox as `LOGGED` and written to the log.
    pub sending: bool,
    /// The sender, `STEWARD_MAIL_FROM`.
    pub from: String,
}

/// A message in the outbox. Once sent, its bodies and link are gone: they held a live token.
pub struct Mail(pub outbox_mail::Model);

#[Object]
impl Mail {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// `PASSWORD_RESET`, `EMAIL_VERIFICATION`, `EMAIL_CHANGE`, `EMAIL_CHANGED`, `INVITATION`,
    /// `LOCKOUT`, `PASSWORD_CHANGED`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn to(&self) -> &str {
        &self.0.recipient
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn status(&self) -> MailStatus {
        MailStatus::from_stored(&self.0.status)
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.status == outbox::PENDING).then_some(self.0.next_attempt_at)
    }
    /// The link the message carries, until it is sent.
    async fn link(&self) -> Option<&str> {
        self.0.link.as_deref()
    }
    /// The plain-text body, until it is sent.
    async fn text_body(&self) -> Option<&str> {
        self.0.text_body.as_deref()
    }
    async fn organization_id(&self) -> Option<ID> {
        self.0.org_id.map(|id| ID(id.to_string()))
    }
    async fn user_id(&self) -> Option<ID> {
        self.0.user_id.map(|id| ID(id.to_string()))
    }
}

#[derive(Default)]
pub struct MailQuery;

#[Object]
impl MailQuery {
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

    /// Whether mail is sent, and from whom.
    ///
    /// **Permissions**: superadmin.
    async fn mail_delivery(&self, ctx: &Context<'_>) -> GqlResult<MailDelivery> {
        let caller = super::acting::caller(ctx);
        caller.superadmin()?;
        let mailer = &caller.app().mailer;
        Ok(MailDelivery {
            sending: mailer.delivers(),
            from: mailer.sender(),
        })
    }

    /// The outbox, newest first: sent, pending and failed mail. Without `STEWARD_SMTP_URL` mail
    /// is kept here (status `LOGGED`) instead of sent.
    ///
    /// **Permissions**: superadmin.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn mails(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
        status: Option<MailStatus>,
    ) -> GqlResult<Connection<Mail>> {
        let caller = super::acting::caller(ctx);
        let scope = caller.superadmin()?;
        let status = status.map(MailStatus::stored);
        let page = outbox::list(&scope, status, &PageRequest::new(Some(first), after)?).await?;
        Ok(Connection::new(page, Count::Mails { status }, Mail))
    }
}

#[derive(Default)]
pub struct MailMutation;

#[Object]
impl MailMutation {
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

    /// Confirms an address from a verification link, or completes an email change (the old
    /// address is told).
    ///
    /// **Permissions**: anyone holding the link.
    async fn verify_email(&self, ctx: &Context<'_>, token: String) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        verification::verify(&caller.public(), &token).await?;
        Ok(true)
    }

    /// Accepts an invitation and signs in: the address counts as verified and the user becomes
    /// a member with the invited roles. A new account chooses `password` (and may give `name`);
    /// an existing account (`tokenInfo.accountExists`) gives `currentPassword` (`password` is
    /// taken for it too), which counts toward its lockout like a sign-in.
    ///
    /// **Permissions**: anyone holding the link.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        token: String,
        password: Option<String>,
        current_password: Option<String>,
        name: Option<String>,
    ) -> GqlResult<AuthPayload> {
        let caller = super::acting::caller(ctx);
        let issued = invitations::accept(
            &caller.public(),
            &token,
            password.as_deref(),
            current_password.as_deref(),
            name.as_deref(),
        )
        .await?;
        Ok(payload(ctx, issued))
    }

    /// Lifts the user's brute-force locks from the link of a lockout mail.
    ///
    /// **Permissions**: anyone holding the link.
    async fn unlock_account(&self, ctx: &Context<'_>, token: String) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        recovery::unlock(&caller.public(), &token).await?;
        Ok(true)
    }

    /// Starts a change of the signed-in user's address: a link goes to the new address, and the
    /// change takes effect when it is followed.
    ///
    /// **Permissions**: the signed-in user, with their password.
    async fn change_my_email(&self, ctx: &Context<'_>, new_email: String, password: String) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        verification::change_mine(&caller.myself()?, &new_email, &password).await?;
        Ok(true)
    }

    /// Mails the signed-in user a new verification link (nothing when already verified). Rate
    /// limited.
    ///
    /// **Permissions**: the signed-in user.
    async fn resend_my_verification_email(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        verification::resend_mine(&caller.myself()?).await?;
        Ok(true)
    }

    /// Invites an address into an organization with roles (default `MEMBER`); the link is valid
    /// 7 days.
    ///
    /// **Permissions**: ADMIN or USER_MANAGER of the organization (only an ADMIN may invite with
    /// ADMIN or USER_MANAGER); superadmin.
    async fn invite_member(
        &self,
        ctx: &Context<'_>,
        org_id: ID,
        email: String,
        roles: Option<Vec<OrgRole>>,
    ) -> GqlResult<Invitation> {
        let caller = super::acting::caller(ctx);
        let scope = caller.org_manager(parse(&org_id)?)?;
        let roles = role_set(&roles.unwrap_or_else(|| vec![OrgRole::Member]));
        Ok(invitations::invite(&scope, &email, roles).await?.into())
    }

    /// Withdraws a pending invitation.
    ///
    /// **Permissions**: as `inviteMember`.
    async fn revoke_invitation(&self, ctx: &Context<'_>, id: ID) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        let scope = caller.invitation_manager(&id).await?;
        invitations::revoke(&scope, &id).await?;
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
        #[graphql(default = false)] mark_email_as_verified: bool,
    ) -> GqlResult<Ticket> {
        let caller = super::acting::caller(ctx);
        let scope = caller.identity_manager(parse(&user_id)?).await?;
        let (url, expires_at) =
            recovery::create_ticket(&scope, ttl_seconds, result_url.as_deref(), mark_email_as_verified).await?;
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
        #[graphql(default = true)] require_change_at_next_login: bool,
    ) -> GqlResult<User> {
        let caller = super::acting::caller(ctx);
        let scope = caller.identity_manager(parse(&user_id)?).await?;
        Ok(User(
            recovery::set_password(&scope, &password, require_change_at_next_login).await?,
        ))
    }

    /// Mails the user a verification link (valid 24 hours).
    ///
    /// **Permissions**: as `sendPasswordResetEmail`.
    async fn send_verification_email(&self, ctx: &Context<'_>, user_id: ID) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        verification::send(&caller.identity_manager(parse(&user_id)?).await?).await?;
        Ok(true)
    }

    /// Marks the address verified, or not.
    ///
    /// **Permissions**: as `sendPasswordResetEmail`.
    async fn set_email_verified(&self, ctx: &Context<'_>, user_id: ID, verified: bool) -> GqlResult<User> {
        let caller = super::acting::caller(ctx);
        let scope = caller.identity_manager(parse(&user_id)?).await?;
        Ok(User(users::set_email_verified(&scope, verified).await?))
    }
}
