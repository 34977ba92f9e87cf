//! What does a burst of sign-ins leave in memory? Argon2id works in 19 MiB per hash; this signs
//! in 64 clients at once, over and over, through the real server in this process, and prints the
//! process's resident memory before and after (and its peak), with the sign-ins per second. The
//! hashes' memory should stay bounded by how many run at once (the hash concurrency), however
//! many threads of the blocking pool end up running one.
//!
//! ```sh
//! cargo bench -p steward-tests --bench sign_in_memory
//! ```

use serde_json::json;
use std::time::Instant;
use steward_tests::{Backend, TestServer, CHANGED_PASSWORD};

const CLIENTS: usize = 64;
const SIGN_INS_PER_CLIENT: usize = 8;

/// `VmRSS` and `VmHWM` of this process, in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let server = TestServer::start_with(Backend::Sqlite, |config| {
        config.login_attempts_per_ip_per_minute = 1_000_000;
        config.login_attempts_per_account_per_minute = 1_000_000;
        config.login_attempts_per_account_ceiling_per_minute = 1_000_000;
    })
    .await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let mut emails = Vec::new();
    for n in 0..CLIENTS {
        let email = format!("user{n}@acme.test");
        server.member(&root, &org, &email, &["MEMBER"]).await;
        emails.push(email);
    }
    let (rss_before, _) = memory();
    let started = Instant::now();
    let mut clients = Vec::new();
    for email in emails {
        let http = server.http.clone();
        let url = format!("{}/graphql", server.url);
        clients.push(tokio::spawn(async move {
            for _ in 0..SIGN_INS_PER_CLIENT {
                let body = json!({
                    "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
                    "variables": { "e": email, "p": CHANGED_PASSWORD },
                });
                let response = http.post(&url).json(&body).send().await.expect("a response");
                let answer: serde_json::Value = response.json().await.expect("JSON");
                assert!(answer["data"]["login"]["accessToken"].is_string(), "{answer}");
            }
        }));
    }
    for client in clients {
        client.await.expect("a client");
    }
    let seconds = started.elapsed().as_secs_f64();
    let (rss_after, peak) = memory();
    let total = CLIENTS * SIGN_INS_PER_CLIENT;
    println!("{total} sign-ins by {CLIENTS} concurrent clients on SQLite, server and clients in one process");
    println!("| sign-ins/s | RSS before | RSS after | peak (VmHWM) |");
    println!("|---|---|---|---|");
    println!(
        "| {:.1} | {rss_before:.0} MiB | {rss_after:.0} MiB | {peak:.0} MiB |",
        total as f64 / seconds
    );
}
