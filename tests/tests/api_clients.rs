//! Partner applications: API clients created by an organization's ADMIN, tokens from the
//! client-credentials grant at `/oauth/token`, and what those tokens may do — their own
//! organization only, within their scopes, never a user shared with another tenant.

use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, Gql, Session, TestServer};

const CREATE: &str = "mutation($org: ID!, $name: String!, $scopes: [String!]!) {
    createApiClient(orgId: $org, name: $name, scopes: $scopes) { clientSecret client { id clientId scopes } } }";

struct Client {
    id: String,
    client_id: String,
    secret: String,
}

async fn create_client(server: &TestServer, admin: &Session, org: &str, scopes: &[&str]) -> Client {
    let response = server
        .as_(
            admin,
            CREATE,
            json!({ "org": org, "name": "Billing sync", "scopes": scopes }),
        )
        .await;
    let created = &response.ok()["createApiClient"];
    Client {
        id: created["client"]["id"].as_str().unwrap().to_owned(),
        client_id: created["client"]["clientId"].as_str().unwrap().to_owned(),
        secret: created["clientSecret"].as_str().unwrap().to_owned(),
    }
}

/// Posts a form to `/oauth/token` with HTTP Basic client authentication.
async fn token_request(server: &TestServer, client_id: &str, secret: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = server
        .http
        .post(format!("{}/oauth/token", server.url))
        .basic_auth(client_id, Some(secret))
        .form(form)
        .send()
        .await
        .expect("token request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

async fn token(server: &TestServer, client: &Client) -> String {
    let (status, body) = token_request(
        server,
        &client.client_id,
        &client.secret,
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("access_token").to_owned()
}

async fn as_client(server: &TestServer, token: &str, query: &str, variables: Value) -> Gql {
    server.gql(Some(token), query, variables).await
}

/// A superadmin, an org `acme` with an ADMIN, and the ADMIN's session.
async fn acme(server: &TestServer) -> (Session, String, Session) {
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@acme.test", &["ADMIN"]).await;
    (root, org, admin)
}

async fn only_admins_manage_clients_and_the_secret_is_shown_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (root, org, admin) = acme(&server).await;
    let manager = server.member(&root, &org, "manager@acme.test", &["USER_MANAGER"]).await;
    let other = server.create_org(&root, "globex").await;
    let other_admin = server.member(&root, &other, "admin@globex.test", &["ADMIN"]).await;

    let client = create_client(&server, &admin, &org, &["users:read"]).await;
    assert_eq!(client.secret.len(), 43, "256 random bits, base64url");
    let listed = server
        .as_(
            &admin,
            "query($org: ID!) { apiClients(orgId: $org) { id name clientId scopes lastUsedAt } }",
            json!({ "org": org }),
        )
        .await;
    assert_eq!(listed.ok()["apiClients"][0]["clientId"], client.client_id.as_str());
    assert!(
        !listed.data.to_string().contains(&client.secret),
        "the secret is never shown again"
    );

    let scopes = json!({ "org": org, "name": "x", "scopes": ["users:read"] });
    server
        .as_(&manager, CREATE, scopes.clone())
        .await
        .expect_code("FORBIDDEN");
    server.as_(&other_admin, CREATE, scopes).await.expect_code("NOT_FOUND");
    let bad = json!({ "org": org, "name": "x", "scopes": ["users:everything"] });
    server.as_(&admin, CREATE, bad).await.expect_invalid("scopes");
    server
        .as_(
            &other_admin,
            "mutation($id: ID!) { deleteApiClient(id: $id) }",
            json!({ "id": client.id }),
        )
        .await
        .expect_code("NOT_FOUND");
}

async fn the_token_endpoint_follows_rfc_6749(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, org, admin) = acme(&server).await;
    let client = create_client(&server, &admin, &org, &["users:read", "audit:read"]).await;

    let grant = [("grant_type", "client_credentials")];
    let (status, body) = token_request(&server, &client.client_id, &client.secret, &grant).await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "users:read audit:read");

    // Credentials in a JSON body work too, and a scope narrows the token.
    let response = server
        .http
        .post(format!("{}/oauth/token", server.url))
        .json(
            &json!({ "grant_type": "client_credentials", "client_id": client.client_id,
                       "client_secret": client.secret, "scope": "audit:read" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "audit:read");

    // A wrong secret and an unknown client answer alike.
    let wrong = token_request(&server, &client.client_id, "not-the-secret", &grant).await;
    let unknown = token_request(&server, "stw_unknown", "not-the-secret", &grant).await;
    assert_eq!(wrong, unknown);
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong.1["error"], "invalid_client");

    let (status, body) = token_request(
        &server,
        &client.client_id,
        &client.secret,
        &[("grant_type", "password")],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));
    let more = [
        ("grant_type", "client_credentials"),
        ("scope", "users:read users:write"),
    ];
    let (status, body) = token_request(&server, &client.client_id, &client.secret, &more).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));
}

