//! Typed metadata: JSON Schemas per organization and for the platform, set after a dry run, held
//! on every write path in the write's own transaction, with per-key read and write rights.

use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, Gql, Session, TestServer};

const SET: &str = "mutation($org: ID, $target: MetadataTarget!, $schema: JSON, $confirm: Boolean) {
    setMetadataSchema(orgId: $org, target: $target, schema: $schema, confirm: $confirm) {
        applied checkedCount failingCount hasMore failing { userId email violations { path message } } } }";
const CHECK: &str = "query($org: ID, $target: MetadataTarget!, $schema: JSON!, $first: Int, $after: ID) {
    checkMetadataSchema(orgId: $org, target: $target, schema: $schema, first: $first, after: $after) {
        applied failingCount hasMore failing { userId email } } }";
const SCHEMA: &str = "query($org: ID, $target: MetadataTarget!) { metadataSchema(orgId: $org, target: $target) }";
const UPDATE: &str = "mutation($id: ID!, $user: JSON, $app: JSON) {
    updateUserMetadata(id: $id, userMetadata: $user, appMetadata: $app) { userMetadata appMetadata } }";
const UPDATE_MINE: &str =
    "mutation($patch: JSON!) { updateMyProfile(input: { userMetadata: $patch }) { userMetadata } }";
const UPDATE_MEMBERSHIP: &str = "mutation($org: ID!, $id: ID!, $patch: JSON!) {
    updateMembershipMetadata(orgId: $org, userId: $id, metadata: $patch) { metadata } }";
const CREATE: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
const READ: &str = "query($id: ID!) { user(id: $id) { userMetadata appMetadata } }";
const READ_MEMBERSHIP: &str =
    "query($org: ID!, $id: ID!) { organization(id: $org) { member(userId: $id) { metadata } } }";
const MINE: &str = "{ viewer { user { userMetadata } } }";

/// acme with an ADMIN, a USER_MANAGER, an AUDITOR and a MEMBER (ada).
struct Acme {
    server: TestServer,
    root: Session,
    org: String,
    admin: Session,
    manager: Session,
    auditor: Session,
    ada: Session,
}

impl Acme {
    async fn start(backend: Backend) -> Self {
        let server = TestServer::start(backend).await;
        let root = server.superadmin().await;
        let org = server.create_org(&root, "acme").await;
        let admin = server.member(&root, &org, "admin@acme.test", &["ADMIN"]).await;
        let manager = server.member(&root, &org, "manager@acme.test", &["USER_MANAGER"]).await;
        let auditor = server.member(&root, &org, "auditor@acme.test", &["AUDITOR"]).await;
        let ada = server.member(&root, &org, "ada@acme.test", &["MEMBER"]).await;
        Self {
            server,
            root,
            org,
            admin,
            manager,
            auditor,
            ada,
        }
    }

    async fn set(&self, session: &Session, org: Option<&str>, target: &str, schema: Value, confirm: bool) -> Gql {
        let variables = json!({ "org": org, "target": target, "schema": schema, "confirm": confirm });
        self.server.as_(session, SET, variables).await
    }

    /// Sets and confirms acme's schema as its admin.
    async fn apply(&self, target: &str, schema: Value) {
        let set = self.set(&self.admin, Some(&self.org), target, schema, true).await;
        assert_eq!(set.ok()["setMetadataSchema"]["applied"], true);
    }

    async fn update(&self, session: &Session, user: &Session, patch: Value) -> Gql {
        let variables = json!({ "id": user.user_id, "user": patch });
        self.server.as_(session, UPDATE, variables).await
    }

    async fn user_metadata(&self, session: &Session, user: &Session) -> Value {
        let read = self.server.as_(session, READ, json!({ "id": user.user_id })).await;
        read.ok()["user"]["userMetadata"].clone()
    }
}

fn department_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "department": { "type": "string" },
            "age": { "type": "integer", "minimum": 0 }
        }
    })
}

