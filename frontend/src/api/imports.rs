//! Import jobs: a file of users uploaded to `POST /users/import`, imported in the background, and
//! its progress read with `importJob` until it ends.

use graphql_client::GraphQLQuery;
use wasm_bindgen_futures::JsFuture;

use super::client::{execute, refresh, send, Session};
use super::error::{ApiError, ErrorCode};

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/imports.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone, PartialEq"
)]
pub struct ImportJob;

pub type Job = import_job::ImportJobImportJob;
pub use import_job::{ImportOutcome, ImportStatus};

/// Uploads `file` for import into the organization; answers the job's id. A session whose access
/// token expired is refreshed once.
pub async fn upload(
    session: Session,
    organization_id: String,
    file: web_sys::File,
    upsert: bool,
) -> Result<String, ApiError> {
    let csv = file.name().to_ascii_lowercase().ends_with(".csv");
    let url = format!(
        "/users/import?orgId={organization_id}&format={}&upsert={upsert}",
        if csv { "csv" } else { "ndjson" }
    );
    let mut refreshed = false;
    loop {
        let token = session.access_token();
        let (status, text) = send(&url, &file, None, token.as_deref())
            .await
            .map_err(|_| ApiError::local(ErrorCode::Network, "The server cannot be reached."))?;
        match status {
            202 => {
                let answer: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|error| ApiError::local(ErrorCode::UnexpectedResponse, error.to_string()))?;
                return answer["id"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::local(ErrorCode::UnexpectedResponse, "The answer named no job."));
            }
            401 if !refreshed => {
                refresh(session).await?;
                refreshed = true;
            }
            401 => return Err(ApiError::local(ErrorCode::Unauthenticated, "Sign in again.")),
            403 => return Err(ApiError::local(ErrorCode::Forbidden, text)),
            404 => return Err(ApiError::local(ErrorCode::NotFound, text)),
            413 => return Err(ApiError::local(ErrorCode::BadUserInput, text)),
            429 => return Err(ApiError::local(ErrorCode::RateLimited, "Too many requests.")),
            _ => return Err(ApiError::local(ErrorCode::BadUserInput, text)),
        }
    }
}

pub async fn load(session: Session, id: String) -> Result<Option<Job>, ApiError> {
    Ok(execute::<ImportJob>(session, import_job::Variables { id })
        .await?
        .import_job)
}

/// Waits `milliseconds` without blocking the page.
pub async fn pause(milliseconds: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, milliseconds);
        }
    });
    let _ = JsFuture::from(promise).await;
}
