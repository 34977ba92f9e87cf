//! Steward's storage model: sea-orm entities and the typed ids that keep one kind of id from being
//! passed where another is expected. Nothing here knows about GraphQL or HTTP; the server maps
//! these rows to its own API types.

pub mod address_login_failure;
pub mod api_client;
pub mod audit_chain;
pub mod audit_event;
pub mod credential;
pub mod ids;
pub mod import_problem;
pub mod import_run;
pub mod login_failure;
pub mod membership;
pub mod metadata_schema;
pub mod one_time_token;
pub mod organization;
pub mod organization_domain;
pub mod outbox_mail;
pub mod password_history;
pub mod refresh_token;
pub mod session;
pub mod signing_key;
pub mod user;

pub use ids::*;