async fn a_schema_is_applied_only_after_a_dry_run_and_confirmation(backend: Backend) {
    let acme = Acme::start(backend).await;
    let server = &acme.server;
    acme.update(&acme.admin, &acme.ada, json!({ "department": 5 }))
        .await
        .ok();
    acme.update(&acme.admin, &acme.manager, json!({ "department": "ops" }))
        .await
        .ok();

    // Without confirmation nothing is written; the answer says who would fail, where and why.
    let before = server.snapshot().await;
    let dry = acme
        .set(
            &acme.admin,
            Some(&acme.org),
            "USER_METADATA",
            department_schema(),
            false,
        )
        .await;
    let dry = &dry.ok()["setMetadataSchema"];
    assert_eq!(dry["applied"], false);
    assert_eq!(dry["checkedCount"], 4);
    assert_eq!(dry["failingCount"], 1);
    assert_eq!(dry["failing"][0]["email"], "ada@acme.test");
    assert_eq!(dry["failing"][0]["violations"][0]["path"], "/department");
    assert_eq!(
        server.snapshot().await.changed_since(&before, &[]),
        Vec::<String>::new()
    );
    let read = server
        .as_(
            &acme.admin,
            SCHEMA,
            json!({ "org": acme.org, "target": "USER_METADATA" }),
        )
        .await;
    assert_eq!(read.ok()["metadataSchema"], Value::Null);

    // Confirmed, it is stored and read back; ada's document is kept as it was.
    acme.apply("USER_METADATA", department_schema()).await;
    let read = server
        .as_(
            &acme.auditor,
            SCHEMA,
            json!({ "org": acme.org, "target": "USER_METADATA" }),
        )
        .await;
    assert_eq!(read.ok()["metadataSchema"], department_schema());
    assert_eq!(
        acme.user_metadata(&acme.admin, &acme.ada).await,
        json!({ "department": 5 })
    );

    // Every later write must leave the document valid: fixing ada's department passes.
    let still = acme.update(&acme.admin, &acme.ada, json!({ "team": "x" })).await;
    still.expect_invalid("userMetadata/department");
    acme.update(&acme.admin, &acme.ada, json!({ "department": "research" }))
        .await
        .ok();

    // The dry run pages through the failing documents.
    let strict = json!({ "required": ["badge"] });
    let page = |after: Option<String>| {
        let variables =
            json!({ "org": acme.org, "target": "USER_METADATA", "schema": strict, "first": 2, "after": after });
        server.as_(&acme.admin, CHECK, variables)
    };
    let first = page(None).await;
    let first = &first.ok()["checkMetadataSchema"];
    assert_eq!(
        (first["failingCount"].as_i64(), first["hasMore"].as_bool()),
        (Some(4), Some(true))
    );
    let last = first["failing"][1]["userId"].as_str().unwrap().to_owned();
    let second = page(Some(last)).await;
    let second = &second.ok()["checkMetadataSchema"];
    assert_eq!(second["failing"].as_array().unwrap().len(), 2);
    assert_eq!(second["hasMore"], false);
    let emails: Vec<&Value> = first["failing"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["failing"].as_array().unwrap())
        .map(|failure| &failure["email"])
        .collect();
    assert_eq!(emails.len(), 4);

    // A schema removed with confirmation lets anything through again.
    acme.set(&acme.admin, Some(&acme.org), "USER_METADATA", Value::Null, true)
        .await
        .ok();
    acme.update(&acme.admin, &acme.ada, json!({ "department": 1 }))
        .await
        .ok();
}

