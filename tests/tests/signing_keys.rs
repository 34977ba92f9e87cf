//! Signing keys: sealed at rest under a key-encryption key that is not in the database, so that a
//! dump of the database alone yields no key that can sign a token; and rotated, with the new key
//! published before it signs and the old one published until its tokens have expired. Tokens
//! are checked against the published key set with a JWT library other than the server's.

use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::SigningKey;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::json;
use steward_entity::signing_key;
use steward_server::clock::ManualClock;
use steward_server::config::SecretText;
use steward_server::crypto::SecretKey;
use steward_server::domain::authz::keys::PUBLISHED_BEFORE_SIGNING;
use steward_server::domain::authz::CommandLine;
use steward_server::{AppState, Config};
use steward_tests::{backend_tests, Backend, TestServer, PASSWORD};

const VIEWER: &str = "{ viewer { user { email } } }";

async fn stored_keys(server: &TestServer) -> Vec<signing_key::Model> {
    signing_key::Entity::find()
        .all(server.database())
        .await
        .expect("read the signing keys")
}

/// Whether `bytes` (raw, or as base64 text) hold an Ed25519 private key.
fn holds_a_private_key(bytes: &[u8]) -> bool {
    use base64::Engine as _;
    let decoded = std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| base64::engine::general_purpose::STANDARD.decode(text.trim()).ok());
    [Some(bytes.to_vec()), decoded]
        .into_iter()
        .flatten()
        .any(|candidate| SigningKey::from_pkcs8_der(&candidate).is_ok())
}

/// Starts Steward on the test server's database with another configuration (as a second
/// instance, or the same one restarted, would).
async fn start_beside(server: &TestServer, configure: impl FnOnce(&mut Config)) -> anyhow::Result<AppState> {
    let mut config = (*server.state.config).clone();
    configure(&mut config);
    AppState::start(config, std::sync::Arc::new(ManualClock::new(chrono::Utc::now()))).await
}

async fn a_database_dump_yields_no_usable_key(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.superadmin().await;
    let keys = stored_keys(&server).await;
    assert!(!keys.is_empty());
    for key in &keys {
        assert!(!holds_a_private_key(key.private_key.as_bytes()), "{}", key.kid);
        assert!(steward_server::crypto::is_sealed(&key.private_key), "{}", key.kid);
    }
    // With the key-encryption key it opens, and it is the key that signs.
    let secret = SecretKey::parse(&server.state.config.secret_key.as_ref().unwrap().0).unwrap();
    let der = secret.open(&keys[0].kid, &keys[0].private_key).expect("opens");
    assert!(holds_a_private_key(&der));
}

async fn another_key_encryption_key_is_refused_at_start(backend: Backend) {
    let server = TestServer::start(backend).await;
    let before = stored_keys(&server).await;
    let error = start_beside(&server, |config| {
        config.secret_key = Some(SecretText(SecretKey::generate().to_text()));
    })
    .await
    .err()
    .expect("a start with another key-encryption key fails");
    assert!(error.to_string().contains("STEWARD_SECRET_KEY"), "{error}");
    // Nothing was replaced: a new signing key would have signed everyone out.
    assert_eq!(stored_keys(&server).await, before);
}

async fn a_server_database_needs_a_configured_key(backend: Backend) {
    let server = TestServer::start(backend).await;
    let error = start_beside(&server, |config| config.secret_key = None)
        .await
        .err()
        .expect("no key-encryption key, no start");
    assert!(error.to_string().contains("STEWARD_SECRET_KEY"), "{error}");
}

async fn keys_stored_in_plaintext_are_sealed_at_start(backend: Backend) {
    use base64::Engine as _;
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    // The key as it was stored before sealing began: base64 of its PKCS#8 form.
    let secret = SecretKey::parse(&server.state.config.secret_key.as_ref().unwrap().0).unwrap();
    let key = stored_keys(&server).await.remove(0);
    let der = secret.open(&key.kid, &key.private_key).expect("opens");
    let mut plaintext = key.clone().into_active_model();
    plaintext.private_key = Set(base64::engine::general_purpose::STANDARD.encode(&der));
    plaintext
        .update(server.database())
        .await
        .expect("store it in plaintext");

    let second = server.second_instance().await;
    let key = stored_keys(&server).await.remove(0);
    assert!(steward_server::crypto::is_sealed(&key.private_key));
    assert!(!holds_a_private_key(key.private_key.as_bytes()));
    // The same key still signs: a session from before works on the instance that sealed it.
    let viewer = second.as_(&root, VIEWER, json!({})).await;
    assert_eq!(viewer.ok()["viewer"]["user"]["email"], root.email);
}

/// The key ids the server publishes at `/.well-known/jwks.json`.
async fn published(server: &TestServer) -> Vec<String> {
    let jwks = jwks(server).await;
    let mut kids: Vec<String> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|key| key["kid"].as_str().expect("kid").to_owned())
        .collect();
    kids.sort();
    kids
}

async fn jwks(server: &TestServer) -> serde_json::Value {
    server
        .http
        .get(format!("{}/.well-known/jwks.json", server.url))
        .send()
        .await
        .expect("the key set")
        .json()
        .await
        .expect("JSON")
}

fn kid_of(token: &str) -> String {
    jwt_compact::UntrustedToken::new(token)
        .expect("a JWT")
        .header()
        .key_id
        .clone()
        .expect("a kid")
}

