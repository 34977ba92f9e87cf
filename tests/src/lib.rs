//! The test harness: a real Steward on a real database (a fresh one per test), reached over HTTP
//! like any client, with a clock the test can move.
//!
//! Suites call [`backend_tests!`] to run each test on SQLite, PostgreSQL and MariaDB. The
//! servers are found at `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432`)
//! and `TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306`).

pub mod cases;
mod client;
mod databases;
pub mod live;
pub mod process;
pub mod relay;
pub mod smtp;
pub mod snapshot;

pub use cases::{Case, Tenants};
pub use client::{Gql, Pages, Session, CHANGED_PASSWORD, PASSWORD};
pub use databases::{Backend, FreshDatabase};
pub use snapshot::{Snapshot, SIGN_IN_TRACES};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use steward_server::clock::ManualClock;
use steward_server::{AppState, Config};

/// Runs each named `async fn name(backend: Backend)` of the calling file once per backend.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
        mod mariadb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::MariaDb).await
                }
            )*
        }
    };
}

/// A running Steward.
pub struct TestServer {
    pub url: String,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    /// The test's own connection to the server's database, for arranging and inspecting what the
    /// API does not show. The server's handle answers only to its domain layer.
    database: sea_orm::DatabaseConnection,
    task: tokio::task::JoinHandle<()>,
    mail_worker: tokio::task::JoinHandle<()>,
    /// Tells the mail worker to stop once it has finished the message it is sending.
    stop_mail: tokio::sync::watch::Sender<bool>,
    /// The first instance owns the database; a second instance on it holds none.
    _database: Option<databases::FreshDatabase>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
        self.mail_worker.abort();
    }
}

/// The workspace root, for the built portal.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    /// Starts a server after `configure` adjusts its configuration.
    pub async fn start_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Self {
        // Errors the server logs (an internal error's cause) show in a failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn,sqlx=error"))
            .try_init();
        let database = databases::FreshDatabase::create(backend).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let mut config = Config {
            database_url: database.url.clone(),
            bind: url.trim_start_matches("http://").to_owned(),
            public_url: url.clone(),
            portal_dir: workspace_root().join("dist").to_string_lossy().into_owned(),
            mail_poll_interval_ms: 100,
            secret_key: Some(steward_server::config::SecretText(
                steward_server::crypto::SecretKey::generate().to_text(),
            )),
            ..Config::default()
        };
        configure(&mut config);
        Self::serve(listener, config, Some(database)).await
    }

    /// The test's own connection to the database (see [`TestServer`]).
    pub fn database(&self) -> &sea_orm::DatabaseConnection {
        &self.database
    }

    /// Returns once the work this instance's requests started in the background has finished and
    /// its mail worker has since passed over the outbox: what a test then finds missing (a mail,
    /// a row) was not merely late. Not for an instance whose mail worker was stopped.
    pub async fn settle(&self) {
        let settled = async {
            self.state.background.idle().await;
            self.state.mailer.delivered().await;
        };
        if tokio::time::timeout(std::time::Duration::from_secs(30), settled)
            .await
            .is_err()
        {
            panic!(
                "the server did not settle within 30 s ({} background tasks running)",
                self.state.background.running()
            );
        }
    }

    /// Stops this instance's mail worker (queued mail stays queued), so that the statements a
    /// test counts on the database are the requests' own.
    pub async fn stop_mail_worker(&mut self) {
        // Told rather than aborted: a worker aborted inside a transaction could leave it open on
        // the database (MariaDB then waits for it before the database can be dropped).
        let _ = self.stop_mail.send(true);
        // Returns once the task is gone, not merely told to go.
        let _ = (&mut self.mail_worker).await;
    }

    /// A second Steward instance on this one's database, as behind a load balancer: same
    /// database, same public URL, its own process state (keys loaded, rate limits, clock).
    pub async fn second_instance(&self) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let config = Config {
            bind: listener.local_addr().expect("local address").to_string(),
            ..(*self.state.config).clone()
        };
        let mut second = Self::serve(listener, config, None).await;
        second.url = format!("http://{}", second.state.config.bind);
        second
    }

    async fn serve(
        listener: tokio::net::TcpListener,
        config: Config,
        database: Option<databases::FreshDatabase>,
    ) -> Self {
        let url = config.public_url.clone();
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let state = AppState::start(config, clock.clone()).await.expect("start Steward");
        let (stop_mail, stopping) = tokio::sync::watch::channel(false);
        let mail_worker = steward_server::domain::delivery::spawn_until(state.clone(), stopping);
        let app = steward_server::app(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .await
                .expect("serve");
        });
        let http = reqwest::Client::builder().build().expect("http client");
        let own_connection = sea_orm::Database::connect(state.config.database_url.as_str())
            .await
            .expect("the test's own connection");
        Self {
            url,
            state,
            clock,
            http,
            database: own_connection,
            task,
            mail_worker,
            stop_mail,
            _database: database,
        }
    }
}

/// Signs tokens with the server's signing key, as anyone holding the database and its
/// key-encryption key could.
pub struct TokenForger {
    kid: String,
    key: jsonwebtoken::EncodingKey,
}

impl TokenForger {
    pub fn sign(&self, claims: &serde_json::Value) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).expect("sign")
    }
}

impl TestServer {
    /// The server's current signing key, read from the database and opened with the
    /// key-encryption key: for tests of what the server does with tokens only its key can make.
    pub async fn token_forger(&self) -> TokenForger {
        use sea_orm::{EntityTrait, QueryOrder};
        let key = steward_entity::signing_key::Entity::find()
            .order_by_desc(steward_entity::signing_key::Column::CreatedAt)
            .one(self.database())
            .await
            .expect("read the signing key")
            .expect("a signing key");
        let secret = self
            .state
            .config
            .secret_key
            .as_ref()
            .expect("the test's key-encryption key");
        let secret = steward_server::crypto::SecretKey::parse(&secret.0).expect("a key");
        let der = secret.open(&key.kid, &key.private_key).expect("the key opens");
        TokenForger {
            kid: key.kid,
            key: jsonwebtoken::EncodingKey::from_ed_der(&der),
        }
    }
}
