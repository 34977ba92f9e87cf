//! Smaller holes found by trying Steward as an attacker would, each pinned shut: links that
//! outlive what they were for, a bound session that sees past its organization, work an
//! anonymous token can cause, scopes an API client does not hold, constraint failures that
//! answered `INTERNAL`, and imports that rewrote shared accounts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use steward_entity::{outbox_mail, OrgId};
use steward_server::domain::authz::CommandLine;
use steward_server::domain::transfer::{self, Format, ImportOptions};
use steward_tests::{backend_tests, Backend, TestServer, CHANGED_PASSWORD, PASSWORD};

const ACCEPT: &str = "mutation($token: String!, $current: String) { acceptInvitation(token: $token, currentPassword: $current) { accessToken } }";
const ADD_MEMBER: &str = "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user) { roles } }";
const VIEWER: &str =
    "{ viewer { memberships { organization { slug } } user { memberships { organization { slug } } } } }";

/// The token of the invitation into `org` mailed to `email`.
async fn invitation_token(server: &TestServer, org: &str, email: &str) -> String {
    let org: OrgId = org.parse().unwrap();
    let mail = outbox_mail::Entity::find()
        .filter(outbox_mail::Column::Recipient.eq(email))
        .filter(outbox_mail::Column::OrgId.eq(org))
        .filter(outbox_mail::Column::Link.contains("invitation"))
        .one(server.database())
        .await
        .unwrap()
        .expect("an invitation in the outbox");
    let link = mail.link.expect("a link");
    link.split("token=").nth(1).expect("a token").to_owned()
}

async fn an_invitation_dies_when_its_member_is_removed(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let other = server.create_org(&root, "other").await;
    let member = server.member(&root, &other, "shared@other.test", &["MEMBER"]).await;
    let invite =
        "mutation($org: ID!, $email: String!) { inviteMember(orgId: $org, email: $email, roles: [ADMIN]) { id } }";
    server
        .as_(&root, invite, json!({ "org": acme, "email": member.email }))
        .await
        .ok();
    let token = invitation_token(&server, &acme, &member.email).await;
    // Added directly, then removed: the invitation made for the address must not bring them back.
    let remove = "mutation($org: ID!, $user: ID!) { removeMember(orgId: $org, userId: $user) }";
    let ids = json!({ "org": acme, "user": member.user_id });
    server.as_(&root, ADD_MEMBER, ids.clone()).await.ok();
    server.as_(&root, remove, ids).await.ok();
    server
        .gql(None, ACCEPT, json!({ "token": token, "current": CHANGED_PASSWORD }))
        .await
        .expect_code("TOKEN_INVALID");
}

async fn a_bound_session_sees_only_its_own_organization(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let other = server.create_org(&root, "other").await;
    let member = server.member(&root, &acme, "both@acme.test", &["MEMBER"]).await;
    server
        .as_(&root, ADD_MEMBER, json!({ "org": other, "user": member.user_id }))
        .await
        .ok();
    let bound = server.sign_in_to(&member.email, CHANGED_PASSWORD, Some("acme")).await;
    let viewer = server.as_(&bound, VIEWER, json!({})).await;
    let slugs = |path: &serde_json::Value| -> Vec<String> {
        path.as_array()
            .unwrap()
            .iter()
            .map(|m| m["organization"]["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(slugs(&viewer.ok()["viewer"]["memberships"]), ["acme"]);
    assert_eq!(slugs(&viewer.ok()["viewer"]["user"]["memberships"]), ["acme"]);
    // Unbound, the user sees both.
    let unbound = server.sign_in(&member.email, CHANGED_PASSWORD).await;
    let viewer = server.as_(&unbound, VIEWER, json!({})).await;
    assert_eq!(slugs(&viewer.ok()["viewer"]["memberships"]).len(), 2);
}

/// A token that names a key nobody has: a header, a payload and a signature of junk.
fn token_with_kid(kid: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "EdDSA", "typ": "JWT", "kid": kid }).to_string());
    let payload = URL_SAFE_NO_PAD.encode(json!({ "sub": "x", "iss": "y", "exp": 9999999999u64 }).to_string());
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode([7u8; 64]))
}

