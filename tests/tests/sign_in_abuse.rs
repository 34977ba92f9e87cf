//! Sign-in and every other password check, tried as an attacker would: naming a foreign
//! organization, probing for accounts, hammering someone else's account from elsewhere, and
//! packing many password operations into one request.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use steward_entity::audit_event;
use steward_tests::{backend_tests, Backend, Gql, Session, TestServer, CHANGED_PASSWORD};

const WRONG: &str = "not-the-password-at-all";
const ATTACKER_IP: &str = "203.0.113.9";
const OWNER_IP: &str = "198.51.100.4";
const CHANGE_PASSWORD: &str =
    "mutation($current: String!, $new: String!) { changeMyPassword(currentPassword: $current, newPassword: $new) }";

struct World {
    server: TestServer,
    root: Session,
    /// The victim's organization, with a strict policy: 3 tries, locked until lifted.
    strict: String,
    victim: Session,
}

/// A server that believes `X-Forwarded-For` from loopback, so that tests can speak from several
/// client IPs.
async fn behind_proxy(backend: Backend, configure: impl FnOnce(&mut steward_server::Config)) -> TestServer {
    TestServer::start_with(backend, |config| {
        config.trusted_proxies = Some("127.0.0.1".into());
        configure(config);
    })
    .await
}

/// The victim in a strict org, and a lax org (`lax`, 100 tries) they are not in.
async fn world(server: TestServer) -> World {
    let root = server.superadmin().await;
    let strict = server.create_org(&root, "strict").await;
    let lax = server.create_org(&root, "lax").await;
    server.set_lockout(&root, &strict, 3, 0).await;
    server.set_lockout(&root, &lax, 100, 60).await;
    let victim = server.member(&root, &strict, "victim@strict.test", &["MEMBER"]).await;
    World {
        server,
        root,
        strict,
        victim,
    }
}

fn error_of(answer: &Gql) -> (String, String) {
    (answer.code().to_owned(), answer.first_error()["message"].to_string())
}

async fn audit_details(server: &TestServer, event_type: &str) -> Vec<Value> {
    audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq(event_type))
        .all(server.database())
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.details)
        .collect()
}

async fn a_foreign_org_slug_neither_weakens_nor_clears_the_lockout(backend: Backend) {
    let World { server, victim, .. } = world(TestServer::start(backend).await).await;
    let wrong = server.login_to(&victim.email, WRONG, Some("lax")).await;
    // The right password under an org the victim is not in answers exactly like a wrong one…
    let right = server.login_to(&victim.email, CHANGED_PASSWORD, Some("lax")).await;
    assert_eq!(error_of(&right), error_of(&wrong));
    assert_eq!(error_of(&wrong).0, "INVALID_CREDENTIALS");
    // …and counts as a failure under the victim's own policy (3 tries): the third locks.
    server
        .login_to(&victim.email, WRONG, Some("lax"))
        .await
        .expect_code("INVALID_CREDENTIALS");
    server
        .login_to(&victim.email, CHANGED_PASSWORD, Some("lax"))
        .await
        .expect_code("LOCKED_OUT");
    server
        .login(&victim.email, CHANGED_PASSWORD)
        .await
        .expect_code("LOCKED_OUT");
}

async fn an_org_the_user_is_in_still_binds_the_session(backend: Backend) {
    let World { server, victim, .. } = world(TestServer::start(backend).await).await;
    server.login_to(&victim.email, WRONG, Some("strict")).await;
    server.sign_in_to(&victim.email, CHANGED_PASSWORD, Some("strict")).await;
    // The right password cleared the count: three more tries are needed to lock.
    for _ in 0..2 {
        server
            .login(&victim.email, WRONG)
            .await
            .expect_code("INVALID_CREDENTIALS");
    }
    server.sign_in(&victim.email, CHANGED_PASSWORD).await;
}

