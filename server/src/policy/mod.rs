//! The vocabulary of authorization that every layer shares and that depends on nothing but the
//! storage rows: organization roles and membership states, organization settings, the scopes an API client
//! holds, and what a one-time link is for.
//! It sits below `domain::authz`, so that the checks and the capabilities use it without an import
//! running back up.

pub mod client_scopes;
pub mod link_purposes;
pub mod roles;
pub mod settings;
