//! What the streamed downloads (`/audit/export`, `/users/export`) share: a refusal before the
//! first byte is an HTTP status with the reason; a failure after it cuts the connection, so the
//! client sees an incomplete download rather than a short file that looks whole.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::Error;

pub(super) fn bad_request(why: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, why.into()).into_response()
}

/// The status and reason for an error before the first byte; an internal error is logged with
/// `what` and shown only as "internal error".
pub(super) fn refusal(error: Error, what: &str) -> Response {
    let status = match error {
        Error::Unauthenticated | Error::UserBlocked => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    if let Error::Internal(cause) = &error {
        tracing::error!(error = format!("{cause:#}"), "{what} failed");
        return (status, "internal error").into_response();
    }
    (status, error.to_string()).into_response()
}

/// A failure mid-stream, as the body's error: the connection is cut.
pub(super) fn broken(error: Error, what: &str) -> std::io::Error {
    tracing::error!(error = %error, "{what} stopped");
    std::io::Error::other("the download stopped")
}

/// The headers of a download named `filename`, never cached.
pub(super) fn attachment(kind: &str, filename: &str) -> [(header::HeaderName, String); 3] {
    [
        (header::CONTENT_TYPE, kind.to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ),
        (header::CACHE_CONTROL, "no-store".to_owned()),
    ]
}
