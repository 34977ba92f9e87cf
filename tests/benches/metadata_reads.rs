//! What do metadata schemas cost a read? A member's `userMetadata` is read as the organization's
//! ADMIN sees it, with the keys a schema withholds left out, so each read first loads the schemas
//! that concern the user. This reads the same user three ways over the real server and prints the
//! p50 of each and their ratios: without `userMetadata`, with it and no schema anywhere, and with
//! it under a platform schema and an organization schema that withholds one key.
//!
//! ```sh
//! cargo bench -p steward-tests --bench metadata_reads -- [--backend sqlite|postgres|mariadb]
//! ```

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use steward_tests::{Backend, Session, TestServer};

const SAMPLES: usize = 2000;

async fn timings(server: &TestServer, session: &Session, query: &str, id: &str) -> Vec<Duration> {
    let mut timings = Vec::with_capacity(SAMPLES);
    for sample in 0..SAMPLES + 100 {
        let started = Instant::now();
        let response = server.as_(session, query, json!({ "id": id })).await;
        let elapsed = started.elapsed();
        response.ok();
        if sample >= 100 {
            timings.push(elapsed);
        }
    }
    timings.sort();
    timings
}

fn p50(sorted: &[Duration]) -> f64 {
    sorted[sorted.len() / 2].as_secs_f64() * 1e3
}

async fn set_schema(server: &TestServer, root: &Session, org: Option<&str>, target: &str, schema: Value) {
    let set = "mutation($org: ID, $target: MetadataTarget!, $schema: JSON) {
        setMetadataSchema(orgId: $org, target: $target, schema: $schema, confirm: true) { applied } }";
    let variables = json!({ "org": org, "target": target, "schema": schema });
    server.as_(root, set, variables).await.ok();
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let backend = Backend::from_args();
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@acme.test", &["ADMIN"]).await;
    let ada = server.create_user(&root, &org, "ada@acme.test", &["MEMBER"]).await;
    let patch = "mutation($id: ID!) { updateUserMetadata(id: $id, userMetadata: { team: \"blue\", diary: \"x\", age: 36 }) { id } }";
    server.as_(&root, patch, json!({ "id": ada })).await.ok();

    let plain = "query($id: ID!) { user(id: $id) { id email name } }";
    let with_metadata = "query($id: ID!) { user(id: $id) { id email name userMetadata } }";
    let without = timings(&server, &admin, plain, &ada).await;
    let no_schema = timings(&server, &admin, with_metadata, &ada).await;
    set_schema(
        &server,
        &root,
        None,
        "USER_METADATA",
        json!({ "properties": { "age": { "type": "integer" } } }),
    )
    .await;
    set_schema(
        &server,
        &root,
        Some(&org),
        "USER_METADATA",
        json!({ "properties": { "diary": { "x-steward-read": ["SELF"] }, "team": { "type": "string" } } }),
    )
    .await;
    let schemas = timings(&server, &admin, with_metadata, &ada).await;
    let seen = server.as_(&admin, with_metadata, json!({ "id": ada })).await;
    assert_eq!(seen.ok()["user"]["userMetadata"], json!({ "team": "blue", "age": 36 }));

    println!("metadata reads on {backend:?}, {SAMPLES} sequential reads of one user by an org ADMIN");
    for (label, sorted) in [
        ("without userMetadata", &without),
        ("userMetadata, no schema", &no_schema),
        ("userMetadata, 2 schemas", &schemas),
    ] {
        println!("{label:<24} p50 {:>6.3} ms", p50(sorted));
    }
    println!(
        "ratios to the read without userMetadata: no schema {:.2}, two schemas {:.2}",
        p50(&no_schema) / p50(&without),
        p50(&schemas) / p50(&without)
    );
}
