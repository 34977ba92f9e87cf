//! The delivery worker. It wakes when mail is committed on this instance, and polls in case it
//! was committed on another. Each message is claimed with a conditional update that sets a lease,
//! so of several instances on one database exactly one sends it; a failure leaves it pending with
//! a later `next_attempt_at` (exponential backoff), and a refusal the server calls permanent
//! marks it `FAILED`. A message is lost by none of these. Finished mail is deleted after
//! `mail_retention_days`.

use chrono::{DateTime, Duration, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::AsyncTransport;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::outbox::{FAILED, LOGGED, PENDING, SENT};
use crate::error::Result;
use crate::AppState;
use steward_entity::outbox_mail;

/// How long a claim holds. Longer than one SMTP conversation may take, so a message is not
/// claimed twice while it is being sent.
const LEASE_SECONDS: i64 = 5 * 60;
const BATCH: u64 = 20;
/// The first retry comes after this many seconds, then twice as long each time, up to an hour.
const FIRST_RETRY_SECONDS: i64 = 10;
const LONGEST_RETRY_SECONDS: i64 = 3600;
/// Mail still undelivered after this long is marked `FAILED`: its links would have expired.
const GIVE_UP_AFTER: Duration = Duration::hours(72);

/// Starts the worker for this instance, for as long as the process runs.
pub fn spawn(app: AppState) -> tokio::task::JoinHandle<()> {
    let (keep, stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        // The sender lives as long as the worker: it never hears a stop.
        let _keep = keep;
        run(app, stop).await
    })
}

/// Starts the worker for this instance; once `stop` turns true it finishes the message it is
/// sending (none is left claimed but unsent, for another instance to send again) and ends.
pub fn spawn_until(app: AppState, stop: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(app, stop))
}

