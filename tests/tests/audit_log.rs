//! The audit log: every change is recorded, and each organization's ADMINs and AUDITORs read
//! their organization's log — never another's.

use sea_orm::{EntityTrait, Set};
use serde_json::{json, Value};
use steward_server::clock::Clock;
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

/// `GET /audit/export` with a bearer token: the status and the parsed lines.
async fn export(server: &TestServer, token: Option<&str>, query: &str) -> (u16, Vec<Value>) {
    let mut request = server.http.get(format!("{}/audit/export?{query}", server.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("export");
    let status = response.status().as_u16();
    let is_ndjson = response
        .headers()
        .get("content-type")
        .is_some_and(|value| value == "application/x-ndjson");
    let body = response.text().await.expect("body");
    if status != 200 {
        return (status, Vec::new());
    }
    assert!(is_ndjson);
    let lines = body
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    (status, lines)
}

async fn admins_and_auditors_download_their_org_log_as_ndjson(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let other = server.create_org(&root, "other").await;
    let admin = server.member(&root, &acme, "admin@acme.test", &["ADMIN"]).await;
    let auditor = server.member(&root, &acme, "auditor@acme.test", &["AUDITOR"]).await;
    let member = server.member(&root, &acme, "member@acme.test", &["MEMBER"]).await;
    server.member(&root, &other, "admin@other.test", &["ADMIN"]).await;
    let query = format!("orgId={acme}");

    // The same events as the log's own query, oldest first, each with its place in its chain.
    let log = server.as_(&admin, LOG, json!({ "org": acme, "first": 200 })).await;
    let mut expected: Vec<Value> = log.ok()["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].clone())
        .collect();
    expected.reverse();
    for reader in [&admin, &auditor] {
        let (status, lines) = export(&server, Some(&reader.access_token), &query).await;
        assert_eq!(status, 200);
        let ids: Vec<Value> = lines.iter().map(|line| line["id"].clone()).collect();
        assert_eq!(&ids[..expected.len()], &expected[..], "oldest first, the same events");
        assert!(lines
            .iter()
            .all(|line| line["hash"].is_string() && line["sequence"].is_number()));
        assert!(lines
            .iter()
            .all(|line| line["organizationId"] == acme.as_str() || line["organizationId"].is_null()));
        assert!(lines.iter().all(|line| line["organizationId"] != other.as_str()));
    }

    // A time range: nothing before `since`, nothing from `until` on.
    let (_, all) = export(&server, Some(&admin.access_token), &query).await;
    let middle = all[all.len() / 2]["at"].as_str().unwrap().to_owned();
    let since = format!("{query}&since={}", middle.replace('+', "%2B"));
    let (_, later) = export(&server, Some(&admin.access_token), &since).await;
    assert!(!later.is_empty() && later.iter().all(|line| line["at"].as_str().unwrap() >= middle.as_str()));
    let until = format!("{query}&until={}", middle.replace('+', "%2B"));
    let (_, earlier) = export(&server, Some(&admin.access_token), &until).await;
    assert!(earlier
        .iter()
        .all(|line| line["at"].as_str().unwrap() < middle.as_str()));
    assert_eq!(earlier.len() + later.len(), all.len());

    // Longer than a batch: every event, in order across the batches.
    let base = chrono::Utc::now();
    let rows = (0..1_100).map(|n| steward_entity::audit_event::ActiveModel {
        id: Set(steward_entity::AuditEventId::new()),
        event_type: Set("BULK_TEST".into()),
        at: Set(base + chrono::Duration::milliseconds(n)),
        actor_user_id: Set(None),
        actor_api_client_id: Set(None),
        target_user_id: Set(None),
        organization_id: Set(Some(acme.parse().unwrap())),
        ip: Set(None),
        user_agent: Set(None),
        details: Set(json!({ "n": n })),
        chain: Set(None),
        sequence: Set(None),
        hash: Set(None),
        previous_hash: Set(None),
    });
    for chunk in rows.collect::<Vec<_>>().chunks(100) {
        steward_entity::audit_event::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(server.database())
            .await
            .expect("insert events");
    }
    let (_, everything) = export(&server, Some(&admin.access_token), &query).await;
    assert_eq!(everything.len(), all.len() + 1_100);
    let keys: Vec<(String, String)> = everything
        .iter()
        .map(|line| {
            (
                line["at"].as_str().unwrap().to_owned(),
                line["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        keys.windows(2).all(|pair| pair[0] < pair[1]),
        "oldest first, across batches"
    );

    // Everyone else: a status, and no event.
    assert_eq!(export(&server, Some(&member.access_token), &query).await.0, 403);
    let foreign = server
        .sign_in("admin@other.test", steward_tests::CHANGED_PASSWORD)
        .await;
    assert_eq!(export(&server, Some(&foreign.access_token), &query).await.0, 404);
    assert_eq!(export(&server, None, &query).await.0, 401);
    assert_eq!(
        export(&server, Some(&admin.access_token), &format!("{query}&since=yesterday"))
            .await
            .0,
        400
    );
    assert_eq!(export(&server, Some(&admin.access_token), "colour=blue").await.0, 400);
}

/// A shared member's identity-wide events reach an organization's log from when they joined it,
/// not before; and an actor the organization does not know shows without identity.
async fn a_shared_member_s_history_reaches_an_org_from_when_they_joined(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let other = server.create_org(&root, "other").await;
    let acme_admin = server.member(&root, &acme, "admin@acme.test", &["ADMIN"]).await;
    let other_admin = server.member(&root, &other, "admin@other.test", &["ADMIN"]).await;
    // Sam belongs to the other organization alone, whose admin edits Sam's profile.
    let sam = server
        .create_user(&other_admin, &other, "sam@other.test", &["MEMBER"])
        .await;
    let rename = "mutation($id: ID!) { updateUser(id: $id, input: { name: \"Sam Before\" }) { id } }";
    server.as_(&other_admin, rename, json!({ "id": sam })).await.ok();
    server.clock.advance(chrono::Duration::minutes(1));
    let add = "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user) { roles } }";
    server.as_(&root, add, json!({ "org": acme, "user": sam })).await.ok();
    server.clock.advance(chrono::Duration::minutes(1));
    // After joining: Sam's own sign-in and password change.
    server.sign_in_new_user("sam@other.test").await;
    // And an identity-wide event on Sam by someone acme does not know (written directly: no
    // path of the API lets another tenant's admin act on a shared member).
    server.clock.advance(chrono::Duration::minutes(1));
    let foreign = steward_entity::audit_event::ActiveModel {
        id: Set(steward_entity::AuditEventId::new()),
        event_type: Set("USER_UPDATED".into()),
        at: Set(server.clock.now()),
        actor_user_id: Set(Some(other_admin.user_id.parse().unwrap())),
        actor_api_client_id: Set(None),
        target_user_id: Set(Some(sam.parse().unwrap())),
        organization_id: Set(None),
        ip: Set(Some("203.0.113.9".into())),
        user_agent: Set(Some("Foreign Browser".into())),
        details: Set(json!({})),
        chain: Set(None),
        sequence: Set(None),
        hash: Set(None),
        previous_hash: Set(None),
    };
    steward_entity::audit_event::Entity::insert(foreign)
        .exec_without_returning(server.database())
        .await
        .unwrap();

    let log = "query($org: ID!, $user: ID!) { auditEvents(orgId: $org, userId: $user, first: 200) { edges { node { type at actorUserId ip userAgent details } } } }";
    let events = server.as_(&acme_admin, log, json!({ "org": acme, "user": sam })).await;
    let nodes: Vec<Value> = events.ok()["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect();
    let kinds: Vec<&str> = nodes.iter().map(|node| node["type"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"PASSWORD_CHANGED") && kinds.contains(&"LOGIN_SUCCEEDED"),
        "{kinds:?}"
    );
    // Nothing from before Sam joined: not the other organization's rename.
    assert!(
        nodes.iter().all(|node| node["details"]["name"] != "Sam Before"),
        "{nodes:#?}"
    );
    let other_admin_id = json!(other_admin.user_id);
    assert!(
        nodes.iter().all(|node| node["actorUserId"] != other_admin_id),
        "{nodes:#?}"
    );
    let hidden = nodes
        .iter()
        .find(|node| node["type"] == "USER_UPDATED")
        .expect("the foreign actor's event");
    assert_eq!(
        (&hidden["actorUserId"], &hidden["ip"], &hidden["userAgent"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    // The other organization's own admin still reads its own history of Sam in full.
    let theirs = server
        .as_(&other_admin, log, json!({ "org": other, "user": sam }))
        .await;
    let theirs = theirs.ok()["auditEvents"]["edges"].as_array().unwrap().len();
    assert!(theirs > nodes.len() - 1, "{theirs} vs {}", nodes.len());
}

backend_tests!(
    an_org_log_holds_its_changes_and_its_members_identity_events,
    an_auditor_reads_only_their_own_org_log,
    the_log_pages_to_the_end_newest_first,
    a_user_s_events_are_on_the_user,
    admins_and_auditors_download_their_org_log_as_ndjson,
    a_shared_member_s_history_reaches_an_org_from_when_they_joined,
);
