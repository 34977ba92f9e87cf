//! The capabilities of Steward, one module each. Functions here take an `authz` scope, run one
//! transaction per change and write its audit event inside it.
//!
//! This is the only layer that can send the database a statement ([`database`]); it reaches the
//! database through the scope it is given, and every list ANDs in the scope's
//! [`Reach`](authz::Reach). `authz` lives inside it as its innermost part.
//!
//! # What does not compile outside `domain`
//!
//! Each of these is how a resolver (or any code above `domain`) might reach around a check; each
//! is refused by the compiler, with the error code pinned.
//!
//! Querying the database through the handle the application state carries:
//!
//! ```compile_fail,E0624
//! fn resolver(state: steward_server::AppState) {
//!     let _ = state.database.reader();
//! }
//! ```
//!
//! Opening a write transaction on it:
//!
//! ```compile_fail,E0624
//! async fn resolver(state: steward_server::AppState) {
//!     let _ = state.database.write().await;
//! }
//! ```
//!
//! Making a capability without its check:
//!
//! ```compile_fail,E0451
//! fn resolver(caller: &steward_server::domain::authz::Caller) -> steward_server::domain::authz::Superadmin<'_> {
//!     steward_server::domain::authz::Superadmin { caller }
//! }
//! ```
//!
//! Making a reach that covers every organization:
//!
//! ```compile_fail,E0624
//! let _ = steward_server::domain::authz::Reach::every();
//! ```
//!
//! Building a caller for the command line's powers, or a second password operation:
//!
//! ```compile_fail,E0624
//! fn resolver(state: steward_server::AppState) {
//!     let _ = steward_server::domain::authz::Caller::operator(state);
//! }
//! ```
//!
//! ```compile_fail,E0624
//! fn resolver(caller: &steward_server::domain::authz::Caller) {
//!     let _ = caller.password_operation();
//! }
//! ```
//!
//! Signing an access token with the server's key:
//!
//! ```compile_fail,E0624
//! fn resolver(state: steward_server::AppState) {
//!     let _ = state.keys.issue(&serde_json::json!({ "sub": "anyone" }));
//! }
//! ```
//!
//! Calling a helper that takes a connection (here, issuing a one-time link):
//!
//! ```compile_fail,E0603
//! let _ = steward_server::domain::tokens::issue;
//! ```
//!
//! What the command line may do is [`Operator`](authz::Operator), and nothing else:
//!
//! ```
//! async fn create_admin(state: steward_server::AppState) -> steward_server::error::Result<()> {
//!     let command_line = steward_server::domain::authz::CommandLine::new(state);
//!     steward_server::domain::setup::create_admin(&command_line.operator(), "ops@example.com", None).await?;
//!     Ok(())
//! }
//! ```

pub mod api_clients;
pub mod audit;
pub mod audit_chain;
pub mod authz;
pub mod background;
pub mod blocking;
pub mod database;
pub mod delivery;
pub mod email_domains;
pub mod hasher;
pub mod import;
pub mod invitations;
pub mod lockouts;
pub mod members;
pub mod metadata;
pub mod metadata_schemas;
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
