//! Mail: the messages, their templates, and the SMTP transport. Messages are written to the outbox
//! inside the transaction of the change that caused it (`domain::outbox`), and a background
//! worker (`domain::delivery`) delivers them over SMTP, retrying with backoff while the server is
//! unreachable. No request waits on SMTP or fails because of it.
//!
//! Without `STEWARD_SMTP_URL` nothing is sent: each message is written to the log as one line
//! with its link and kept in the outbox, where superadmins can read it.

pub mod messages;
mod render;
mod transport;

use lettre::message::Mailbox;
use std::sync::Arc;
use tokio::sync::{watch, Notify};

pub use messages::{Brand, Message};
pub use render::Rendered;

/// What the application needs to write and send mail: the sender, the SMTP transport (if any),
/// the templates, and a doorbell that wakes the worker when new mail is committed.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

struct Inner {
    from: Mailbox,
    transport: Option<transport::Smtp>,
    templates: render::Templates,
    doorbell: Notify,
    /// How often the doorbell was rung.
    rings: watch::Sender<u64>,
    /// The highest ring count seen at the start of a pass of the worker that has ended.
    passes: watch::Sender<u64>,
}

impl Mailer {
    /// Reads the sender and SMTP URL from the configuration. An invalid value is an error at
    /// start-up, never at the first send.
    pub fn new(config: &crate::Config) -> anyhow::Result<Self> {
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|_| anyhow::anyhow!("invalid configuration: mail_from is not a mailbox like `Name <a@b.c>`"))?;
        let transport = config.smtp_url.as_deref().map(transport::from_url).transpose()?;
        Ok(Self {
            inner: Arc::new(Inner {
                from,
                transport,
                templates: render::Templates::load()?,
                doorbell: Notify::new(),
                rings: watch::channel(0).0,
                passes: watch::channel(0).0,
            }),
        })
    }

    /// Renders a message into its subject, plain text and HTML.
    pub fn render(&self, message: &dyn Message) -> crate::error::Result<Rendered> {
        self.inner.templates.render(message)
    }

    /// Tells the worker that mail was committed, so it need not wait for its next poll.
    pub fn wake(&self) {
        self.inner.rings.send_modify(|rings| *rings += 1);
        self.inner.doorbell.notify_one();
    }

    /// Wakes the worker and returns once a pass of it that began after this call has ended: every
    /// message due by then has been sent, refused or put off. It waits for ever if no worker runs.
    pub async fn delivered(&self) {
        self.wake();
        let ring = *self.inner.rings.borrow();
        let mut passes = self.inner.passes.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = passes.wait_for(|passed| *passed >= ring).await;
    }

    /// What the worker notes as a pass begins, to hand to [`Mailer::pass_ended`].
    pub(crate) fn pass_begins(&self) -> u64 {
        *self.inner.rings.borrow()
    }

    pub(crate) fn pass_ended(&self, began_at_ring: u64) {
        self.inner.passes.send_if_modified(|passed| {
            let later = began_at_ring > *passed;
            if later {
                *passed = began_at_ring;
            }
            later
        });
    }

    /// Whether an SMTP server is configured.
    pub fn delivers(&self) -> bool {
        self.inner.transport.is_some()
    }

    /// The sender, as a header would show it.
    pub fn sender(&self) -> String {
        self.inner.from.to_string()
    }

    pub(crate) fn from(&self) -> &Mailbox {
        &self.inner.from
    }

    pub(crate) fn transport(&self) -> Option<&transport::Smtp> {
        self.inner.transport.as_ref()
    }

    pub(crate) async fn rung(&self) {
        self.inner.doorbell.notified().await
    }
}

/// Replaces line breaks and other control characters with spaces, so that a value put into a
/// header (a subject with an organization's name, a display name) cannot start a new header.
pub fn header_safe(value: &str) -> String {
    let cleaned: String = value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::header_safe;

    #[test]
    fn header_values_lose_line_breaks() {
        assert_eq!(
            header_safe("Acme\r\nBcc: evil@example.com"),
            "Acme Bcc: evil@example.com"
        );
        assert_eq!(header_safe("  Tab\there\u{0}  "), "Tab here");
        assert_eq!(header_safe("Zoë & Co"), "Zoë & Co");
    }
}