async fn a_token_reaches_its_own_organization_within_its_scopes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (root, org, admin) = acme(&server).await;
    let other = server.create_org(&root, "globex").await;
    let outsider = server.create_user(&root, &other, "hank@globex.test", &["MEMBER"]).await;
    let reader = token(&server, &create_client(&server, &admin, &org, &["users:read"]).await).await;

    let users = "query($org: ID) { users(orgId: $org) { totalCount edges { node { email } } } }";
    let mine = as_client(&server, &reader, users, json!({ "org": org })).await;
    assert_eq!(mine.ok()["users"]["totalCount"], 1);
    let everyone = as_client(&server, &reader, users, json!({ "org": null })).await;
    assert_eq!(
        everyone.ok()["users"]["totalCount"],
        1,
        "no orgId: still only its own organization"
    );
    as_client(&server, &reader, users, json!({ "org": other }))
        .await
        .expect_code("NOT_FOUND");
    let hank = as_client(
        &server,
        &reader,
        "query($id: ID!) { user(id: $id) { email } }",
        json!({ "id": outsider }),
    )
    .await;
    assert_eq!(
        hank.ok()["user"],
        Value::Null,
        "a user of another tenant reads as absent"
    );
    let viewer = as_client(&server, &reader, "{ viewer { user { email } } }", json!({})).await;
    assert_eq!(viewer.ok()["viewer"], Value::Null);

    // Reading is not writing, and the organization itself (settings included) needs org:read:
    // without it, the organization reads as absent.
    let create = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
    let input = json!({ "input": { "orgId": org, "email": "new@acme.test", "sendInvitation": false } });
    as_client(&server, &reader, create, input.clone())
        .await
        .expect_code("FORBIDDEN");
    let settings = "query($org: ID!) { organization(id: $org) { settings { requireVerifiedEmail } } }";
    let unread = as_client(&server, &reader, settings, json!({ "org": org })).await;
    assert_eq!(unread.ok()["organization"], Value::Null);
    let org_reader = token(&server, &create_client(&server, &admin, &org, &["org:read"]).await).await;
    as_client(&server, &org_reader, settings, json!({ "org": org }))
        .await
        .ok();

    // A writer creates users, and the audit log names the client as the actor.
    let writer_client = create_client(&server, &admin, &org, &["users:write", "audit:read"]).await;
    let writer = token(&server, &writer_client).await;
    let created = as_client(&server, &writer, create, input).await;
    let user_id = created.ok()["createUser"]["id"].as_str().unwrap().to_owned();
    let events = as_client(
        &server,
        &writer,
        "query($user: ID!) { auditEvents(userId: $user, types: [\"USER_CREATED\"]) { edges { node { actorApiClientId actorUserId } } } }",
        json!({ "user": user_id }),
    )
    .await;
    let event = &events.ok()["auditEvents"]["edges"][0]["node"];
    assert_eq!(event["actorApiClientId"], writer_client.id.as_str());
    assert_eq!(event["actorUserId"], Value::Null);
}

