//! The audit log: every change is recorded, and each organization's ADMINs and AUDITORs read
//! their organization's log — never another's.

use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, TestServer};

const LOG: &str = "query($org: ID, $user: ID, $types: [String!], $first: Int!, $after: String) { auditEvents(orgId: $org, userId: $user, types: $types, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id type at actorUserId targetUserId organizationId ip details } } } }";

fn types(response: &steward_tests::Gql) -> Vec<String> {
    response.ok()["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_org_log_holds_its_changes_and_its_members_identity_events(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@acme.test", &["ADMIN"]).await;
    let user = server.create_user(&admin, &org, "user@acme.test", &["MEMBER"]).await;
    let patch = "mutation($id: ID!) { updateUserMetadata(id: $id, appMetadata: { plan: \"pro\" }) { id } }";
    server.as_(&admin, patch, json!({ "id": user })).await.ok();

    let log = server.as_(&admin, LOG, json!({ "org": org, "first": 100 })).await;
    let found = types(&log);
    for expected in [
        "USER_CREATED",
        "METADATA_UPDATED",
        "PASSWORD_CHANGED",
        "LOGIN_SUCCEEDED",
    ] {
        assert!(
            found.contains(&expected.to_string()),
            "{expected} missing from {found:?}"
        );
    }
    let newest = &log.ok()["auditEvents"]["edges"][0]["node"];
    assert_eq!(newest["type"], "METADATA_UPDATED");
    assert_eq!(newest["targetUserId"], json!(user));
    assert_eq!(newest["actorUserId"], json!(admin.user_id));
    assert_eq!(newest["ip"], "127.0.0.1");
}

async fn an_auditor_reads_only_their_own_org_log(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let other = server.create_org(&root, "other").await;
    let auditor = server.member(&root, &acme, "auditor@acme.test", &["AUDITOR"]).await;
    server
        .create_user(&root, &other, "secret@other.test", &["MEMBER"])
        .await;

    let mine = server.as_(&auditor, LOG, json!({ "first": 100 })).await;
    let everything = serde_json::to_string(mine.ok()).unwrap();
    assert!(!everything.contains("secret@other.test"), "another org's event leaked");
    server
        .as_(&auditor, LOG, json!({ "org": other, "first": 10 }))
        .await
        .expect_code("NOT_FOUND");
    let manager = server
        .member(&root, &acme, "manager@acme.test", &["USER_MANAGER"])
        .await;
    server
        .as_(&manager, LOG, json!({ "org": acme, "first": 10 }))
        .await
        .expect_code("FORBIDDEN");
    server
        .as_(&manager, LOG, json!({ "first": 10 }))
        .await
        .expect_code("FORBIDDEN");
}

async fn the_log_pages_to_the_end_newest_first(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    for n in 0..7 {
        server
            .create_user(&root, &org, &format!("user{n}@acme.test"), &["MEMBER"])
            .await;
        server.clock.advance(chrono::Duration::seconds(1));
    }
    let filter = json!(["USER_CREATED"]);
    let (mut seen, mut after) = (Vec::<Value>::new(), Value::Null);
    let total = loop {
        let page = server
            .as_(
                &root,
                LOG,
                json!({ "org": org, "types": filter, "first": 3, "after": after }),
            )
            .await;
        let data = page.ok()["auditEvents"].clone();
        let total = data["totalCount"].as_i64().unwrap();
        seen.extend(
            data["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"]["details"]["email"].clone()),
        );
        if data["pageInfo"]["hasNextPage"] == false {
            break total;
        }
        after = data["pageInfo"]["endCursor"].clone();
    };
    assert_eq!(total, 7);
    let expected: Vec<Value> = (0..7).rev().map(|n| json!(format!("user{n}@acme.test"))).collect();
    assert_eq!(seen, expected);
}

async fn a_user_s_events_are_on_the_user(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let user = server.member(&root, &org, "user@acme.test", &["MEMBER"]).await;
    let query = "query($id: ID!) { user(id: $id) { auditEvents(first: 50) { totalCount edges { node { type targetUserId } } } } }";
    let events = server.as_(&root, query, json!({ "id": user.user_id })).await;
    let edges = events.ok()["user"]["auditEvents"]["edges"].as_array().unwrap().clone();
    assert!(!edges.is_empty());
    assert!(edges
        .iter()
        .all(|edge| edge["node"]["targetUserId"] == json!(user.user_id)));
    // A plain member reads no log, not even their own.
    server
        .as_(&user, query, json!({ "id": user.user_id }))
        .await
        .expect_code("FORBIDDEN");
}

backend_tests!(
    an_org_log_holds_its_changes_and_its_members_identity_events,
    an_auditor_reads_only_their_own_org_log,
    the_log_pages_to_the_end_newest_first,
    a_user_s_events_are_on_the_user,
);
