use crate::{ApiClientId, OrgId, UserId};
use sea_orm::entity::prelude::*;

/// A partner application that calls the API with OAuth 2.0 client-credentials tokens, inside one
/// organization, with the scopes it was given.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ApiClientId,
    pub org_id: OrgId,
    pub name: String,
    /// The public identifier the application sends as `client_id`.
    #[sea_orm(unique)]
    pub client_id: String,
    /// SHA-256 of the secret (256 random bits, so a fast hash is enough).
    pub secret_hash: String,
    /// The granted scopes, e.g. `["users:read", "audit:read"]`.
    pub scopes: Json,
    pub created_by: Option<UserId>,
    pub created_at: DateTimeUtc,
    pub secret_rotated_at: DateTimeUtc,
    /// Counts rotations. A token names the version it was issued under and works only while it
    /// is current: a rotated secret may have leaked, and so may its tokens.
    pub secret_version: i32,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
