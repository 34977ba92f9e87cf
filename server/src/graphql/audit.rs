//! The audit log: queries.

use async_graphql::{Context, Object, Subscription, ID};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};

use super::connection::{Connection, Count};
use super::cost;
use super::ids::parse;
use super::types::AuditEvent;
use crate::domain::audit::{self, AuditFilter};
use crate::domain::authz::{Caller, Credentials};
use crate::domain::pagination::PageRequest;
use steward_entity::OrgId;

type GqlResult<T> = async_graphql::Result<T>;

/// A page of the events `filter` selects that the caller may read.
pub async fn events(
    caller: &Caller,
    org_id: Option<OrgId>,
    filter: AuditFilter,
    first: Option<i32>,
    after: Option<String>,
) -> GqlResult<Connection<AuditEvent>> {
    let scope = caller.audit_reader(org_id)?;
    let page = audit::list(&scope, &filter, &PageRequest::new(first, after)?).await?;
    Ok(Connection::new(page, Count::AuditEvents { org_id, filter }, AuditEvent))
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Audit events, newest first, with no cap. An organization's log holds what was done in it
    /// and the identity-wide events (sign-in, profile, password) of its members.
    ///
    /// **Permissions**: ADMIN or AUDITOR (of `orgId` when given); superadmin for everything.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        org_id: Option<ID>,
        user_id: Option<ID>,
        types: Option<Vec<String>>,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Connection<AuditEvent>> {
        let org_id = org_id.as_ref().map(parse).transpose()?;
        let filter = AuditFilter {
            user: user_id.as_ref().map(parse).transpose()?,
            types: types.unwrap_or_default(),
            since,
            until,
        };
        events(&super::acting::caller(ctx), org_id, filter, first, after).await
    }
}

/// The subscription root (it has only the live audit log yet).
#[derive(Default)]
pub struct AuditSubscription;

#[Subscription(name = "Subscription")]
impl AuditSubscription {
    /// Audit events as they are committed, from the moment of subscribing: the same events
    /// `auditEvents` lists, oldest first. Served over WebSocket at `/graphql/ws`
    /// (graphql-transport-ws), with the access token in the connection's init payload:
    /// `{"Authorization": "Bearer …"}`. The right is checked at subscribe and again before every
    /// delivery: a viewer who is blocked, suspended, loses the role, whose session is revoked or
    /// whose token expires receives that error and the subscription ends (subscribe again with
    /// a fresh token).
    ///
    /// **Permissions**: ADMIN or AUDITOR (of `orgId` when given); superadmin for everything; an
    /// API client with `audit:read`.
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        org_id: Option<ID>,
        user_id: Option<ID>,
        types: Option<Vec<String>>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<AuditEvent>>> {
        let credentials = ctx
            .data_opt::<Credentials>()
            .ok_or(crate::error::Error::Unauthenticated)?
            .clone();
        let org_id = org_id.as_ref().map(parse).transpose()?;
        let filter = AuditFilter {
            user: user_id.as_ref().map(parse).transpose()?,
            types: types.unwrap_or_default(),
            since: None,
            until: None,
        };
        let events = audit::follow(credentials, org_id, filter).await?;
        Ok(events.map(|event| event.map(AuditEvent).map_err(async_graphql::Error::from)))
    }
}
