//! Import jobs through the API: an organization's ADMIN uploads a file to `POST /users/import`,
//! it is imported in the background, and `importJob` shows its progress and the lines it did not
//! apply. Same rules as everything else: only into the admin's own organization, and never over an
//! account another organization shares.

use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, Session, TestServer};

async fn upload(server: &TestServer, session: Option<&Session>, query: &str, body: String) -> (u16, String) {
    let mut request = server
        .http
        .post(format!("{}/users/import?{query}", server.url))
        .body(body);
    if let Some(session) = session {
        request = request.bearer_auth(&session.access_token);
    }
    let response = request.send().await.expect("a response");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

const JOB: &str = "query($id: ID!) { importJob(id: $id) {
    status source format createdCount updatedCount skippedCount rejectedCount linesDone fileBytes bytesDone failure
    problems { line outcome message } } }";

async fn job(server: &TestServer, session: &Session, id: &str) -> Value {
    let answer = server.as_(session, JOB, json!({ "id": id })).await;
    answer.ok()["importJob"].clone()
}

async fn an_admin_imports_a_file_into_their_organization(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let globex = server.create_org(&root, "globex").await;
    let admin = server.member(&root, &acme, "admin@acme.test", &["ADMIN"]).await;
    let manager = server
        .member(&root, &acme, "manager@acme.test", &["USER_MANAGER"])
        .await;
    let shared = server.create_user(&root, &acme, "shared@acme.test", &["MEMBER"]).await;
    server.add_member(&root, &globex, &shared).await;
    let file = [
        json!({ "email": "new1@acme.test", "name": "New One", "user_metadata": { "team": "a" } }).to_string(),
        json!({ "email": "new2@acme.test", "roles": ["ADMIN"] }).to_string(),
        "{broken".to_owned(),
        json!({ "email": "shared@acme.test", "name": "Taken Over" }).to_string(),
    ]
    .join("\n");

    // Refused before a byte is read: no token, a USER_MANAGER, another organization, asking to
    // update shared accounts.
    let query = format!("orgId={acme}&upsert=true");
    assert_eq!(upload(&server, None, &query, file.clone()).await.0, 401);
    assert_eq!(upload(&server, Some(&manager), &query, file.clone()).await.0, 403);
    let foreign = format!("orgId={globex}&upsert=true");
    assert_eq!(upload(&server, Some(&admin), &foreign, file.clone()).await.0, 404);
    let shared_too = format!("orgId={acme}&upsert=true&updateShared=true");
    assert_eq!(upload(&server, Some(&admin), &shared_too, file.clone()).await.0, 403);
    assert_eq!(
        upload(&server, Some(&admin), &format!("orgId={acme}&format=xml"), file.clone())
            .await
            .0,
        400
    );

    let (status, body) = upload(&server, Some(&admin), &query, file.clone()).await;
    assert_eq!(status, 202, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let id = answer["id"].as_str().unwrap().to_owned();
    server.settle().await;
    let done = job(&server, &admin, &id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["source"], "API");
    assert_eq!(
        (
            &done["createdCount"],
            &done["skippedCount"],
            &done["rejectedCount"],
            &done["linesDone"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(4))
    );
    assert_eq!(done["bytesDone"], done["fileBytes"]);
    let problems = &done["problems"];
    assert_eq!(problems[0]["line"], 3);
    assert_eq!(problems[0]["outcome"], "REJECTED");
    assert_eq!(problems[1]["line"], 4);
    assert_eq!(problems[1]["outcome"], "SKIPPED");
    assert!(problems[1]["message"]
        .as_str()
        .unwrap()
        .contains("also belongs to other organizations"));

    // The shared account is as it was; the new ones are members of acme.
    let user = server
        .as_(
            &root,
            "query($id: ID!) { user(id: $id) { name } }",
            json!({ "id": shared }),
        )
        .await;
    assert_eq!(user.ok()["user"]["name"], "shared@acme.test");
    let members = server
        .as_(
            &admin,
            "query($org: ID!) { organization(id: $org) { members(first: 50, filter: { query: \"new\" }) { totalCount } } }",
            json!({ "org": acme }),
        )
        .await;
    assert_eq!(members.ok()["organization"]["members"]["totalCount"], 2);

    // Listed for the admin; out of reach (null, as an id that names none) for another
    // organization's admin.
    let jobs = server
        .as_(
            &admin,
            "query($org: ID!) { importJobs(orgId: $org) { id status } }",
            json!({ "org": acme }),
        )
        .await;
    assert_eq!(jobs.ok()["importJobs"][0]["id"], json!(id));
    let outsider = server.member(&root, &globex, "admin@globex.test", &["ADMIN"]).await;
    assert_eq!(job(&server, &outsider, &id).await, Value::Null);
    server
        .as_(
            &outsider,
            "query($org: ID!) { importJobs(orgId: $org) { id } }",
            json!({ "org": acme }),
        )
        .await
        .expect_code("NOT_FOUND");

    // The same file again: that import finished, and its job is the answer.
    let (status, body) = upload(&server, Some(&admin), &query, file).await;
    assert_eq!(status, 202);
    let again: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(again["id"], json!(id));
    assert_eq!(again["status"], "SUCCEEDED");
}

async fn an_upload_over_the_limit_is_refused(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.import_max_bytes = 1024).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let line = json!({ "email": "someone@acme.test" }).to_string() + "\n";
    let (status, body) = upload(&server, Some(&root), &format!("orgId={acme}"), line.repeat(100)).await;
    assert_eq!(status, 413, "{body}");
    let jobs = server
        .as_(
            &root,
            "query($org: ID!) { importJobs(orgId: $org) { id } }",
            json!({ "org": acme }),
        )
        .await;
    assert_eq!(jobs.ok()["importJobs"], json!([]));
}

backend_tests!(
    an_admin_imports_a_file_into_their_organization,
    an_upload_over_the_limit_is_refused,
);
