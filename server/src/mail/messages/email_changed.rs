//! "Your address was changed": tells the old address once a change has taken effect.

use serde::Serialize;

use super::{message, Brand};

#[derive(Serialize)]
pub struct EmailChanged {
    pub brand: Brand,
    pub name: Option<String>,
    pub old_email: String,
    pub new_email: String,
    /// Always `None`: this message carries no link.
    pub link: Option<String>,
}

message!(
    EmailChanged,
    kind = "EMAIL_CHANGED",
    template = "email_changed",
    subject = |m| format!("Your email address for {} was changed", m.brand.name)
);
