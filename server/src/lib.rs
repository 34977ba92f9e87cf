//! Steward: multi-tenant user profile management.
//!
//! Layers stack one way: `http` → `graphql` → `domain` → `domain::authz` → `policy` →
//! `steward_entity` (ARCHITECTURE.md). Only `domain` can send the database a statement.
//! [`app`] is the one constructor of the HTTP service; `main` and every test use it.

pub mod clock;
pub mod config;
pub mod counters;
pub mod crypto;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod limits;
pub mod mail;
pub mod policy;

use std::sync::Arc;

pub use config::Config;
pub use domain::state::AppState;

use clock::Clock;
use domain::authz::keys::KeyStore;
use domain::database::Database;
use domain::hasher::PasswordHasher;

impl AppState {
    /// Connects to the database, applies pending migrations and loads (or creates) the signing
    /// key. The mail worker is started apart ([`domain::delivery::spawn`]), by whoever serves.
    pub async fn start(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let database = Database::connect(&config.database_url).await?;
        database.migrate().await?;
        let secret = config.key_encryption_key()?;
        if let Some(path) = &secret.created {
            tracing::warn!(
                file = %path.display(),
                "created the key-encryption key file beside the database: back it up with the database, \
                 since the signing keys cannot be read without it (or set STEWARD_SECRET_KEY)"
            );
        }
        let token_lifetime =
            chrono::Duration::seconds(config.access_token_ttl_seconds.max(config.client_token_ttl_seconds));
        let keys = KeyStore::load(
            database.clone(),
            clock.as_ref(),
            config.public_base().to_owned(),
            &secret.key,
            token_lifetime,
        )
        .await?;
        let hasher = PasswordHasher::new(config.password_hash_concurrency);
        let limits = limits::Limits::new(&config);
        let mailer = mail::Mailer::new(&config)?;
        let forget = limits.clone();
        tokio::spawn(async move {
            let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every_minute.tick().await;
                forget.forget_idle();
            }
        });
        let state = Self {
            config: Arc::new(config),
            database,
            clock,
            keys,
            hasher,
            limits,
            mailer,
            background: domain::background::Background::default(),
        };
        let pruner = state.clone();
        tokio::spawn(async move {
            let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                every_hour.tick().await;
                let command_line = domain::authz::CommandLine::new(pruner.clone());
                if let Err(error) = domain::audit_chain::prune(&command_line.operator()).await {
                    tracing::warn!(error = %error, "old audit events could not be removed; this is tried again");
                }
            }
        });
        let keeper = state.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(domain::authz::keys::REFRESH_EVERY);
            every.tick().await;
            loop {
                every.tick().await;
                if let Err(error) = keeper.refresh_signing_keys().await {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "the signing keys could not be read again; this is tried again"
                    );
                }
            }
        });
        Ok(state)
    }

    /// What every instance does once a minute: rotates the signing key when
    /// `key_rotation_days` have passed, and reads the keys again (a key another instance made
    /// starts signing here too; a retired key whose tokens have expired leaves).
    pub async fn refresh_signing_keys(&self) -> anyhow::Result<()> {
        let now = self.clock.now();
        let every =
            (self.config.key_rotation_days > 0).then(|| chrono::Duration::days(self.config.key_rotation_days.into()));
        if !self.keys.rotate_if_due(now, every).await? {
            self.keys.refresh(now).await?;
        }
        Ok(())
    }
}

/// The HTTP service: the API, GraphiQL and the portal.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}

/// Prints the one-time setup link when no superadmin exists yet.
pub async fn announce_setup_link(state: &AppState) -> anyhow::Result<Option<String>> {
    let caller = domain::authz::CommandLine::new(state.clone());
    let link = domain::setup::setup_link_if_needed(&caller.operator()).await?;
    Ok(link)
}
