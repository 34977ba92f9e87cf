//! `POST /oauth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) for partner
//! applications. The client authenticates with HTTP Basic or with `client_id` and
//! `client_secret` in the body; the body is a form or JSON. Errors follow RFC 6749 §5.2.

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

use super::HttpState;
use crate::domain::api_clients::{self, TokenError};
use crate::domain::authz::Caller;

#[derive(Debug, Default, Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    let mut response = (status, Json(json!({ "error": code, "error_description": description }))).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"steward\""),
        );
    }
    response
}

/// `client_id:client_secret` from an `Authorization: Basic` header, each part form-decoded as
/// RFC 6749 §2.3.1 asks.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let form_decode = |part: &str| {
        percent_encoding::percent_decode_str(&part.replace('+', " "))
            .decode_utf8()
            .ok()
            .map(|text| text.into_owned())
    };
    Some((form_decode(id)?, form_decode(secret)?))
}

fn parse_body(headers: &HeaderMap, body: &Bytes) -> Option<TokenRequest> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if json {
        serde_json::from_slice(body).ok()
    } else {
        serde_urlencoded::from_bytes(body).ok()
    }
}

pub async fn token(
    State(state): State<HttpState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Bytes,
) -> Response {
    let Some(request) = parse_body(&headers, &body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body is not a form or JSON token request",
        );
    };
    if request.grant_type.as_deref() != Some("client_credentials") {
        return error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only grant_type=client_credentials is supported",
        );
    }
    let credentials =
        basic_credentials(&headers).or_else(|| request.client_id.clone().zip(request.client_secret.clone()));
    let Some((client_id, secret)) = credentials else {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required",
        );
    };
    let peer = peer.map(|Extension(ConnectInfo(address))| address.ip());
    let ip = state
        .proxies
        .client_ip(peer, &headers)
        .map(|address| address.to_string());
    let caller = Caller::from_bearer(state.app.clone(), None, ip, None).await;
    match api_clients::issue_token(&caller.public(), &client_id, &secret, request.scope.as_deref()).await {
        Ok(issued) => {
            let body = json!({
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
                "scope": issued.scope,
            });
            let mut response = Json(body).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            response
        }
        Err(TokenError::InvalidClient) => error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        ),
        Err(TokenError::InvalidScope) => error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "the client does not hold every requested scope",
        ),
        Err(TokenError::Internal) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the server could not issue a token; try again",
        ),
        Err(TokenError::RateLimited) => error(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "too many token requests; try again later",
        ),
    }
}
