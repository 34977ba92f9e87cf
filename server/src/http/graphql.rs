//! The GraphQL endpoint. Each request gets its `Caller` from the bearer token, the socket's
//! address and the refresh cookie; mutations are refused over GET so that a link cannot change
//! anything.

use async_graphql::parser::types::OperationType;
use async_graphql::ParseRequestError;
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::net::SocketAddr;

use super::HttpState;
use crate::graphql::cookies::{self, RefreshCookie};
use crate::graphql::ensure_codes;

/// What a subscription sent over HTTP is told.
const OVER_WEBSOCKET: &str = "subscriptions are served over WebSocket at /graphql/ws (graphql-transport-ws)";

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

async fn execute(
    state: HttpState,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    request: async_graphql::Request,
) -> GraphQLResponse {
    let peer = peer.map(|Extension(ConnectInfo(address))| address.ip());
    let refresh = header_text(&headers, header::COOKIE).and_then(|cookie| cookies::read(&cookie));
    let mut request = request;
    if let Some(name) = request.operation_name.clone() {
        if let Ok(document) = request.parsed_query() {
            let mut document = document.clone();
            crate::graphql::documents::keep_named_operation(&mut document, &name);
            request.set_parsed_query(document);
        }
    }
    if let Ok(document) = request.parsed_query() {
        let subscription = document
            .operations
            .iter()
            .any(|(_, operation)| operation.node.ty == OperationType::Subscription);
        if subscription {
            let error = async_graphql::ServerError::new(OVER_WEBSOCKET, None);
            return ensure_codes(async_graphql::Response::from_errors(vec![error])).into();
        }
        if let Err(why) = crate::graphql::documents::expanded_size(document) {
            let error = async_graphql::ServerError::new(why, None);
            return ensure_codes(async_graphql::Response::from_errors(vec![error])).into();
        }
    }
    let caller = super::caller_for(&state, &headers, peer).await;
    let loaders = crate::graphql::loaders::for_request(caller.lookups());
    let request = request
        .data(caller)
        .data(RefreshCookie(refresh))
        .data(loaders)
        .data(crate::graphql::SignedInCallers::default());
    ensure_codes(state.schema.execute(request).await).into()
}

/// A body or query string that is no GraphQL request still gets a GraphQL error with a code,
/// not the extractor's debug text.
fn not_a_request(rejection: GraphQLRejection) -> Response {
    if matches!(rejection.0, ParseRequestError::PayloadTooLarge) {
        return rejection.into_response();
    }
    let error = async_graphql::ServerError::new(rejection.0.to_string(), None);
    let response: GraphQLResponse = ensure_codes(async_graphql::Response::from_errors(vec![error])).into();
    (StatusCode::BAD_REQUEST, response).into_response()
}

/// Whether a POST body is declared JSON. Forms, multipart and text bodies are refused: a browser
/// sends those cross-site without asking (no CORS preflight), so accepting them would let any page
/// submit a mutation, and multipart would let it upload files besides.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"))
}

pub async fn post(
    State(state): State<HttpState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    if !is_json(&headers) {
        let error = async_graphql::ServerError::new("the body must be JSON (Content-Type: application/json)", None);
        let response: GraphQLResponse = ensure_codes(async_graphql::Response::from_errors(vec![error])).into();
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, response).into_response();
    }
    match request {
        Ok(request) => execute(state, headers, peer, request.into_inner())
            .await
            .into_response(),
        Err(rejection) => not_a_request(rejection),
    }
}

pub async fn get(
    State(state): State<HttpState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    let request = match request {
        Ok(request) => request.into_inner(),
        Err(rejection) => return not_a_request(rejection),
    };
    let kinds: Vec<OperationType> = async_graphql::parser::parse_query(&request.query)
        .map(|document| {
            document
                .operations
                .iter()
                .map(|(_, operation)| operation.node.ty)
                .collect()
        })
        .unwrap_or_default();
    let refusal = if kinds.contains(&OperationType::Mutation) {
        Some("mutations must be sent with POST")
    } else if kinds.contains(&OperationType::Subscription) {
        Some(OVER_WEBSOCKET)
    } else {
        None
    };
    if let Some(refusal) = refusal {
        let error = async_graphql::ServerError::new(refusal, None);
        let mut response = async_graphql::Response::from_errors(vec![error]);
        response = ensure_codes(response);
        return GraphQLResponse::from(response).into_response();
    }
    execute(state, headers, peer, request).await.into_response()
}

/// `GET /graphql/ws`: GraphQL subscriptions over WebSocket (graphql-transport-ws, and the older
/// graphql-ws). The connection's init payload carries the access token
/// (`{"Authorization": "Bearer …"}`, or `{"token": "…"}`); a connection without a valid one is
/// closed (close code 1002, with the reason). Each subscription checks the viewer's right itself, at subscribe and before
/// every delivery.
pub async fn subscribe(
    State(state): State<HttpState>,
    protocol: async_graphql_axum::GraphQLProtocol,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    upgrade: axum::extract::ws::WebSocketUpgrade,
) -> Response {
    let peer = peer.map(|Extension(ConnectInfo(address))| address.ip());
    let ip = state
        .proxies
        .client_ip(peer, &headers)
        .map(|address| address.to_string());
    let user_agent: Option<String> =
        header_text(&headers, header::USER_AGENT).map(|agent| agent.chars().take(512).collect());
    let schema = state.schema.clone();
    let app = state.app.clone();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            async_graphql_axum::GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| connection_init(app, payload, ip, user_agent))
                .serve()
        })
}

/// Signs a WebSocket connection in with the token its init payload carries.
async fn connection_init(
    app: crate::domain::state::AppState,
    payload: serde_json::Value,
    ip: Option<String>,
    user_agent: Option<String>,
) -> async_graphql::Result<async_graphql::Data> {
    let field = |name: &str| payload.get(name).and_then(|value| value.as_str());
    let token = field("Authorization")
        .or_else(|| field("authorization"))
        .map(|value| value.strip_prefix("Bearer ").unwrap_or(value))
        .or_else(|| field("token"))
        .map(|token| token.trim().to_owned())
        .ok_or_else(|| async_graphql::Error::new("the connection's init payload carries no access token"))?;
    let credentials = crate::domain::authz::Credentials::new(app, token, ip, user_agent);
    let caller = credentials.caller().await;
    if caller.authenticated().is_err() {
        return Err(async_graphql::Error::new("the access token is not valid"));
    }
    let mut data = async_graphql::Data::default();
    data.insert(crate::graphql::loaders::for_request(caller.lookups()));
    data.insert(caller);
    data.insert(credentials);
    data.insert(crate::graphql::documents::OverWebSocket);
    Ok(data)
}
