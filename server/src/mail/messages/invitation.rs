//! "Join the organization" (`inviteMember`), or "set your password" for an account an
//! administrator created (`createUser` with `sendInvitation`). Following the link verifies the
//! address.

use serde::Serialize;

use super::{message, Brand};

#[derive(Serialize)]
pub struct Invitation {
    pub brand: Brand,
    pub name: Option<String>,
    pub email: String,
    pub link: Option<String>,
    pub valid_for: String,
    pub account_created: bool,
}

message!(
    Invitation,
    kind = "INVITATION",
    template = "invitation",
    subject = |m| if m.account_created {
        format!("Your account at {} is ready", m.brand.name)
    } else {
        format!("You are invited to join {}", m.brand.name)
    }
);
