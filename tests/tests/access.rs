//! What keeps a user out — blocking, suspension, brute-force lockout, session revocation, rate
//! limits — and that each bites on the very next request.

use futures::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use steward_entity::audit_event;
use steward_tests::{backend_tests, Backend, Session, TestServer, CHANGED_PASSWORD};

const VIEWER: &str = "{ viewer { user { email } } }";
const REFRESH: &str = "mutation($token: String) { refreshSession(refreshToken: $token) { accessToken } }";
const BLOCK: &str = "mutation($id: ID!) { blockUser(userId: $id, reason: \"fraud\") { blocked blockedReason } }";
const UNBLOCK: &str = "mutation($id: ID!) { unblockUser(userId: $id) { blocked } }";
const LOCKOUTS: &str = "query($id: ID!) { user(id: $id) { lockouts { ip failedAttempts lockedUntil } } }";

async fn audit_types(server: &TestServer) -> Vec<String> {
    audit_event::Entity::find()
        .all(server.database())
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.event_type)
        .collect()
}

struct World {
    server: TestServer,
    root: Session,
    org: String,
    admin: Session,
    user: Session,
}

/// An org with an ADMIN and a MEMBER, both signed in with full sessions.
async fn world(server: TestServer) -> World {
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@acme.test", &["ADMIN"]).await;
    let user = server.member(&root, &org, "user@acme.test", &["MEMBER"]).await;
    World {
        server,
        root,
        org,
        admin,
        user,
    }
}

async fn a_block_bites_on_the_next_request(backend: Backend) {
    let World {
        server, admin, user, ..
    } = world(TestServer::start(backend).await).await;
    server.as_(&user, VIEWER, json!({})).await.ok();
    let blocked = server.as_(&admin, BLOCK, json!({ "id": user.user_id })).await;
    assert_eq!(blocked.ok()["blockUser"]["blocked"], true);
    assert_eq!(blocked.ok()["blockUser"]["blockedReason"], "fraud");

    // The access token issued before the block no longer works, nor does the refresh token.
    assert!(matches!(
        server.as_(&user, VIEWER, json!({})).await.code(),
        "USER_BLOCKED" | "UNAUTHENTICATED"
    ));
    assert!(!server
        .gql(None, REFRESH, json!({ "token": user.refresh_token }))
        .await
        .errors
        .is_empty());
    // Sign-in says USER_BLOCKED to the right password only: a wrong one answers like any other.
    server
        .login(&user.email, CHANGED_PASSWORD)
        .await
        .expect_code("USER_BLOCKED");
    server
        .login(&user.email, "not-the-password-at-all")
        .await
        .expect_code("INVALID_CREDENTIALS");

    server.as_(&admin, UNBLOCK, json!({ "id": user.user_id })).await.ok();
    server.sign_in(&user.email, CHANGED_PASSWORD).await;
    let types = audit_types(&server).await;
    assert!(types.contains(&"USER_BLOCKED".to_string()) && types.contains(&"USER_UNBLOCKED".to_string()));
}

async fn blocking_a_shared_user_needs_every_org(backend: Backend) {
    let World {
        server,
        root,
        admin,
        user,
        ..
    } = world(TestServer::start(backend).await).await;
    let other = server.create_org(&root, "other").await;
    let add = "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user) { status } }";
    server
        .as_(&root, add, json!({ "org": other, "user": user.user_id }))
        .await
        .ok();
    server
        .as_(&admin, BLOCK, json!({ "id": user.user_id }))
        .await
        .expect_code("FORBIDDEN");
    server.as_(&user, VIEWER, json!({})).await.ok();
    server.as_(&root, BLOCK, json!({ "id": user.user_id })).await.ok();
}

async fn a_user_manager_cannot_block_an_admin(backend: Backend) {
    let World {
        server,
        root,
        org,
        admin,
        ..
    } = world(TestServer::start(backend).await).await;
    let manager = server.member(&root, &org, "manager@acme.test", &["USER_MANAGER"]).await;
    server
        .as_(&manager, BLOCK, json!({ "id": admin.user_id }))
        .await
        .expect_code("FORBIDDEN");
}

