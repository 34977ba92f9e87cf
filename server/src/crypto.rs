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
    sha256_hex(token.as_bytes())
}

/// SHA-256, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Constant-time equality, for comparing secrets.
pub fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    left.len() == right.len() && bool::from(left.ct_eq(right))
}

/// The key-encryption key: 32 bytes under which the signing keys are stored (sealed with
/// XChaCha20-Poly1305), so that a dump of the database alone yields no key that can sign.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

/// What marks a sealed value, and its format's version.
const SEALED: &str = "sealed:v1:";

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

impl SecretKey {
    /// Reads a key written as base64 (standard or URL-safe, padded or not) or hex, of exactly 32
    /// bytes: `openssl rand -base64 32` makes one.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
        let text = text.trim();
        // 64 hex digits are valid base64 too (of 48 bytes): the reading of 32 bytes wins.
        let readings = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
            .iter()
            .map(|engine| engine.decode(text).ok())
            .chain([hex_bytes(text)]);
        match readings.flatten().find_map(|bytes| <[u8; 32]>::try_from(bytes).ok()) {
            Some(key) => Ok(Self(key)),
            None => anyhow::bail!(
                "invalid configuration: the secret key must be 32 random bytes, written in base64 or hex \
                 (for example the output of `openssl rand -base64 32`)"
            ),
        }
    }

    /// 32 random bytes from the OS.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self(key)
    }

    /// The key in base64, as [`SecretKey::parse`] reads it.
    pub fn to_text(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    fn cipher(&self) -> chacha20poly1305::XChaCha20Poly1305 {
        use chacha20poly1305::KeyInit;
        chacha20poly1305::XChaCha20Poly1305::new(&self.0.into())
    }

    /// Seals `plaintext`, bound to `context` (what it is the secret of: a value sealed for one
    /// context does not open for another).
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> String {
        use chacha20poly1305::aead::{Aead, Payload};
        let mut nonce = [0u8; 24];
        OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 seals any length this holds");
        let mut framed = nonce.to_vec();
        framed.extend(sealed);
        format!("{SEALED}{}", URL_SAFE_NO_PAD.encode(framed))
    }

    /// Opens what [`SecretKey::seal`] sealed for `context`; `None` when the value was sealed under
    /// another key or for another context, or was changed.
    pub fn open(&self, context: &str, sealed: &str) -> Option<Vec<u8>> {
        use chacha20poly1305::aead::{Aead, Payload};
        let framed = URL_SAFE_NO_PAD.decode(sealed.strip_prefix(SEALED)?).ok()?;
        if framed.len() < 24 {
            return None;
        }
        let (nonce, ciphertext) = framed.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().ok()?;
        self.cipher()
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .ok()
    }
}

/// Whether a stored value is sealed (rather than a plaintext one from before sealing began).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(SEALED)
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod sealing {
    use super::SecretKey;

    #[test]
    fn what_is_sealed_opens_only_with_its_key_and_context() {
        let key = SecretKey::generate();
        let sealed = key.seal("kid-1", b"private key");
        assert!(super::is_sealed(&sealed));
        assert!(!sealed.contains("private key"));
        assert_eq!(key.open("kid-1", &sealed).as_deref(), Some(&b"private key"[..]));
        assert_eq!(key.open("kid-2", &sealed), None);
        assert_eq!(SecretKey::generate().open("kid-1", &sealed), None);
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(key.open("kid-1", &tampered), None);
    }

    #[test]
    fn keys_are_read_as_base64_or_hex_of_32_bytes() {
        let key = SecretKey::generate();
        let again = SecretKey::parse(&key.to_text()).unwrap();
        assert_eq!(again.0, key.0);
        let hex: String = key.0.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(SecretKey::parse(&hex).unwrap().0, key.0);
        for bad in ["", "short", "c2hvcnQ=", &"00".repeat(31), &"zz".repeat(32)] {
            assert!(SecretKey::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(format!("{key:?}"), "SecretKey(…)");
    }
}
