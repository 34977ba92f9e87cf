//! The audit log. Every change writes its event through `record`, inside the change's own
//! transaction, so that a change and its record commit or fail together; each event joins its
//! organization's hash chain ([`super::audit_chain`]).

use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::domain::authz::{Actor, AuditReader, Scope};
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

pub(super) async fn record(
    connection: &impl ConnectionTrait,
    actor: &Actor,
    at: chrono::DateTime<chrono::Utc>,
    event: Event<'_>,
) -> Result<()> {
    let event = audit_event::Model {
        id: AuditEventId::new(),
        event_type: event.event_type.to_owned(),
        at,
        actor_user_id: actor.user_id,
        actor_api_client_id: actor.api_client_id.map(|id| id.0),
        target_user_id: event.target_user,
        organization_id: event.organization,
        ip: actor.ip.clone(),
        user_agent: actor.user_agent.clone(),
        details: event.details,
        chain: None,
        sequence: None,
        hash: None,
        previous_hash: None,
    };
    super::audit_chain::append(connection, event).await
}

/// Which events to list. The organization, when one is named, is part of the reader's reach
/// ([`Caller::audit_reader`](crate::domain::authz::Caller::audit_reader)), not of this filter.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub user: Option<UserId>,
    pub types: Vec<String>,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// The events a reader may read that match the filter. An organization's log holds the events
/// recorded in it, and the identity-wide events (profile, password, sign-in …) of its members.
fn visible(scope: &AuditReader<'_>, filter: &AuditFilter) -> sea_orm::Select<audit_event::Entity> {
    use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

    let mut select = audit_event::Entity::find();
    if !scope.reach.is_every() {
        select = select.filter(
            Condition::any()
                .add(scope.reach.org_condition(audit_event::Column::OrganizationId))
                .add(
                    Condition::all().add(audit_event::Column::OrganizationId.is_null()).add(
                        scope
                            .reach
                            .member_at_condition(audit_event::Column::TargetUserId, audit_event::Column::At),
                    ),
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
    select
}

/// A page of events, newest first.
pub async fn list(
    scope: &AuditReader<'_>,
    filter: &AuditFilter,
    page: &super::pagination::PageRequest,
) -> Result<super::pagination::Page<audit_event::Model>> {
    let mut page = super::pagination::newest_first(
        scope.database().reader(),
        visible(scope, filter),
        (audit_event::Column::At, audit_event::Column::Id),
        page,
        |event| (event.at, event.id.0),
    )
    .await?;
    let mut events: Vec<&mut audit_event::Model> = page.items.iter_mut().map(|(_, event)| event).collect();
    hide_foreign_actors(scope, &mut events).await?;
    Ok(page)
}

/// A shared member's identity-wide events may have been done by someone the reader's
/// organizations do not know (another tenant's admin, before the member joined here). Such an
/// actor shows without identity: no user id, IP or user agent. The member themself, members of
/// the reader's organizations and superadmins show as they are.
async fn hide_foreign_actors(scope: &AuditReader<'_>, events: &mut [&mut audit_event::Model]) -> Result<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    use std::collections::HashSet;
    use steward_entity::{membership, user};
    if scope.reach.is_every() {
        return Ok(());
    }
    let foreign_candidate = |event: &audit_event::Model| {
        event
            .actor_user_id
            .filter(|actor| event.organization_id.is_none() && Some(*actor) != event.target_user_id)
    };
    let actors: HashSet<UserId> = events.iter().filter_map(|event| foreign_candidate(event)).collect();
    if actors.is_empty() {
        return Ok(());
    }
    let connection = scope.database().reader();
    let mut known: HashSet<UserId> = membership::Entity::find()
        .select_only()
        .column(membership::Column::UserId)
        .filter(membership::Column::UserId.is_in(actors.iter().copied()))
        .filter(scope.reach.org_condition(membership::Column::OrgId))
        .into_tuple::<UserId>()
        .all(connection)
        .await?
        .into_iter()
        .collect();
    known.extend(
        user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::Id.is_in(actors.iter().copied()))
            .filter(user::Column::IsSuperadmin.eq(true))
            .into_tuple::<UserId>()
            .all(connection)
            .await?,
    );
    for event in events.iter_mut() {
        if foreign_candidate(event).is_some_and(|actor| !known.contains(&actor)) {
            event.actor_user_id = None;
            event.ip = None;
            event.user_agent = None;
        }
    }
    Ok(())
}

pub async fn count(scope: &AuditReader<'_>, filter: &AuditFilter) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(visible(scope, filter).count(scope.database().reader()).await?)
}

/// How many events an export reads at a time: an export of any length holds one batch in memory.
pub const EXPORT_BATCH: u64 = 500;

/// The next batch of an export, oldest first, after the event `after` (its time and id).
pub async fn export_batch(
    scope: &AuditReader<'_>,
    filter: &AuditFilter,
    after: Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)>,
) -> Result<Vec<audit_event::Model>> {
    use sea_orm::{ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect};
    let mut select = visible(scope, filter);
    if let Some((at, id)) = after {
        select = select.filter(
            Condition::any().add(audit_event::Column::At.gt(at)).add(
                Condition::all()
                    .add(audit_event::Column::At.eq(at))
                    .add(audit_event::Column::Id.gt(id)),
            ),
        );
    }
    let mut batch = select
        .order_by_asc(audit_event::Column::At)
        .order_by_asc(audit_event::Column::Id)
        .limit(EXPORT_BATCH)
        .all(scope.database().reader())
        .await?;
    let mut events: Vec<&mut audit_event::Model> = batch.iter_mut().collect();
    hide_foreign_actors(scope, &mut events).await?;
    Ok(batch)
}
