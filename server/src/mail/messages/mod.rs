//! One module per message. Each names its template, its subject and the link it carries; the
//! templates under `server/templates/mail/` do the wording.

mod email_change;
mod email_changed;
mod email_verification;
mod invitation;
mod lockout;
mod password_changed;
mod password_reset;

pub use email_change::EmailChange;
pub use email_changed::EmailChanged;
pub use email_verification::EmailVerification;
pub use invitation::Invitation;
pub use lockout::Lockout;
pub use password_changed::PasswordChanged;
pub use password_reset::PasswordReset;

use serde::Serialize;
use steward_entity::organization;

/// A message that can be rendered and queued.
pub trait Message: Send + Sync {
    /// What the message is, as stored in the outbox: `PASSWORD_RESET`, …
    fn kind(&self) -> &'static str;
    /// The template's base name under `server/templates/mail/`.
    fn template(&self) -> &'static str;
    fn subject(&self) -> String;
    fn brand(&self) -> &Brand;
    /// The link the message is about, shown on the Mail page and in the log line when mail is
    /// not sent.
    fn link(&self) -> Option<&str>;
    /// The template's values besides `brand` and `subject`.
    fn context(&self) -> minijinja::Value;
}

/// Whose name, logo and colour a message wears: the organization's where there is one.
#[derive(Clone, Debug, Serialize)]
pub struct Brand {
    pub name: String,
    pub logo_url: Option<String>,
    pub color: String,
}

const DEFAULT_COLOR: &str = "#2f6fed";

impl Brand {
    /// The product's own brand, for mail that belongs to no organization.
    pub fn steward() -> Self {
        Self {
            name: "Steward".into(),
            logo_url: None,
            color: DEFAULT_COLOR.into(),
        }
    }

    pub fn of(organization: Option<&organization::Model>) -> Self {
        let Some(organization) = organization else {
            return Self::steward();
        };
        Self {
            name: super::header_safe(organization.display_name.as_deref().unwrap_or(&organization.name)),
            logo_url: organization.logo_url.clone(),
            color: organization
                .primary_color
                .clone()
                .unwrap_or_else(|| DEFAULT_COLOR.into()),
        }
    }
}

/// "1 hour", "24 hours", "7 days": how long a link stays valid, in words.
pub fn valid_for(lifetime: chrono::Duration) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let hours = lifetime.num_hours();
    if hours >= 48 && hours % 24 == 0 {
        plural(hours / 24, "day")
    } else if hours >= 1 {
        plural(hours, "hour")
    } else {
        plural(lifetime.num_minutes().max(1), "minute")
    }
}

/// Implements [`Message`] for a struct with `brand` and `link` fields that serializes into its
/// template's values.
macro_rules! message {
    ($type:ty, kind = $kind:literal, template = $template:literal, subject = |$this:ident| $subject:expr) => {
        impl $crate::mail::Message for $type {
            fn kind(&self) -> &'static str {
                $kind
            }
            fn template(&self) -> &'static str {
                $template
            }
            fn subject(&self) -> String {
                let $this = self;
                $subject
            }
            fn brand(&self) -> &$crate::mail::Brand {
                &self.brand
            }
            fn link(&self) -> Option<&str> {
                self.link.as_deref()
            }
            fn context(&self) -> minijinja::Value {
                minijinja::Value::from_serialize(self)
            }
        }
    };
}
pub(crate) use message;

#[cfg(test)]
mod tests {
    use super::valid_for;
    use chrono::Duration;

    #[test]
    fn lifetimes_read_as_words() {
        assert_eq!(valid_for(Duration::hours(1)), "1 hour");
        assert_eq!(valid_for(Duration::hours(24)), "24 hours");
        assert_eq!(valid_for(Duration::days(7)), "7 days");
        assert_eq!(valid_for(Duration::minutes(30)), "30 minutes");
    }
}
