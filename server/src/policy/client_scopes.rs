//! The scopes an API client may hold, as the contract names them.

use steward_entity::api_client;

pub const USERS_READ: &str = "users:read";
pub const USERS_WRITE: &str = "users:write";
pub const USERS_DELETE: &str = "users:delete";
pub const METADATA_WRITE: &str = "metadata:write";
pub const AUDIT_READ: &str = "audit:read";
pub const ORG_READ: &str = "org:read";

/// Every scope a client may be given.
pub const ALL: [&str; 6] = [
    USERS_READ,
    USERS_WRITE,
    USERS_DELETE,
    METADATA_WRITE,
    AUDIT_READ,
    ORG_READ,
];

/// The scopes a client holds, as its row stores them.
pub fn held_by(client: &api_client::Model) -> Vec<String> {
    client
        .scopes
        .as_array()
        .map(|scopes| {
            scopes
                .iter()
                .filter_map(|scope| scope.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
