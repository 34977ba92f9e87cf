//! The client's IP address: the socket's peer, or — only when the peer is a reverse proxy the
//! operator trusts — the nearest untrusted address in `X-Forwarded-For`. Lockouts and rate limits
//! key on it, so a client must not be able to choose it by sending a header.

use axum::http::HeaderMap;
use std::net::IpAddr;

pub use crate::config::TrustedProxies;

impl TrustedProxies {
    /// The client address for a request that arrived from `peer`.
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(&peer) {
            return Some(peer);
        }
        // Walk the chain from the nearest hop outwards; the first address no trusted proxy
        // vouches for is the client.
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
            .collect();
        let mut client = peer;
        for hop in forwarded.into_iter().rev() {
            client = hop;
            if !self.trusts(&hop) {
                break;
            }
        }
        Some(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let proxies = TrustedProxies::parse(Some("10.0.0.0/8")).unwrap();
        let ip = proxies.client_ip(Some("203.0.113.9".parse().unwrap()), &headers("198.51.100.1"));
        assert_eq!(ip, Some("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn a_trusted_proxy_names_the_nearest_untrusted_hop() {
        let proxies = TrustedProxies::parse(Some("10.0.0.0/8, 192.0.2.1")).unwrap();
        let chain = headers("198.51.100.77, 203.0.113.5, 192.0.2.1");
        let ip = proxies.client_ip(Some("10.1.2.3".parse().unwrap()), &chain);
        assert_eq!(ip, Some("203.0.113.5".parse().unwrap()));
    }

    #[test]
    fn bad_entries_are_refused() {
        assert!(TrustedProxies::parse(Some("not-an-ip")).is_err());
        assert!(TrustedProxies::parse(None).unwrap().is_empty());
    }
}
