//! Configuration: built-in defaults, then an optional TOML file (`STEWARD_CONFIG`), then `STEWARD_*`
//! environment variables. An unknown key is an error, so a misspelt variable cannot silently fall
//! back to a default.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

use crate::crypto::SecretKey;

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
    /// The largest file of users `POST /users/import` accepts.
    pub import_max_bytes: u64,
    /// The key-encryption key (32 random bytes, base64 or hex) that seals the signing keys in the
    /// database. Every instance on one database needs the same one.
    pub secret_key: Option<SecretText>,
    /// A file holding the key-encryption key, instead of `secret_key`. With neither, a SQLite
    /// database gets a key file beside it (`<database>.key`, mode 0600) on first start.
    pub secret_key_file: Option<String>,
    /// Days after which a new signing key takes over (0: only `steward rotate-keys`). The old
    /// key stays published until the tokens it signed have expired.
    pub key_rotation_days: u32,
    /// Days that audit events are kept (0: forever). Older ones are removed, chain by chain,
    /// keeping the hash at the cut so that what remains still verifies.
    pub audit_retention_days: u32,
    /// `redis://…`: share every rate limit among all instances through this Redis, exactly.
    /// Unset, each instance keeps its own limits in memory. While Redis cannot be reached,
    /// each instance falls back to its own limits and `/readyz` says so.
    pub redis_url: Option<SecretText>,
    /// The prefix of the keys Steward writes in Redis, for deployments that share one.
    pub redis_prefix: String,
}

/// A secret in the configuration: read like any string, never printed.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"<redacted>\"")
    }
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
            import_max_bytes: 256 * 1024 * 1024,
            secret_key: None,
            secret_key_file: None,
            key_rotation_days: 30,
            audit_retention_days: 0,
            redis_url: None,
            redis_prefix: "steward".into(),
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

    /// Refuses a configuration Steward cannot run with, naming the setting (never a secret's value).
    pub fn validate(&self) -> anyhow::Result<()> {
        if !matches!(self.log_format.as_str(), "text" | "json") {
            anyhow::bail!("invalid configuration: log_format must be `text` or `json`");
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            anyhow::bail!("invalid configuration: public_url must start with http:// or https://");
        }
        TrustedProxies::parse(self.trusted_proxies.as_deref())?;
        if let Some(url) = &self.redis_url {
            // The URL may carry a password: the message names the setting, not its value.
            if redis::Client::open(url.0.as_str()).is_err() {
                anyhow::bail!("invalid configuration: redis_url is not a redis:// URL");
            }
        }
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

    /// The file of the SQLite database, when the database is a SQLite file (not in memory).
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        let rest = self.database_url.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() || path == ":memory:" || query.split('&').any(|pair| pair == "mode=memory") {
            return None;
        }
        Some(std::path::PathBuf::from(path))
    }

    /// The key-encryption key: `secret_key`, else the file `secret_key_file` names, else the key
    /// file beside a SQLite database (made on first start: `created` says so), else, for a
    /// database in memory, a key that lives as long as it. A server database (PostgreSQL,
    /// MariaDB) needs one configured, since every instance on it must share it.
    pub fn key_encryption_key(&self) -> anyhow::Result<KeyEncryptionKey> {
        if let Some(text) = &self.secret_key {
            return Ok(KeyEncryptionKey::configured(SecretKey::parse(&text.0)?));
        }
        if let Some(path) = &self.secret_key_file {
            let text = std::fs::read_to_string(path)
                .map_err(|error| anyhow::anyhow!("invalid configuration: secret_key_file `{path}`: {error}"))?;
            return Ok(KeyEncryptionKey::configured(SecretKey::parse(&text)?));
        }
        let Some(database) = self.sqlite_file() else {
            if self.database_url.starts_with("sqlite:") {
                return Ok(KeyEncryptionKey::configured(SecretKey::generate()));
            }
            anyhow::bail!(
                "invalid configuration: set STEWARD_SECRET_KEY (32 random bytes in base64, e.g. from \
                 `openssl rand -base64 32`) or STEWARD_SECRET_KEY_FILE: the signing keys are stored \
                 encrypted under it, and every instance on this database needs the same one"
            );
        };
        let mut path = database.into_os_string();
        path.push(".key");
        let path = std::path::PathBuf::from(path);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(KeyEncryptionKey::configured(
                SecretKey::parse(&text).map_err(|error| anyhow::anyhow!("{error} (in {})", path.display()))?,
            )),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = SecretKey::generate();
                write_private_file(&path, &key.to_text())?;
                Ok(KeyEncryptionKey {
                    key,
                    created: Some(path),
                })
            }
            Err(error) => anyhow::bail!("reading the key file {}: {error}", path.display()),
        }
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

/// The key-encryption key, and the key file made for it on this start, if one was.
pub struct KeyEncryptionKey {
    pub key: SecretKey,
    pub created: Option<std::path::PathBuf>,
}

impl KeyEncryptionKey {
    fn configured(key: SecretKey) -> Self {
        Self { key, created: None }
    }
}

/// Writes a new file that only its owner may read (mode 0600 on Unix); an existing file is never
/// overwritten.
fn write_private_file(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|error| anyhow::anyhow!("creating the key file {}: {error}", path.display()))?;
    file.write_all(format!("{contents}\n").as_bytes())?;
    file.sync_all()?;
    Ok(())
}