async fn unknown_and_known_addresses_answer_and_lock_alike(backend: Backend) {
    let World { server, victim, .. } = world(TestServer::start(backend).await).await;
    // Both under the named org's policy (the victim's own is the same org here).
    let known: Vec<(String, String)> = {
        let mut answers = Vec::new();
        for _ in 0..4 {
            answers.push(error_of(&server.login_to(&victim.email, WRONG, Some("strict")).await));
        }
        answers
    };
    let mut unknown = Vec::new();
    for _ in 0..4 {
        unknown.push(error_of(
            &server.login_to("nobody@strict.test", WRONG, Some("strict")).await,
        ));
    }
    assert_eq!(known, unknown);
    assert_eq!(known.last().unwrap().0, "LOCKED_OUT");
    // Without an org, an unknown address locks after the default ten tries, like a user of an
    // organization with the default policy.
    let mut codes = Vec::new();
    for _ in 0..11 {
        codes.push(server.login("ghost@example.com", WRONG).await.code().to_owned());
    }
    assert_eq!(codes.iter().filter(|code| *code == "INVALID_CREDENTIALS").count(), 10);
    assert_eq!(codes.last().unwrap(), "LOCKED_OUT");
}

async fn an_unknown_address_costs_a_hash_like_a_known_one(backend: Backend) {
    let World { server, victim, .. } = world(TestServer::start(backend).await).await;
    let before = server.state.hasher.computed();
    server
        .login("nobody@example.com", WRONG)
        .await
        .expect_code("INVALID_CREDENTIALS");
    assert_eq!(
        server.state.hasher.computed() - before,
        1,
        "the dummy hash was not checked"
    );
    let before = server.state.hasher.computed();
    server
        .login(&victim.email, WRONG)
        .await
        .expect_code("INVALID_CREDENTIALS");
    assert_eq!(server.state.hasher.computed() - before, 1);
}

async fn a_blocked_users_wrong_password_answers_like_anyone_elses(backend: Backend) {
    let World {
        server, root, victim, ..
    } = world(TestServer::start(backend).await).await;
    let block = "mutation($id: ID!) { blockUser(userId: $id) { blocked } }";
    server.as_(&root, block, json!({ "id": victim.user_id })).await.ok();
    let blocked_wrong = server.login(&victim.email, WRONG).await;
    let unknown_wrong = server.login("nobody@example.com", WRONG).await;
    assert_eq!(error_of(&blocked_wrong), error_of(&unknown_wrong));
    // Only the right password learns of the block.
    server
        .login(&victim.email, CHANGED_PASSWORD)
        .await
        .expect_code("USER_BLOCKED");
}

async fn a_stranger_cannot_rate_limit_someone_elses_sign_in(backend: Backend) {
    let server = behind_proxy(backend, |config| config.login_attempts_per_account_per_minute = 3).await;
    let World { server, victim, .. } = world(server).await;
    let mut codes = Vec::new();
    for _ in 0..5 {
        let answer = server.login_from(Some(ATTACKER_IP), &victim.email, WRONG, None).await;
        codes.push(answer.code().to_owned());
    }
    assert_eq!(codes.last().unwrap(), "RATE_LIMITED", "{codes:?}");
    // The owner, from their own address, still gets in.
    server
        .login_from(Some(OWNER_IP), &victim.email, CHANGED_PASSWORD, None)
        .await
        .ok();
}

async fn a_stranger_cannot_lock_someone_else_out(backend: Backend) {
    let World { server, victim, .. } = world(behind_proxy(backend, |_| {}).await).await;
    for _ in 0..3 {
        server.login_from(Some(ATTACKER_IP), &victim.email, WRONG, None).await;
    }
    server
        .login_from(Some(ATTACKER_IP), &victim.email, CHANGED_PASSWORD, None)
        .await
        .expect_code("LOCKED_OUT");
    server
        .login_from(Some(OWNER_IP), &victim.email, CHANGED_PASSWORD, None)
        .await
        .ok();
}

async fn a_stranger_cannot_block_someone_elses_reset(backend: Backend) {
    let World { server, victim, .. } = world(behind_proxy(backend, |_| {}).await).await;
    let reset = "mutation($email: String!) { requestPasswordReset(email: $email) }";
    let mut codes = Vec::new();
    for _ in 0..6 {
        let answer = server
            .gql_from(Some(ATTACKER_IP), None, reset, json!({ "email": victim.email }))
            .await;
        codes.push(answer.errors.first().map(|_| answer.code().to_owned()));
    }
    assert_eq!(codes.last().unwrap().as_deref(), Some("RATE_LIMITED"), "{codes:?}");
    let owners = server
        .gql_from(Some(OWNER_IP), None, reset, json!({ "email": victim.email }))
        .await;
    assert_eq!(owners.ok()["requestPasswordReset"], true);
}

