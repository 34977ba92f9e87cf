//! The logs of the real `steward` binary: JSON lines when `STEWARD_LOG_FORMAT=json`, every line of
//! a request carrying its id (which the client gets as `X-Request-Id`), and never a password, a
//! token or a link's secret, through sign-in, invitation and password reset.
//!
//! Runs the binary the test command builds (`cargo build --bin steward`).

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use steward_tests::smtp::SmtpSink;
use steward_tests::workspace_root;

fn binary() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let binary = target.join("debug").join("steward");
    assert!(
        binary.exists(),
        "{} is missing: build it with `cargo build --bin steward` (the test command does)",
        binary.display()
    );
    binary
}

struct Steward {
    child: Child,
    url: String,
    stderr: std::path::PathBuf,
    http: reqwest::Client,
}

impl Drop for Steward {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Steward {
    async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> (Value, String) {
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
}

fn environment(command: &mut Command, directory: &std::path::Path, port: u16, smtp: &str) {
    command
        .env(
            "STEWARD_DATABASE_URL",
            format!("sqlite://{}?mode=rwc", directory.join("steward.db").display()),
        )
        .env("STEWARD_BIND", format!("127.0.0.1:{port}"))
        .env("STEWARD_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("STEWARD_SMTP_URL", smtp)
        .env("STEWARD_MAIL_POLL_INTERVAL_MS", "100")
        .env("STEWARD_LOG_FORMAT", "json")
        .env("STEWARD_PORTAL_DIR", directory.join("no-portal"))
        // As chatty as it gets about requests, without the database driver's own lines.
        .env(
            "RUST_LOG",
            "debug,sqlx=warn,sea_orm=warn,hyper=info,h2=info,rustls=info,reqwest=info",
        )
        .env_remove("STEWARD_CONFIG");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_json_carry_request_ids_and_hold_no_secret() {
    let directory = std::env::temp_dir().join(format!("steward-logs-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&directory).unwrap();
    let sink = SmtpSink::start().await;
    let port = SmtpSink::free_port();
    let stderr = directory.join("stderr.log");
    let root_password = "Quiet-Harbor-Lantern-41";

    let mut create_admin = Command::new(binary());
    environment(&mut create_admin, &directory, port, &sink.url());
    let made = create_admin
        .args([
            "create-admin",
            "--email",
            "root@example.com",
            "--password",
            root_password,
        ])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(directory.join("create-admin.log")).unwrap())
        .status()
        .expect("run create-admin");
    assert!(made.success());

    let mut serve = Command::new(binary());
    environment(&mut serve, &directory, port, &sink.url());
    let child = serve
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("start steward");
    let steward = Steward {
        child,
        url: format!("http://127.0.0.1:{port}"),
        stderr,
        http: reqwest::Client::new(),
    };
    let mut up = false;
    for _ in 0..200 {
        if let Ok(response) = steward.http.get(format!("{}/readyz", steward.url)).send().await {
            up = response.status().is_success();
            if up {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        up,
        "steward did not start: {}",
        std::fs::read_to_string(&steward.stderr).unwrap()
    );

    let mut secrets: Vec<String> = vec![root_password.to_owned()];
    let mut request_ids = Vec::new();
    let login = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken } }";
    let (signed_in, id) = steward
        .gql(
            None,
            login,
            json!({ "email": "root@example.com", "password": root_password }),
        )
        .await;
    request_ids.push(id);
    let root = signed_in["login"]["accessToken"].as_str().unwrap().to_owned();
    secrets.push(root.clone());
    secrets.push(signed_in["login"]["refreshToken"].as_str().unwrap().to_owned());

    let (org, _) = steward
        .gql(
            Some(&root),
            "mutation { createOrganization(input: { slug: \"acme\", name: \"Acme\" }) { id } }",
            json!({}),
        )
        .await;
    let org = org["createOrganization"]["id"].as_str().unwrap().to_owned();
    let invite = "mutation($org: ID!) { inviteMember(orgId: $org, email: \"ada@acme.test\") { id } }";
    steward.gql(Some(&root), invite, json!({ "org": org })).await;
    let invitation = sink.wait_for("ada@acme.test", Duration::from_secs(20)).await;
    let token = invitation.token("/accept-invitation");
    secrets.push(token.clone());
    let ada_password = "Copper-Meadow-Violin-73";
    secrets.push(ada_password.to_owned());
    let accept = "mutation($token: String!, $password: String!) { acceptInvitation(token: $token, password: $password) { accessToken refreshToken } }";
    let (accepted, _) = steward
        .gql(None, accept, json!({ "token": token, "password": ada_password }))
        .await;
    secrets.push(accepted["acceptInvitation"]["accessToken"].as_str().unwrap().to_owned());
    secrets.push(
        accepted["acceptInvitation"]["refreshToken"]
            .as_str()
            .unwrap()
            .to_owned(),
    );

    let forgot = "mutation { requestPasswordReset(email: \"ada@acme.test\") }";
    steward.gql(None, forgot, json!({})).await;
    let reset_mail = sink.wait_for("ada@acme.test", Duration::from_secs(20)).await;
    let reset_token = reset_mail.token("/reset-password");
    secrets.push(reset_token.clone());
    let new_password = "Silver-Canyon-Orbit-19";
    secrets.push(new_password.to_owned());
    let reset =
        "mutation($token: String!, $password: String!) { resetPassword(token: $token, newPassword: $password) }";
    steward
        .gql(None, reset, json!({ "token": reset_token, "password": new_password }))
        .await;
    let (again, id) = steward
        .gql(
            None,
            login,
            json!({ "email": "ada@acme.test", "password": new_password }),
        )
        .await;
    request_ids.push(id);
    secrets.push(again["login"]["accessToken"].as_str().unwrap().to_owned());

    drop(steward);
    let logs = std::fs::read_to_string(&directory.join("stderr.log")).unwrap()
        + &std::fs::read_to_string(directory.join("create-admin.log")).unwrap();
    let lines: Vec<Value> = logs
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}")))
        .collect();
    assert!(lines.len() > 10, "{logs}");
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret is in the logs: {secret}");
    }
    // The lines a request logs carry its id, the one its client got back.
    for id in &request_ids {
        let of_request = lines
            .iter()
            .filter(|line| line["span"]["request_id"] == id.as_str())
            .count();
        assert!(of_request > 0, "no line carries request {id}: {logs}");
    }
    let _ = std::fs::remove_dir_all(&directory);
}
