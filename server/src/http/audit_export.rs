//! `GET /audit/export`: an organization's audit events as NDJSON, for a SIEM. One event per line,
//! oldest first, streamed a batch at a time, so an export of any length holds one batch in memory.
//!
//! **Permissions**: the organization's ADMIN or AUDITOR, a superadmin, or an API client with
//! `audit:read` (its own organization). Bearer token as for `/graphql`.
//!
//! Query: `orgId` (without it: every organization whose log the caller may read, and for a
//! superadmin every event), `since` and `until` (RFC 3339; `since` inclusive, `until` exclusive).

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

use super::HttpState;
use crate::domain::audit::{self, AuditFilter};
use crate::error::Error;
use steward_entity::{audit_event, OrgId};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportQuery {
    org_id: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

const WHAT: &str = "an audit export";

fn refusal(error: Error) -> Response {
    super::downloads::refusal(error, WHAT)
}

fn instant(name: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, Response> {
    value
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| super::downloads::bad_request(format!("{name} must be an RFC 3339 time")))
        })
        .transpose()
}

/// One event as one line: the fields of `AuditEvent`, and its place in its hash chain.
fn line(event: &audit_event::Model) -> String {
    let mut line = serde_json::json!({
        "id": event.id.0,
        "type": event.event_type,
        "at": event.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "actorUserId": event.actor_user_id,
        "actorApiClientId": event.actor_api_client_id,
        "targetUserId": event.target_user_id,
        "organizationId": event.organization_id,
        "ip": event.ip,
        "userAgent": event.user_agent,
        "details": event.details,
        "chain": event.chain,
        "sequence": event.sequence,
        "hash": event.hash,
        "previousHash": event.previous_hash,
    })
    .to_string();
    line.push('\n');
    line
}

pub async fn export(
    State(state): State<HttpState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return super::downloads::bad_request(
            "unknown or malformed query parameters: orgId, since and until are known",
        );
    };
    let org: Option<OrgId> = match query.org_id.as_deref().map(str::parse) {
        None => None,
        Some(Ok(org)) => Some(org),
        Some(Err(_)) => return refusal(Error::NotFound),
    };
    let filter = match (
        instant("since", query.since.as_deref()),
        instant("until", query.until.as_deref()),
    ) {
        (Ok(since), Ok(until)) => AuditFilter {
            since,
            until,
            ..Default::default()
        },
        (Err(response), _) | (_, Err(response)) => return response,
    };
    let peer = peer.map(|Extension(ConnectInfo(address))| address.ip());
    let caller = Arc::new(super::caller_for(&state, &headers, peer).await);
    // Checked before the first byte: a refusal is an HTTP status, not a cut-short stream.
    if let Err(error) = caller.audit_reader(org) {
        return refusal(error);
    }
    let first = match audit::export_batch(&caller.audit_reader(org).expect("checked"), &filter, None).await {
        Ok(batch) => batch,
        Err(error) => return refusal(error),
    };
    // Each step writes one batch and reads the next; a failed read cuts the download.
    let batches = futures::stream::unfold(Some(Ok(first)), move |batch| {
        let caller = caller.clone();
        let filter = filter.clone();
        async move {
            let batch = match batch? {
                Ok(batch) => batch,
                Err(error) => return Some((Err(super::downloads::broken(error, WHAT)), None)),
            };
            if batch.is_empty() {
                return None;
            }
            let lines: String = batch.iter().map(line).collect();
            let next = if (batch.len() as u64) < audit::EXPORT_BATCH {
                None
            } else {
                let last = batch.last().map(|event| (event.at, event.id.0));
                // The scope borrows the caller, so each batch takes it anew.
                Some(match caller.audit_reader(org) {
                    Ok(scope) => audit::export_batch(&scope, &filter, last).await,
                    Err(error) => Err(error),
                })
            };
            Some((Ok::<Bytes, std::io::Error>(Bytes::from(lines)), next))
        }
    });
    let filename = match org {
        Some(org) => format!("audit-{org}.ndjson"),
        None => "audit.ndjson".to_owned(),
    };
    (
        super::downloads::attachment("application/x-ndjson", &filename),
        Body::from_stream(batches),
    )
        .into_response()
}
