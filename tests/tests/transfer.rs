//! `steward import-users` and `steward export-users`: Auth0-format NDJSON and CSV, all or
//! nothing, password hashes carried over (bcrypt upgraded to argon2id at the next sign-in).

use serde_json::{json, Value};
use steward_server::domain::authz::CommandLine;
use steward_server::domain::transfer::{self, Format, ImportOptions, ImportReport};
use steward_tests::{backend_tests, Backend, TestServer, PASSWORD};

/// bcrypt (cost 4) of `PASSWORD`, as another identity provider would export it.
fn bcrypt_of_password() -> String {
    bcrypt::hash(PASSWORD, 4).expect("bcrypt")
}

async fn import(server: &TestServer, input: &str, format: Format, dry_run: bool, upsert: bool) -> ImportReport {
    let options = ImportOptions {
        dry_run,
        upsert,
        update_shared: false,
    };
    import_with(server, input, format, options).await
}

async fn import_with(server: &TestServer, input: &str, format: Format, options: ImportOptions) -> ImportReport {
    let caller = CommandLine::new(server.state.clone());
    transfer::import(&caller.operator(), "acme", input, format, options)
        .await
        .expect("the import runs")
}

async fn export(server: &TestServer, format: Format) -> String {
    let caller = CommandLine::new(server.state.clone());
    let mut out = Vec::new();
    transfer::export(&caller.operator(), "acme", format, &mut out)
        .await
        .expect("the export runs");
    String::from_utf8(out).unwrap()
}

async fn member_emails(server: &TestServer, root: &steward_tests::Session, org: &str) -> Vec<String> {
    let query =
        "query($org: ID!) { organization(id: $org) { members(first: 200) { edges { node { user { email } } } } } }";
    let response = server.as_(root, query, json!({ "org": org })).await;
    response.ok()["organization"]["members"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["user"]["email"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_auth0_export_imports_with_its_passwords(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let ada = json!({
        "user_id": "auth0|1", "email": "Ada@Acme.test", "email_verified": true, "name": "Ada Lovelace",
        "user_metadata": { "theme": "dark" }, "app_metadata": { "plan": "pro" }, "roles": ["ADMIN"],
        "custom_password_hash": { "algorithm": "bcrypt", "hash": { "value": bcrypt_of_password() } }
    });
    let grace = json!({ "email": "grace@acme.test", "name": "Grace Hopper" });
    let input = format!("{ada}\n\n{grace}\n");

    let dry = import(&server, &input, Format::Ndjson, true, false).await;
    assert_eq!((dry.created, dry.updated, dry.errors.len()), (2, 0, 0));
    assert!(
        member_emails(&server, &root, &org).await.is_empty(),
        "a dry run writes nothing"
    );

    let report = import(&server, &input, Format::Ndjson, false, false).await;
    assert_eq!((report.created, report.errors.len()), (2, 0));
    let mut emails = member_emails(&server, &root, &org).await;
    emails.sort();
    assert_eq!(emails, ["ada@acme.test", "grace@acme.test"]);

    // The bcrypt hash signs Ada in, and is replaced by argon2id.
    let signed_in = server.login("ada@acme.test", PASSWORD).await;
    let user_id = signed_in.ok()["login"]["user"]["id"].as_str().unwrap().to_owned();
    let user = server
        .as_(
            &root,
            "query($id: ID!) { user(id: $id) { emailVerified userMetadata appMetadata memberships { roles } } }",
            json!({ "id": user_id }),
        )
        .await;
    let user = &user.ok()["user"];
    assert_eq!(user["emailVerified"], true);
    assert_eq!(user["userMetadata"], json!({ "theme": "dark" }));
    assert_eq!(user["appMetadata"], json!({ "plan": "pro" }));
    assert_eq!(user["memberships"][0]["roles"], json!(["ADMIN"]));
    let stored = {
        use sea_orm::EntityTrait;
        let id: steward_entity::UserId = user_id.parse().unwrap();
        steward_entity::credential::Entity::find_by_id(id)
            .one(server.database())
            .await
            .unwrap()
            .unwrap()
            .password_hash
    };
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    server.login("ada@acme.test", PASSWORD).await.ok();
    server
        .login("ada@acme.test", "wrong-password")
        .await
        .expect_code("INVALID_CREDENTIALS");
}

async fn a_file_with_any_bad_record_imports_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    server.create_user(&root, &org, "taken@acme.test", &["MEMBER"]).await;
    let input = [
        json!({ "email": "good@acme.test" }).to_string(),
        json!({ "email": "not-an-address" }).to_string(),
        "{ this is not json".to_owned(),
        json!({ "email": "good@acme.test" }).to_string(),
        json!({ "email": "taken@acme.test" }).to_string(),
        json!({ "email": "weird@acme.test", "roles": ["OWNER"] }).to_string(),
        json!({ "email": "md5@acme.test", "custom_password_hash": { "algorithm": "md5", "hash": { "value": "x" } } })
            .to_string(),
        json!({ "email": "meta@acme.test", "user_metadata": { "a.b": 1 } }).to_string(),
    ]
    .join("\n");
    let report = import(&server, &input, Format::Ndjson, false, false).await;
    let lines: Vec<usize> = report.errors.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7, 8], "{:#?}", report.errors);
    assert!(report.errors[3].1.contains("--upsert"), "{:?}", report.errors[3]);
    assert_eq!(
        member_emails(&server, &root, &org).await,
        ["taken@acme.test"],
        "nothing was imported"
    );
}