/// Verifies `token` as a partner would: with another JWT library, against the key the server
/// publishes under its `kid`.
async fn verify_as_a_partner(server: &TestServer, token: &str) -> Result<(), String> {
    use base64::Engine as _;
    use jwt_compact::AlgorithmExt as _;
    let untrusted = jwt_compact::UntrustedToken::new(token).map_err(|error| error.to_string())?;
    let kid = untrusted.header().key_id.clone().ok_or("no kid")?;
    let jwks = jwks(server).await;
    let jwk = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|key| key["kid"] == kid.as_str())
        .ok_or(format!("{kid} is not published"))?;
    assert_eq!(
        (&jwk["kty"], &jwk["crv"], &jwk["alg"]),
        (&json!("OKP"), &json!("Ed25519"), &json!("EdDSA"))
    );
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jwk["x"].as_str().expect("x"))
        .expect("base64url");
    let key = ed25519_dalek::VerifyingKey::from_bytes(&x.try_into().expect("32 bytes")).expect("a public key");
    jwt_compact::alg::Ed25519
        .validator::<serde_json::Value>(&key)
        .validate(&untrusted)
        .map(|_| ())
        .map_err(|error| error.to_string())
}

async fn rotation_publishes_the_new_key_first_and_the_old_until_its_tokens_expire(backend: Backend) {
    let first = TestServer::start(backend).await;
    let second = first.second_instance().await;
    let root = first.superadmin().await;
    let old_kid = kid_of(&root.access_token);
    verify_as_a_partner(&first, &root.access_token).await.unwrap();

    let command_line = CommandLine::new(first.state.clone());
    let new_kid = steward_server::domain::setup::rotate_signing_key(&command_line.operator())
        .await
        .expect("rotate");
    // Published at once, on the instance that made it and (once it reads the keys) the other;
    // signing only once every instance has had the time to read it.
    second.state.refresh_signing_keys().await.unwrap();
    let both = {
        let mut kids = vec![old_kid.clone(), new_kid.clone()];
        kids.sort();
        kids
    };
    assert_eq!(published(&first).await, both);
    assert_eq!(published(&second).await, both);
    assert_eq!(
        kid_of(&first.sign_in(&root.email, PASSWORD).await.access_token),
        old_kid
    );

    for server in [&first, &second] {
        server
            .clock
            .advance(PUBLISHED_BEFORE_SIGNING + chrono::Duration::seconds(1));
        server.state.refresh_signing_keys().await.unwrap();
    }
    for server in [&first, &second] {
        let fresh = server.sign_in(&root.email, PASSWORD).await;
        assert_eq!(
            kid_of(&fresh.access_token),
            new_kid,
            "both instances sign with the new key"
        );
        verify_as_a_partner(server, &fresh.access_token).await.unwrap();
        // A token of the old key still holds, and still verifies against the key set.
        verify_as_a_partner(server, &root.access_token).await.unwrap();
        let viewer = server.as_(&root, VIEWER, json!({})).await;
        assert_eq!(viewer.ok()["viewer"]["user"]["email"], root.email);
    }

    // Once every token the old key signed has expired, it leaves the key set.
    let lifetime = first
        .state
        .config
        .access_token_ttl_seconds
        .max(first.state.config.client_token_ttl_seconds);
    for server in [&first, &second] {
        server.clock.advance(chrono::Duration::seconds(lifetime + 1));
        server.state.refresh_signing_keys().await.unwrap();
        assert_eq!(published(server).await, vec![new_kid.clone()]);
    }
    assert!(verify_as_a_partner(&first, &root.access_token).await.is_err());
}

async fn the_signing_key_rotates_by_itself_after_the_configured_days(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.key_rotation_days = 30).await;
    let root = server.superadmin().await;
    let old_kid = kid_of(&root.access_token);
    server.clock.advance(chrono::Duration::days(29));
    server.state.refresh_signing_keys().await.unwrap();
    assert_eq!(published(&server).await, vec![old_kid.clone()]);
    server.clock.advance(chrono::Duration::days(1));
    server.state.refresh_signing_keys().await.unwrap();
    let kids = published(&server).await;
    assert_eq!(kids.len(), 2, "{kids:?}");
    server
        .clock
        .advance(PUBLISHED_BEFORE_SIGNING + chrono::Duration::seconds(1));
    server.state.refresh_signing_keys().await.unwrap();
    let fresh = server.sign_in(&root.email, PASSWORD).await;
    assert_ne!(kid_of(&fresh.access_token), old_kid);
    verify_as_a_partner(&server, &fresh.access_token).await.unwrap();
}

backend_tests!(
    rotation_publishes_the_new_key_first_and_the_old_until_its_tokens_expire,
    the_signing_key_rotates_by_itself_after_the_configured_days,
    a_database_dump_yields_no_usable_key,
    another_key_encryption_key_is_refused_at_start,
    keys_stored_in_plaintext_are_sealed_at_start,
);

mod server_databases {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_needs_a_configured_key() {
        super::a_server_database_needs_a_configured_key(steward_tests::Backend::Postgres).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mariadb_needs_a_configured_key() {
        super::a_server_database_needs_a_configured_key(steward_tests::Backend::MariaDb).await
    }
}

/// With no key configured, a SQLite database gets a key file beside it, readable by its owner
/// only, and the next start reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_configured_key_sqlite_gets_a_key_file_beside_it() {
    let server = TestServer::start(Backend::Sqlite).await;
    let directory = std::env::temp_dir().join(format!("steward-key-file-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&directory).expect("a directory");
    let database = directory.join("steward.db");
    let own = |config: &mut Config| {
        config.database_url = format!("sqlite://{}?mode=rwc", database.display());
        config.secret_key = None;
    };
    let first = start_beside(&server, own).await.expect("first start");
    let key_file = directory.join("steward.db.key");
    let written = std::fs::read_to_string(&key_file).expect("the key file");
    assert!(SecretKey::parse(&written).is_ok());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    drop(first);
    start_beside(&server, own).await.expect("the next start reads the file");
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), written);
    let _ = std::fs::remove_dir_all(&directory);
}
