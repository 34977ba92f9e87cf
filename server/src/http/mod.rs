//! Routes: `/graphql`, `/graphiql`, `/schema.graphql`, `/oauth/token`, `/.well-known/jwks.json`,
//! health, and the portal with a fallback to `index.html` for its client-side routes.

mod audit_export;
mod client_ip;
mod downloads;

pub use client_ip::TrustedProxies;
mod graphiql;
mod graphql;
pub mod metrics;
mod oauth;
mod portal;
mod users_export;
mod users_import;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::path::PathBuf;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::domain::state::AppState;
use crate::graphql::StewardSchema;

/// The largest request body accepted: GraphQL documents and metadata patches are small.
const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: StewardSchema,
    pub proxies: TrustedProxies,
}

pub fn router(app: AppState) -> Router {
    metrics::init();
    let portal = PathBuf::from(&app.config.portal_dir);
    let portal_service = portal::service(&portal);
    // Checked when the configuration was loaded.
    let proxies = TrustedProxies::parse(app.config.trusted_proxies.as_deref()).unwrap_or_default();
    let timeout = Duration::from_secs(app.config.request_timeout_seconds);
    let state = HttpState {
        app,
        schema: crate::graphql::schema(),
        proxies,
    };
    // A file of users is larger than any other body: its route has a limit of its own.
    let uploads = Router::new()
        .route("/users/import", axum::routing::post(users_import::upload))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(
            usize::try_from(state.app.config.import_max_bytes.saturating_add(1)).unwrap_or(usize::MAX),
        ));
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(graphql::subscribe))
        .route("/graphiql", get(graphiql::page))
        .route("/schema.graphql", get(schema_sdl))
        .route("/oauth/token", axum::routing::post(oauth::token))
        .route("/audit/export", get(audit_export::export))
        .route("/users/export", get(users_export::export))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .fallback_service(portal_service)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .merge(uploads)
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::from_fn(move |request, next| {
            deadline(timeout, request, next)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// The caller a request's headers name: its bearer token, its client address (through trusted
/// proxies only) and its user agent.
pub(crate) async fn caller_for(
    state: &HttpState,
    headers: &axum::http::HeaderMap,
    peer: Option<std::net::IpAddr>,
) -> crate::domain::authz::Caller {
    let text = |name: header::HeaderName| headers.get(name).and_then(|value| value.to_str().ok());
    let bearer = text(header::AUTHORIZATION)
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|token| token.trim().to_owned());
    let ip = state
        .proxies
        .client_ip(peer, headers)
        .map(|address| address.to_string());
    let user_agent = text(header::USER_AGENT).map(|agent| agent.chars().take(512).collect());
    crate::domain::authz::Caller::from_bearer(state.app.clone(), bearer.as_deref(), ip, user_agent).await
}

/// The span every log line of a request carries: its id (`X-Request-Id`, made here unless a
/// proxy sent one, and returned to the client), method and path. The query string is left out:
/// a link's token can travel in one.
fn request_span(request: &Request) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    )
}

/// Answers 408 when a request takes longer than `timeout`, reading its body included: a client
/// that trickles its body in a byte at a time cannot hold a connection and a task forever.
async fn deadline(timeout: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, "the request took too long").into_response(),
    }
}

async fn schema_sdl(State(state): State<HttpState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        state.schema.sdl(),
    )
}

async fn jwks(State(state): State<HttpState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(state.app.keys.jwks()),
    )
}

async fn healthz() -> &'static str {
    "ok"
}

/// 200 when this instance can serve; 503 with the reason while it cannot (a load balancer takes
/// it out of rotation, and back once the database is).
/// 503 with the reason while this instance cannot serve. An instance that serves with less than
/// its configuration asks (rate limits on its own while Redis is away) stays ready, since taking
/// it out of rotation would stop sign-ins, and says so in the body.
async fn readyz(State(state): State<HttpState>) -> impl IntoResponse {
    match state.app.database.readiness().await {
        Ok(()) => match state.app.limits.degraded() {
            None => (StatusCode::OK, "ready".to_owned()),
            Some(why) => (StatusCode::OK, format!("ready, degraded: {why}")),
        },
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why.to_owned()),
    }
}
