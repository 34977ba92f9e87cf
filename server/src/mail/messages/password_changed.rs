//! "Your password was changed": tells the account's owner after any password change — their own,
//! a reset from a link, or one an administrator set — so that a change they did not make does not
//! go unnoticed.

use serde::Serialize;

use super::{message, Brand};

#[derive(Serialize)]
pub struct PasswordChanged {
    pub brand: Brand,
    pub name: Option<String>,
    /// How it was changed: `self` (the user, knowing the old one), `reset` (from an emailed link)
    /// or `admin` (an administrator set it).
    pub how: &'static str,
    /// Always `None`: this message carries no link.
    pub link: Option<String>,
}

message!(
    PasswordChanged,
    kind = "PASSWORD_CHANGED",
    template = "password_changed",
    subject = |m| format!("Your password for {} was changed", m.brand.name)
);
