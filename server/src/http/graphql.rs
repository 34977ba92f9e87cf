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
use crate::authz::Caller;
use crate::graphql::cookies::{self, RefreshCookie};
use crate::graphql::ensure_codes;

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
    let bearer = header_text(&headers, header::AUTHORIZATION)
        .and_then(|value| value.strip_prefix("Bearer ").map(|token| token.trim().to_owned()));
    let peer = peer.map(|Extension(ConnectInfo(address))| address.ip());
    let ip = state
        .proxies
        .client_ip(peer, &headers)
        .map(|address| address.to_string());
    let user_agent = header_text(&headers, header::USER_AGENT).map(|agent| agent.chars().take(512).collect());
    let refresh = header_text(&headers, header::COOKIE).and_then(|cookie| cookies::read(&cookie));
    let caller = Caller::from_bearer(state.app.clone(), bearer.as_deref(), ip, user_agent).await;
    let request = request
        .data(caller)
        .data(RefreshCookie(refresh))
        .data(crate::graphql::loaders::for_request(state.app.clone()));
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

pub async fn post(
    State(state): State<HttpState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
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
    let is_mutation = async_graphql::parser::parse_query(&request.query)
        .map(|document| {
            document
                .operations
                .iter()
                .any(|(_, operation)| operation.node.ty != OperationType::Query)
        })
        .unwrap_or(false);
    if is_mutation {
        let error = async_graphql::ServerError::new("mutations must be sent with POST", None);
        let mut response = async_graphql::Response::from_errors(vec![error]);
        response = ensure_codes(response);
        return GraphQLResponse::from(response).into_response();
    }
    execute(state, headers, peer, request).await.into_response()
}
