//! What does the per-request check cost? Every authenticated request verifies the token and
//! re-reads the session, the user and the memberships, so that a block or a suspension bites on
//! the very next request. This compares the cheapest authenticated request with the same request
//! unauthenticated, over the real server, and prints the ratio.
//!
//! ```sh
//! cargo bench -p steward-tests --bench request_check -- [--backend sqlite|postgres|mariadb]
//! ```

use serde_json::json;
use std::time::{Duration, Instant};
use steward_tests::{Backend, TestServer};

const SAMPLES: usize = 2000;

async fn timings(server: &TestServer, token: Option<&str>) -> Vec<Duration> {
    let mut timings = Vec::with_capacity(SAMPLES);
    for sample in 0..SAMPLES + 100 {
        let started = Instant::now();
        let response = server.gql(token, "{ __typename }", json!({})).await;
        let elapsed = started.elapsed();
        response.ok();
        if sample >= 100 {
            timings.push(elapsed);
        }
    }
    timings.sort();
    timings
}

fn at(sorted: &[Duration], fraction: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * fraction).round() as usize].as_secs_f64() * 1e3
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let backend = Backend::from_args();
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    // A user in a few organizations, so the membership read has something to read.
    for slug in ["one", "two", "three"] {
        server.create_org(&root, slug).await;
    }
    let anonymous = timings(&server, None).await;
    let signed_in = timings(&server, Some(&root.access_token)).await;
    println!("per-request check on {backend:?}, {SAMPLES} sequential requests each");
    for (label, sorted) in [("anonymous", &anonymous), ("signed in", &signed_in)] {
        println!(
            "{label:<10} p50 {:>6.3} ms   p95 {:>6.3} ms",
            at(sorted, 0.5),
            at(sorted, 0.95)
        );
    }
    println!(
        "check overhead: p50 +{:.3} ms (signed-in/anonymous p50 ratio {:.2})",
        at(&signed_in, 0.5) - at(&anonymous, 0.5),
        at(&signed_in, 0.5) / at(&anonymous, 0.5)
    );
}
