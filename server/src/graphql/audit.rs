//! The audit log: queries.

use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};

use super::connection::{Connection, Count};
use super::cost;
use super::ids::parse;
use super::types::AuditEvent;
use crate::domain::audit::{self, AuditFilter};
use crate::domain::authz::Caller;
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
