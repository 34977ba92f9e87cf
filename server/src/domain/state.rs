//! What every request shares: configuration, the database, the clock, keys, the hasher,
//! rate limits, the mailer and the background tasks.
//! Passed down as data, never a global.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::authz::keys::KeyStore;
use crate::domain::background::Background;
use crate::domain::database::Database;
use crate::domain::hasher::PasswordHasher;
use crate::limits::Limits;
use crate::mail::Mailer;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub database: Database,
    pub clock: Arc<dyn Clock>,
    pub keys: KeyStore,
    pub hasher: PasswordHasher,
    pub limits: Limits,
    pub mailer: Mailer,
    pub background: Background,
}
