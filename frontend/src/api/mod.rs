//! Everything that crosses the wire. Pages call the typed functions here and never build GraphQL
//! text themselves; the operations live in `queries/*.graphql`, checked against `../schema.graphql`
//! at compile time, so a renamed field breaks the build rather than a page.

pub mod access;
pub mod api_clients;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod client;
pub mod credentials;
pub mod error;
pub mod imports;
pub mod invitations;
pub mod links;
pub mod mail;
pub mod members;
pub mod metadata_schemas;
pub mod organization_settings;
pub mod organizations;
pub mod profile;
pub mod types;
pub mod users;
pub mod viewer;

pub use client::{use_session, AuthState};
pub use error::{ApiError, ErrorCode};
