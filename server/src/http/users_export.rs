//! `GET /users/export`: an organization's members as Auth0-compatible NDJSON (what
//! `steward import-users` and Auth0's bulk import read) or CSV, streamed a page at a time, so an
//! export of any size holds one page in memory. Each export is recorded in the organization's
//! audit log (`USERS_EXPORTED`) before its first line.
//!
//! **Permissions**: the organization's ADMIN, or a superadmin. Password hashes only for a
//! superadmin who asks for them (`passwordHashes=true`).
//!
//! Query: `orgId` (required), `format` (`ndjson`, the default, or `csv`), and the members
//! table's filters: `query` (name, email or username contains), `role`, `status` (`ACTIVE`,
//! `SUSPENDED`), `blocked`, `emailVerified`.

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

use super::HttpState;
use crate::domain::transfer::{self, ExportWriter, Format, MemberExport};
use crate::domain::user_search::UserFilter;
use crate::error::Error;
use crate::policy::roles::Role;
use steward_entity::OrgId;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportQuery {
    org_id: Option<String>,
    format: Option<String>,
    query: Option<String>,
    role: Option<String>,
    status: Option<String>,
    blocked: Option<bool>,
    email_verified: Option<bool>,
    password_hashes: Option<bool>,
}

const WHAT: &str = "a users export";

fn bad_request(why: &str) -> Response {
    super::downloads::bad_request(why)
}

fn refusal(error: Error) -> Response {
    super::downloads::refusal(error, WHAT)
}

/// The export the query asks for, or why it is not one.
fn export_of(query: ExportQuery) -> Result<(OrgId, Format, MemberExport), Response> {
    let org: OrgId = match query.org_id.as_deref().map(str::parse) {
        None => return Err(bad_request("orgId is required")),
        Some(Ok(org)) => org,
        Some(Err(_)) => return Err(refusal(Error::NotFound)),
    };
    let format = match query.format.as_deref() {
        None | Some("ndjson") => Format::Ndjson,
        Some("csv") => Format::Csv,
        Some(_) => return Err(bad_request("format must be ndjson or csv")),
    };
    let role = match query.role.as_deref() {
        None => None,
        Some("ADMIN") => Some(Role::Admin),
        Some("USER_MANAGER") => Some(Role::UserManager),
        Some("AUDITOR") => Some(Role::Auditor),
        Some("MEMBER") => Some(Role::Member),
        Some(_) => return Err(bad_request("role must be ADMIN, USER_MANAGER, AUDITOR or MEMBER")),
    };
    let status = match query.status.as_deref() {
        None => None,
        Some("ACTIVE") => Some("ACTIVE"),
        Some("SUSPENDED") => Some("SUSPENDED"),
        Some(_) => return Err(bad_request("status must be ACTIVE or SUSPENDED")),
    };
    let filter = UserFilter {
        query: query.query.filter(|text| !text.trim().is_empty()),
        email_verified: query.email_verified,
        blocked: query.blocked,
        role,
        status,
        ..UserFilter::default()
    };
    let export = MemberExport {
        filter,
        password_hashes: query.password_hashes.unwrap_or(false),
    };
    Ok((org, format, export))
}

pub async fn export(
    State(state): State<HttpState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return bad_request(
            "unknown or malformed query parameters: orgId, format, query, role, status, blocked, \
             emailVerified and passwordHashes are known",
        );
    };
    let (org, format, export) = match export_of(query) {
        Ok(export) => export,
        Err(response) => return response,
    };
    let peer = peer.map(|Extension(ConnectInfo(address))| address.ip());
    let caller = Arc::new(super::caller_for(&state, &headers, peer).await);
    // Checked, and recorded, before the first byte: a refusal is an HTTP status.
    let first = match caller.org_admin(org) {
        Ok(scope) => match transfer::begin_member_export(&scope, &export, format).await {
            Ok(()) => transfer::member_batch(&scope, &export, None).await,
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    };
    let first = match first {
        Ok(first) => first,
        Err(error) => return refusal(error),
    };
    let export = Arc::new(export);
    // Each step writes one page and reads the next; `None` once the last page is out.
    let pages = futures::stream::unfold(Some((ExportWriter::new(format), first)), move |step| {
        let caller = caller.clone();
        let export = export.clone();
        async move {
            let (mut writer, (records, next)) = step?;
            let bytes = match writer.write(&records) {
                Ok(bytes) => bytes,
                Err(error) => return Some((Err(super::downloads::broken(error, WHAT)), None)),
            };
            let following = match next {
                None => None,
                Some(cursor) => {
                    // The scope borrows the caller, so each page takes it anew.
                    let read = match caller.org_admin(org) {
                        Ok(scope) => transfer::member_batch(&scope, &export, Some(cursor)).await,
                        Err(error) => Err(error),
                    };
                    match read {
                        Ok(batch) => Some((writer, batch)),
                        Err(error) => return Some((Err(super::downloads::broken(error, WHAT)), None)),
                    }
                }
            };
            Some((Ok::<Bytes, std::io::Error>(Bytes::from(bytes)), following))
        }
    });
    let (kind, extension) = match format {
        Format::Ndjson => ("application/x-ndjson", "ndjson"),
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    (
        super::downloads::attachment(kind, &format!("users-{org}.{extension}")),
        Body::from_stream(pages),
    )
        .into_response()
}