const MEMBERS: &str = "query($id: ID!) { organization(id: $id) { members { totalCount } } }";

async fn a_suspension_shuts_one_org_only(backend: Backend) {
    let World { server, root, org, .. } = world(TestServer::start(backend).await).await;
    let other = server.create_org(&root, "other").await;
    let auditor = server.member(&root, &org, "auditor@acme.test", &["AUDITOR"]).await;
    let add = "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user, roles: [AUDITOR]) { status } }";
    server
        .as_(&root, add, json!({ "org": other, "user": auditor.user_id }))
        .await
        .ok();
    server.as_(&auditor, MEMBERS, json!({ "id": org })).await.ok();

    let suspend = "mutation($org: ID!, $user: ID!) { suspendMember(orgId: $org, userId: $user, reason: \"audit\") { status suspendedReason } }";
    let suspended = server
        .as_(&root, suspend, json!({ "org": org, "user": auditor.user_id }))
        .await;
    assert_eq!(suspended.ok()["suspendMember"]["status"], "SUSPENDED");
    // The same access token, the very next request: org A is gone, org B is not.
    assert!(server.as_(&auditor, MEMBERS, json!({ "id": org })).await.ok()["organization"].is_null());
    server.as_(&auditor, MEMBERS, json!({ "id": other })).await.ok();
    server
        .login_to(&auditor.email, CHANGED_PASSWORD, Some("acme"))
        .await
        .expect_code("USER_BLOCKED");
    server
        .login_to(&auditor.email, CHANGED_PASSWORD, Some("other"))
        .await
        .ok();

    let reinstate = "mutation($org: ID!, $user: ID!) { reinstateMember(orgId: $org, userId: $user) { status } }";
    server
        .as_(&root, reinstate, json!({ "org": org, "user": auditor.user_id }))
        .await
        .ok();
    server.as_(&auditor, MEMBERS, json!({ "id": org })).await.ok();
}

async fn a_suspended_bound_session_cannot_refresh(backend: Backend) {
    let World {
        server,
        root,
        org,
        user,
        ..
    } = world(TestServer::start(backend).await).await;
    let bound = server.sign_in_to(&user.email, CHANGED_PASSWORD, Some("acme")).await;
    let suspend = "mutation($org: ID!, $user: ID!) { suspendMember(orgId: $org, userId: $user) { status } }";
    server
        .as_(&root, suspend, json!({ "org": org, "user": user.user_id }))
        .await
        .ok();
    server
        .gql(None, REFRESH, json!({ "token": bound.refresh_token }))
        .await
        .expect_code("USER_BLOCKED");
}

/// A server whose rate limits stay out of the way of the lockout under test.
async fn roomy(backend: Backend) -> TestServer {
    TestServer::start_with(backend, |config| {
        config.login_attempts_per_ip_per_minute = 1000;
        config.login_attempts_per_account_per_minute = 1000;
    })
    .await
}

async fn fifty_parallel_wrong_passwords_count_exactly_to_the_limit(backend: Backend) {
    let World {
        server, admin, user, ..
    } = world(roomy(backend).await).await;
    let attempts = (0..50).map(|n| {
        server.login(
            &user.email,
            if n % 2 == 0 {
                "wrong-one-xxxxxx"
            } else {
                "wrong-two-yyyyyy"
            },
        )
    });
    let answers: Vec<String> = join_all(attempts)
        .await
        .iter()
        .map(|answer| answer.code().to_owned())
        .collect();
    let checked = answers.iter().filter(|code| *code == "INVALID_CREDENTIALS").count();
    let locked = answers.iter().filter(|code| *code == "LOCKED_OUT").count();
    assert_eq!((checked, locked), (10, 40), "{answers:?}");
    // Locked: even the right password is refused, with the same answer.
    server
        .login(&user.email, CHANGED_PASSWORD)
        .await
        .expect_code("LOCKED_OUT");
    let lockouts = server.as_(&admin, LOCKOUTS, json!({ "id": user.user_id })).await;
    let lockouts = lockouts.ok()["user"]["lockouts"].as_array().unwrap().clone();
    assert_eq!(lockouts.len(), 1);
    assert_eq!(lockouts[0]["failedAttempts"], 10);
    assert!(lockouts[0]["lockedUntil"].is_string());
    assert_eq!(
        audit_types(&server)
            .await
            .iter()
            .filter(|kind| *kind == "LOCKED_OUT")
            .count(),
        1
    );
}

