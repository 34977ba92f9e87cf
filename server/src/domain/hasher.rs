//! Password hashing: argon2id at the OWASP minimum, on a bounded pool. Every hash needs the
//! request's one [`PasswordOperation`], which only `authz` hands out, so that no request makes the
//! server hash for more than one operation, and nothing outside `domain` can hash at all.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::OsRng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

use super::authz::PasswordOperation;
use crate::crypto::random_token;
use crate::error::{Error, Result};

/// Argon2id at the OWASP minimum (19 MiB, 2 passes, 1 lane), run on the blocking pool behind a
/// semaphore: a flood of sign-ins queues here instead of starving other requests.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the user does not exist, so that an
    /// unknown email takes as long as a wrong password.
    dummy_hash: Arc<String>,
    /// Hashes computed (verifications included): what tests read to see that the work ran, or
    /// did not.
    computed: Arc<AtomicU64>,
}

/// What verifying a password found.
pub struct Verified {
    pub matches: bool,
    /// The stored hash uses other parameters than today's: store a fresh one.
    pub needs_rehash: bool,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| Error::internal(anyhow::anyhow!("hashing a password failed: {error}")))
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Self {
        let permits = if concurrency == 0 {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
        } else {
            concurrency
        };
        let dummy = hash_now(&random_token()).expect("hashing works");
        Self {
            permits: Arc::new(Semaphore::new(permits)),
            dummy_hash: Arc::new(dummy),
            computed: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many hashes this instance has computed, verifications included.
    pub fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        tokio::task::spawn_blocking(work).await.map_err(Error::internal)
    }

    pub(in crate::domain) async fn hash(&self, _operation: &PasswordOperation, password: &str) -> Result<String> {
        let password = password.to_owned();
        let computed = self.computed.clone();
        self.run(move || {
            computed.fetch_add(1, Ordering::Relaxed);
            hash_now(&password)
        })
        .await?
    }

    /// Verifies `password` against `stored` (argon2, or bcrypt from an import), or against the
    /// dummy hash when there is no stored hash (then it never matches, after the same work).
    pub(in crate::domain) async fn verify(
        &self,
        _operation: &PasswordOperation,
        password: &str,
        stored: Option<&str>,
    ) -> Result<Verified> {
        let password = password.to_owned();
        let known = stored.is_some();
        let stored = stored
            .map(str::to_owned)
            .unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let computed = self.computed.clone();
        self.run(move || {
            if stored.starts_with("$2") {
                // bcrypt, as imported from elsewhere: replaced by argon2id once it matches.
                computed.fetch_add(1, Ordering::Relaxed);
                let matches = bcrypt::verify(&password, &stored).unwrap_or(false) && known;
                return Verified {
                    matches,
                    needs_rehash: matches,
                };
            }
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return Verified {
                    matches: false,
                    needs_rehash: false,
                };
            };
            // The hash runs first: `known &&` before it would skip the work for an unknown
            // account and tell it apart by time.
            computed.fetch_add(1, Ordering::Relaxed);
            let matches = argon2().verify_password(password.as_bytes(), &parsed).is_ok() && known;
            let current = argon2();
            let needs_rehash = matches
                && (parsed.algorithm != argon2::ARGON2ID_IDENT
                    || Params::try_from(&parsed)
                        .map(|params| &params != current.params())
                        .unwrap_or(true));
            Verified { matches, needs_rehash }
        })
        .await
    }
}