async fn a_request_holds_one_password_operation(backend: Backend) {
    let World { server, victim, .. } = world(TestServer::start(backend).await).await;
    let aliased = format!(
        "mutation {{ {} }}",
        (0..40)
            .map(|n| format!(
                "a{n}: login(email: \"{}\", password: \"guess-{n}\") {{ accessToken }}",
                victim.email
            ))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let before = server.state.hasher.computed();
    let answer = server.gql(None, &aliased, json!({})).await;
    assert_eq!(server.state.hasher.computed() - before, 1);
    assert_eq!(answer.errors.len(), 40);
    let refused = answer
        .errors
        .iter()
        .filter(|error| error["extensions"]["code"] == "BAD_USER_INPUT")
        .count();
    assert_eq!(refused, 39, "{:#?}", answer.errors);
    // Only the one that ran counted toward the lockout: two more tries are left.
    for _ in 0..2 {
        server
            .login(&victim.email, WRONG)
            .await
            .expect_code("INVALID_CREDENTIALS");
    }
    server.login(&victim.email, WRONG).await.expect_code("LOCKED_OUT");
}

async fn a_stolen_session_cannot_guess_through_change_my_password(backend: Backend) {
    let World { server, victim, .. } = world(TestServer::start(backend).await).await;
    let aliased = format!(
        "mutation {{ {} }}",
        (0..25)
            .map(|n| format!(
                "a{n}: changeMyPassword(currentPassword: \"guess-{n}\", newPassword: \"Another-Long-Passphrase-{n}\")"
            ))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let before = server.state.hasher.computed();
    server.as_(&victim, &aliased, json!({})).await;
    assert_eq!(server.state.hasher.computed() - before, 1);
    // Each wrong current password counts toward the same lockout as sign-in.
    let change = |current: &str| {
        let variables = json!({ "current": current, "new": "Another-Long-Passphrase-1" });
        server.as_(&victim, CHANGE_PASSWORD, variables)
    };
    for _ in 0..2 {
        change(WRONG).await.expect_code("INVALID_CREDENTIALS");
    }
    change(CHANGED_PASSWORD).await.expect_code("LOCKED_OUT");
    server
        .login(&victim.email, CHANGED_PASSWORD)
        .await
        .expect_code("LOCKED_OUT");
}

async fn change_my_email_counts_toward_the_lockout_and_hides_taken_addresses(backend: Backend) {
    let World {
        server,
        root,
        strict,
        victim,
    } = world(TestServer::start(backend).await).await;
    let change =
        "mutation($email: String!, $password: String!) { changeMyEmail(newEmail: $email, password: $password) }";
    server
        .create_user(&root, &strict, "taken@strict.test", &["MEMBER"])
        .await;
    let taken = server
        .as_(
            &victim,
            change,
            json!({ "email": "taken@strict.test", "password": CHANGED_PASSWORD }),
        )
        .await;
    assert_eq!(taken.ok()["changeMyEmail"], true);
    for details in audit_details(&server, "EMAIL_CHANGE_REQUESTED").await {
        assert!(details.get("addressTaken").is_none(), "{details}");
    }
    for _ in 0..3 {
        server
            .as_(
                &victim,
                change,
                json!({ "email": "new@strict.test", "password": WRONG }),
            )
            .await
            .expect_code("INVALID_CREDENTIALS");
    }
    server
        .login(&victim.email, CHANGED_PASSWORD)
        .await
        .expect_code("LOCKED_OUT");
}

async fn setup_first_admin_hashes_nothing_without_a_live_link(backend: Backend) {
    let server = TestServer::start(backend).await;
    let link = steward_server::announce_setup_link(&server.state)
        .await
        .unwrap()
        .expect("a setup link");
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let setup = |token: &str, n: usize| {
        format!("a{n}: setupFirstAdmin(token: \"{token}\", email: \"root{n}@example.com\", password: \"Correct-Horse-Battery-{n}\") {{ accessToken }}")
    };
    // Fewer than the per-IP budget of guesses at the link, which would refuse the rest.
    let bombs = (0..15).map(|n| setup("not-a-link", n)).collect::<Vec<_>>().join(" ");
    let before = server.state.hasher.computed();
    let answer = server.gql(None, &format!("mutation {{ {bombs} }}"), json!({})).await;
    assert_eq!(server.state.hasher.computed(), before);
    assert!(answer
        .errors
        .iter()
        .all(|error| error["extensions"]["code"] == "TOKEN_INVALID"));
    // The real link, aliased: one admin, one hash, the rest refused.
    let twice = format!("mutation {{ {} {} }}", setup(&token, 1), setup(&token, 2));
    let answer = server.gql(None, &twice, json!({})).await;
    assert!(answer.data["a1"]["accessToken"].is_string(), "{answer:#?}");
    assert_eq!(server.state.hasher.computed() - before, 1);
    // After setup, the operation is dead and costs nothing.
    let before = server.state.hasher.computed();
    server
        .gql(None, &format!("mutation {{ {} }}", setup(&token, 3)), json!({}))
        .await
        .expect_code("TOKEN_INVALID");
    assert_eq!(server.state.hasher.computed(), before);
}

async fn aliased_admin_mail_is_limited_per_recipient(backend: Backend) {
    let World {
        server, root, victim, ..
    } = world(TestServer::start(backend).await).await;
    let aliased = format!(
        "mutation {{ {} }}",
        (0..30)
            .map(|n| format!("a{n}: sendPasswordResetEmail(userId: \"{}\")", victim.user_id))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let answer = server.as_(&root, &aliased, json!({})).await;
    let sent = answer
        .data
        .as_object()
        .unwrap()
        .values()
        .filter(|v| **v == true)
        .count();
    // Ten an hour to one address, and the victim's creation mailed them one already.
    assert_eq!(sent, 9);
    assert!(answer
        .errors
        .iter()
        .all(|error| error["extensions"]["code"] == "RATE_LIMITED"));
}

async fn aliased_user_creation_is_limited_per_actor(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.admin_mails_per_actor_per_hour = 3).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let aliased = format!(
        "mutation {{ {} }}",
        (0..5)
            .map(|n| format!("a{n}: createUser(input: {{ orgId: \"{org}\", email: \"new{n}@acme.test\" }}) {{ id }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let answer = server.as_(&root, &aliased, json!({})).await;
    let created = answer
        .data
        .as_object()
        .unwrap()
        .values()
        .filter(|v| v.is_object())
        .count();
    assert_eq!(created, 3, "{answer:#?}");
    assert_eq!(answer.errors.len(), 2);
    assert!(answer
        .errors
        .iter()
        .all(|error| error["extensions"]["code"] == "RATE_LIMITED"));
    let members = "query($org: ID!) { organization(id: $org) { memberCount } }";
    let count = server.as_(&root, members, json!({ "org": org })).await;
    assert_eq!(
        count.ok()["organization"]["memberCount"],
        3,
        "refused creations leave nothing behind"
    );
}

backend_tests!(
    a_foreign_org_slug_neither_weakens_nor_clears_the_lockout,
    an_org_the_user_is_in_still_binds_the_session,
    unknown_and_known_addresses_answer_and_lock_alike,
    an_unknown_address_costs_a_hash_like_a_known_one,
    a_blocked_users_wrong_password_answers_like_anyone_elses,
    a_stranger_cannot_rate_limit_someone_elses_sign_in,
    a_stranger_cannot_lock_someone_else_out,
    a_stranger_cannot_block_someone_elses_reset,
    a_request_holds_one_password_operation,
    a_stolen_session_cannot_guess_through_change_my_password,
    change_my_email_counts_toward_the_lockout_and_hides_taken_addresses,
    setup_first_admin_hashes_nothing_without_a_live_link,
    aliased_admin_mail_is_limited_per_recipient,
    aliased_user_creation_is_limited_per_actor,
);