/// Fails `attempts` sign-ins with a wrong password (each answered INVALID_CREDENTIALS), and
/// checks that the right password is then refused: the pair is locked.
async fn lock_out(server: &TestServer, email: &str, attempts: usize) {
    for _ in 0..attempts {
        server
            .login(email, "a-wrong-password")
            .await
            .expect_code("INVALID_CREDENTIALS");
    }
    server.login(email, CHANGED_PASSWORD).await.expect_code("LOCKED_OUT");
}

async fn a_lock_runs_out_after_the_policy_s_seconds(backend: Backend) {
    let World {
        server,
        admin,
        org,
        user,
        ..
    } = world(roomy(backend).await).await;
    server.set_lockout(&admin, &org, 3, 60).await;
    lock_out(&server, &user.email, 3).await;
    server.clock.advance(chrono::Duration::seconds(61));
    server.login(&user.email, CHANGED_PASSWORD).await.ok();
    // Success starts the count afresh.
    server
        .login(&user.email, "a-wrong-password")
        .await
        .expect_code("INVALID_CREDENTIALS");
    server.login(&user.email, CHANGED_PASSWORD).await.ok();
}

async fn clear_lockouts_lifts_a_lock_that_never_runs_out(backend: Backend) {
    let World {
        server,
        admin,
        org,
        user,
        ..
    } = world(roomy(backend).await).await;
    server.set_lockout(&admin, &org, 2, 0).await;
    lock_out(&server, &user.email, 2).await;
    server.clock.advance(chrono::Duration::days(30));
    server
        .login(&user.email, CHANGED_PASSWORD)
        .await
        .expect_code("LOCKED_OUT");
    let admin = server.sign_in(&admin.email, CHANGED_PASSWORD).await;
    let lockouts = server.as_(&admin, LOCKOUTS, json!({ "id": user.user_id })).await;
    assert!(
        lockouts.ok()["user"]["lockouts"][0]["lockedUntil"].is_null(),
        "until lifted"
    );

    let clear = "mutation($id: ID!) { clearLockouts(userId: $id) { lockouts { ip } } }";
    let cleared = server.as_(&admin, clear, json!({ "id": user.user_id })).await;
    assert_eq!(cleared.ok()["clearLockouts"]["lockouts"], json!([]));
    server.login(&user.email, CHANGED_PASSWORD).await.ok();
    assert!(audit_types(&server).await.contains(&"LOCKOUT_CLEARED".to_string()));
}

async fn a_password_reset_lifts_the_lock(backend: Backend) {
    let World {
        server, admin, user, ..
    } = world(roomy(backend).await).await;
    lock_out(&server, &user.email, 10).await;
    let ticket = "mutation($id: ID!) { createPasswordChangeTicket(userId: $id) { url } }";
    let answer = server.as_(&admin, ticket, json!({ "id": user.user_id })).await;
    let link = answer.ok()["createPasswordChangeTicket"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = link.rsplit("token=").next().unwrap().to_owned();
    let reset = "mutation($token: String!) { resetPassword(token: $token, newPassword: \"A-brand-new-passphrase-3\") }";
    server.gql(None, reset, json!({ "token": token })).await.ok();
    server.login(&user.email, "A-brand-new-passphrase-3").await.ok();
}

async fn locks_are_per_client_ip(backend: Backend) {
    let World { server, user, .. } = world(roomy(backend).await).await;
    lock_out(&server, &user.email, 10).await;
    // The same user from another address (a sign-in through the domain, as another socket would
    // present it) is not locked.
    let caller =
        steward_server::domain::authz::Caller::from_bearer(server.state.clone(), None, Some("192.0.2.7".into()), None)
            .await;
    steward_server::domain::sessions::login(&caller.public(), &user.email, CHANGED_PASSWORD, None)
        .await
        .unwrap();
}

async fn sign_in_is_rate_limited_per_ip(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.login_attempts_per_ip_per_minute = 5).await;
    let mut codes = Vec::new();
    for n in 0..8 {
        codes.push(
            server
                .login(&format!("nobody{n}@example.com"), "whatever-password")
                .await
                .code()
                .to_owned(),
        );
    }
    assert_eq!(
        codes.iter().filter(|code| *code == "RATE_LIMITED").count(),
        3,
        "{codes:?}"
    );
}

