//! One module per route. Pages outside the signed-in shell: sign-in, first-admin setup, the pages
//! reached from an emailed link (password reset, forgotten password, email verification,
//! invitation, unlock) and not-found; the forced password change replaces the shell while it is
//! pending.

pub mod accept_invitation;
pub mod audit;
pub mod change_password;
pub mod forgot_password;
pub mod home;
pub mod login;
pub mod mail;
pub mod members;
pub mod not_found;
pub mod organization_settings;
pub mod organizations;
pub mod profile;
pub mod reset_password;
pub mod setup;
pub mod unlock;
pub mod user;
pub mod verify_email;
