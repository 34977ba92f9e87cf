//! "Please confirm your address": sent to a new user and on request.

use serde::Serialize;

use super::{message, Brand};

#[derive(Serialize)]
pub struct EmailVerification {
    pub brand: Brand,
    pub name: Option<String>,
    pub email: String,
    pub link: Option<String>,
    pub valid_for: String,
}

message!(
    EmailVerification,
    kind = "EMAIL_VERIFICATION",
    template = "email_verification",
    subject = |m| format!("Verify your email address for {}", m.brand.name)
);