async fn every_write_path_is_held_to_the_schema_and_nothing_changes_on_refusal(backend: Backend) {
    let acme = Acme::start(backend).await;
    let server = &acme.server;
    acme.apply("USER_METADATA", department_schema()).await;
    acme.apply(
        "APP_METADATA",
        json!({ "properties": { "plan": { "enum": ["free", "pro"] } } }),
    )
    .await;
    acme.apply(
        "MEMBERSHIP_METADATA",
        json!({ "properties": { "costCenter": { "type": "string", "pattern": "^[0-9]{4}$" } } }),
    )
    .await;
    let before = server.snapshot().await;

    let admin_edit = acme
        .update(&acme.admin, &acme.ada, json!({ "age": -1, "department": ["x"] }))
        .await;
    admin_edit.expect_invalid("userMetadata/age");
    admin_edit.expect_invalid("userMetadata/department");
    let app = server
        .as_(
            &acme.admin,
            UPDATE,
            json!({ "id": acme.ada.user_id, "app": { "plan": "gold" } }),
        )
        .await;
    app.expect_invalid("appMetadata/plan");
    let own = server
        .as_(&acme.ada, UPDATE_MINE, json!({ "patch": { "age": "old" } }))
        .await;
    own.expect_invalid("userMetadata/age");
    let membership = json!({ "org": acme.org, "id": acme.ada.user_id, "patch": { "costCenter": "12" } });
    server
        .as_(&acme.admin, UPDATE_MEMBERSHIP, membership)
        .await
        .expect_invalid("metadata/costCenter");
    let input = json!({ "orgId": acme.org, "email": "new@acme.test", "sendInvitation": false,
        "userMetadata": { "age": 1.5 }, "appMetadata": { "plan": "pro" } });
    server
        .as_(&acme.admin, CREATE, json!({ "input": input }))
        .await
        .expect_invalid("userMetadata/age");
    assert_eq!(
        server.snapshot().await.changed_since(&before, &[]),
        Vec::<String>::new()
    );

    // Valid documents pass on each path.
    acme.update(&acme.admin, &acme.ada, json!({ "age": 36 })).await.ok();
    server
        .as_(&acme.ada, UPDATE_MINE, json!({ "patch": { "department": "ops" } }))
        .await
        .ok();
    let membership = json!({ "org": acme.org, "id": acme.ada.user_id, "patch": { "costCenter": "1200" } });
    server.as_(&acme.admin, UPDATE_MEMBERSHIP, membership).await.ok();
    let input = json!({ "orgId": acme.org, "email": "new@acme.test", "sendInvitation": false,
        "userMetadata": { "age": 1 }, "appMetadata": { "plan": "pro" } });
    server.as_(&acme.admin, CREATE, json!({ "input": input })).await.ok();
}