async fn run(app: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let owner = Uuid::new_v4().to_string();
    let poll = std::time::Duration::from_millis(app.config.mail_poll_interval_ms.max(10));
    let mut last_purge: Option<DateTime<Utc>> = None;
    loop {
        if *stop.borrow() {
            tracing::info!("the mail worker stopped");
            return;
        }
        let ring = app.mailer.pass_begins();
        let now = app.clock.now();
        if last_purge.is_none_or(|at| now - at >= Duration::hours(1)) {
            last_purge = Some(now);
            if let Err(error) = purge(&app, now).await {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "old mail could not be purged; it is tried again"
                );
            }
        }
        if let Err(error) = drain(&app, &owner, &stop).await {
            // The cause, which the error's own message leaves out for clients.
            let error = match error {
                crate::error::Error::Internal(cause) => format!("{cause:#}"),
                other => other.to_string(),
            };
            tracing::warn!(error, "the mail worker could not read the outbox; it tries again");
        }
        app.mailer.pass_ended(ring);
        tokio::select! {
            _ = app.mailer.rung() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Deletes finished mail (sent, refused, or kept for want of SMTP) older than the retention
/// period. Pending mail is never deleted.
async fn purge(app: &AppState, now: DateTime<Utc>) -> Result<()> {
    let days = app.config.mail_retention_days;
    if days == 0 {
        return Ok(());
    }
    let transaction = app.database.write().await?;
    let purged = outbox_mail::Entity::delete_many()
        .filter(outbox_mail::Column::Status.is_in([SENT, FAILED, LOGGED]))
        .filter(outbox_mail::Column::CreatedAt.lt(now - Duration::days(days.into())))
        .exec(&*transaction)
        .await?;
    transaction.commit().await?;
    if purged.rows_affected > 0 {
        tracing::info!(messages = purged.rows_affected, "purged old mail from the outbox");
    }
    Ok(())
}

/// The delay before attempt `attempts + 1`, after `attempts` failures.
pub fn backoff(attempts: i32) -> Duration {
    let doubling = attempts.clamp(1, 20) - 1;
    Duration::seconds((FIRST_RETRY_SECONDS << doubling).min(LONGEST_RETRY_SECONDS))
}

/// Sends everything that is due, a batch at a time.
async fn drain(app: &AppState, owner: &str, stop: &tokio::sync::watch::Receiver<bool>) -> Result<()> {
    loop {
        let now = app.clock.now();
        let due: Vec<Uuid> = outbox_mail::Entity::find()
            .select_only()
            .column(outbox_mail::Column::Id)
            .filter(outbox_mail::Column::Status.eq(PENDING))
            .filter(outbox_mail::Column::NextAttemptAt.lte(now))
            .filter(free(now))
            .order_by_asc(outbox_mail::Column::NextAttemptAt)
            .limit(BATCH)
            .into_tuple()
            .all(app.database.reader())
            .await?;
        let mut claimed = 0;
        for id in &due {
            if *stop.borrow() {
                return Ok(());
            }
            if let Some(mail) = claim(app, owner, *id).await? {
                claimed += 1;
                deliver(app, owner, mail).await?;
            }
        }
        if claimed == 0 || (due.len() as u64) < BATCH {
            return Ok(());
        }
    }
}

fn free(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(outbox_mail::Column::LeaseUntil.is_null())
        .add(outbox_mail::Column::LeaseUntil.lt(now))
}

/// Takes the lease on one message, unless another worker holds it or it is no longer pending.
async fn claim(app: &AppState, owner: &str, id: Uuid) -> Result<Option<outbox_mail::Model>> {
    // Read now, not when the batch was listed: sending the batch's earlier mail takes time.
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let taken = outbox_mail::Entity::update_many()
        .col_expr(
            outbox_mail::Column::LeaseUntil,
            Expr::value(now + Duration::seconds(LEASE_SECONDS)),
        )
        .col_expr(outbox_mail::Column::LeaseOwner, Expr::value(owner))
        .filter(outbox_mail::Column::Id.eq(id))
        .filter(outbox_mail::Column::Status.eq(PENDING))
        .filter(free(now))
        .exec(&*transaction)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(None);
    }
    let mail = outbox_mail::Entity::find_by_id(id).one(&*transaction).await?;
    transaction.commit().await?;
    Ok(mail)
}

/// What became of one attempt.
enum Outcome {
    Sent,
    Logged,
    Retry(String),
    Failed(String),
}

async fn attempt(app: &AppState, mail: &outbox_mail::Model) -> Outcome {
    let Some(transport) = app.mailer.transport() else {
        tracing::info!(
            to = %mail.recipient,
            kind = %mail.kind,
            subject = %mail.subject,
            "mail not sent: no SMTP server is configured (STEWARD_SMTP_URL); it stays in the outbox, \
             where superadmins read it on the portal's Mail page (its link is not logged: it is a secret)"
        );
        return Outcome::Logged;
    };
    let recipient: Mailbox = match mail.recipient.parse() {
        Ok(recipient) => recipient,
        Err(_) => return Outcome::Failed("the recipient is not a valid address".into()),
    };
    let body = MultiPart::alternative_plain_html(
        mail.text_body.clone().unwrap_or_default(),
        mail.html_body.clone().unwrap_or_default(),
    );
    let message = lettre::Message::builder()
        .from(app.mailer.from().clone())
        .to(recipient)
        .subject(crate::mail::header_safe(&mail.subject))
        .multipart(body);
    let message = match message {
        Ok(message) => message,
        Err(error) => return Outcome::Failed(format!("the message could not be built: {error}")),
    };
    match transport.send(message).await {
        Ok(_) => Outcome::Sent,
        Err(error) if error.is_permanent() => Outcome::Failed(error.to_string()),
        Err(error) if app.clock.now() - mail.created_at > GIVE_UP_AFTER => Outcome::Failed(format!(
            "still undelivered after {} hours: {error}",
            GIVE_UP_AFTER.num_hours()
        )),
        Err(error) => Outcome::Retry(error.to_string()),
    }
}

async fn deliver(app: &AppState, owner: &str, mail: outbox_mail::Model) -> Result<()> {
    let outcome = attempt(app, &mail).await;
    let now = app.clock.now();
    let mut update = outbox_mail::Entity::update_many()
        .col_expr(
            outbox_mail::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(outbox_mail::Column::LeaseOwner, Expr::value(Option::<String>::None));
    // Logging a message is no attempt to send it. (Each column is set once: PostgreSQL refuses
    // an UPDATE that assigns one twice.)
    if !matches!(outcome, Outcome::Logged) {
        update = update.col_expr(outbox_mail::Column::Attempts, Expr::value(mail.attempts + 1));
    }
    let kind = mail.kind.clone();
    update = match outcome {
        Outcome::Sent => {
            crate::counters::mail_sent(&kind);
            // Delivered: the bodies and the link held a live token, which the outbox need not keep.
            update
                .col_expr(outbox_mail::Column::Status, Expr::value(SENT))
                .col_expr(outbox_mail::Column::SentAt, Expr::value(now))
                .col_expr(outbox_mail::Column::TextBody, Expr::value(Option::<String>::None))
                .col_expr(outbox_mail::Column::HtmlBody, Expr::value(Option::<String>::None))
                .col_expr(outbox_mail::Column::Link, Expr::value(Option::<String>::None))
                .col_expr(outbox_mail::Column::LastError, Expr::value(Option::<String>::None))
        }
        Outcome::Logged => update.col_expr(outbox_mail::Column::Status, Expr::value(LOGGED)),
        Outcome::Retry(error) => {
            crate::counters::mail_failed(&kind);
            tracing::warn!(id = %mail.id, attempts = mail.attempts + 1, %error, "mail not delivered; it will be retried");
            update
                .col_expr(
                    outbox_mail::Column::NextAttemptAt,
                    Expr::value(now + backoff(mail.attempts + 1)),
                )
                .col_expr(outbox_mail::Column::LastError, Expr::value(truncate(error)))
        }
        Outcome::Failed(error) => {
            crate::counters::mail_failed(&kind);
            tracing::error!(id = %mail.id, %error, "mail refused for good");
            // Never to be sent: its link must not be readable from the outbox either.
            update
                .col_expr(outbox_mail::Column::Status, Expr::value(FAILED))
                .col_expr(outbox_mail::Column::TextBody, Expr::value(Option::<String>::None))
                .col_expr(outbox_mail::Column::HtmlBody, Expr::value(Option::<String>::None))
                .col_expr(outbox_mail::Column::Link, Expr::value(Option::<String>::None))
                .col_expr(outbox_mail::Column::LastError, Expr::value(truncate(error)))
        }
    };
    let transaction = app.database.write().await?;
    update
        .filter(outbox_mail::Column::Id.eq(mail.id))
        .filter(outbox_mail::Column::LeaseOwner.eq(owner))
        .exec(&*transaction)
        .await?;
    transaction.commit().await
}

fn truncate(error: String) -> String {
    error.chars().take(1000).collect()
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff(1).num_seconds(), 10);
        assert_eq!(backoff(2).num_seconds(), 20);
        assert_eq!(backoff(5).num_seconds(), 160);
        assert_eq!(backoff(12).num_seconds(), 3600);
        assert_eq!(backoff(1000).num_seconds(), 3600);
    }
}
