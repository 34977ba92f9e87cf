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
        actor_api_client_id: Set(actor.api_client_id.map(|id| id.0)),
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

/// Which events to list.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub org: Option<OrgId>,
    pub user: Option<UserId>,
    pub types: Vec<String>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// The events a scope may read that match the filter. An organization's log holds the events
/// recorded in it, and the identity-wide events (profile, password, sign-in …) of its members.
fn visible(scope: &crate::authz::AuditScope<'_>, filter: &AuditFilter) -> Result<sea_orm::Select<audit_event::Entity>> {
    use crate::authz::ReadScope;
    use crate::error::Error;
    use sea_orm::sea_query::Query;
    use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};
    use steward_entity::membership;

    let orgs: Option<Vec<OrgId>> = match (&scope.orgs, filter.org) {
        (ReadScope::All, None) => None,
        (ReadScope::All, Some(org)) => Some(vec![org]),
        (ReadScope::Orgs(mine), Some(org)) if mine.contains(&org) => Some(vec![org]),
        (ReadScope::Orgs(_), Some(org)) => {
            use crate::authz::Scope;
            return Err(match scope.caller().org_viewer(org) {
                Ok(_) => Error::Forbidden("reading the audit log needs ADMIN or AUDITOR"),
                Err(_) => Error::NotFound,
            });
        }
        (ReadScope::Orgs(mine), None) if mine.is_empty() => {
            return Err(Error::Forbidden("reading the audit log needs ADMIN or AUDITOR"))
        }
        (ReadScope::Orgs(mine), None) => Some(mine.clone()),
    };
    let mut select = audit_event::Entity::find();
    if let Some(orgs) = orgs {
        let mut members = Query::select();
        members
            .column(membership::Column::UserId)
            .from(membership::Entity)
            .and_where(membership::Column::OrgId.is_in(orgs.clone()));
        select = select.filter(
            Condition::any()
                .add(audit_event::Column::OrganizationId.is_in(orgs))
                .add(
                    Condition::all()
                        .add(audit_event::Column::OrganizationId.is_null())
                        .add(audit_event::Column::TargetUserId.in_subquery(members)),
                ),
        );
    }
    if let Some(user) = filter.user {
        select = select.filter(audit_event::Column::TargetUserId.eq(user));
    }
    if !filter.types.is_empty() {
        select = select.filter(audit_event::Column::EventType.is_in(filter.types.clone()));
    }
    if let Some(since) = filter.since {
        select = select.filter(audit_event::Column::At.gte(since));
    }
    if let Some(until) = filter.until {
        select = select.filter(audit_event::Column::At.lt(until));
    }
    Ok(select)
}

/// A page of events, newest first.
pub async fn list(
    scope: &crate::authz::AuditScope<'_>,
    filter: &AuditFilter,
    page: &super::pagination::PageRequest,
) -> Result<super::pagination::Page<audit_event::Model>> {
    use crate::authz::Scope;
    super::pagination::newest_first(
        scope.database().reader(),
        visible(scope, filter)?,
        (audit_event::Column::At, audit_event::Column::Id),
        page,
        |event| (event.at, event.id.0),
    )
    .await
}

pub async fn count(scope: &crate::authz::AuditScope<'_>, filter: &AuditFilter) -> Result<u64> {
    use crate::authz::Scope;
    use sea_orm::PaginatorTrait;
    Ok(visible(scope, filter)?.count(scope.database().reader()).await?)
}
