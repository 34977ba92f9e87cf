//! Signing keys at rest: sealed under a key-encryption key that is not in the database, so that a
//! dump of the database alone yields no key that can sign a token.

use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::SigningKey;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::json;
use steward_entity::signing_key;
use steward_server::clock::ManualClock;
use steward_server::config::SecretText;
use steward_server::crypto::SecretKey;
use steward_server::{AppState, Config};
use steward_tests::{backend_tests, Backend, TestServer};

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

backend_tests!(
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
