//! The audit log. Every change writes its event through `record`, inside the change's own
//! transaction, so that a change and its record commit or fail together.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;

use crate::authz::Actor;
use crate::error::Result;
use steward_entity::{audit_event, AuditEventId, OrgId, UserId};

pub struct Event<'a> {
    pub event_type: &'a str,
    pub target_user: Option<UserId>,
    pub organization: Option<OrgId>,
    pub details: Value,
}

impl<'a> Event<'a> {
    pub fn new(event_type: &'a str) -> Self {
        Self {
            event_type,
            target_user: None,
            organization: None,
            details: Value::Object(Default::default()),
        }
    }

    pub fn user(mut self, user: UserId) -> Self {
        self.target_user = Some(user);
        self
    }

    pub fn org(mut self, org: OrgId) -> Self {
        self.organization = Some(org);
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

pub async fn record(
    connection: &impl ConnectionTrait,
    actor: &Actor,
    at: chrono::DateTime<chrono::Utc>,
    event: Event<'_>,
) -> Result<()> {
    audit_event::ActiveModel {
        id: Set(AuditEventId::new()),
        event_type: Set(event.event_type.to_owned()),
        at: Set(at),
        actor_user_id: Set(actor.user_id),
        actor_api_client_id: Set(None),
        target_user_id: Set(event.target_user),
        organization_id: Set(event.organization),
        ip: Set(actor.ip.clone()),
        user_agent: Set(actor.user_agent.clone()),
        details: Set(event.details),
    }
    .insert(connection)
    .await?;
    Ok(())
}