async fn per_key_rights_decide_who_writes_and_who_reads_each_key(backend: Backend) {
    let acme = Acme::start(backend).await;
    let server = &acme.server;
    acme.apply(
        "USER_METADATA",
        json!({
            "properties": {
                "department": {
                    "type": "string",
                    "x-steward-read": ["SELF", "AUDITOR"],
                    "x-steward-write": ["USER_MANAGER"]
                },
                "salary": { "x-steward-read": ["ADMIN"], "x-steward-write": ["ADMIN"] }
            }
        }),
    )
    .await;
    acme.apply(
        "APP_METADATA",
        json!({
            "properties": {
                "plan": { "x-steward-write": ["scope:metadata:write"] },
                "tier": { "x-steward-write": ["scope:users:delete"] }
            }
        }),
    )
    .await;
    let before = server.snapshot().await;
    // The user may not set their department, nor an auditor or a manager the salary.
    let own = server
        .as_(&acme.ada, UPDATE_MINE, json!({ "patch": { "department": "ops" } }))
        .await;
    own.expect_invalid("userMetadata/department");
    acme.update(&acme.manager, &acme.ada, json!({ "salary": 1 }))
        .await
        .expect_invalid("userMetadata/salary");
    server
        .as_(
            &acme.admin,
            UPDATE,
            json!({ "id": acme.ada.user_id, "app": { "plan": "pro" } }),
        )
        .await
        .expect_invalid("appMetadata/plan");
    assert_eq!(
        server.snapshot().await.changed_since(&before, &[]),
        Vec::<String>::new()
    );

    // A USER_MANAGER sets the department (an ADMIN, ranked above, could too), an ADMIN the salary.
    acme.update(&acme.manager, &acme.ada, json!({ "department": "ops" }))
        .await
        .ok();
    acme.update(&acme.admin, &acme.ada, json!({ "salary": 100, "free": true }))
        .await
        .ok();
    // Keys without rights are the user's as before.
    server
        .as_(&acme.ada, UPDATE_MINE, json!({ "patch": { "theme": "dark" } }))
        .await
        .ok();

    // Reads leave out what the reader may not see.
    let everything = json!({ "department": "ops", "salary": 100, "free": true, "theme": "dark" });
    assert_eq!(acme.user_metadata(&acme.admin, &acme.ada).await, everything);
    assert_eq!(acme.user_metadata(&acme.root, &acme.ada).await, everything);
    let without_salary = json!({ "department": "ops", "free": true, "theme": "dark" });
    assert_eq!(acme.user_metadata(&acme.auditor, &acme.ada).await, without_salary);
    assert_eq!(acme.user_metadata(&acme.manager, &acme.ada).await, without_salary);
    let mine = server.as_(&acme.ada, MINE, json!({})).await;
    assert_eq!(mine.ok()["viewer"]["user"]["userMetadata"], without_salary);

    // Nor can a filter tell the value of a key the reader may not read.
    let filter = "query($org: ID!) { organization(id: $org) {
        members(filter: { metadata: [{ path: \"userMetadata.salary\", equals: 100 }] }) { totalCount } } }";
    let users = "{ users(filter: { metadata: [{ path: \"userMetadata.salary\", equals: 100 }] }) { totalCount } }";
    for session in [&acme.auditor, &acme.manager] {
        let refused = server.as_(session, filter, json!({ "org": acme.org })).await;
        refused.expect_invalid("filter.metadata.path");
        server
            .as_(session, users, json!({}))
            .await
            .expect_invalid("filter.metadata.path");
    }
    let found = server.as_(&acme.admin, filter, json!({ "org": acme.org })).await;
    assert_eq!(found.ok()["organization"]["members"]["totalCount"], 1);
    let department = "query($org: ID!) { organization(id: $org) {
        members(filter: { metadata: [{ path: \"userMetadata.department\", equals: \"ops\" }] }) { totalCount } } }";
    let found = server.as_(&acme.auditor, department, json!({ "org": acme.org })).await;
    assert_eq!(found.ok()["organization"]["members"]["totalCount"], 1);

    // The portal's form: the schemas, and which keys this caller may not change.
    let form = "query($id: ID!) { user(id: $id) { metadataForm(target: USER_METADATA) { schemas readOnly } } }";
    for (session, expected) in [
        (&acme.admin, json!([])),
        (&acme.manager, json!(["/salary"])),
        (&acme.auditor, json!(["/department", "/salary"])),
        (&acme.ada, json!(["/department", "/salary"])),
    ] {
        let answer = server.as_(session, form, json!({ "id": acme.ada.user_id })).await;
        let form = &answer.ok()["user"]["metadataForm"];
        assert_eq!(form["schemas"].as_array().map(Vec::len), Some(1), "{form:#}");
        assert_eq!(form["readOnly"], expected, "for {}", session.email);
    }

    // An API client writes the keys its scopes are named for, and no others.
    let create = "mutation($org: ID!) { createApiClient(orgId: $org, name: \"billing\", scopes: [\"metadata:write\", \"users:read\"]) { clientSecret client { clientId } } }";
    let made = server.as_(&acme.admin, create, json!({ "org": acme.org })).await;
    let made = &made.ok()["createApiClient"];
    let token = server
        .client_token(
            made["client"]["clientId"].as_str().unwrap(),
            made["clientSecret"].as_str().unwrap(),
        )
        .await;
    let app = |patch: Value| json!({ "id": acme.ada.user_id, "app": patch });
    let plan = server.gql(Some(&token), UPDATE, app(json!({ "plan": "pro" }))).await;
    assert_eq!(plan.ok()["updateUserMetadata"]["appMetadata"], json!({ "plan": "pro" }));
    server
        .gql(Some(&token), UPDATE, app(json!({ "tier": 2 })))
        .await
        .expect_invalid("appMetadata/tier");
    // The client, holding no role, does not read the keys kept for roles.
    let read = server.gql(Some(&token), READ, json!({ "id": acme.ada.user_id })).await;
    assert_eq!(
        read.ok()["user"]["userMetadata"],
        json!({ "free": true, "theme": "dark" })
    );
}

async fn membership_metadata_rights_hold_inside_the_organization(backend: Backend) {
    let acme = Acme::start(backend).await;
    let server = &acme.server;
    acme.apply(
        "MEMBERSHIP_METADATA",
        json!({ "properties": { "costCenter": {
            "type": "string", "x-steward-write": ["ADMIN"], "x-steward-read": ["USER_MANAGER"] } } }),
    )
    .await;
    let patch = json!({ "org": acme.org, "id": acme.ada.user_id, "patch": { "costCenter": "1200", "desk": "4F" } });
    server
        .as_(&acme.manager, UPDATE_MEMBERSHIP, patch.clone())
        .await
        .expect_invalid("metadata/costCenter");
    server.as_(&acme.admin, UPDATE_MEMBERSHIP, patch).await.ok();
    let variables = json!({ "org": acme.org, "id": acme.ada.user_id });
    let seen = server.as_(&acme.manager, READ_MEMBERSHIP, variables.clone()).await;
    assert_eq!(
        seen.ok()["organization"]["member"]["metadata"],
        json!({ "costCenter": "1200", "desk": "4F" })
    );
    let seen = server.as_(&acme.auditor, READ_MEMBERSHIP, variables).await;
    assert_eq!(seen.ok()["organization"]["member"]["metadata"], json!({ "desk": "4F" }));
}

async fn an_export_leaves_out_what_the_exporting_admin_may_not_read(backend: Backend) {
    let acme = Acme::start(backend).await;
    let server = &acme.server;
    acme.apply(
        "USER_METADATA",
        json!({ "properties": { "diary": { "x-steward-read": ["SELF"], "x-steward-write": ["SELF"] } } }),
    )
    .await;
    let patch = json!({ "patch": { "diary": "private", "theme": "dark" } });
    server.as_(&acme.ada, UPDATE_MINE, patch).await.ok();
    let export = |session: &Session| {
        server
            .http
            .get(format!("{}/users/export?orgId={}", server.url, acme.org))
            .bearer_auth(session.access_token.clone())
            .send()
    };
    let ada_of = |body: String| -> Value {
        body.lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .find(|record| record["email"] == "ada@acme.test")
            .expect("ada is exported")
    };
    let by_admin = ada_of(export(&acme.admin).await.unwrap().text().await.unwrap());
    assert_eq!(by_admin["user_metadata"], json!({ "theme": "dark" }));
    let by_root = ada_of(export(&acme.root).await.unwrap().text().await.unwrap());
    assert_eq!(by_root["user_metadata"], json!({ "diary": "private", "theme": "dark" }));
    // The user reads their own diary; an admin reading the user does not.
    let mine = server.as_(&acme.ada, MINE, json!({})).await;
    assert_eq!(mine.ok()["viewer"]["user"]["userMetadata"]["diary"], "private");
    assert_eq!(
        acme.user_metadata(&acme.admin, &acme.ada).await,
        json!({ "theme": "dark" })
    );
}

const MEMBERS: &str = "query($org: ID!, $filter: UserFilter) { organization(id: $org) {
    members(filter: $filter, orderBy: { field: EMAIL, direction: ASC }) { edges { node { user { email } } } } } }";

/// The emails of the members `filter` matches, in order.
async fn members_matching(server: &TestServer, session: &Session, org: &str, filter: Value) -> Vec<String> {
    let answer = server
        .as_(session, MEMBERS, json!({ "org": org, "filter": filter }))
        .await;
    answer.ok()["organization"]["members"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["user"]["email"].as_str().unwrap().to_owned())
        .collect()
}

async fn metadata_ranges_compare_numbers_and_dates_as_such(backend: Backend) {
    let acme = Acme::start(backend).await;
    let server = &acme.server;
    let documents = [
        (&acme.ada, json!({ "age": 9, "started": "2026-01-15", "score": 2.5 })),
        (&acme.manager, json!({ "age": 10, "started": "2025-12-31" })),
        (&acme.auditor, json!({ "age": "11", "started": 20260101 })),
    ];
    for (user, document) in documents {
        acme.update(&acme.root, user, document).await.ok();
    }
    let org = acme.org.as_str();
    let admin = &acme.admin;
    let matching = |filter: Value| members_matching(server, admin, org, filter);
    let range = |path: &str, at_least: Value, at_most: Value| json!({ "metadataRange": [{ "path": path, "atLeast": at_least, "atMost": at_most }] });
    // Numbers as numbers (9 < 10, though "9" > "10"), a string "11" is not a number.
    assert_eq!(
        matching(range("userMetadata.age", json!(9), Value::Null)).await,
        ["ada@acme.test", "manager@acme.test"]
    );
    assert_eq!(
        matching(range("userMetadata.age", json!(10), Value::Null)).await,
        ["manager@acme.test"]
    );
    assert_eq!(
        matching(range("userMetadata.age", Value::Null, json!(9.5))).await,
        ["ada@acme.test"]
    );
    assert_eq!(
        matching(range("userMetadata.score", json!(2), json!(3))).await,
        ["ada@acme.test"]
    );
    // Dates as ISO 8601 strings; a number where a date is expected does not match.
    assert_eq!(
        matching(range("userMetadata.started", json!("2026-01-01"), Value::Null)).await,
        ["ada@acme.test"]
    );
    assert_eq!(
        matching(range("userMetadata.started", json!("2025-01-01"), json!("2025-12-31"))).await,
        ["manager@acme.test"]
    );
    // Equality is typed too: 10 is not "10".
    let equals = json!({ "metadata": [{ "path": "userMetadata.age", "equals": 10 }] });
    assert_eq!(matching(equals).await, ["manager@acme.test"]);
    let equals = json!({ "metadata": [{ "path": "userMetadata.age", "equals": "11" }] });
    assert_eq!(matching(equals).await, ["auditor@acme.test"]);
    // Bounds that are neither numbers nor strings, or none at all, are refused.
    let refused = |filter: Value| server.as_(admin, MEMBERS, json!({ "org": org, "filter": filter }));
    refused(range("userMetadata.age", json!(true), Value::Null))
        .await
        .expect_invalid("filter.metadataRange.atLeast");
    refused(range("userMetadata.age", Value::Null, Value::Null))
        .await
        .expect_invalid("filter.metadataRange");
    refused(range("profile.age", json!(1), Value::Null))
        .await
        .expect_invalid("filter.metadata.path");
}

async fn a_user_in_several_organizations_answers_to_every_schema_and_the_platform_s(backend: Backend) {
    let acme = Acme::start(backend).await;
    let server = &acme.server;
    let globex = server.create_org(&acme.root, "globex").await;
    let add = "mutation($org: ID!, $id: ID!) { addMember(orgId: $org, userId: $id, roles: [MEMBER]) { roles } }";
    server
        .as_(&acme.root, add, json!({ "org": globex, "id": acme.ada.user_id }))
        .await
        .ok();
    acme.apply("USER_METADATA", department_schema()).await;
    let globex_schema = json!({ "properties": { "department": { "enum": ["sales", "ops"] } } });
    let set = acme
        .set(&acme.root, Some(&globex), "USER_METADATA", globex_schema, true)
        .await;
    set.ok();
    // The platform's schema is for superadmins alone.
    let platform = json!({ "properties": { "badge": { "type": "integer" } } });
    acme.set(&acme.admin, None, "USER_METADATA", platform.clone(), true)
        .await
        .expect_code("FORBIDDEN");
    acme.set(&acme.root, None, "USER_METADATA", platform, true).await.ok();

    // acme's schema takes any string, globex's only two: both must accept; the platform's too.
    let before = server.snapshot().await;
    let refused = acme
        .update(&acme.root, &acme.ada, json!({ "department": "research" }))
        .await;
    refused.expect_invalid("userMetadata/department");
    assert!(refused.fields()["userMetadata/department"]
        .as_str()
        .unwrap()
        .contains("organization"));
    let own = server
        .as_(&acme.ada, UPDATE_MINE, json!({ "patch": { "badge": "x" } }))
        .await;
    assert!(own.fields()["userMetadata/badge"]
        .as_str()
        .unwrap()
        .contains("platform"));
    assert_eq!(
        server.snapshot().await.changed_since(&before, &[]),
        Vec::<String>::new()
    );
    server
        .as_(
            &acme.ada,
            UPDATE_MINE,
            json!({ "patch": { "department": "ops", "badge": 7 } }),
        )
        .await
        .ok();
    // The platform's schema holds in an organization with none of its own, too.
    let initech = server.create_org(&acme.root, "initech").await;
    let input = json!({ "orgId": initech, "email": "bob@initech.test", "sendInvitation": false,
        "userMetadata": { "badge": "x" } });
    server
        .as_(&acme.root, CREATE, json!({ "input": input }))
        .await
        .expect_invalid("userMetadata/badge");
}

async fn only_a_valid_schema_is_accepted_and_only_from_the_organization_s_admin(backend: Backend) {
    let acme = Acme::start(backend).await;
    let server = &acme.server;
    let globex = server.create_org(&acme.root, "globex").await;
    let before = server.snapshot().await;
    for schema in [
        json!([1]),
        json!({ "type": "no-such-type" }),
        json!({ "$schema": "http://json-schema.org/draft-07/schema#" }),
        json!({ "$ref": "https://example.com/schema.json" }),
        json!({ "properties": { "a": { "x-steward-write": ["OWNER"] } } }),
        json!({ "properties": { "a": { "x-steward-read": "ADMIN" } } }),
    ] {
        acme.set(&acme.admin, Some(&acme.org), "USER_METADATA", schema.clone(), true)
            .await
            .expect_invalid("schema");
        let check = json!({ "org": acme.org, "target": "USER_METADATA", "schema": schema });
        server.as_(&acme.admin, CHECK, check).await.expect_invalid("schema");
    }
    let schema = department_schema();
    acme.set(&acme.manager, Some(&acme.org), "USER_METADATA", schema.clone(), true)
        .await
        .expect_code("FORBIDDEN");
    acme.set(&acme.admin, Some(&globex), "USER_METADATA", schema.clone(), true)
        .await
        .expect_code("NOT_FOUND");
    let read = server
        .as_(&acme.admin, SCHEMA, json!({ "org": globex, "target": "USER_METADATA" }))
        .await;
    assert_eq!(read.ok()["metadataSchema"], Value::Null);
    assert_eq!(
        server.snapshot().await.changed_since(&before, &[]),
        Vec::<String>::new()
    );
    // A member who signs in reads the platform's schemas (none here) but not an org's.
    let read = server.as_(&acme.ada, SCHEMA, json!({ "target": "APP_METADATA" })).await;
    assert_eq!(read.ok()["metadataSchema"], Value::Null);
    server
        .as_(&acme.ada, SCHEMA, json!({ "org": acme.org, "target": "USER_METADATA" }))
        .await
        .expect_code("FORBIDDEN");
}

backend_tests!(
    a_schema_is_applied_only_after_a_dry_run_and_confirmation,
    every_write_path_is_held_to_the_schema_and_nothing_changes_on_refusal,
    per_key_rights_decide_who_writes_and_who_reads_each_key,
    membership_metadata_rights_hold_inside_the_organization,
    an_export_leaves_out_what_the_exporting_admin_may_not_read,
    metadata_ranges_compare_numbers_and_dates_as_such,
    a_user_in_several_organizations_answers_to_every_schema_and_the_platform_s,
    only_a_valid_schema_is_accepted_and_only_from_the_organization_s_admin,
);
