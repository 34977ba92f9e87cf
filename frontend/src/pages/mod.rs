//! One module per route. Pages outside the signed-in shell: sign-in, first-admin setup, password
//! reset and not-found; the forced password change replaces the shell while it is pending.

pub mod change_password;
pub mod home;
pub mod login;
pub mod members;
pub mod not_found;
pub mod organizations;
pub mod reset_password;
pub mod setup;
pub mod user;
