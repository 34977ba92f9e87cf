//! The outbox, for superadmins: every message, its delivery state, and whether SMTP is set up.

use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::connection::{Connection, Count};
use super::cost;
use crate::domain::outbox;
use crate::domain::pagination::PageRequest;
use steward_entity::outbox_mail;

type GqlResult<T> = async_graphql::Result<T>;

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
pub struct OutboxQuery;

#[Object]
impl OutboxQuery {
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
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
        status: Option<MailStatus>,
    ) -> GqlResult<Connection<Mail>> {
        let caller = super::acting::caller(ctx);
        let scope = caller.superadmin()?;
        let status = status.map(MailStatus::stored);
        let page = outbox::list(&scope, status, &PageRequest::new(first, after)?).await?;
        Ok(Connection::new(page, Count::Mails { status }, Mail))
    }
}
