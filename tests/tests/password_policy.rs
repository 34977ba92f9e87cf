//! Every path that sets a password checks the organization's policy: length, strength,
//! personal information, history; a user in several organizations meets the strictest.

use serde_json::json;
use steward_tests::{backend_tests, Backend, Session, TestServer, CHANGED_PASSWORD};

const CHANGE: &str =
    "mutation($current: String!, $new: String!) { changeMyPassword(currentPassword: $current, newPassword: $new) }";

async fn change(server: &TestServer, session: &Session, current: &str, new: &str) -> steward_tests::Gql {
    server
        .as_(session, CHANGE, json!({ "current": current, "new": new }))
        .await
}

fn reasons(response: &steward_tests::Gql) -> Vec<String> {
    response.expect_code("PASSWORD_POLICY");
    response.first_error()["extensions"]["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|reason| reason.as_str().unwrap().to_owned())
        .collect()
}

async fn member(server: &TestServer) -> (Session, Session, String) {
    let root = server.superadmin().await;
    let org = server.create_org(&root, "initech").await;
    let create = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
    let input = json!({ "orgId": org, "email": "milton.waddams@initech.test", "name": "Milton Waddams", "password": steward_tests::PASSWORD });
    server.as_(&root, create, json!({ "input": input })).await.ok();
    let user = server.sign_in_new_user("milton.waddams@initech.test").await;
    (root, user, org)
}

async fn weak_passwords_are_refused_with_readable_reasons(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, user, _) = member(&server).await;
    let found = reasons(&change(&server, &user, CHANGED_PASSWORD, "password").await);
    assert!(
        found.iter().any(|reason| reason.contains("at least 12 characters")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|reason| reason.contains("too easy to guess")),
        "{found:?}"
    );
    let found = reasons(&change(&server, &user, CHANGED_PASSWORD, "aaaaaaaaaaaaaaaa").await);
    assert!(
        found.iter().any(|reason| reason.contains("too easy to guess")),
        "{found:?}"
    );
    change(&server, &user, CHANGED_PASSWORD, "quartz-lantern-obelisk-drizzle")
        .await
        .ok();
}

async fn names_email_and_org_name_are_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, user, _) = member(&server).await;
    for password in [
        "Waddams-quartz-lantern-77",
        "quartz-milton.waddams-lantern",
        "quartz-Initech-lantern-obelisk",
    ] {
        let found = reasons(&change(&server, &user, CHANGED_PASSWORD, password).await);
        assert!(
            found.iter().any(|reason| reason.contains("must not contain")),
            "{password}: {found:?}"
        );
    }
}

async fn recent_passwords_cannot_be_reused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, user, _) = member(&server).await;
    change(&server, &user, CHANGED_PASSWORD, "quartz-lantern-obelisk-drizzle")
        .await
        .ok();
    let found = reasons(&change(&server, &user, "quartz-lantern-obelisk-drizzle", CHANGED_PASSWORD).await);
    assert!(
        found.iter().any(|reason| reason.contains("last 5 passwords")),
        "{found:?}"
    );
    // The very first password, set by the admin, counts too.
    let found = reasons(
        &change(
            &server,
            &user,
            "quartz-lantern-obelisk-drizzle",
            steward_tests::PASSWORD,
        )
        .await,
    );
    assert!(
        found.iter().any(|reason| reason.contains("last 5 passwords")),
        "{found:?}"
    );
}

async fn an_organization_s_own_policy_applies(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (root, user, org) = member(&server).await;
    let tighten = "mutation($id: ID!) { updateOrganization(id: $id, input: { settings: { passwordPolicy: { minLength: 32, historySize: 0 } } }) { id } }";
    server.as_(&root, tighten, json!({ "id": org })).await.ok();
    let found = reasons(&change(&server, &user, CHANGED_PASSWORD, "quartz-lantern-obelisk-drizzle").await);
    assert!(
        found.iter().any(|reason| reason.contains("at least 32 characters")),
        "{found:?}"
    );
    // createUser with a password checks the same policy.
    let create = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
    let input = json!({ "orgId": org, "email": "peter@initech.test", "password": "quartz-lantern-obelisk-drizzle" });
    server
        .as_(&root, create, json!({ "input": input }))
        .await
        .expect_code("PASSWORD_POLICY");
}

async fn a_user_in_several_orgs_meets_the_strictest_policy(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (root, user, _) = member(&server).await;
    let strict = server.create_org(&root, "strict").await;
    let tighten = "mutation($id: ID!) { updateOrganization(id: $id, input: { settings: { passwordPolicy: { minLength: 40 } } }) { id } }";
    server.as_(&root, tighten, json!({ "id": strict })).await.ok();
    let add = "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user) { status } }";
    server
        .as_(&root, add, json!({ "org": strict, "user": user.user_id }))
        .await
        .ok();
    let found = reasons(&change(&server, &user, CHANGED_PASSWORD, "quartz-lantern-obelisk-drizzle").await);
    assert!(
        found.iter().any(|reason| reason.contains("at least 40 characters")),
        "{found:?}"
    );
}

backend_tests!(
    weak_passwords_are_refused_with_readable_reasons,
    names_email_and_org_name_are_refused,
    recent_passwords_cannot_be_reused,
    an_organization_s_own_policy_applies,
    a_user_in_several_orgs_meets_the_strictest_policy,
);
