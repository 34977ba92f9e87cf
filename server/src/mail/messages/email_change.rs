//! "Confirm your new address": sent to the new address of a user's own email change, which
//! takes effect only when this link is followed.

use serde::Serialize;

use super::{message, Brand};

#[derive(Serialize)]
pub struct EmailChange {
    pub brand: Brand,
    pub name: Option<String>,
    /// The new address.
    pub email: String,
    pub link: Option<String>,
    pub valid_for: String,
}

message!(
    EmailChange,
    kind = "EMAIL_CHANGE",
    template = "email_change",
    subject = |m| format!("Confirm your new email address for {}", m.brand.name)
);
