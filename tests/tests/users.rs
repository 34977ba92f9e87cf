//! Users: creation into an organization, profile edits by admins and by the user, email changes,
//! deletion, and ids that do not exist.

use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, Gql, Session, TestServer, PASSWORD};

const CREATE: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id email emailVerified passwordChangeRequired } }";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }";
const DELETE: &str = "mutation($id: ID!) { deleteUser(id: $id) }";
const PROFILE: &str = "query($id: ID!) { user(id: $id) { email emailVerified username name givenName familyName nickname picture phoneNumber locale } }";
const MEMBER_COUNT: &str = "query($id: ID!) { organization(id: $id) { memberCount } }";

async fn create(server: &TestServer, session: &Session, input: Value) -> Gql {
    server.as_(session, CREATE, json!({ "input": input })).await
}

async fn profile(server: &TestServer, session: &Session, id: &str) -> Value {
    server.as_(session, PROFILE, json!({ "id": id })).await.ok()["user"].clone()
}

async fn member_count(server: &TestServer, session: &Session, org: &str) -> i64 {
    server.as_(session, MEMBER_COUNT, json!({ "id": org })).await.ok()["organization"]["memberCount"]
        .as_i64()
        .unwrap()
}

/// A user with every profile field set, created by `admin` in `org`; returns the id.
async fn full_profile_user(server: &TestServer, admin: &Session, org: &str) -> String {
    let input = json!({
        "orgId": org,
        "email": "ada@acme.test",
        "password": PASSWORD,
        "username": "ada",
        "name": "Ada Lovelace",
        "givenName": "Ada",
        "familyName": "Lovelace",
        "nickname": "Countess",
        "picture": "https://acme.test/ada.png",
        "phoneNumber": "+441234567890",
        "locale": "en-GB",
    });
    create(server, admin, input).await.ok()["createUser"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn create_user_stores_the_email_trimmed_and_lower_cased(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let input = json!({ "orgId": org, "email": "  Ada.Lovelace@Acme.TEST  ", "password": PASSWORD });
    let created = create(&server, &root, input).await;
    assert_eq!(created.ok()["createUser"]["email"], "ada.lovelace@acme.test");
    assert_eq!(created.ok()["createUser"]["emailVerified"], false);
    server.login("ADA.LOVELACE@acme.test", PASSWORD).await.ok();
}

async fn duplicate_email_is_a_conflict_in_any_organization(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let a = server.create_org(&root, "a-org").await;
    let b = server.create_org(&root, "b-org").await;
    create(&server, &root, json!({ "orgId": a, "email": "ada@acme.test" }))
        .await
        .ok();
    for org in [&a, &b] {
        create(&server, &root, json!({ "orgId": org, "email": " ADA@acme.test" }))
            .await
            .expect_code("CONFLICT");
    }
    assert_eq!(member_count(&server, &root, &a).await, 1);
    assert_eq!(member_count(&server, &root, &b).await, 0);
}

async fn bad_profile_fields_are_refused_with_their_names(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let cases = [
        ("email", "not-an-email"),
        ("email", "ada@localhost"),
        ("picture", "ftp://acme.test/ada.png"),
        ("picture", "not a url"),
        ("locale", "x"),
        ("locale", "en GB!"),
        ("phoneNumber", "555-1234"),
        ("username", "has space"),
    ];
    for (field, value) in cases {
        let mut input = json!({ "orgId": org, "email": "ada@acme.test" });
        input[field] = json!(value);
        create(&server, &root, input).await.expect_invalid(field);
    }
    // Every bad field is named at once.
    let input = json!({ "orgId": org, "email": "nope", "picture": "nope", "locale": "!" });
    let response = create(&server, &root, input).await;
    response.expect_code("BAD_USER_INPUT");
    let mut named: Vec<&String> = response.fields().as_object().unwrap().keys().collect();
    named.sort();
    assert_eq!(named, ["email", "locale", "picture"]);
    assert_eq!(member_count(&server, &root, &org).await, 0);
}

async fn a_given_password_must_be_changed_at_first_sign_in(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let with = create(
        &server,
        &root,
        json!({ "orgId": org, "email": "with@acme.test", "password": PASSWORD }),
    )
    .await;
    assert_eq!(with.ok()["createUser"]["passwordChangeRequired"], true);
    assert_eq!(
        server.login("with@acme.test", PASSWORD).await.ok()["login"]["passwordChangeRequired"],
        true
    );

    let input = json!({ "orgId": org, "email": "without@acme.test", "sendInvitation": false });
    let without = create(&server, &root, input).await;
    assert_eq!(without.ok()["createUser"]["passwordChangeRequired"], false);
    server
        .login("without@acme.test", PASSWORD)
        .await
        .expect_code("INVALID_CREDENTIALS");

    let weak = create(
        &server,
        &root,
        json!({ "orgId": org, "email": "weak@acme.test", "password": "short" }),
    )
    .await;
    weak.expect_code("PASSWORD_POLICY");
    assert_eq!(member_count(&server, &root, &org).await, 2);
}

async fn update_user_changes_only_the_given_fields(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@acme.test", &["ADMIN"]).await;
    let id = full_profile_user(&server, &admin, &org).await;
    let mut expected = profile(&server, &admin, &id).await;

    server
        .as_(&admin, UPDATE, json!({ "id": id, "input": { "givenName": "Augusta" } }))
        .await
        .ok();
    expected["givenName"] = json!("Augusta");
    assert_eq!(profile(&server, &admin, &id).await, expected);

    let input = json!({ "name": "Augusta Ada King", "locale": "en-US" });
    server
        .as_(&admin, UPDATE, json!({ "id": id, "input": input }))
        .await
        .ok();
    expected["name"] = json!("Augusta Ada King");
    expected["locale"] = json!("en-US");
    assert_eq!(profile(&server, &admin, &id).await, expected);
}

async fn explicit_null_clears_an_optional_field(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@acme.test", &["ADMIN"]).await;
    let id = full_profile_user(&server, &admin, &org).await;
    let mut expected = profile(&server, &admin, &id).await;

    let input = json!({ "nickname": null, "picture": null, "phoneNumber": null, "username": null });
    server
        .as_(&admin, UPDATE, json!({ "id": id, "input": input }))
        .await
        .ok();
    for field in ["nickname", "picture", "phoneNumber", "username"] {
        expected[field] = Value::Null;
    }
    assert_eq!(profile(&server, &admin, &id).await, expected);

    // Blank is not a way to clear: null is.
    let blank = server
        .as_(&admin, UPDATE, json!({ "id": id, "input": { "name": "   " } }))
        .await;
    blank.expect_invalid("name");
    assert_eq!(profile(&server, &admin, &id).await, expected);
}

async fn a_new_email_is_unverified(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@acme.test", &["ADMIN"]).await;
    let id = full_profile_user(&server, &admin, &org).await;
    server.set_email_verified(&id, true).await;

    // The same address again changes nothing, so it stays verified.
    server
        .as_(
            &admin,
            UPDATE,
            json!({ "id": id, "input": { "email": "ada@acme.test" } }),
        )
        .await
        .ok();
    assert_eq!(profile(&server, &admin, &id).await["emailVerified"], true);

    let input = json!({ "email": " Augusta@Acme.test " });
    server
        .as_(&admin, UPDATE, json!({ "id": id, "input": input }))
        .await
        .ok();
    let after = profile(&server, &admin, &id).await;
    assert_eq!(
        (&after["email"], &after["emailVerified"]),
        (&json!("augusta@acme.test"), &json!(false))
    );
    server.login("augusta@acme.test", PASSWORD).await.ok();
    server
        .login("ada@acme.test", PASSWORD)
        .await
        .expect_code("INVALID_CREDENTIALS");

    let taken = server
        .as_(
            &admin,
            UPDATE,
            json!({ "id": id, "input": { "email": "admin@acme.test" } }),
        )
        .await;
    taken.expect_code("CONFLICT");
    assert_eq!(profile(&server, &admin, &id).await["email"], "augusta@acme.test");
}

async fn update_my_profile_edits_own_names_and_user_metadata(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let input = json!({ "orgId": org, "email": "ada@acme.test", "password": PASSWORD, "familyName": "Lovelace" });
    create(&server, &root, input).await.ok();
    let me = server.sign_in_new_user("ada@acme.test").await;
    let update = "mutation($input: MyProfileInput!) { updateMyProfile(input: $input) { name givenName familyName userMetadata } }";

    let input =
        json!({ "name": "Ada L.", "givenName": "Ada", "userMetadata": { "theme": "dark", "editor": { "tabs": 4 } } });
    let first = server.as_(&me, update, json!({ "input": input })).await;
    assert_eq!(
        first.ok()["updateMyProfile"],
        json!({ "name": "Ada L.", "givenName": "Ada", "familyName": "Lovelace", "userMetadata": { "theme": "dark", "editor": { "tabs": 4 } } })
    );
    let second = server
        .as_(
            &me,
            update,
            json!({ "input": { "userMetadata": { "editor": { "wrap": true } } } }),
        )
        .await;
    assert_eq!(
        second.ok()["updateMyProfile"]["userMetadata"],
        json!({ "theme": "dark", "editor": { "tabs": 4, "wrap": true } })
    );
    assert_eq!(second.ok()["updateMyProfile"]["name"], "Ada L.");
}

async fn a_member_can_neither_read_nor_write_their_own_app_metadata(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let input =
        json!({ "orgId": org, "email": "ada@acme.test", "password": PASSWORD, "appMetadata": { "plan": "pro" } });
    let id = create(&server, &root, input).await.ok()["createUser"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = server.sign_in_new_user("ada@acme.test").await;

    let own = server.as_(&me, "{ viewer { user { userMetadata } } }", json!({})).await;
    assert_eq!(own.ok()["viewer"]["user"]["userMetadata"], json!({}));
    server
        .as_(&me, "{ viewer { user { appMetadata } } }", json!({}))
        .await
        .expect_code("FORBIDDEN");
    let by_id = "query($id: ID!) { user(id: $id) { appMetadata } }";
    server
        .as_(&me, by_id, json!({ "id": id }))
        .await
        .expect_code("FORBIDDEN");

    // The self-service input has no such field, and the admin mutation is not the user's.
    let mine = "mutation { updateMyProfile(input: { appMetadata: { plan: \"enterprise\" } }) { id } }";
    server.as_(&me, mine, json!({})).await.expect_code("BAD_USER_INPUT");
    let admin_only = "mutation($id: ID!) { updateUserMetadata(id: $id, appMetadata: { plan: \"enterprise\" }) { id } }";
    server
        .as_(&me, admin_only, json!({ "id": id }))
        .await
        .expect_code("FORBIDDEN");
    assert_eq!(
        server.as_(&root, by_id, json!({ "id": id })).await.ok()["user"]["appMetadata"],
        json!({ "plan": "pro" })
    );
}

async fn deleted_user_is_gone_everywhere(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@acme.test", &["ADMIN"]).await;
    let member = server.member(&admin, &org, "member@acme.test", &["MEMBER"]).await;
    assert_eq!(member_count(&server, &admin, &org).await, 2);

    assert_eq!(
        server.as_(&admin, DELETE, json!({ "id": member.user_id })).await.ok()["deleteUser"],
        true
    );
    for session in [&admin, &root] {
        let read = server
            .as_(
                session,
                "query($id: ID!) { user(id: $id) { id } }",
                json!({ "id": member.user_id }),
            )
            .await;
        assert!(read.ok()["user"].is_null());
    }
    assert_eq!(member_count(&server, &admin, &org).await, 1);
    server
        .as_(&member, "{ viewer { user { id } } }", json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
    server
        .login("member@acme.test", steward_tests::CHANGED_PASSWORD)
        .await
        .expect_code("INVALID_CREDENTIALS");
    server
        .as_(&admin, DELETE, json!({ "id": member.user_id }))
        .await
        .expect_code("NOT_FOUND");
}

async fn malformed_or_unknown_user_ids_read_as_null(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let unknown = uuid::Uuid::now_v7().to_string();
    for id in ["not-a-uuid", "", "12345", unknown.as_str()] {
        let read = server
            .as_(&root, "query($id: ID!) { user(id: $id) { id } }", json!({ "id": id }))
            .await;
        assert!(read.ok()["user"].is_null(), "{id}");
        let update = server
            .as_(&root, UPDATE, json!({ "id": id, "input": { "name": "X" } }))
            .await;
        update.expect_code("NOT_FOUND");
        server
            .as_(&root, DELETE, json!({ "id": id }))
            .await
            .expect_code("NOT_FOUND");
    }
}

backend_tests!(
    create_user_stores_the_email_trimmed_and_lower_cased,
    duplicate_email_is_a_conflict_in_any_organization,
    bad_profile_fields_are_refused_with_their_names,
    a_given_password_must_be_changed_at_first_sign_in,
    update_user_changes_only_the_given_fields,
    explicit_null_clears_an_optional_field,
    a_new_email_is_unverified,
    update_my_profile_edits_own_names_and_user_metadata,
    a_member_can_neither_read_nor_write_their_own_app_metadata,
    deleted_user_is_gone_everywhere,
    malformed_or_unknown_user_ids_read_as_null,
);
