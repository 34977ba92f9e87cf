//! The GraphQL endpoint. Each request gets its `Caller` from the bearer token, the socket's
//! address and the refresh cookie; mutations are refused over GET so that a link cannot change
//! anything.

use async_graphql::parser::types::OperationType;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
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
    let ip = peer.map(|Extension(ConnectInfo(address))| address.ip().to_string());
    let user_agent = header_text(&headers, header::USER_AGENT).map(|agent| agent.chars().take(512).collect());
    let refresh = header_text(&headers, header::COOKIE).and_then(|cookie| cookies::read(&cookie));
    let caller = Caller::from_bearer(state.app.clone(), bearer.as_deref(), ip, user_agent).await;
    let request = request.data(caller).data(RefreshCookie(refresh));
    ensure_codes(state.schema.execute(request).await).into()
}

pub async fn post(
    State(state): State<HttpState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    request: GraphQLRequest,
) -> GraphQLResponse {
    execute(state, headers, peer, request.into_inner()).await
}

pub async fn get(
    State(state): State<HttpState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let request = request.into_inner();
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
        return response.into();
    }
    execute(state, headers, peer, request).await
}
