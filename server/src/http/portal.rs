//! The portal's files. Trunk names every asset after a hash of its content, so those are cached
//! for a year as immutable; `index.html` (which names the current hashes) and everything else
//! must be asked again each time (`no-cache`: revalidated, answered 304 while unchanged).
//! `scripts/build-portal.sh` writes Brotli and gzip copies of each file at build time
//! (`steward-precompress`); a client is sent the best copy it accepts, as it is.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

/// For files whose name carries their content's hash.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Serves `directory`, with `index.html` for every path that names no file (the portal's own
/// routes, resolved in the browser).
pub fn service(directory: &Path) -> axum::routing::Router {
    let files = ServeDir::new(directory)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(
            ServeFile::new(directory.join("index.html"))
                .precompressed_br()
                .precompressed_gzip(),
        );
    axum::routing::Router::new()
        .fallback_service(files)
        .layer(axum::middleware::from_fn(caching))
}

async fn caching(request: Request, next: Next) -> Response {
    let fingerprinted = is_fingerprinted(request.uri().path());
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_success() || status == axum::http::StatusCode::NOT_MODIFIED) {
        return response;
    }
    // A stale asset name falls back to index.html: that answer must not be kept a year.
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|kind| kind.starts_with("text/html"));
    let policy = if fingerprinted && !html { IMMUTABLE } else { REVALIDATE };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Whether the last segment of `path` is a name Trunk gave: `name-<hash>.ext` or
/// `name-<hash>_bg.wasm`, the hash 12 to 16 hexadecimal digits.
fn is_fingerprinted(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let Some((stem, _extension)) = file.split_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    let Some((_, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    (12..=16).contains(&hash.len()) && hash.bytes().all(|byte| byte.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::is_fingerprinted;

    #[test]
    fn trunk_s_names_are_fingerprinted_and_others_are_not() {
        for name in [
            "/frontend-52f43c9a8db9a8e3.js",
            "/frontend-52f43c9a8db9a8e3_bg.wasm",
            "/lists-182ac4e2d060157.css",
        ] {
            assert!(is_fingerprinted(name), "{name}");
        }
        for name in [
            "/",
            "/index.html",
            "/graphiql/graphiql.min.js",
            "/orgs/acme-corp",
            "/users/0193f6c2-8f1e-7b3a-9c4d-5e6f7a8b9c0d",
            "/x-zzzzzzzzzzzzzzzz.js",
        ] {
            assert!(!is_fingerprinted(name), "{name}");
        }
    }
}
