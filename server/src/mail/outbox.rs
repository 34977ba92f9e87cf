//! The outbox table: writing messages (inside the caller's transaction) and reading them for the
//! superadmins' Mail page.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::{Mailer, Message};
use crate::authz::{Scope, Superadmin};
use crate::domain::pagination::{newest_first, Page, PageRequest};
use crate::error::Result;
use steward_entity::{outbox_mail, OrgId, UserId};

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
pub async fn enqueue(
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
    metrics::counter!("steward_mail_queued_total", "kind" => message.kind()).increment(1);
    Ok(())
}

/// Whether a message of `kind` was queued for `user_id` since `since` (to mail at most so often).
pub async fn queued_since(
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
