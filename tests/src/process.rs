//! The real `steward` binary as a process, for what only a process shows: its logs, its exit
//! on a signal. It runs the binary the test command builds (`cargo build --bin steward`), on a
//! SQLite file in a directory of its own.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::smtp::SmtpSink;
use crate::workspace_root;

/// The built binary.
pub fn binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let binary = target.join("debug").join("steward");
    assert!(
        binary.exists(),
        "{} is missing: build it with `cargo build --bin steward` (the test command does)",
        binary.display()
    );
    binary
}

/// A directory, a port and a mail server for one Steward process (and the commands run beside it).
pub struct Site {
    pub directory: PathBuf,
    pub port: u16,
    pub sink: SmtpSink,
    /// The database, when not the site's own SQLite file.
    pub database: Option<String>,
    /// More `STEWARD_*` settings, applied last.
    pub settings: Vec<(String, String)>,
}

impl Site {
    pub async fn new() -> Self {
        let directory = std::env::temp_dir().join(format!("steward-process-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&directory).expect("a directory");
        Self {
            directory,
            port: SmtpSink::free_port(),
            sink: SmtpSink::start().await,
            database: None,
            settings: Vec::new(),
        }
    }

    /// A site for one of several instances on the database at `database_url`, with `settings`.
    pub async fn instance(database_url: &str, settings: &[(&str, &str)]) -> Self {
        let mut site = Self::new().await;
        site.database = Some(database_url.to_owned());
        site.settings = settings
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        site
    }

    pub fn database_url(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.directory.join("steward.db").display()))
    }

    /// `steward` with this site's configuration: JSON logs at debug level (without the database
    /// driver's own lines), mail to the site's SMTP server.
    pub fn command(&self) -> Command {
        let mut command = Command::new(binary());
        command
            .env("STEWARD_DATABASE_URL", self.database_url())
            .env("STEWARD_BIND", format!("127.0.0.1:{}", self.port))
            .env("STEWARD_PUBLIC_URL", format!("http://127.0.0.1:{}", self.port))
            .env("STEWARD_SMTP_URL", self.sink.url())
            .env("STEWARD_MAIL_POLL_INTERVAL_MS", "100")
            .env("STEWARD_LOG_FORMAT", "json")
            .env("STEWARD_PORTAL_DIR", self.directory.join("no-portal"))
            .env(
                "RUST_LOG",
                "debug,sqlx=warn,sea_orm=warn,hyper=info,h2=info,rustls=info,reqwest=info",
            )
            .env_remove("STEWARD_CONFIG");
        for (name, value) in &self.settings {
            command.env(name, value);
        }
        command
    }

    /// Runs a command to its end; its log goes to `log` in the site's directory.
    pub fn run(&self, args: &[&str], log: &str) {
        let status = self
            .command()
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.directory.join(log)).expect("a log file"))
            .status()
            .expect("run steward");
        assert!(status.success(), "steward {args:?}: {}", self.log(log));
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.directory.join(name)).unwrap_or_default()
    }

    /// Starts `steward serve`, logging to `log`, and waits until it answers `/readyz`.
    pub async fn serve(&self, log: &str) -> Steward {
        let child = self
            .command()
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.directory.join(log)).expect("a log file"))
            .spawn()
            .expect("start steward");
        let steward = Steward {
            child,
            url: format!("http://127.0.0.1:{}", self.port),
            http: reqwest::Client::new(),
        };
        for _ in 0..400 {
            if let Ok(response) = steward.http.get(format!("{}/readyz", steward.url)).send().await {
                if response.status().is_success() {
                    return steward;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("steward did not start: {}", self.log(log));
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.directory.join(name)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

/// A running `steward serve`; killed when dropped.
pub struct Steward {
    pub child: Child,
    pub url: String,
    pub http: reqwest::Client,
}

impl Drop for Steward {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Steward {
    /// A GraphQL request that must succeed: its data, and the request id the server answered.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> (Value, String) {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("a response");
        let id = response
            .headers()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .expect("an X-Request-Id")
            .to_owned();
        let body: Value = response.json().await.expect("JSON");
        assert!(body["errors"].is_null(), "{body}");
        (body["data"].clone(), id)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `limit`; its exit status.
    pub async fn exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("the process") {
                return status;
            }
            assert!(started.elapsed() < limit, "steward did not exit within {limit:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
