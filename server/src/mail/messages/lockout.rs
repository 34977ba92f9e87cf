//! "Your account was locked": sent when wrong passwords lock a user out (at most once an hour),
//! with a link that lifts the lock.

use serde::Serialize;

use super::{message, Brand};

#[derive(Serialize)]
pub struct Lockout {
    pub brand: Brand,
    pub name: Option<String>,
    pub email: String,
    pub ip: String,
    pub attempts: i32,
    pub link: Option<String>,
}

message!(
    Lockout,
    kind = "LOCKOUT",
    template = "lockout",
    subject = |m| format!("Sign-in to {} was locked", m.brand.name)
);