async fn imported_metadata_answers_to_the_schemas(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let globex = server.create_org(&root, "globex").await;
    // grace belongs to globex too, whose schema takes two departments only.
    let grace = server.create_user(&root, &globex, "grace@acme.test", &["MEMBER"]).await;
    let add = "mutation($org: ID!, $id: ID!) { addMember(orgId: $org, userId: $id) { roles } }";
    server.as_(&root, add, json!({ "org": org, "id": grace })).await.ok();
    let set = "mutation($org: ID, $target: MetadataTarget!, $schema: JSON) {
        setMetadataSchema(orgId: $org, target: $target, schema: $schema, confirm: true) { applied } }";
    let acme_schema = json!({ "properties": { "age": { "type": "integer" } } });
    let globex_schema = json!({ "properties": { "department": { "enum": ["sales", "ops"] } } });
    let platform_schema = json!({ "properties": { "plan": { "enum": ["free", "pro"] } } });
    for (org, target, schema) in [
        (Some(&org), "USER_METADATA", acme_schema),
        (Some(&globex), "USER_METADATA", globex_schema),
        (None, "APP_METADATA", platform_schema),
    ] {
        let variables = json!({ "org": org, "target": target, "schema": schema });
        server.as_(&root, set, variables).await.ok();
    }
    let input = [
        json!({ "email": "ada@acme.test", "user_metadata": { "age": 36 }, "app_metadata": { "plan": "pro" } }),
        json!({ "email": "bob@acme.test", "user_metadata": { "age": "old" } }),
        json!({ "email": "eve@acme.test", "app_metadata": { "plan": "gold" } }),
        json!({ "email": "grace@acme.test", "user_metadata": { "department": "research" } }),
    ]
    .map(|record| record.to_string())
    .join("\n");
    let options = ImportOptions {
        dry_run: false,
        upsert: true,
        update_shared: true,
    };
    let report = import_with(&server, &input, Format::Ndjson, options).await;
    let lines: Vec<usize> = report.errors.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [2, 3, 4], "{:#?}", report.errors);
    assert!(report.errors[0].1.contains("userMetadata/age"), "{:?}", report.errors);
    assert!(report.errors[1].1.contains("appMetadata/plan"), "{:?}", report.errors);
    assert!(
        report.errors[2].1.contains("userMetadata/department"),
        "{:?}",
        report.errors
    );
    assert_eq!(
        member_emails(&server, &root, &org).await,
        ["grace@acme.test"],
        "nothing was imported"
    );
    let input = [
        json!({ "email": "ada@acme.test", "user_metadata": { "age": 36 }, "app_metadata": { "plan": "pro" } }),
        json!({ "email": "grace@acme.test", "user_metadata": { "department": "ops", "age": 40 } }),
    ]
    .map(|record| record.to_string())
    .join("\n");
    let report = import_with(&server, &input, Format::Ndjson, options).await;
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
}

