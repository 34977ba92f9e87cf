//! What every request shares: configuration, the database, the clock, keys and the hasher.
//! Passed down as data, never a global.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::PasswordHasher;
use crate::db::Database;
use crate::keys::KeyStore;
use crate::limits::Limits;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub database: Database,
    pub clock: Arc<dyn Clock>,
    pub keys: KeyStore,
    pub hasher: PasswordHasher,
    pub limits: Limits,
}
