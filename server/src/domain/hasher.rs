//! Password hashing: argon2id at the OWASP minimum, on a bounded pool. Every hash needs the
//! request's one [`PasswordOperation`], which only `authz` hands out, so that no request makes the
//! server hash for more than one operation, and nothing outside `domain` can hash at all.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand_core::OsRng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

use super::authz::PasswordOperation;
use crate::crypto::random_token;
use crate::error::{Error, Result};

/// Argon2id at the OWASP minimum (19 MiB, 2 passes, 1 lane), run on the blocking pool behind a
/// semaphore: a flood of sign-ins queues here instead of starving other requests.
///
/// The 19 MiB each hash works in are kept and reused, one buffer per permit at most. Allocated
/// per hash, they would be freed into the malloc arena of whichever blocking thread ran it, and
/// stay there: memory would grow with the number of threads that ever hashed (hundreds of MB),
/// not with how many hashes run at once.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
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

fn failed(error: impl std::fmt::Display) -> Error {
    Error::internal(anyhow::anyhow!("hashing a password failed: {error}"))
}

/// A fresh argon2id hash of `password` in PHC form, worked out in `memory`.
fn hash_now(password: &str, memory: &mut Vec<Block>) -> Result<String> {
    let argon2 = argon2();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.as_salt().decode_b64(&mut salt_bytes).map_err(failed)?;
    let length = argon2.params().output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let mut output = vec![0u8; length];
    memory.resize(argon2.params().block_count(), Block::default());
    argon2
        .hash_password_into_with_memory(password.as_bytes(), salt_raw, &mut output, &mut memory[..])
        .map_err(failed)?;
    let hash = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params()).map_err(failed)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&output).map_err(failed)?),
    };
    Ok(hash.to_string())
}

/// Whether `password` gives the argon2 hash `parsed` (any variant, version and parameters it
/// names), worked out in `memory`, compared in constant time.
fn argon2_matches(password: &str, parsed: &PasswordHash<'_>, memory: &mut Vec<Block>) -> bool {
    let mut work = || -> Option<bool> {
        let expected = parsed.hash?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(version) => Version::try_from(version).ok()?,
            None => Version::V0x13,
        };
        let params = Params::try_from(parsed).ok()?;
        let mut salt_bytes = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt_bytes).ok()?;
        let argon2 = Argon2::new(algorithm, version, params);
        let mut output = vec![0u8; expected.len()];
        memory.resize(argon2.params().block_count(), Block::default());
        argon2
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut output, &mut memory[..])
            .ok()?;
        // `Output`'s equality is constant-time.
        Some(Output::new(&output).ok()? == expected)
    };
    work().unwrap_or(false)
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Self {
        let permits = if concurrency == 0 {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
        } else {
            concurrency
        };
        let dummy = hash_now(&random_token(), &mut Vec::new()).expect("hashing works");
        Self {
            permits: Arc::new(Semaphore::new(permits)),
            memory: Arc::new(Mutex::new(Vec::new())),
            dummy_hash: Arc::new(dummy),
            computed: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many hashes this instance has computed, verifications included.
    pub fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }

    /// Runs `work` on the blocking pool once a permit is free, with a reused working buffer: as
    /// many buffers exist as hashes have run at once, never more than the permits.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static) -> Result<T> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        let memory = self.memory.clone();
        let mut buffer = memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop()
            .unwrap_or_default();
        tokio::task::spawn_blocking(move || {
            let result = work(&mut buffer);
            // A buffer grown for an imported hash's larger parameters is not kept.
            if buffer.capacity() <= argon2().params().block_count() {
                memory
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(buffer);
            }
            result
        })
        .await
        .map_err(Error::internal)
    }

    /// How many working buffers are kept (at most the number of permits).
    pub fn buffers(&self) -> usize {
        self.memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    pub(in crate::domain) async fn hash(&self, _operation: &PasswordOperation, password: &str) -> Result<String> {
        let password = password.to_owned();
        let computed = self.computed.clone();
        self.run(move |memory| {
            computed.fetch_add(1, Ordering::Relaxed);
            hash_now(&password, memory)
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
        self.run(move |memory| {
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
            let matches = argon2_matches(&password, &parsed, memory) && known;
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

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

    #[test]
    fn hashes_made_in_reused_memory_are_standard_phc_argon2id() {
        let mut memory = Vec::new();
        let ours = hash_now("correct horse", &mut memory).unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
        // The library's own verifier accepts ours, and ours accepts the library's.
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2().verify_password(b"correct horse", &parsed).is_ok());
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon2().hash_password(b"correct horse", &salt).unwrap().to_string();
        let parsed = PasswordHash::new(&theirs).unwrap();
        assert!(argon2_matches("correct horse", &parsed, &mut memory));
        assert!(!argon2_matches("correct horsf", &parsed, &mut memory));
        // Other parameters and variants (as an import may bring) verify too.
        let other = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(8 * 1024, 3, 1, None).unwrap(),
        );
        let imported = other.hash_password(b"pw-from-elsewhere", &salt).unwrap().to_string();
        let parsed = PasswordHash::new(&imported).unwrap();
        assert!(argon2_matches("pw-from-elsewhere", &parsed, &mut memory));
        assert!(!argon2_matches("pw-from-elsewhere!", &parsed, &mut memory));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn working_memory_is_bounded_by_the_permits() {
        let hasher = PasswordHasher::new(2);
        let hashes = (0..12).map(|n| {
            let hasher = hasher.clone();
            let operation = PasswordOperation::for_tests();
            tokio::spawn(async move { hasher.hash(&operation, &format!("password-{n}")).await.unwrap() })
        });
        for hash in hashes.collect::<Vec<_>>() {
            hash.await.unwrap();
        }
        assert!((1..=2).contains(&hasher.buffers()), "{} buffers", hasher.buffers());
        assert_eq!(hasher.computed(), 12);
    }
}
