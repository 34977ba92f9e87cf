//! Sign-in, forced password change, refresh rotation and reuse, sign-out, first-admin setup.

use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, TestServer, CHANGED_PASSWORD};

const VIEWER: &str = "{ viewer { isSuperadmin user { email } } }";

async fn unknown_email_and_wrong_password_answer_alike(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.superadmin().await;
    let unknown = server.login("nobody@example.com", "whatever-password").await;
    let wrong = server.login("root@example.com", "whatever-password").await;
    unknown.expect_code("INVALID_CREDENTIALS");
    wrong.expect_code("INVALID_CREDENTIALS");
    assert_eq!(unknown.first_error()["message"], wrong.first_error()["message"]);
}

async fn login_sets_an_httponly_strict_refresh_cookie(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.superadmin().await;
    let response = server.login("ROOT@example.com ", steward_tests::PASSWORD).await;
    response.ok();
    let cookie = response
        .set_cookie
        .iter()
        .find(|cookie| cookie.starts_with("steward_refresh="))
        .expect("refresh cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
}

async fn forced_change_allows_only_change_viewer_and_logout(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.superadmin().await;
    let org = server.create_org(&admin, "acme").await;
    server.create_user(&admin, &org, "new@example.com", &["ADMIN"]).await;
    let response = server.login("new@example.com", steward_tests::PASSWORD).await;
    assert_eq!(response.ok()["login"]["passwordChangeRequired"], true);
    let session = server.sign_in("new@example.com", steward_tests::PASSWORD).await;

    server.as_(&session, VIEWER, json!({})).await.ok();
    let members = server
        .as_(
            &session,
            "query($id: ID!) { organization(id: $id) { name } }",
            json!({ "id": org }),
        )
        .await;
    members.expect_code("FORBIDDEN");
    let profile = server
        .as_(
            &session,
            "mutation { updateMyProfile(input: { name: \"X\" }) { id } }",
            json!({}),
        )
        .await;
    profile.expect_code("FORBIDDEN");

    let changed = server
        .as_(
            &session,
            "mutation($c: String!, $n: String!) { changeMyPassword(currentPassword: $c, newPassword: $n) }",
            json!({ "c": steward_tests::PASSWORD, "n": "An-entirely-new-passphrase-42" }),
        )
        .await;
    changed.ok();
    // The same session may now do everything its roles allow.
    let after = server
        .as_(
            &session,
            "query($id: ID!) { organization(id: $id) { name } }",
            json!({ "id": org }),
        )
        .await;
    assert_eq!(after.ok()["organization"]["name"], "Org acme");
    let viewer = server
        .as_(&session, "{ viewer { user { passwordChangeRequired } } }", json!({}))
        .await;
    assert_eq!(viewer.ok()["viewer"]["user"]["passwordChangeRequired"], false);
}

const REFRESH: &str = "mutation($token: String) { refreshSession(refreshToken: $token) { accessToken refreshToken } }";

async fn refresh_rotates_and_reuse_revokes_the_session(backend: Backend) {
    let server = TestServer::start(backend).await;
    let session = server.superadmin().await;
    let first = server
        .gql(None, REFRESH, json!({ "token": session.refresh_token }))
        .await;
    let rotated = first.ok()["refreshSession"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let access = first.ok()["refreshSession"]["accessToken"].as_str().unwrap().to_owned();
    assert_ne!(rotated, session.refresh_token);
    assert_eq!(
        server.gql(Some(&access), VIEWER, json!({})).await.ok()["viewer"]["isSuperadmin"],
        true
    );

    // The spent token again: refused, and the whole session with it.
    server
        .gql(None, REFRESH, json!({ "token": session.refresh_token }))
        .await
        .expect_code("UNAUTHENTICATED");
    server
        .gql(None, REFRESH, json!({ "token": rotated }))
        .await
        .expect_code("UNAUTHENTICATED");
    server
        .gql(Some(&access), VIEWER, json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
}

async fn refresh_reads_the_cookie_when_no_token_is_given(backend: Backend) {
    let server = TestServer::start(backend).await;
    let session = server.superadmin().await;
    let response = server
        .http
        .post(format!("{}/graphql", server.url))
        .header("cookie", format!("steward_refresh={}", session.refresh_token))
        .json(&json!({ "query": REFRESH, "variables": {} }))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["data"]["refreshSession"]["accessToken"].is_string(), "{body}");
}

async fn logout_ends_the_session_at_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let session = server.superadmin().await;
    server.as_(&session, "mutation { logout }", json!({})).await.ok();
    server
        .as_(&session, VIEWER, json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
    server
        .gql(None, REFRESH, json!({ "token": session.refresh_token }))
        .await
        .expect_code("UNAUTHENTICATED");
}

async fn expired_access_tokens_are_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let session = server.superadmin().await;
    server.clock.advance(chrono::Duration::seconds(901));
    server
        .as_(&session, VIEWER, json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
    // The refresh token still works and brings a fresh access token.
    server
        .gql(None, REFRESH, json!({ "token": session.refresh_token }))
        .await
        .ok();
}

async fn viewer_is_null_without_a_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    assert!(server.gql(None, VIEWER, json!({})).await.ok()["viewer"].is_null());
    server
        .gql(Some("not-a-token"), VIEWER, json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
}

const SETUP: &str = "mutation($token: String!) { setupFirstAdmin(token: $token, email: \"first@example.com\", password: \"Quartz-lantern-obelisk-9\", name: \"First\") { accessToken user { email } } }";

async fn setup_link_creates_the_first_superadmin_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let link = steward_server::announce_setup_link(&server.state)
        .await
        .unwrap()
        .expect("a link when no superadmin exists");
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let created = server.gql(None, SETUP, json!({ "token": token })).await;
    let access = created.ok()["setupFirstAdmin"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        server.gql(Some(&access), VIEWER, json!({})).await.ok()["viewer"]["isSuperadmin"],
        true
    );
    server
        .gql(None, SETUP, json!({ "token": token }))
        .await
        .expect_code("TOKEN_INVALID");
    assert!(steward_server::announce_setup_link(&server.state)
        .await
        .unwrap()
        .is_none());
}

async fn create_admin_link_sets_a_password(backend: Backend) {
    let server = TestServer::start(backend).await;
    let caller = steward_server::domain::authz::CommandLine::new(server.state.clone());
    let outcome = steward_server::domain::setup::create_admin(&caller.operator(), "ops@example.com", None)
        .await
        .unwrap();
    let token = outcome.link.expect("a link").split("token=").nth(1).unwrap().to_owned();
    let reset =
        "mutation($token: String!, $password: String!) { resetPassword(token: $token, newPassword: $password) }";
    server
        .gql(None, reset, json!({ "token": token, "password": "short" }))
        .await
        .expect_code("PASSWORD_POLICY");
    server
        .gql(
            None,
            reset,
            json!({ "token": token, "password": "A-fine-long-password-7" }),
        )
        .await
        .ok();
    server
        .gql(
            None,
            reset,
            json!({ "token": token, "password": "A-fine-long-password-8" }),
        )
        .await
        .expect_code("TOKEN_INVALID");
    server.sign_in("ops@example.com", "A-fine-long-password-7").await;
}

/// The fields under a sign-in's answer are read as the user who has just signed in, with the
/// rights of the new session; the request's other fields keep the request's caller.
async fn the_answer_of_a_sign_in_is_read_as_the_user_who_signed_in(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let other = server.create_org(&root, "other").await;
    let ada = server.member(&root, &acme, "ada@example.com", &["ADMIN"]).await;
    let add = "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user, roles: [AUDITOR]) { roles } }";
    server
        .as_(&root, add, json!({ "org": other, "user": ada.user_id }))
        .await
        .ok();
    let login = "mutation($email: String!, $password: String!, $org: String) { \
        login(email: $email, password: $password, orgSlug: $org) { \
            user { email appMetadata memberships { roles organization { slug memberCount } } } } \
        createOrganization(input: { slug: \"sneaky\", name: \"Sneaky\" }) { id } }";
    let answer = server
        .gql(
            None,
            login,
            json!({ "email": "ada@example.com", "password": CHANGED_PASSWORD }),
        )
        .await;
    let user = &answer.data["login"]["user"];
    assert_eq!(user["email"], "ada@example.com", "{:#?}", answer.errors);
    assert_eq!(user["appMetadata"], json!({}), "{:#?}", answer.errors);
    let mut memberships: Vec<Value> = user["memberships"].as_array().expect("memberships").clone();
    memberships.sort_by_key(|membership| membership["organization"]["slug"].as_str().map(str::to_owned));
    assert_eq!(
        memberships,
        vec![
            json!({ "roles": ["ADMIN"], "organization": { "slug": "acme", "memberCount": 1 } }),
            json!({ "roles": ["AUDITOR"], "organization": { "slug": "other", "memberCount": 1 } }),
        ]
    );
    // The sibling field ran as the request's caller, who is nobody.
    assert_eq!(answer.errors.len(), 1, "{:#?}", answer.errors);
    assert_eq!(answer.errors[0]["path"][0], "createOrganization");
    assert_eq!(answer.errors[0]["extensions"]["code"], "UNAUTHENTICATED");
    // A session bound to one organization sees only that one under its answer too.
    let bound = server
        .gql(
            None,
            "mutation($email: String!, $password: String!, $org: String) { login(email: $email, password: $password, orgSlug: $org) { user { memberships { organization { slug } } } } }",
            json!({ "email": "ada@example.com", "password": CHANGED_PASSWORD, "org": "acme" }),
        )
        .await;
    assert_eq!(
        bound.ok()["login"]["user"]["memberships"],
        json!([{ "organization": { "slug": "acme" } }])
    );
}

backend_tests!(
    unknown_email_and_wrong_password_answer_alike,
    login_sets_an_httponly_strict_refresh_cookie,
    forced_change_allows_only_change_viewer_and_logout,
    refresh_rotates_and_reuse_revokes_the_session,
    refresh_reads_the_cookie_when_no_token_is_given,
    logout_ends_the_session_at_once,
    expired_access_tokens_are_refused,
    viewer_is_null_without_a_token,
    setup_link_creates_the_first_superadmin_once,
    create_admin_link_sets_a_password,
    the_answer_of_a_sign_in_is_read_as_the_user_who_signed_in,
);
