//! "Choose a new password": a reset link, asked for by the user or sent by an administrator.

use serde::Serialize;

use super::{message, Brand};

#[derive(Serialize)]
pub struct PasswordReset {
    pub brand: Brand,
    pub name: Option<String>,
    pub email: String,
    pub link: Option<String>,
    pub valid_for: String,
    pub by_admin: bool,
}

message!(
    PasswordReset,
    kind = "PASSWORD_RESET",
    template = "password_reset",
    subject = |m| format!("Reset your {} password", m.brand.name)
);
