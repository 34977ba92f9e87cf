//! Access tokens: Ed25519-signed JWTs. The signing key is generated on first start and kept in the
//! database, so that every instance behind a load balancer signs and verifies with the same keys.
//! The private key is stored sealed under the key-encryption key (`STEWARD_SECRET_KEY`), which
//! is not in the database: a dump of the database alone yields no key that can sign.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand_core::OsRng;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::crypto::{is_sealed, SecretKey};
use crate::domain::database::Database;
use crate::error::{Error, Result};
use steward_entity::{signing_key, ApiClientId, OrgId, SessionId, UserId};

/// What a user's access token says.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The user.
    pub sub: UserId,
    /// The session; every request checks it is still live.
    pub sid: SessionId,
    /// The organization a bound session reaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<OrgId>,
    pub iat: i64,
    pub exp: i64,
}

/// What an API client's access token (client-credentials grant) says.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClientClaims {
    pub iss: String,
    /// The client's public `client_id`.
    pub sub: String,
    /// The client; every request checks it still exists.
    pub cid: ApiClientId,
    /// The one organization the client acts in.
    pub org: OrgId,
    /// The granted scopes, space-separated (RFC 6749 §3.3).
    pub scope: String,
    /// The client's secret version when the token was issued.
    pub ver: i32,
    pub iat: i64,
    pub exp: i64,
}

/// A verified access token of either kind.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum TokenClaims {
    User(Claims),
    Client(ClientClaims),
}

impl TokenClaims {
    fn exp(&self) -> i64 {
        match self {
            TokenClaims::User(claims) => claims.exp,
            TokenClaims::Client(claims) => claims.exp,
        }
    }
}

struct PublicKey {
    x: String,
    decoding: DecodingKey,
}

/// The key that signs, as this instance last read it.
struct Signer {
    kid: String,
    encoding: EncodingKey,
}

#[derive(Clone)]
pub struct KeyStore {
    database: Database,
    issuer: String,
    secret: SecretKey,
    /// The longest any token lives: how long a key that no longer signs stays published.
    token_lifetime: chrono::Duration,
    signer: Arc<RwLock<Arc<Signer>>>,
    public: Arc<RwLock<HashMap<String, Arc<PublicKey>>>>,
    /// When the keys were last read from the database, and how often they have been.
    reloaded: Arc<Mutex<(Option<Instant>, u64)>>,
}

/// An unknown `kid` reads the keys again (another instance may have made one), but at most this
/// often: tokens with made-up kids must not turn into a database query each.
const RELOAD_AT_MOST_EVERY: Duration = Duration::from_secs(30);

/// How long a new key is published before it signs: longer than instances take to read the keys
/// again ([`REFRESH_EVERY`]), so that every instance can verify a token before any signs one.
pub const PUBLISHED_BEFORE_SIGNING: chrono::Duration = chrono::Duration::minutes(3);

/// How often each instance reads the keys again (and rotates when a rotation is due).
pub const REFRESH_EVERY: Duration = Duration::from_secs(60);

impl KeyStore {
    /// Loads the signing keys, creating the first if there is none yet. Private keys stored in
    /// plaintext (before sealing began) are sealed under `secret` first. A key that does not open
    /// under `secret` stops the start: signing with a new key instead would sign every session
    /// out and hide the misconfiguration.
    pub async fn load(
        database: Database,
        clock: &dyn Clock,
        issuer: String,
        secret: &SecretKey,
        token_lifetime: chrono::Duration,
    ) -> anyhow::Result<Self> {
        seal_plaintext_keys(&database, secret).await?;
        let any = signing_key::Entity::find().one(database.reader()).await?;
        if any.is_none() {
            create_key(&database, secret, clock.now()).await?;
        }
        let placeholder = Signer {
            kid: String::new(),
            encoding: EncodingKey::from_ed_der(&[]),
        };
        let store = Self {
            database,
            issuer,
            secret: secret.clone(),
            token_lifetime,
            signer: Arc::new(RwLock::new(Arc::new(placeholder))),
            public: Arc::default(),
            reloaded: Arc::default(),
        };
        store.refresh(clock.now()).await?;
        Ok(store)
    }

