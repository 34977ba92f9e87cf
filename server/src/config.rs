//! Configuration: built-in defaults, then an optional TOML file (`STEWARD_CONFIG`), then `STEWARD_*`
//! environment variables. An unknown key is an error, so a misspelt variable cannot silently fall
//! back to a default.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Any URL sea-orm takes: `sqlite:`, `postgres://`, `mysql://`.
    pub database_url: String,
    /// The listen address.
    pub bind: String,
    /// The base of links in emails; also the access tokens' issuer.
    pub public_url: String,
    /// The built portal.
    pub portal_dir: String,
    /// `smtp://…`, `smtps://…`; unset keeps mail in the outbox.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Comma-separated origins that a ticket's `resultUrl` may point to besides the public URL.
    pub redirect_origins: Option<String>,
    /// `text` or `json`.
    pub log_format: String,
    /// Lifetime of an access token. Short, because a refresh is cheap and revocation is checked
    /// on every request anyway.
    pub access_token_ttl_seconds: i64,
    /// Lifetime of a session not bound to an organization (a bound one takes the org's setting).
    pub session_lifetime_seconds: i64,
    /// How many password hashes may run at once; the rest wait, so a flood of sign-ins cannot
    /// take every core. 0 means the number of cores.
    pub password_hash_concurrency: usize,
    /// Sign-in attempts one client IP may make per minute.
    pub login_attempts_per_ip_per_minute: u32,
    /// Password checks (sign-in, password and address changes) for one account from one client IP
    /// per minute. Keyed by the pair, so that a stranger hammering an account from elsewhere does
    /// not use up its owner's attempts.
    pub login_attempts_per_account_per_minute: u32,
    /// Password checks for one account per minute from all client IPs together: a ceiling against
    /// guessing spread over many addresses, set well above what one IP may send so that one
    /// attacker alone cannot reach it.
    pub login_attempts_per_account_ceiling_per_minute: u32,
    /// Comma-separated addresses or CIDR ranges of reverse proxies whose `X-Forwarded-For` is
    /// believed. Unset: the client IP is the socket's peer.
    pub trusted_proxies: Option<String>,
    /// How often the mail worker looks for mail committed by other instances (it is woken at once
    /// for its own).
    pub mail_poll_interval_ms: u64,
    /// Days that sent, refused and kept (no SMTP) mail stays in the outbox; 0 keeps it forever.
    pub mail_retention_days: u32,
    /// Lifetime of an API client's access token.
    pub client_token_ttl_seconds: i64,
    /// Token requests (`/oauth/token`) one client IP may make per minute.
    pub token_requests_per_ip_per_minute: u32,
    /// Token requests for one API client per minute, from anywhere.
    pub token_requests_per_client_per_minute: u32,
    /// Password-reset and verification mails one client IP may ask for per minute.
    pub mail_requests_per_ip_per_minute: u32,
    /// Password-reset and verification mails one address may be sent per hour on requests from
    /// one client IP.
    pub mail_requests_per_account_per_hour: u32,
    /// Mails one address may be sent per hour on requests from all client IPs together: what
    /// keeps an inbox from being flooded, set above what one IP may ask for.
    pub mail_requests_per_account_ceiling_per_hour: u32,
    /// Mails one admin or API client may cause per hour: user creations and address changes
    /// (each mails a link), invitations, reset and verification links.
    pub admin_mails_per_actor_per_hour: u32,
    /// Mails an admin or API client may have sent to one address per hour.
    pub admin_mails_per_recipient_per_hour: u32,
    /// The longest a request may take, reading its body included: a client that sends its body
    /// a byte at a time gets 408 instead of holding a connection forever.
    pub request_timeout_seconds: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://steward.db?mode=rwc".into(),
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            portal_dir: "dist".into(),
            smtp_url: None,
            mail_from: "Steward <no-reply@localhost>".into(),
            redirect_origins: None,
            log_format: "text".into(),
            access_token_ttl_seconds: 900,
            session_lifetime_seconds: 14 * 24 * 3600,
            password_hash_concurrency: 0,
            login_attempts_per_ip_per_minute: 60,
            login_attempts_per_account_per_minute: 20,
            login_attempts_per_account_ceiling_per_minute: 300,
            trusted_proxies: None,
            mail_poll_interval_ms: 2000,
            mail_retention_days: 30,
            client_token_ttl_seconds: 3600,
            token_requests_per_ip_per_minute: 60,
            token_requests_per_client_per_minute: 30,
            mail_requests_per_ip_per_minute: 10,
            mail_requests_per_account_per_hour: 5,
            mail_requests_per_account_ceiling_per_hour: 20,
            admin_mails_per_actor_per_hour: 300,
            admin_mails_per_recipient_per_hour: 10,
            request_timeout_seconds: 30,
        }
    }
}

impl Config {
    /// Reads the configuration from the file named by `STEWARD_CONFIG` (if any) and the
    /// environment.
    pub fn load() -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Ok(path) = std::env::var("STEWARD_CONFIG") {
            figment = figment.merge(Toml::file_exact(path));
        }
        let config: Config = figment
            .merge(Env::prefixed("STEWARD_").ignore(&["config"]))
            .extract()
            .map_err(|error| anyhow::anyhow!("invalid configuration: {error}"))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if !matches!(self.log_format.as_str(), "text" | "json") {
            anyhow::bail!("invalid configuration: log_format must be `text` or `json`");
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            anyhow::bail!("invalid configuration: public_url must start with http:// or https://");
        }
        TrustedProxies::parse(self.trusted_proxies.as_deref())?;
        if self.request_timeout_seconds == 0 {
            anyhow::bail!("invalid configuration: request_timeout_seconds must be at least 1");
        }
        if self.access_token_ttl_seconds < 10
            || self.session_lifetime_seconds < 60
            || self.client_token_ttl_seconds < 10
        {
            anyhow::bail!("invalid configuration: token lifetimes are too short");
        }
        Ok(())
    }

    /// The public URL without a trailing slash.
    pub fn public_base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }
}

/// The reverse proxies whose `X-Forwarded-For` the operator trusts (`trusted_proxies`): a
/// comma-separated list of addresses and CIDR ranges.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR ranges.
    pub fn parse(list: Option<&str>) -> anyhow::Result<Self> {
        let mut networks = Vec::new();
        for entry in list
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
        {
            let network = match entry.parse::<IpNet>() {
                Ok(network) => network,
                Err(_) => IpNet::from(
                    entry
                        .parse::<IpAddr>()
                        .map_err(|_| anyhow::anyhow!("invalid configuration: trusted_proxies entry `{entry}`"))?,
                ),
            };
            networks.push(network);
        }
        Ok(Self(networks))
    }

    pub fn trusts(&self, address: &IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(address))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