async fn taken_usernames_are_reported_before_anything_is_written(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let create = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
    let input = json!({ "orgId": org, "email": "ada@acme.test", "username": "ada", "sendInvitation": false });
    server.as_(&root, create, json!({ "input": input })).await.ok();
    let input = [
        // The account that holds a username may keep it…
        json!({ "email": "ada@acme.test", "username": "ada" }).to_string(),
        json!({ "email": "one@acme.test", "username": "twin" }).to_string(),
        json!({ "email": "two@acme.test", "username": "twin" }).to_string(),
        // …but no other account may take it.
        json!({ "email": "other@acme.test", "username": "ada" }).to_string(),
    ]
    .join("\n");
    let report = import(&server, &input, Format::Ndjson, true, true).await;
    let mut lines: Vec<usize> = report.errors.iter().map(|(line, _)| *line).collect();
    lines.dedup();
    assert_eq!(lines, [3, 4], "{:#?}", report.errors);
}

async fn upsert_updates_existing_accounts_and_merges_metadata(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let other = server.create_org(&root, "globex").await;
    let id = server.create_user(&root, &other, "ada@acme.test", &["MEMBER"]).await;
    server
        .as_(
            &root,
            "mutation($id: ID!) { updateUserMetadata(id: $id, appMetadata: { keep: 1, plan: \"free\" }) { id } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    let input =
        json!({ "email": "ada@acme.test", "name": "Ada L.", "app_metadata": { "plan": "pro" }, "roles": ["AUDITOR"] })
            .to_string();
    // Ada belongs to globex: her identity changes only when the import is told it may.
    let refused = import(&server, &input, Format::Ndjson, false, true).await;
    assert_eq!(refused.errors.len(), 1, "{:?}", refused.errors);
    assert!(refused.errors[0].1.contains("--update-shared"), "{:?}", refused.errors);
    let options = ImportOptions {
        upsert: true,
        update_shared: true,
        ..ImportOptions::default()
    };
    let report = import_with(&server, &input, Format::Ndjson, options).await;
    assert_eq!((report.created, report.updated, report.errors.len()), (0, 1, 0));
    let user = server
        .as_(
            &root,
            "query($id: ID!) { user(id: $id) { name appMetadata memberships { organization { slug } roles } } }",
            json!({ "id": id }),
        )
        .await;
    let user = &user.ok()["user"];
    assert_eq!(user["name"], "Ada L.");
    assert_eq!(user["appMetadata"], json!({ "keep": 1, "plan": "pro" }));
    let acme = user["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|membership| membership["organization"]["slug"] == "acme")
        .expect("joined acme");
    assert_eq!(acme["roles"], json!(["AUDITOR"]));
    assert_eq!(member_emails(&server, &root, &org).await, ["ada@acme.test"]);
}

async fn an_export_imports_again_as_ndjson_and_csv(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let input = (0..1203)
        .map(|n| json!({ "email": format!("user{n:04}@acme.test"), "name": format!("User, \"{n}\""), "user_metadata": { "n": n } }).to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        import(&server, &input, Format::Ndjson, false, false).await.created,
        1203
    );

    let ndjson = export(&server, Format::Ndjson).await;
    let records: Vec<Value> = ndjson.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(records.len(), 1203, "every member, across export batches");
    assert!(records.iter().all(|record| record.get("password_hash").is_none()));
    let first = records
        .iter()
        .find(|record| record["email"] == "user0007@acme.test")
        .unwrap();
    assert_eq!(first["name"], "User, \"7\"");
    assert_eq!(first["user_metadata"], json!({ "n": 7 }));
    assert_eq!(first["roles"], json!(["MEMBER"]));

    let csv = export(&server, Format::Csv).await;
    assert_eq!(csv.lines().count(), 1204, "a header and a row per user");
    // Both forms import into another organization unchanged.
    let target = server.create_org(&root, "initech").await;
    let _ = target;
    let caller = CommandLine::new(server.state.clone());
    for (format, text) in [(Format::Csv, &csv), (Format::Ndjson, &ndjson)] {
        let options = ImportOptions {
            upsert: true,
            update_shared: true,
            ..ImportOptions::default()
        };
        let report = transfer::import(&caller.operator(), "initech", text, format, options)
            .await
            .unwrap();
        assert_eq!(
            (report.updated, report.errors.len()),
            (1203, 0),
            "{:?}",
            report.errors.first()
        );
    }
    let _ = org;
}

backend_tests!(
    an_auth0_export_imports_with_its_passwords,
    a_file_with_any_bad_record_imports_nothing,
    imported_metadata_answers_to_the_schemas,
    taken_usernames_are_reported_before_anything_is_written,
    upsert_updates_existing_accounts_and_merges_metadata,
    an_export_imports_again_as_ndjson_and_csv,
);