async fn sign_in_is_rate_limited_per_account(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.login_attempts_per_account_per_minute = 3).await;
    server.superadmin().await;
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(
            server
                .login("root@example.com", "whatever-password")
                .await
                .code()
                .to_owned(),
        );
    }
    assert_eq!(
        codes,
        [
            "INVALID_CREDENTIALS",
            "INVALID_CREDENTIALS",
            "RATE_LIMITED",
            "RATE_LIMITED",
            "RATE_LIMITED"
        ]
    );
}

const SESSIONS: &str =
    "query($id: ID!) { user(id: $id) { sessions { id ip userAgent createdAt lastUsedAt expiresAt } } }";
const REVOKE: &str = "mutation($id: ID!) { revokeSessions(userId: $id) }";

async fn sessions_are_listed_and_revoked(backend: Backend) {
    let World {
        server, admin, user, ..
    } = world(TestServer::start(backend).await).await;
    let second = server.sign_in(&user.email, CHANGED_PASSWORD).await;
    let listed = server.as_(&admin, SESSIONS, json!({ "id": user.user_id })).await;
    let sessions = listed.ok()["user"]["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["ip"], "127.0.0.1");
    let revoked = server.as_(&admin, REVOKE, json!({ "id": user.user_id })).await;
    assert_eq!(revoked.ok()["revokeSessions"], 2);
    server
        .as_(&user, VIEWER, json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
    server
        .as_(&second, VIEWER, json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
    assert!(audit_types(&server).await.contains(&"SESSIONS_REVOKED".to_string()));
}

const REVOKE_ONE: &str = "mutation($id: ID!) { revokeSession(id: $id) }";
const MY_SESSIONS: &str = "{ viewer { user { sessions { id current } } } }";

/// One session ended, by its user from another device or by an admin: that device's next
/// request is refused, the others go on; the session a request is made with is `current`.
async fn one_session_is_ended_and_the_others_go_on(backend: Backend) {
    let World {
        server, admin, user, ..
    } = world(TestServer::start(backend).await).await;
    let laptop = server.sign_in(&user.email, CHANGED_PASSWORD).await;
    let phone = server.sign_in(&user.email, CHANGED_PASSWORD).await;
    let current_of = |listing: Value| -> (usize, Value) {
        let sessions = listing["viewer"]["user"]["sessions"].as_array().unwrap().clone();
        let current: Vec<&Value> = sessions.iter().filter(|session| session["current"] == true).collect();
        assert_eq!(current.len(), 1, "one current session: {sessions:?}");
        (sessions.len(), current[0]["id"].clone())
    };
    let (count, laptop_id) = current_of(server.as_(&laptop, MY_SESSIONS, json!({})).await.ok().clone());
    assert_eq!(count, 3);
    let (_, phone_id) = current_of(server.as_(&phone, MY_SESSIONS, json!({})).await.ok().clone());
    assert_ne!(laptop_id, phone_id);

    // From the laptop, the user ends the phone's session.
    let ended = server.as_(&laptop, REVOKE_ONE, json!({ "id": phone_id })).await;
    assert_eq!(ended.ok()["revokeSession"], true);
    server
        .as_(&phone, VIEWER, json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
    server.as_(&laptop, VIEWER, json!({})).await.ok();
    server.as_(&user, VIEWER, json!({})).await.ok();
    // An ended session cannot be ended again.
    server
        .as_(&laptop, REVOKE_ONE, json!({ "id": phone_id }))
        .await
        .expect_code("NOT_FOUND");
    assert!(audit_types(&server).await.contains(&"SESSION_REVOKED".to_string()));

    // A member cannot end an admin's session; the admin can end the member's.
    let admin_sessions = server.as_(&admin, MY_SESSIONS, json!({})).await;
    let admin_session = admin_sessions.ok()["viewer"]["user"]["sessions"][0]["id"].clone();
    server
        .as_(&user, REVOKE_ONE, json!({ "id": admin_session }))
        .await
        .expect_code("NOT_FOUND");
    server.as_(&admin, REVOKE_ONE, json!({ "id": laptop_id })).await.ok();
    server
        .as_(&laptop, VIEWER, json!({}))
        .await
        .expect_code("UNAUTHENTICATED");

    // Ending the session one is using signs out here, the refresh cookie with it.
    let response = server
        .http
        .post(format!("{}/graphql", server.url))
        .bearer_auth(&user.access_token)
        .json(&json!({ "query": MY_SESSIONS }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let (_, current) = current_of(response["data"].clone());
    let signed_out = server
        .http
        .post(format!("{}/graphql", server.url))
        .bearer_auth(&user.access_token)
        .json(&json!({ "query": REVOKE_ONE, "variables": { "id": current } }))
        .send()
        .await
        .unwrap();
    let cookie = signed_out
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    server
        .as_(&user, VIEWER, json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
}

async fn a_user_signs_out_everywhere(backend: Backend) {
    let World {
        server, admin, user, ..
    } = world(TestServer::start(backend).await).await;
    // A plain member cannot reach anyone else's sessions.
    server
        .as_(&user, REVOKE, json!({ "id": admin.user_id }))
        .await
        .expect_code("NOT_FOUND");
    let other = server.sign_in(&user.email, CHANGED_PASSWORD).await;
    server.as_(&user, REVOKE, json!({ "id": user.user_id })).await.ok();
    server
        .as_(&other, VIEWER, json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
    server.as_(&admin, VIEWER, json!({})).await.ok();
}

async fn an_org_s_session_lifetime_bounds_its_sessions(backend: Backend) {
    let World {
        server,
        admin,
        org,
        user,
        ..
    } = world(TestServer::start(backend).await).await;
    let lifetime = "mutation($id: ID!) { updateOrganization(id: $id, input: { settings: { sessionLifetimeSeconds: 600 } }) { id } }";
    server.as_(&admin, lifetime, json!({ "id": org })).await.ok();
    let bound = server.sign_in_to(&user.email, CHANGED_PASSWORD, Some("acme")).await;
    server.clock.advance(chrono::Duration::seconds(601));
    server
        .gql(None, REFRESH, json!({ "token": bound.refresh_token }))
        .await
        .expect_code("UNAUTHENTICATED");
    // The unbound session lives on.
    server
        .gql(None, REFRESH, json!({ "token": user.refresh_token }))
        .await
        .ok();
    let failed = audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq("LOGIN_FAILED"))
        .all(server.database())
        .await
        .unwrap();
    assert!(failed.is_empty());
}

async fn login_from(server: &TestServer, email: &str, forwarded_for: &str) -> serde_json::Value {
    let query =
        "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }";
    let response = server
        .http
        .post(format!("{}/graphql", server.url))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "query": query, "variables": { "email": email, "password": CHANGED_PASSWORD } }))
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

async fn session_ips(server: &TestServer, admin: &Session, user_id: &str) -> Vec<String> {
    let listed = server.as_(admin, SESSIONS, json!({ "id": user_id })).await;
    listed.ok()["user"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["ip"].as_str().unwrap().to_owned())
        .collect()
}

async fn forwarded_for_counts_only_from_trusted_proxies(backend: Backend) {
    let World {
        server, admin, user, ..
    } = world(TestServer::start(backend).await).await;
    login_from(&server, &user.email, "198.51.100.7").await;
    assert!(session_ips(&server, &admin, &user.user_id)
        .await
        .iter()
        .all(|ip| ip == "127.0.0.1"));

    let trusting = TestServer::start_with(backend, |config| config.trusted_proxies = Some("127.0.0.1".into())).await;
    let World {
        server, admin, user, ..
    } = world(trusting).await;
    login_from(&server, &user.email, "203.0.113.1, 198.51.100.7").await;
    assert!(session_ips(&server, &admin, &user.user_id)
        .await
        .contains(&"198.51.100.7".to_string()));
}

async fn the_lockout_count_is_shared_by_every_instance(backend: Backend) {
    let World { server, user, .. } = world(roomy(backend).await).await;
    let second = server.second_instance().await;
    // 50 wrong passwords at once, spread over two instances behind one database.
    let attempts = (0..50).map(|n| {
        let target = if n % 2 == 0 { &server } else { &second };
        target.login(&user.email, "wrong-password-here")
    });
    let answers: Vec<String> = join_all(attempts)
        .await
        .iter()
        .map(|answer| answer.code().to_owned())
        .collect();
    let checked = answers.iter().filter(|code| *code == "INVALID_CREDENTIALS").count();
    assert_eq!(checked, 10, "{answers:?}");
    second
        .login(&user.email, CHANGED_PASSWORD)
        .await
        .expect_code("LOCKED_OUT");
    server
        .login(&user.email, CHANGED_PASSWORD)
        .await
        .expect_code("LOCKED_OUT");
}

async fn a_block_on_one_instance_bites_on_the_other(backend: Backend) {
    let World {
        server, admin, user, ..
    } = world(TestServer::start(backend).await).await;
    let second = server.second_instance().await;
    // A token issued by one instance works on the other: they share the signing keys.
    second.as_(&user, VIEWER, json!({})).await.ok();
    server.as_(&admin, BLOCK, json!({ "id": user.user_id })).await.ok();
    assert!(matches!(
        second.as_(&user, VIEWER, json!({})).await.code(),
        "USER_BLOCKED" | "UNAUTHENTICATED"
    ));
}

async fn aliases_cannot_multiply_the_work_of_one_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let fields: String = (0..3000).map(|n| format!("a{n}: viewer {{ isSuperadmin }} ")).collect();
    let response = server.as_(&root, &format!("{{ {fields} }}"), json!({})).await;
    assert!(!response.errors.is_empty(), "3000 aliased fields must be refused");
    assert!(response.data.is_null());
    // Each `viewer` runs a query: fifty of them in one request are too many already.
    let fields: String = (0..50).map(|n| format!("a{n}: viewer {{ isSuperadmin }} ")).collect();
    let response = server.as_(&root, &format!("{{ {fields} }}"), json!({})).await;
    response.expect_code("BAD_USER_INPUT");
    assert!(response.data.is_null());
}

backend_tests!(
    the_lockout_count_is_shared_by_every_instance,
    a_block_on_one_instance_bites_on_the_other,
    aliases_cannot_multiply_the_work_of_one_request,
    forwarded_for_counts_only_from_trusted_proxies,
    a_block_bites_on_the_next_request,
    blocking_a_shared_user_needs_every_org,
    a_user_manager_cannot_block_an_admin,
    a_suspension_shuts_one_org_only,
    a_suspended_bound_session_cannot_refresh,
    fifty_parallel_wrong_passwords_count_exactly_to_the_limit,
    a_lock_runs_out_after_the_policy_s_seconds,
    clear_lockouts_lifts_a_lock_that_never_runs_out,
    a_password_reset_lifts_the_lock,
    locks_are_per_client_ip,
    sign_in_is_rate_limited_per_ip,
    sign_in_is_rate_limited_per_account,
    sessions_are_listed_and_revoked,
    one_session_is_ended_and_the_others_go_on,
    a_user_signs_out_everywhere,
    an_org_s_session_lifetime_bounds_its_sessions,
);
