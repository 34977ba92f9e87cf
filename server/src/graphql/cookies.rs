//! The browser's refresh-token cookie: HttpOnly (no script can read it), SameSite=Strict (no other
//! site can send it), scoped to the GraphQL endpoint.

use crate::config::Config;

pub const REFRESH_COOKIE: &str = "steward_refresh";

/// The refresh token the browser sent, if any; put into the request's data by the HTTP layer.
pub struct RefreshCookie(pub Option<String>);

fn secure(config: &Config) -> &'static str {
    if config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

pub fn refresh_cookie(config: &Config, token: &str) -> String {
    format!(
        "{REFRESH_COOKIE}={token}; Path=/graphql; HttpOnly; SameSite=Strict; Max-Age={}{}",
        config.session_lifetime_seconds.max(365 * 24 * 3600),
        secure(config)
    )
}

pub fn clear_refresh_cookie(config: &Config) -> String {
    format!(
        "{REFRESH_COOKIE}=; Path=/graphql; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(config)
    )
}

/// Finds the refresh cookie in a `Cookie` header.
pub fn read(cookie_header: &str) -> Option<String> {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == REFRESH_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}
