//! How long does one bulk action on 1 000 members take? Seeds an organization with 1 000
//! members through the API, then times `bulkUserAction` for several actions over the real server
//! (each item authorized, written and audited on its own) and prints the time against the 5 s
//! target.
//!
//! ```sh
//! cargo bench -p steward-tests --bench bulk_actions -- [--backend sqlite|postgres|mariadb]
//! ```

use serde_json::json;
use std::time::Instant;
use steward_tests::{Backend, TestServer};

const MEMBERS: usize = 1_000;
const TARGET_SECONDS: f64 = 5.0;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let backend = Backend::from_args();
    let server = TestServer::start_with(backend, |config| {
        config.admin_mails_per_actor_per_hour = 1_000_000;
        config.admin_mails_per_recipient_per_hour = 1_000_000;
    })
    .await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@acme.test", &["ADMIN"]).await;
    let create = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
    let mut ids = Vec::with_capacity(MEMBERS);
    for n in 0..MEMBERS {
        let input = json!({ "orgId": org, "email": format!("m{n}@acme.test"), "sendInvitation": false });
        let created = server.as_(&root, create, json!({ "input": input })).await;
        ids.push(created.ok()["createUser"]["id"].as_str().unwrap().to_owned());
    }
    let bulk = "mutation($input: BulkUserActionInput!) { bulkUserAction(input: $input) { succeeded failed } }";
    println!("bulkUserAction on {MEMBERS} members on {backend:?}, as the organization's ADMIN");
    println!("| action | seconds | succeeded | seconds / {TARGET_SECONDS} s target |");
    println!("|---|---|---|---|");
    for (action, extra) in [
        ("BLOCK", json!({ "reason": "offboarding" })),
        ("UNBLOCK", json!({})),
        ("SUSPEND", json!({})),
        ("REINSTATE", json!({})),
        ("SET_ROLES", json!({ "roles": ["AUDITOR"] })),
        ("REVOKE_SESSIONS", json!({})),
        ("REMOVE_FROM_ORG", json!({})),
    ] {
        let mut input = json!({ "orgId": org, "userIds": ids, "action": action });
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let started = Instant::now();
        let answer = server.as_(&admin, bulk, json!({ "input": input })).await;
        let seconds = started.elapsed().as_secs_f64();
        let succeeded = answer.ok()["bulkUserAction"]["succeeded"].as_i64().unwrap();
        println!(
            "| {action} | {seconds:.2} | {succeeded} | {:.2} |",
            seconds / TARGET_SECONDS
        );
    }
}