async fn unknown_key_ids_do_not_reload_the_keys_each_time(backend: Backend) {
    let server = TestServer::start(backend).await;
    let before = server.state.keys.reloads();
    for n in 0..20 {
        server
            .gql(
                Some(&token_with_kid(&format!("made-up-{n}"))),
                "{ viewer { user { id } } }",
                json!({}),
            )
            .await
            .expect_code("UNAUTHENTICATED");
    }
    assert!(server.state.keys.reloads() - before <= 1);
}

async fn a_client_without_org_read_cannot_read_its_organization(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let create = "mutation($org: ID!) { createApiClient(orgId: $org, name: \"sync\", scopes: [\"users:read\"]) { clientSecret client { clientId } } }";
    let created = server.as_(&root, create, json!({ "org": acme })).await;
    let created = &created.ok()["createApiClient"];
    let response = server
        .http
        .post(format!("{}/oauth/token", server.url))
        .basic_auth(
            created["client"]["clientId"].as_str().unwrap(),
            created["clientSecret"].as_str(),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    let read = server
        .gql(
            Some(token),
            "query($id: ID!) { organization(id: $id) { name } }",
            json!({ "id": acme }),
        )
        .await;
    // Out of its scopes, its own organization reads as absent, like anything out of reach.
    assert!(read.ok()["organization"].is_null(), "{read:#?}");
}

async fn adding_to_an_unknown_organization_is_not_found(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let user = server.create_user(&root, &acme, "someone@acme.test", &["MEMBER"]).await;
    server
        .as_(
            &root,
            ADD_MEMBER,
            json!({ "org": "0190a0b0-0000-7000-8000-000000000000", "user": user }),
        )
        .await
        .expect_code("NOT_FOUND");
}

async fn an_upsert_import_leaves_shared_accounts_alone_and_ends_replaced_sessions(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let other = server.create_org(&root, "other").await;
    let shared = server.member(&root, &acme, "shared@acme.test", &["MEMBER"]).await;
    server
        .as_(&root, ADD_MEMBER, json!({ "org": other, "user": shared.user_id }))
        .await
        .ok();
    let own = server.member(&root, &acme, "own@acme.test", &["MEMBER"]).await;
    let hash = bcrypt::hash(PASSWORD, 4).unwrap();
    let line = |email: &str| {
        json!({ "email": email, "name": "Imported", "custom_password_hash": { "algorithm": "bcrypt", "hash": { "value": hash } } }).to_string()
    };
    let caller = CommandLine::new(server.state.clone());
    let scope = caller.operator();

    let upsert = ImportOptions {
        upsert: true,
        ..ImportOptions::default()
    };
    let report = transfer::import(&scope, "acme", &line(&shared.email), Format::Ndjson, upsert)
        .await
        .unwrap();
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(
        report.errors[0].1.contains("other organizations"),
        "{:?}",
        report.errors
    );
    server.sign_in(&shared.email, CHANGED_PASSWORD).await;

    let report = transfer::import(&scope, "acme", &line(&own.email), Format::Ndjson, upsert)
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // The replaced password ended the account's sessions.
    server
        .as_(&own, "{ viewer { user { id } } }", json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
    server.sign_in(&own.email, PASSWORD).await;
}

backend_tests!(
    an_invitation_dies_when_its_member_is_removed,
    a_bound_session_sees_only_its_own_organization,
    unknown_key_ids_do_not_reload_the_keys_each_time,
    a_client_without_org_read_cannot_read_its_organization,
    adding_to_an_unknown_organization_is_not_found,
    an_upsert_import_leaves_shared_accounts_alone_and_ends_replaced_sessions,
);
