//! Who is calling, and what they may do.
//!
//! A resolver cannot query the database (only `domain` can). It asks the [`Caller`] for a
//! capability — a scope such as [`OrgReader`] or [`IdentityManager`] — and the only way to get one
//! is to pass the check in this module; domain functions take scopes and reach the database
//! through them, and every list ANDs in the scope's [`Reach`]. So reaching data without a check
//! does not compile. Out-of-reach things answer `NOT_FOUND`, never a hint that they exist.

pub mod keys;
mod principal;
mod reach;
mod scopes;

pub use principal::{Caller, ClientPrincipal, CommandLine, Credentials, PasswordOperation, Principal, UserPrincipal};
pub use reach::{Lookups, Reach};
pub use scopes::*;
