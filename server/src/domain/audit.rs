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
    super::audit_chain::append(connection, model_of(actor, at, event)).await
}

/// Records several events in one go, in order: what [`record`] does for each, in fewer
/// statements.
pub(super) async fn record_many(
    connection: &impl ConnectionTrait,
    actor: &Actor,
    at: chrono::DateTime<chrono::Utc>,
    events: Vec<Event<'_>>,
) -> Result<()> {
    let models = events.into_iter().map(|event| model_of(actor, at, event)).collect();
    super::audit_chain::append_many(connection, models).await
}

fn model_of(actor: &Actor, at: chrono::DateTime<chrono::Utc>, event: Event<'_>) -> audit_event::Model {
    audit_event::Model {
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
    }
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

/// How often a live reader looks for events other instances committed; it wakes at once for
/// this instance's own commits.
const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_secs(1);
/// The most events read from one chain at a wake; a longer burst is read over several.
const FOLLOW_BATCH: u64 = 500;

/// The events a viewer may read, as they are committed from now on (`filter`'s time range is
/// not used). The viewer's right is checked at the start and again after every read, by
/// building their caller anew from their credentials: once they are blocked, suspended, lose the
/// role, their session ends or their token expires, the stream yields that error and ends, and
/// no event committed after the change reaches them.
///
/// Each chain's events are read in chain order from the last place read (a chain's events
/// commit in that order, under its head's lock), so none is skipped or repeated.
pub async fn follow(
    credentials: crate::domain::authz::Credentials,
    org: Option<OrgId>,
    filter: AuditFilter,
) -> Result<impl futures::Stream<Item = Result<audit_event::Model>>> {
    let caller = credentials.caller().await;
    let scope = caller.audit_reader(org)?;
    let position = chain_heads(&scope).await?;
    let commits = scope.database().commits();
    drop(scope);
    let follow = Follow {
        checked: Some(caller),
        credentials,
        org,
        filter: AuditFilter {
            since: None,
            until: None,
            ..filter
        },
        position,
        pending: Default::default(),
        commits,
        more: false,
        ended: false,
    };
    Ok(futures::stream::unfold(follow, |mut follow| async move {
        let item = follow.next().await?;
        Some((item, follow))
    }))
}

struct Follow {
    credentials: crate::domain::authz::Credentials,
    /// The caller built at the last check that passed: the next read reads as them, and a caller
    /// built after that read checks again before anything is delivered.
    checked: Option<crate::domain::authz::Caller>,
    org: Option<OrgId>,
    filter: AuditFilter,
    /// The last place read in each chain.
    position: std::collections::HashMap<String, i64>,
    pending: std::collections::VecDeque<audit_event::Model>,
    commits: tokio::sync::watch::Receiver<u64>,
    /// A chain had more than one batch: read again without waiting.
    more: bool,
    ended: bool,
}

impl Follow {
    async fn next(&mut self) -> Option<Result<audit_event::Model>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            if self.ended {
                return None;
            }
            if !self.more {
                let poll = tokio::time::sleep(FOLLOW_POLL);
                tokio::select! {
                    changed = self.commits.changed() => {
                        if changed.is_err() {
                            // The database handle is gone: keep to the poll.
                            tokio::time::sleep(FOLLOW_POLL).await;
                        }
                    }
                    () = poll => {}
                }
            }
            if let Err(error) = self.read().await {
                self.ended = true;
                return Some(Err(error));
            }
        }
    }

    /// Reads what was committed since the last read, if the viewer may still read it.
    async fn read(&mut self) -> Result<()> {
        use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
        loop {
            // The caller the last check passed with reads; a fresh one checks after the read.
            let before = match self.checked.take() {
                Some(caller) => caller,
                None => self.credentials.caller().await,
            };
            let scope = before.audit_reader(self.org)?;
            let heads = chain_heads(&scope).await?;
            let mut events = Vec::new();
            let mut reached = Vec::new();
            self.more = false;
            for (chain, head) in heads {
                let from = self.position.get(&chain).copied().unwrap_or(0);
                if head <= from {
                    continue;
                }
                let batch = visible(&scope, &self.filter)
                    .filter(audit_event::Column::Chain.eq(chain.as_str()))
                    .filter(audit_event::Column::Sequence.gt(from))
                    .filter(audit_event::Column::Sequence.lte(head))
                    .order_by_asc(audit_event::Column::Sequence)
                    .limit(FOLLOW_BATCH)
                    .all(scope.database().reader())
                    .await?;
                let to = match batch.last() {
                    Some(last) if batch.len() as u64 == FOLLOW_BATCH => {
                        self.more = true;
                        last.sequence.unwrap_or(head)
                    }
                    _ => head,
                };
                reached.push((chain, to));
                events.extend(batch);
            }
            // The right again, after the read: a change that took it away and committed before
            // the read is seen here, so nothing committed after that change is delivered.
            let after = self.credentials.caller().await;
            let scope_after = after.audit_reader(self.org)?;
            let same_reach = scope_after.reach == scope.reach;
            if same_reach {
                let mut shown: Vec<&mut audit_event::Model> = events.iter_mut().collect();
                hide_foreign_actors(&scope_after, &mut shown).await?;
            }
            drop((scope, scope_after));
            self.checked = Some(after);
            if !same_reach {
                // The viewer's organizations changed during the read: read again with the new.
                continue;
            }
            events.sort_by(|a, b| (a.at, a.id.0).cmp(&(b.at, b.id.0)));
            self.position.extend(reached);
            self.pending.extend(events);
            return Ok(());
        }
    }
}

/// The head (last place) of each chain the reader may see events of: every chain for a
/// superadmin's whole log, else the reader's organizations' and the identity-wide one.
async fn chain_heads(scope: &AuditReader<'_>) -> Result<std::collections::HashMap<String, i64>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    use steward_entity::audit_chain;
    let mut select = audit_chain::Entity::find()
        .select_only()
        .column(audit_chain::Column::Chain)
        .column(audit_chain::Column::Sequence);
    if !scope.reach.is_every() {
        let mut chains: Vec<String> = scope.reach.orgs().iter().map(|org| org.to_string()).collect();
        chains.push(super::audit_chain::IDENTITY.to_owned());
        select = select.filter(audit_chain::Column::Chain.is_in(chains));
    }
    Ok(select
        .into_tuple::<(String, i64)>()
        .all(scope.database().reader())
        .await?
        .into_iter()
        .collect())
}