    /// Reads the keys again: the newest key published for [`PUBLISHED_BEFORE_SIGNING`] signs
    /// (the first key, before any is), every other key stays published until the tokens it
    /// signed have all expired, and then leaves.
    pub async fn refresh(&self, now: DateTime<Utc>) -> anyhow::Result<()> {
        let mut keys = signing_key::Entity::find()
            .order_by_asc(signing_key::Column::CreatedAt)
            .order_by_asc(signing_key::Column::Kid)
            .all(self.database.reader())
            .await?;
        let signing = keys
            .iter()
            .rposition(|key| key.created_at + PUBLISHED_BEFORE_SIGNING <= now)
            .unwrap_or(0);
        // A key stopped signing when the next one began; its tokens live `token_lifetime` longer.
        let gone: Vec<String> = (0..signing)
            .filter(|at| keys[at + 1].created_at + PUBLISHED_BEFORE_SIGNING + self.token_lifetime < now)
            .map(|at| keys[at].kid.clone())
            .collect();
        if !gone.is_empty() {
            let transaction = self.database.write().await?;
            signing_key::Entity::delete_many()
                .filter(signing_key::Column::Kid.is_in(gone.clone()))
                .exec(&*transaction)
                .await?;
            transaction.commit().await?;
            tracing::info!(
                keys = gone.len(),
                "retired signing keys left the key set: their tokens have expired"
            );
        }
        let signer = keys.remove(signing);
        let current = self.signer.read().expect("key lock").kid.clone();
        if signer.kid != current {
            let der = self.secret.open(&signer.kid, &signer.private_key).ok_or_else(|| {
                anyhow::anyhow!(
                    "the signing key {} does not open under the configured key-encryption key: \
                     STEWARD_SECRET_KEY (or the key file) is not the one it was sealed with",
                    signer.kid
                )
            })?;
            *self.signer.write().expect("key lock") = Arc::new(Signer {
                kid: signer.kid.clone(),
                encoding: EncodingKey::from_ed_der(&der),
            });
        }
        keys.push(signer);
        self.publish(keys.into_iter().filter(|key| !gone.contains(&key.kid)))?;
        Ok(())
    }

    /// Makes `keys` the set this instance verifies with and publishes.
    fn publish(&self, keys: impl IntoIterator<Item = signing_key::Model>) -> Result<()> {
        let mut public = HashMap::new();
        for key in keys {
            let decoding = DecodingKey::from_ed_components(&key.public_key).map_err(Error::internal)?;
            public.insert(
                key.kid,
                Arc::new(PublicKey {
                    x: key.public_key,
                    decoding,
                }),
            );
        }
        *self.public.write().expect("key lock") = public;
        Ok(())
    }

    /// Makes a new signing key. It is published at once, and signs from
    /// [`PUBLISHED_BEFORE_SIGNING`] on, on every instance. Returns its `kid`.
    pub(in crate::domain) async fn rotate(&self, now: DateTime<Utc>) -> anyhow::Result<String> {
        let kid = create_key(&self.database, &self.secret, now).await?;
        self.refresh(now).await?;
        Ok(kid)
    }

    /// Rotates when the newest key is `every` old; `None` never rotates by itself.
    pub async fn rotate_if_due(&self, now: DateTime<Utc>, every: Option<chrono::Duration>) -> anyhow::Result<bool> {
        let Some(every) = every else {
            return Ok(false);
        };
        let newest = signing_key::Entity::find()
            .order_by_desc(signing_key::Column::CreatedAt)
            .one(self.database.reader())
            .await?;
        if newest.is_some_and(|key| key.created_at + every > now) {
            return Ok(false);
        }
        let kid = self.rotate(now).await?;
        tracing::info!(kid, "rotated the signing key: it signs once every instance has read it");
        Ok(true)
    }

    async fn reload(&self) -> Result<()> {
        {
            let mut reloaded = self.reloaded.lock().expect("reload lock");
            *reloaded = (Some(Instant::now()), reloaded.1 + 1);
        }
        let keys = signing_key::Entity::find().all(self.database.reader()).await?;
        self.publish(keys)
    }

    pub(in crate::domain) fn issue(&self, claims: &impl Serialize) -> Result<String> {
        let signer = self.signer.read().expect("key lock").clone();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(signer.kid.clone());
        jsonwebtoken::encode(&header, claims, &signer.encoding).map_err(Error::internal)
    }

