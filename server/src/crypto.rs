//! Random tokens, token hashes and constant-time comparison. Password hashing is in
//! `domain::hasher`, behind the one-per-request password operation that `authz` hands out.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

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
