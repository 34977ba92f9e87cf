//! The capabilities of Steward, one module each. Functions here take an `authz` scope, run one
//! transaction per change and write its audit event inside it.
//!
//! This is the only layer that can send the database a statement ([`database`]); it reaches the
//! database through the scope it is given, and every list ANDs in the scope's
//! [`Reach`](authz::Reach). `authz` lives inside it as its innermost part.

pub mod api_clients;
pub mod audit;
pub mod authz;
pub mod blocking;
pub mod database;
pub mod delivery;
pub mod hasher;
pub mod invitations;
pub mod lockouts;
pub mod members;
pub mod metadata;
pub mod organizations;
pub mod outbox;
pub mod pagination;
pub mod password_checks;
pub mod passwords;
pub mod recovery;
pub mod sessions;
pub mod setup;
pub mod state;
pub mod tokens;
pub mod transfer;
pub mod user_search;
pub mod users;
pub mod validate;
pub mod verification;