    /// Whether enough time has passed since the keys were last read to read them again; a `true`
    /// claims the read, so that concurrent misses make one between them.
    fn may_reload(&self) -> bool {
        let mut reloaded = self.reloaded.lock().expect("reload lock");
        let due = reloaded.0.is_none_or(|at| at.elapsed() >= RELOAD_AT_MOST_EVERY);
        if due {
            reloaded.0 = Some(Instant::now());
        }
        due
    }

    /// How many times the keys have been read from the database since start.
    pub fn reloads(&self) -> u64 {
        self.reloaded.lock().expect("reload lock").1
    }

    /// Checks signature, issuer and expiry. Any failure is `Unauthenticated`.
    pub(in crate::domain) async fn verify(&self, token: &str, now: i64) -> Result<TokenClaims> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Error::Unauthenticated)?;
        let kid = header.kid.ok_or(Error::Unauthenticated)?;
        let mut key = self.public.read().expect("key lock").get(&kid).cloned();
        if key.is_none() && self.may_reload() {
            // Another instance may have created a key since we loaded ours.
            self.reload().await?;
            key = self.public.read().expect("key lock").get(&kid).cloned();
        }
        let key = key.ok_or(Error::Unauthenticated)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.issuer]);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        let claims = jsonwebtoken::decode::<TokenClaims>(token, &key.decoding, &validation)
            .map_err(|_| Error::Unauthenticated)?
            .claims;
        // Expiry against the injected clock, not the system's.
        if claims.exp() <= now {
            return Err(Error::Unauthenticated);
        }
        Ok(claims)
    }

    /// The public keys as a JWK Set (RFC 7517).
    pub fn jwks(&self) -> serde_json::Value {
        let public = self.public.read().expect("key lock");
        let keys: Vec<_> = public
            .iter()
            .map(|(kid, key)| {
                serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": kid, "x": key.x,
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

/// Makes a new key pair and stores it, the private key sealed under `secret`. Returns its `kid`.
async fn create_key(database: &Database, secret: &SecretKey, now: DateTime<Utc>) -> anyhow::Result<String> {
    let key = SigningKey::generate(&mut OsRng);
    let der = key
        .to_pkcs8_der()
        .map_err(|error| anyhow::anyhow!("encoding a key: {error}"))?;
    let kid = uuid::Uuid::now_v7().simple().to_string();
    let model = signing_key::ActiveModel {
        private_key: Set(secret.seal(&kid, der.as_bytes())),
        kid: Set(kid.clone()),
        algorithm: Set("EdDSA".into()),
        public_key: Set(URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes())),
        created_at: Set(now),
    };
    let transaction = database.write().await?;
    model.insert(&*transaction).await?;
    transaction.commit().await?;
    Ok(kid)
}

/// Seals every private key still stored in plaintext (base64 of its PKCS#8 form), each in one
/// conditional update, so that instances starting together seal each key once.
async fn seal_plaintext_keys(database: &Database, secret: &SecretKey) -> anyhow::Result<()> {
    let keys = signing_key::Entity::find().all(database.reader()).await?;
    let mut sealed = 0;
    for key in keys.into_iter().filter(|key| !is_sealed(&key.private_key)) {
        let der = STANDARD.decode(&key.private_key)?;
        let transaction = database.write().await?;
        let updated = signing_key::Entity::update_many()
            .col_expr(
                signing_key::Column::PrivateKey,
                sea_orm::sea_query::Expr::value(secret.seal(&key.kid, &der)),
            )
            .filter(signing_key::Column::Kid.eq(key.kid.clone()))
            .filter(signing_key::Column::PrivateKey.eq(key.private_key.clone()))
            .exec(&*transaction)
            .await?;
        transaction.commit().await?;
        sealed += updated.rows_affected;
    }
    if sealed > 0 {
        tracing::info!(
            keys = sealed,
            "sealed signing keys stored in plaintext under the key-encryption key"
        );
    }
    Ok(())
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::clock::SystemClock;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    const ISSUER: &str = "http://steward.test";
    const NOW: i64 = 1_800_000_000;

    struct Fixture {
        runtime: tokio::runtime::Runtime,
        keys: KeyStore,
        token: String,
    }

    /// One key store on a throwaway SQLite file, and one valid token, shared by every case.
    fn fixture() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            let path = std::env::temp_dir().join(format!("steward-keys-{}.db", uuid::Uuid::new_v4()));
            let keys = runtime.block_on(async {
                let database = Database::connect(&format!("sqlite://{}?mode=rwc", path.display()))
                    .await
                    .unwrap();
                database.migrate().await.unwrap();
                KeyStore::load(
                    database,
                    &SystemClock,
                    ISSUER.into(),
                    &crate::crypto::SecretKey::generate(),
                    chrono::Duration::hours(1),
                )
                .await
                .unwrap()
            });
            let token = keys
                .issue(&Claims {
                    iss: ISSUER.into(),
                    sub: UserId::new(),
                    sid: SessionId::new(),
                    org: Some(OrgId::new()),
                    iat: NOW - 10,
                    exp: NOW + 900,
                })
                .unwrap();
            Fixture { runtime, keys, token }
        })
    }

    fn verify(token: &str) -> Result<TokenClaims> {
        let fixture = fixture();
        fixture.runtime.block_on(fixture.keys.verify(token, NOW))
    }

    #[test]
    fn the_valid_token_verifies_until_it_expires() {
        let fixture = fixture();
        assert!(matches!(verify(&fixture.token), Ok(TokenClaims::User(_))));
        let expired = fixture.runtime.block_on(fixture.keys.verify(&fixture.token, NOW + 900));
        assert!(matches!(expired, Err(Error::Unauthenticated)));
    }

    /// A token whose signature was made for other contents.
    fn resigned_elsewhere(token: &str, segment: usize, replacement: &str) -> String {
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[segment] = URL_SAFE_NO_PAD.encode(replacement);
        parts.join(".")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_strings_are_refused(raw in prop_oneof![
            any::<String>(),
            "[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,90}",
        ]) {
            prop_assert!(matches!(verify(&raw), Err(Error::Unauthenticated)));
        }

        #[test]
        fn tampered_tokens_are_refused(at in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_.=+/-]") {
            let token = &fixture().token;
            let position = at.index(token.len());
            let mut tampered = token.clone();
            tampered.replace_range(position..position + 1, &replacement);
            prop_assume!(tampered != *token);
            // Base64 leaves a few bits unused in a segment's last character; a change there that
            // decodes to the very same bytes is no tampering.
            let same_bytes = tampered.split('.').zip(token.split('.')).all(|(mine, theirs)| {
                match (URL_SAFE_NO_PAD.decode(mine), URL_SAFE_NO_PAD.decode(theirs)) {
                    (Ok(mine), Ok(theirs)) => mine == theirs,
                    _ => false,
                }
            }) && tampered.matches('.').count() == 2;
            prop_assume!(!same_bytes);
            prop_assert!(matches!(verify(&tampered), Err(Error::Unauthenticated)), "{tampered}");
        }

        #[test]
        fn truncated_and_rearranged_tokens_are_refused(cut in any::<prop::sample::Index>()) {
            let token = &fixture().token;
            let cut = cut.index(token.len());
            prop_assert!(matches!(verify(&token[..cut]), Err(Error::Unauthenticated)));
            let parts: Vec<&str> = token.split('.').collect();
            let rearranged = [parts[1], parts[0], parts[2]].join(".");
            prop_assert!(matches!(verify(&rearranged), Err(Error::Unauthenticated)));
            let unsigned = format!("{}.{}.", parts[0], parts[1]);
            prop_assert!(matches!(verify(&unsigned), Err(Error::Unauthenticated)));
        }

        #[test]
        fn forged_headers_and_claims_are_refused(
            kid in "\\PC{0,40}",
            alg in prop::sample::select(vec!["none", "HS256", "RS256", "EdDSA", "ES256"]),
            sub in "\\PC{0,40}",
        ) {
            let token = &fixture().token;
            let header = serde_json::json!({ "alg": alg, "typ": "JWT", "kid": kid }).to_string();
            prop_assert!(matches!(verify(&resigned_elsewhere(token, 0, &header)), Err(Error::Unauthenticated)));
            let claims = serde_json::json!({
                "iss": ISSUER, "sub": sub, "sid": uuid::Uuid::nil(), "iat": NOW, "exp": NOW + 60,
            })
            .to_string();
            prop_assert!(matches!(verify(&resigned_elsewhere(token, 1, &claims)), Err(Error::Unauthenticated)));
        }
    }
}
