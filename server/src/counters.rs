//! The application's own counters, each named once, for `/metrics`. Every layer may count; only
//! `http` renders them.

/// How a sign-in ended: `success`, or the error code.
pub fn login_outcome(outcome: &str) {
    metrics::counter!("steward_login_attempts_total", "outcome" => outcome.to_owned()).increment(1);
}

/// A message was written to the outbox.
pub fn mail_queued(kind: &str) {
    metrics::counter!("steward_mail_queued_total", "kind" => kind.to_owned()).increment(1);
}

/// A message was handed to the SMTP server.
pub fn mail_sent(kind: &str) {
    metrics::counter!("steward_mail_sent_total", "kind" => kind.to_owned()).increment(1);
}

/// An attempt to send a message failed (it may be retried).
pub fn mail_failed(kind: &str) {
    metrics::counter!("steward_mail_failures_total", "kind" => kind.to_owned()).increment(1);
}

/// A statement was sent to the database.
pub fn database_statement() {
    metrics::counter!("steward_database_statements_total").increment(1);
}
