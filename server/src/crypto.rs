//! Random tokens, token hashes and password hashing.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// 256 random bits from the OS, base64url: the secret of a link, a refresh token or a setup link.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a token, hex. Tokens are stored only in this form; they carry 256 bits of
/// entropy, so a fast hash is enough and the hash is what the database looks up.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Constant-time equality, for comparing secrets.
pub fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    left.len() == right.len() && bool::from(left.ct_eq(right))
}

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

/// Leave to check or hash passwords for one operation of one request. Only
/// [`crate::domain::authz::Caller::password_operation`] hands one out, once per request, and the hasher
/// wants one for every hash: so no request, however many aliases it holds, makes the server hash
/// for more than one operation.
pub struct PasswordOperation {
    _private: (),
}

impl PasswordOperation {
    /// For `Caller::password_operation` alone.
    pub(crate) fn granted() -> Self {
        Self { _private: () }
    }
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

    pub async fn hash(&self, _operation: &PasswordOperation, password: &str) -> Result<String> {
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
    pub async fn verify(
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
