//! `POST /users/import`: an organization's ADMIN (or a superadmin) uploads a file of users —
//! Auth0's NDJSON, or CSV with the same columns — and it is imported in the background, a batch at
//! a time, as `steward import-users` does. The answer (`202`) names the job; its progress and
//! the lines it did not apply are read with the `importJob` query.
//!
//! Query: `orgId` (required), `format` (`ndjson`, the default, or `csv`), `upsert` (update
//! accounts that exist instead of skipping them), `updateShared` (superadmins only: also update
//! accounts other organizations share), `again` (import a file once more whose import finished).
//! The body is the file, up to `STEWARD_IMPORT_MAX_BYTES`.

use axum::body::Body;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::StreamExt;
use serde::Deserialize;
use std::net::SocketAddr;
use tokio::io::AsyncWriteExt;

use super::HttpState;
use crate::domain::import::{self, JobOptions};
use crate::domain::transfer::Format;
use crate::error::Error;
use steward_entity::OrgId;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportQuery {
    org_id: Option<String>,
    format: Option<String>,
    upsert: Option<bool>,
    update_shared: Option<bool>,
    again: Option<bool>,
}

const WHAT: &str = "a users import";

/// Where uploads wait for their job; each is removed when its job ends.
fn upload_directory() -> std::path::PathBuf {
    std::env::temp_dir().join("steward-imports")
}

pub async fn upload(
    State(state): State<HttpState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Response {
    let Ok(Query(query)) = query else {
        return super::downloads::bad_request(
            "unknown or malformed query parameters: orgId, format, upsert, updateShared and again are known",
        );
    };
    let org: OrgId = match query.org_id.as_deref().map(str::parse) {
        None => return super::downloads::bad_request("orgId is required"),
        Some(Ok(org)) => org,
        Some(Err(_)) => return super::downloads::refusal(Error::NotFound, WHAT),
    };
    let (format, extension) = match query.format.as_deref() {
        None | Some("ndjson") => (Format::Ndjson, "ndjson"),
        Some("csv") => (Format::Csv, "csv"),
        Some(_) => return super::downloads::bad_request("format must be ndjson or csv"),
    };
    let peer = peer.map(|Extension(ConnectInfo(address))| address.ip());
    let caller = super::caller_for(&state, &headers, peer).await;
    // Refused before a byte of the file is read.
    let scope = match caller.org_admin(org) {
        Ok(scope) => scope,
        Err(error) => return super::downloads::refusal(error, WHAT),
    };
    if query.update_shared == Some(true) {
        if let Err(error) = caller.superadmin() {
            return super::downloads::refusal(error, WHAT);
        }
    }
    let directory = upload_directory();
    let path = directory.join(format!("{}.{extension}", uuid::Uuid::new_v4()));
    if let Err(error) = save(body, &directory, &path, state.app.config.import_max_bytes).await {
        let _ = tokio::fs::remove_file(&path).await;
        return error;
    }
    let options = JobOptions {
        upsert: query.upsert.unwrap_or(false),
        update_shared: query.update_shared.unwrap_or(false),
        again: query.again.unwrap_or(false),
    };
    match import::start_job(&scope, path, format, options).await {
        Ok(run) => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({
                "id": run.id.to_string(),
                "status": run.status,
                "fileBytes": run.file_bytes,
            })),
        )
            .into_response(),
        Err(error) => super::downloads::refusal(error, WHAT),
    }
}

/// Writes the request's body to `path`, at most `limit` bytes.
async fn save(body: Body, directory: &std::path::Path, path: &std::path::Path, limit: u64) -> Result<(), Response> {
    let internal = |error: std::io::Error| {
        super::downloads::refusal(Error::internal(anyhow::anyhow!("saving an upload: {error}")), WHAT)
    };
    tokio::fs::create_dir_all(directory).await.map_err(internal)?;
    let mut file = tokio::fs::File::create(path).await.map_err(internal)?;
    let mut stream = body.into_data_stream();
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| super::downloads::bad_request("the upload was cut off"))?;
        written += chunk.len() as u64;
        if written > limit {
            return Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the file is larger than {limit} bytes (STEWARD_IMPORT_MAX_BYTES)"),
            )
                .into_response());
        }
        file.write_all(&chunk).await.map_err(internal)?;
    }
    file.flush().await.map_err(internal)?;
    Ok(())
}
