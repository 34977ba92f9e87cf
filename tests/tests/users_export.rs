//! `GET /users/export`: an organization's ADMIN downloads its members as Auth0-format NDJSON or
//! CSV, streamed, with the members table's filters; password hashes only for a superadmin who
//! asks; and what a superadmin exports imports losslessly elsewhere, passwords included.

use serde_json::{json, Value};
use steward_server::domain::authz::CommandLine;
use steward_server::domain::transfer::{self, Format, ImportOptions};
use steward_tests::{backend_tests, Backend, Session, TestServer, PASSWORD};

/// More members than one page of the export (200), so that paging is crossed.
const MEMBERS: usize = 230;

struct World {
    server: TestServer,
    root: Session,
    acme: String,
    globex: String,
    admin: Session,
}

/// `acme` with `MEMBERS` imported members (half with a bcrypt hash, half with argon2id) and an
/// admin; `globex` with its own admin and a member.
async fn world(backend: Backend) -> World {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let globex = server.create_org(&root, "globex").await;
    let bcrypt = bcrypt::hash(PASSWORD, 4).unwrap();
    let argon = {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(b"sixteen-byte-slt").unwrap();
        argon2::Argon2::default()
            .hash_password(PASSWORD.as_bytes(), &salt)
            .unwrap()
            .to_string()
    };
    let lines: String = (0..MEMBERS)
        .map(|n| {
            let hash = if n % 2 == 0 { &bcrypt } else { &argon };
            let record = json!({
                "email": format!("user{n:03}@acme.test"),
                "email_verified": true,
                "name": format!("User {n}"),
                "user_metadata": { "team": if n % 3 == 0 { "red" } else { "blue" } },
                "app_metadata": { "plan": "gold" },
                "password_hash": hash,
            });
            format!("{record}\n")
        })
        .collect();
    let caller = CommandLine::new(server.state.clone());
    transfer::import(
        &caller.operator(),
        "acme",
        &lines,
        Format::Ndjson,
        ImportOptions::default(),
    )
    .await
    .expect("import");
    let admin = server.member(&root, &acme, "ada@acme.test", &["ADMIN"]).await;
    server.member(&root, &globex, "gil@globex.test", &["ADMIN"]).await;
    World {
        server,
        root,
        acme,
        globex,
        admin,
    }
}