async fn a_client_cannot_take_over_shared_users_or_admins(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (root, org, admin) = acme(&server).await;
    let other = server.create_org(&root, "globex").await;
    let writer = token(
        &server,
        &create_client(&server, &admin, &org, &["users:read", "users:write"]).await,
    )
    .await;
    let shared = server.create_user(&root, &org, "shared@acme.test", &["MEMBER"]).await;
    server
        .as_(
            &root,
            "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user) { status } }",
            json!({ "org": other, "user": shared }),
        )
        .await
        .ok();
    let admin_id = server
        .login("admin@acme.test", steward_tests::CHANGED_PASSWORD)
        .await
        .ok()["login"]["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let block = "mutation($id: ID!) { blockUser(userId: $id) { blocked } }";
    as_client(&server, &writer, block, json!({ "id": shared }))
        .await
        .expect_code("FORBIDDEN");
    as_client(&server, &writer, block, json!({ "id": admin_id }))
        .await
        .expect_code("FORBIDDEN");
    let grant = "mutation($org: ID!, $id: ID!) { setMemberRoles(orgId: $org, userId: $id, roles: [ADMIN]) { roles } }";
    let own = server.create_user(&root, &org, "own@acme.test", &["MEMBER"]).await;
    as_client(&server, &writer, grant, json!({ "org": org, "id": own }))
        .await
        .expect_code("FORBIDDEN");
    // Its own organization's plain member it may block.
    let blocked = as_client(&server, &writer, block, json!({ "id": own })).await;
    assert_eq!(blocked.ok()["blockUser"]["blocked"], true);
}

async fn deleting_and_writing_metadata_need_their_own_scopes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (root, org, admin) = acme(&server).await;
    let user = server.create_user(&root, &org, "ada@acme.test", &["MEMBER"]).await;
    let writer = token(
        &server,
        &create_client(&server, &admin, &org, &["users:read", "users:write"]).await,
    )
    .await;
    let metadata = token(
        &server,
        &create_client(&server, &admin, &org, &["metadata:write"]).await,
    )
    .await;
    let deleter = token(&server, &create_client(&server, &admin, &org, &["users:delete"]).await).await;

    let patch = "mutation($id: ID!) { updateUserMetadata(id: $id, appMetadata: { plan: \"pro\" }) { id } }";
    as_client(&server, &writer, patch, json!({ "id": user }))
        .await
        .expect_code("FORBIDDEN");
    as_client(&server, &metadata, patch, json!({ "id": user })).await.ok();
    let plan = server
        .as_(
            &root,
            "query($id: ID!) { user(id: $id) { appMetadata } }",
            json!({ "id": user }),
        )
        .await;
    assert_eq!(plan.ok()["user"]["appMetadata"]["plan"], "pro");

    let delete = "mutation($id: ID!) { deleteUser(id: $id) }";
    as_client(&server, &writer, delete, json!({ "id": user }))
        .await
        .expect_code("FORBIDDEN");
    as_client(&server, &metadata, delete, json!({ "id": user }))
        .await
        .expect_code("FORBIDDEN");
    assert_eq!(
        as_client(&server, &deleter, delete, json!({ "id": user })).await.ok()["deleteUser"],
        true
    );
}

async fn deleting_or_rotating_a_client_stops_its_tokens_at_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, org, admin) = acme(&server).await;
    let users = "query($org: ID!) { users(orgId: $org) { totalCount } }";

    let client = create_client(&server, &admin, &org, &["users:read"]).await;
    let old_token = token(&server, &client).await;
    as_client(&server, &old_token, users, json!({ "org": org })).await.ok();
    let rotated = server
        .as_(
            &admin,
            "mutation($id: ID!) { rotateApiClientSecret(id: $id) { clientSecret } }",
            json!({ "id": client.id }),
        )
        .await;
    let new_secret = rotated.ok()["rotateApiClientSecret"]["clientSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    as_client(&server, &old_token, users, json!({ "org": org }))
        .await
        .expect_code("UNAUTHENTICATED");
    let grant = [("grant_type", "client_credentials")];
    assert_eq!(
        token_request(&server, &client.client_id, &client.secret, &grant)
            .await
            .0,
        401
    );
    let fresh = Client {
        secret: new_secret,
        ..client
    };
    let new_token = token(&server, &fresh).await;
    as_client(&server, &new_token, users, json!({ "org": org })).await.ok();

    server
        .as_(
            &admin,
            "mutation($id: ID!) { deleteApiClient(id: $id) }",
            json!({ "id": fresh.id }),
        )
        .await
        .ok();
    as_client(&server, &new_token, users, json!({ "org": org }))
        .await
        .expect_code("UNAUTHENTICATED");
    assert_eq!(
        token_request(&server, &fresh.client_id, &fresh.secret, &grant).await.0,
        401
    );
}

async fn token_issuance_is_rate_limited_per_client(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.token_requests_per_client_per_minute = 3).await;
    let (_, org, admin) = acme(&server).await;
    let client = create_client(&server, &admin, &org, &["users:read"]).await;
    let grant = [("grant_type", "client_credentials")];
    for _ in 0..3 {
        assert_eq!(
            token_request(&server, &client.client_id, &client.secret, &grant)
                .await
                .0,
            200
        );
    }
    let (status, body) = token_request(&server, &client.client_id, &client.secret, &grant).await;
    assert_eq!(status, 429);
    assert_eq!(body["error"], "RATE_LIMITED");
    // Only tokens actually issued count: others guessing at the public client id cannot starve
    // the client, and get the same 401 as ever.
    assert_eq!(token_request(&server, &client.client_id, "guess", &grant).await.0, 401);
}

backend_tests!(
    only_admins_manage_clients_and_the_secret_is_shown_once,
    the_token_endpoint_follows_rfc_6749,
    a_token_reaches_its_own_organization_within_its_scopes,
    a_client_cannot_take_over_shared_users_or_admins,
    deleting_and_writing_metadata_need_their_own_scopes,
    deleting_or_rotating_a_client_stops_its_tokens_at_once,
    token_issuance_is_rate_limited_per_client,
);
