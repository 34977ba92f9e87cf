use crate::{AuditEventId, OrgId, UserId};
use sea_orm::entity::prelude::*;

/// One audit event, written in the same transaction as the change it records.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: AuditEventId,
    pub event_type: String,
    pub at: DateTimeUtc,
    pub actor_user_id: Option<UserId>,
    pub actor_api_client_id: Option<Uuid>,
    pub target_user_id: Option<UserId>,
    pub organization_id: Option<OrgId>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: Json,
    /// The chain the event is in: its organization's id, or `identity` for events of no
    /// organization. `None` only for events from before the chain began.
    pub chain: Option<String>,
    /// Its place in the chain, from 1.
    pub sequence: Option<i64>,
    /// SHA-256 (hex) of the event's canonical form, which includes `previous_hash`.
    pub hash: Option<String>,
    /// The hash of the event before it in the chain; `None` for the first.
    pub previous_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