async fn download(server: &TestServer, token: &str, query: &str) -> (u16, Option<String>, String) {
    let response = server
        .http
        .get(format!("{}/users/export?{query}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    (status, kind, response.text().await.unwrap())
}

fn records(body: &str) -> Vec<Value> {
    body.lines()
        .map(|line| serde_json::from_str(line).expect("one JSON record a line"))
        .collect()
}

async fn an_admin_downloads_the_members_as_ndjson_and_csv(backend: Backend) {
    let world = world(backend).await;
    let server = &world.server;
    let token = &world.admin.access_token;

    let (status, kind, body) = download(server, token, &format!("orgId={}", world.acme)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(kind.as_deref(), Some("application/x-ndjson"));
    let all = records(&body);
    assert_eq!(all.len(), MEMBERS + 1, "every member once, the admin included");
    let emails: std::collections::BTreeSet<&str> = all.iter().map(|r| r["email"].as_str().unwrap()).collect();
    assert_eq!(emails.len(), all.len(), "no member twice across pages");
    let one = all.iter().find(|r| r["email"] == "user007@acme.test").unwrap();
    assert_eq!(one["name"], "User 7");
    assert_eq!(one["user_metadata"], json!({ "team": "blue" }));
    assert_eq!(one["app_metadata"], json!({ "plan": "gold" }));
    assert_eq!(one["roles"], json!(["MEMBER"]));
    assert!(
        all.iter().all(|r| r.get("password_hash").is_none()),
        "no hashes unless asked"
    );

    // The members table's filters.
    let (_, _, body) = download(server, token, &format!("orgId={}&query=user00&role=MEMBER", world.acme)).await;
    assert_eq!(records(&body).len(), 10);
    let (_, _, body) = download(server, token, &format!("orgId={}&role=ADMIN", world.acme)).await;
    assert_eq!(records(&body)[0]["email"], "ada@acme.test");

    let (status, kind, body) = download(server, token, &format!("orgId={}&format=csv", world.acme)).await;
    assert_eq!(status, 200);
    assert_eq!(kind.as_deref(), Some("text/csv; charset=utf-8"));
    let mut rows = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(rows.headers().unwrap().get(1), Some("email"));
    assert_eq!(rows.records().count(), MEMBERS + 1);

    // Recorded in the organization's log.
    let log = server
        .as_(
            &world.admin,
            "query($org: ID!) { auditEvents(orgId: $org, types: [\"USERS_EXPORTED\"]) { edges { node { actorUserId details } } } }",
            json!({ "org": world.acme }),
        )
        .await;
    let events = log.ok()["auditEvents"]["edges"].as_array().unwrap().clone();
    assert_eq!(events.len(), 4);
    assert_eq!(events[0]["node"]["actorUserId"], world.admin.user_id.as_str());
}

async fn only_the_organization_s_admins_export_and_only_superadmins_get_hashes(backend: Backend) {
    let world = world(backend).await;
    let server = &world.server;
    let manager = server
        .member(&world.root, &world.acme, "uma@acme.test", &["USER_MANAGER"])
        .await;
    let outsider = server.sign_in("gil@globex.test", steward_tests::CHANGED_PASSWORD).await;
    let acme = format!("orgId={}", world.acme);
    assert_eq!(download(server, &manager.access_token, &acme).await.0, 403);
    assert_eq!(download(server, &outsider.access_token, &acme).await.0, 404);
    assert_eq!(download(server, "not-a-token", &acme).await.0, 401);
    assert_eq!(download(server, &world.admin.access_token, "format=csv").await.0, 400);
    assert_eq!(
        download(server, &world.admin.access_token, &format!("{acme}&format=xml"))
            .await
            .0,
        400
    );
    assert_eq!(
        download(server, &world.admin.access_token, &format!("{acme}&unknown=1"))
            .await
            .0,
        400
    );
    // Hashes: never for an organization's admin, whatever they ask.
    let (status, _, _) = download(
        server,
        &world.admin.access_token,
        &format!("{acme}&passwordHashes=true"),
    )
    .await;
    assert_eq!(status, 403);
    let _ = &world.globex;
}

/// What a superadmin exports with hashes imports into another Steward as it was: profiles,
/// metadata, roles, and passwords that sign in.
async fn a_superadmin_s_export_imports_losslessly_elsewhere(backend: Backend) {
    let world = world(backend).await;
    let (status, _, exported) = download(
        &world.server,
        &world.root.access_token,
        &format!("orgId={}&passwordHashes=true", world.acme),
    )
    .await;
    assert_eq!(status, 200, "{exported}");
    let records_out = records(&exported);
    assert!(records_out
        .iter()
        .all(|r| r["password_hash"].as_str().is_some_and(|h| h.starts_with('$'))));

    let elsewhere = TestServer::start(backend).await;
    let root = elsewhere.superadmin().await;
    elsewhere.create_org(&root, "acme").await;
    let caller = CommandLine::new(elsewhere.state.clone());
    let report = transfer::import(
        &caller.operator(),
        "acme",
        &exported,
        Format::Ndjson,
        ImportOptions::default(),
    )
    .await
    .expect("the export imports");
    assert_eq!(report.created, MEMBERS + 1);

    // A bcrypt and an argon2id account sign in with their passwords.
    elsewhere.sign_in("user000@acme.test", PASSWORD).await;
    elsewhere.sign_in("user001@acme.test", PASSWORD).await;
    // And the data came across as it was: compare what the second server exports.
    let second_root = root;
    let acme_id = {
        let found = elsewhere
            .as_(&second_root, "query { organization(slug: \"acme\") { id } }", json!({}))
            .await;
        found.ok()["organization"]["id"].as_str().unwrap().to_owned()
    };
    let (_, _, again) = download(
        &elsewhere,
        &second_root.access_token,
        &format!("orgId={acme_id}&passwordHashes=true"),
    )
    .await;
    let strip = |records: Vec<Value>| -> Vec<Value> {
        let mut kept: Vec<Value> = records
            .into_iter()
            .filter(|r| r["email"] != "ada@acme.test")
            .map(|mut r| {
                for volatile in ["user_id", "created_at", "last_login", "logins_count", "password_hash"] {
                    r.as_object_mut().unwrap().remove(volatile);
                }
                r
            })
            .collect();
        kept.sort_by(|a, b| a["email"].as_str().cmp(&b["email"].as_str()));
        kept
    };
    assert_eq!(strip(records(&again)), strip(records_out));
}

backend_tests!(
    an_admin_downloads_the_members_as_ndjson_and_csv,
    only_the_organization_s_admins_export_and_only_superadmins_get_hashes,
    a_superadmin_s_export_imports_losslessly_elsewhere,
);
