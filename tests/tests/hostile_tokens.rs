//! Hostile bearer tokens (issue 8): forged, tampered, expired, mis-signed and misused access
//! tokens. Each case is named; each must be refused with its code and leave every table as it was.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ed25519_dalek::{Signer, SigningKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, Case, Session, Tenants, TestServer};

/// A superadmin-only write: what a forged token would be after.
const CREATE_ORG: &str = "mutation { createOrganization(input: { slug: \"forged\", name: \"Forged\" }) { id } }";
const VIEWER: &str = "{ viewer { user { email } } }";
const PROFILE: &str = "mutation { updateMyProfile(input: { name: \"Mallory\" }) { id } }";
const REFRESH: &str = "mutation($token: String) { refreshSession(refreshToken: $token) { accessToken } }";

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("JSON"))
}

fn decode(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("JSON")
}

/// A token's three parts: header, claims, signature.
struct Parts {
    header: Value,
    claims: Value,
    signature: String,
}

fn parts(token: &str) -> Parts {
    let segments: Vec<&str> = token.split('.').collect();
    assert_eq!(segments.len(), 3, "a JWT");
    Parts {
        header: decode(segments[0]),
        claims: decode(segments[1]),
        signature: segments[2].to_owned(),
    }
}

/// Header and claims with the signature of another content: a tampered token.
fn with_signature(header: &Value, claims: &Value, signature: &str) -> String {
    format!("{}.{}.{signature}", encode(header), encode(claims))
}

/// Signed with an Ed25519 key that is not the server's.
fn signed_by(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let content = format!("{}.{}", encode(header), encode(claims));
    let signature = key.sign(content.as_bytes());
    format!("{content}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// HS256 with `secret`: the algorithm-confusion attack, with the public key as the HMAC secret.
fn hs256(secret: &[u8], kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).expect("HS256")
}

fn foreign_key() -> SigningKey {
    let seed: [u8; 32] = *uuid::Uuid::new_v4()
        .as_bytes()
        .repeat(2)
        .first_chunk()
        .expect("32 bytes");
    SigningKey::from_bytes(&seed)
}

/// The server's published key: its `kid` and raw public bytes.
async fn published_key(server: &TestServer) -> (String, String, Vec<u8>) {
    let jwks: Value = server
        .http
        .get(format!("{}/.well-known/jwks.json", server.url))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("JSON");
    let key = &jwks["keys"][0];
    let x = key["x"].as_str().expect("x").to_owned();
    let raw = URL_SAFE_NO_PAD.decode(&x).expect("base64url");
    (key["kid"].as_str().expect("kid").to_owned(), x, raw)
}

/// Every forged variant of the superadmin's token, by name. None of them may act.
async fn forgeries(server: &TestServer, tenants: &Tenants) -> Vec<(String, String)> {
    let root = parts(&tenants.root.access_token);
    let user = parts(&tenants.user.access_token);
    let (kid, x, raw) = published_key(server).await;
    let foreign = foreign_key();
    let none = |alg: &str| json!({ "alg": alg, "typ": "JWT", "kid": kid });
    let claims_with = |key: &str, value: Value| {
        let mut claims = root.claims.clone();
        claims[key] = value;
        claims
    };
    let mut header_without_kid = root.header.clone();
    header_without_kid.as_object_mut().expect("header").remove("kid");
    let foreign_jwk = json!({
        "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA",
        "x": URL_SAFE_NO_PAD.encode(foreign.verifying_key().as_bytes()),
    });
    let original = tenants.root.access_token.clone();
    let (content, _) = original.rsplit_once('.').expect("a JWT");
    let standard_base64 = original
        .split('.')
        .map(|segment| STANDARD.encode(URL_SAFE_NO_PAD.decode(segment).expect("base64url")))
        .collect::<Vec<_>>()
        .join(".");
    vec![
        (
            "alg none, no signature",
            format!("{}.{}.", encode(&none("none")), encode(&root.claims)),
        ),
        (
            "alg None",
            format!("{}.{}.", encode(&none("None")), encode(&root.claims)),
        ),
        (
            "alg NONE with the original signature",
            with_signature(&none("NONE"), &root.claims, &root.signature),
        ),
        ("HS256 keyed with the raw public key", hs256(&raw, &kid, &root.claims)),
        (
            "HS256 keyed with the public key's base64url text",
            hs256(x.as_bytes(), &kid, &root.claims),
        ),
        (
            "a foreign Ed25519 key under the server's kid",
            signed_by(&foreign, &root.header, &root.claims),
        ),
        (
            "a foreign Ed25519 key under an unknown kid",
            signed_by(
                &foreign,
                &json!({ "alg": "EdDSA", "typ": "JWT", "kid": "attacker" }),
                &root.claims,
            ),
        ),
        (
            "a foreign key embedded as the header's jwk",
            signed_by(
                &foreign,
                &json!({ "alg": "EdDSA", "typ": "JWT", "jwk": foreign_jwk }),
                &root.claims,
            ),
        ),
        (
            "a foreign key behind a jku URL",
            signed_by(
                &foreign,
                &json!({ "alg": "EdDSA", "typ": "JWT", "kid": kid, "jku": "https://evil.test/jwks.json" }),
                &root.claims,
            ),
        ),
        (
            "the kid removed",
            with_signature(&header_without_kid, &root.claims, &root.signature),
        ),
        (
            "a kid like a path",
            signed_by(
                &foreign,
                &json!({ "alg": "EdDSA", "kid": "../../../../dev/null" }),
                &root.claims,
            ),
        ),
        (
            "a kid like SQL",
            signed_by(&foreign, &json!({ "alg": "EdDSA", "kid": "' OR '1'='1" }), &root.claims),
        ),
        (
            "an 8 KiB kid",
            signed_by(
                &foreign,
                &json!({ "alg": "EdDSA", "kid": "k".repeat(8192) }),
                &root.claims,
            ),
        ),
        ("the user's token with sub swapped to the superadmin", {
            let mut claims = user.claims.clone();
            claims["sub"] = root.claims["sub"].clone();
            with_signature(&user.header, &claims, &user.signature)
        }),
        ("the user's token with sid swapped to the superadmin's", {
            let mut claims = user.claims.clone();
            claims["sid"] = root.claims["sid"].clone();
            with_signature(&user.header, &claims, &user.signature)
        }),
        (
            "an org claim added",
            with_signature(&root.header, &claims_with("org", json!(tenants.other)), &root.signature),
        ),
        (
            "exp pushed a year out",
            with_signature(
                &root.header,
                &claims_with("exp", json!(4_102_444_800_i64)),
                &root.signature,
            ),
        ),
        (
            "iss changed",
            with_signature(
                &root.header,
                &claims_with("iss", json!("https://evil.test")),
                &root.signature,
            ),
        ),
        ("the signature removed", content.to_owned()),
        ("an empty signature", format!("{content}.")),
        ("the signature truncated", original[..original.len() - 8].to_owned()),
        (
            "the signature of another token",
            with_signature(&root.header, &root.claims, &user.signature),
        ),
        ("a fourth segment", format!("{original}.{}", user.signature)),
        ("padded standard base64", standard_base64),
        (
            "claims that are a JSON array",
            with_signature(&root.header, &json!([root.claims]), &root.signature),
        ),
        (
            "claims that are not JSON",
            format!(
                "{}.{}.{}",
                encode(&root.header),
                URL_SAFE_NO_PAD.encode("{not json"),
                root.signature
            ),
        ),
        ("garbage", "not-a-token".to_owned()),
        ("three dots", "...".to_owned()),
        ("a 64 KiB token", "a".repeat(64 * 1024)),
        ("the refresh token as a bearer", tenants.root.refresh_token.clone()),
    ]
    .into_iter()
    .map(|(name, token)| (name.to_owned(), token))
    .collect()
}

async fn forged_tokens_are_unauthenticated(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tenants = server.tenants().await;
    let mut cases = Vec::new();
    for (name, token) in forgeries(&server, &tenants).await {
        cases.push(
            Case::new(
                format!("{name}: createOrganization"),
                CREATE_ORG,
                json!({}),
                "UNAUTHENTICATED",
            )
            .token(&token),
        );
        cases.push(Case::new(format!("{name}: viewer"), VIEWER, json!({}), "UNAUTHENTICATED").token(&token));
    }
    for (name, authorization) in [
        ("an empty bearer", "Bearer "),
        ("a bearer of spaces", "Bearer      "),
        (
            "the bearer scheme in lower case",
            &*format!("bearer {}", tenants.root.access_token),
        ),
        ("a Basic scheme", "Basic cm9vdDpwYXNzd29yZA=="),
        (
            "two bearer tokens",
            &*format!("Bearer {} {}", tenants.user.access_token, tenants.root.access_token),
        ),
    ] {
        cases.push(
            Case::new(
                format!("{name}: createOrganization"),
                CREATE_ORG,
                json!({}),
                "UNAUTHENTICATED",
            )
            .authorization(authorization),
        );
    }
    assert!(server.run_cases(cases).await >= 60);
}

/// Tokens that the server's own key signed (a leaked key aside, only the server can make these):
/// the claims must still agree with the session they name.
async fn server_signed_claims_must_match_their_session(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tenants = server.tenants().await;
    let root = parts(&tenants.root.access_token).claims;
    let user = parts(&tenants.user.access_token).claims;
    let forger = server.token_forger().await;
    let issue = |claims: Value| forger.sign(&claims);
    let with = |base: &Value, changes: Value| {
        let mut claims = base.clone();
        for (key, value) in changes.as_object().expect("changes") {
            if value.is_null() {
                claims.as_object_mut().expect("claims").remove(key);
            } else {
                claims[key] = value.clone();
            }
        }
        claims
    };
    let bound = server
        .sign_in_to(&tenants.user.email, steward_tests::CHANGED_PASSWORD, Some("acme"))
        .await;
    let bound_claims = parts(&bound.access_token).claims;
    let cases = vec![
        Case::new("another issuer", CREATE_ORG, json!({}), "UNAUTHENTICATED")
            .token(issue(with(&root, json!({ "iss": "https://evil.test" })))),
        Case::new("no exp", CREATE_ORG, json!({}), "UNAUTHENTICATED").token(issue(with(&root, json!({ "exp": null })))),
        Case::new("exp in the past", CREATE_ORG, json!({}), "UNAUTHENTICATED")
            .token(issue(with(&root, json!({ "exp": 1_000_000_000 })))),
        Case::new(
            "sub of the superadmin on the user's session",
            CREATE_ORG,
            json!({}),
            "UNAUTHENTICATED",
        )
        .token(issue(with(&user, json!({ "sub": root["sub"] })))),
        Case::new("sid of an unknown session", CREATE_ORG, json!({}), "UNAUTHENTICATED")
            .token(issue(with(&root, json!({ "sid": uuid::Uuid::new_v4() })))),
        Case::new("sub that is no UUID", CREATE_ORG, json!({}), "UNAUTHENTICATED")
            .token(issue(with(&root, json!({ "sub": "root" })))),
        Case::answers(
            "a bound session's org claim swapped to another org reaches nothing more",
            "query($id: ID!) { organization(id: $id) { name } }",
            json!({ "id": tenants.other }),
            |data| match data["organization"].is_null() {
                true => Ok(()),
                false => Err(format!("reached the other org: {data}")),
            },
        )
        .token(issue(with(&bound_claims, json!({ "org": tenants.other })))),
    ];
    server.run_cases(cases).await;
}

/// A partner app's token where a user's is needed, and tokens in the wrong place.
async fn tokens_used_as_something_else(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tenants = server.tenants().await;
    let created = server
        .as_(
            &tenants.admin,
            "mutation($org: ID!) { createApiClient(orgId: $org, name: \"Sync\", scopes: [\"users:read\"]) { clientSecret client { id clientId } } }",
            json!({ "org": tenants.acme }),
        )
        .await;
    let created = &created.ok()["createApiClient"];
    let client_id = created["client"]["clientId"].as_str().expect("client id");
    let secret = created["clientSecret"].as_str().expect("secret");
    let client_token = client_token(&server, client_id, secret).await;
    let client_claims = parts(&client_token).claims;
    let forger = server.token_forger().await;
    let issue = |claims: Value| forger.sign(&claims);
    let mut escalated = client_claims.clone();
    escalated["scope"] = json!("users:read users:write users:delete org:read audit:read metadata:write");
    let mut other_org = client_claims.clone();
    other_org["org"] = json!(tenants.other);
    let mut old_version = client_claims.clone();
    old_version["ver"] = json!(client_claims["ver"].as_i64().expect("ver") + 1);
    let delete_user = "mutation($id: ID!) { deleteUser(id: $id) }";
    let cases = vec![
        Case::new(
            "a client token for changeMyPassword",
            "mutation { changeMyPassword(currentPassword: \"x\", newPassword: \"Another-Long-Passphrase-77\") }",
            json!({}),
            "FORBIDDEN",
        )
        .token(&client_token),
        Case::new("a client token for updateMyProfile", PROFILE, json!({}), "FORBIDDEN").token(&client_token),
        Case::new(
            "a client token for createOrganization",
            CREATE_ORG,
            json!({}),
            "FORBIDDEN",
        )
        .token(&client_token),
        Case::new(
            "a client token with read scope deleting a user",
            delete_user,
            json!({ "id": tenants.user.user_id }),
            "FORBIDDEN",
        )
        .token(&client_token),
        Case::new(
            "a client token on another org's user",
            delete_user,
            json!({ "id": tenants.outsider.user_id }),
            "NOT_FOUND",
        )
        .token(&client_token),
        Case::new(
            "a client token as a refresh token",
            REFRESH,
            json!({ "token": client_token }),
            "UNAUTHENTICATED",
        ),
        Case::new(
            "an access token as a refresh token",
            REFRESH,
            json!({ "token": tenants.user.access_token }),
            "UNAUTHENTICATED",
        ),
        Case::new(
            "a client secret as a refresh token",
            REFRESH,
            json!({ "token": secret }),
            "UNAUTHENTICATED",
        ),
        Case::new(
            "a refresh token as a reset token",
            "mutation($token: String!) { resetPassword(token: $token, newPassword: \"Another-Long-Passphrase-77\") }",
            json!({ "token": tenants.user.refresh_token }),
            "TOKEN_INVALID",
        ),
        Case::new(
            "an access token as a verification token",
            "mutation($token: String!) { verifyEmail(token: $token) }",
            json!({ "token": tenants.user.access_token }),
            "TOKEN_INVALID",
        ),
        Case::new(
            "server-signed client claims with scopes it was never granted",
            delete_user,
            json!({ "id": tenants.user.user_id }),
            "FORBIDDEN",
        )
        .token(issue(escalated)),
        Case::new(
            "server-signed client claims for another org",
            delete_user,
            json!({ "id": tenants.outsider.user_id }),
            "UNAUTHENTICATED",
        )
        .token(issue(other_org)),
        Case::new(
            "server-signed client claims of a secret version not yet issued",
            delete_user,
            json!({ "id": tenants.user.user_id }),
            "UNAUTHENTICATED",
        )
        .token(issue(old_version)),
    ];
    server.run_cases(cases).await;

    // Rotating the secret ends every token issued before.
    let rotate = "mutation($id: ID!) { rotateApiClientSecret(id: $id) { clientSecret } }";
    server
        .as_(&tenants.admin, rotate, json!({ "id": created["client"]["id"] }))
        .await
        .ok();
    let users = "query($org: ID!) { users(orgId: $org) { totalCount } }";
    server
        .run_cases(vec![Case::new(
            "a client token from before a rotation",
            users,
            json!({ "org": tenants.acme }),
            "UNAUTHENTICATED",
        )
        .token(&client_token)])
        .await;
}

async fn client_token(server: &TestServer, client_id: &str, secret: &str) -> String {
    let response = server
        .http
        .post(format!("{}/oauth/token", server.url))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request");
    let body: Value = response.json().await.expect("JSON");
    body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {body}"))
        .to_owned()
}

/// Tokens that were good once: expired by the clock, signed out, revoked.
async fn tokens_that_were_good_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tenants = server.tenants().await;
    let logged_out = server
        .sign_in(&tenants.admin.email, steward_tests::CHANGED_PASSWORD)
        .await;
    server.as_(&logged_out, "mutation { logout }", json!({})).await.ok();
    let revoked: Session = server
        .sign_in(&tenants.user.email, steward_tests::CHANGED_PASSWORD)
        .await;
    server
        .as_(
            &tenants.root,
            "mutation($id: ID!) { revokeSessions(userId: $id) }",
            json!({ "id": tenants.user.user_id }),
        )
        .await
        .ok();
    server
        .run_cases(vec![
            Case::new("a signed-out session's token", PROFILE, json!({}), "UNAUTHENTICATED")
                .token(&logged_out.access_token),
            Case::new("a revoked session's token", PROFILE, json!({}), "UNAUTHENTICATED").token(&revoked.access_token),
            Case::new(
                "a revoked session's refresh token",
                REFRESH,
                json!({ "token": revoked.refresh_token }),
                "UNAUTHENTICATED",
            ),
        ])
        .await;

    // Past the access token's lifetime (900 seconds) by the server's own clock.
    server.clock.advance(chrono::Duration::seconds(901));
    server
        .run_cases(vec![
            Case::new(
                "an expired token: createOrganization",
                CREATE_ORG,
                json!({}),
                "UNAUTHENTICATED",
            )
            .token(&tenants.root.access_token),
            Case::new("an expired token: viewer", VIEWER, json!({}), "UNAUTHENTICATED")
                .token(&tenants.root.access_token),
            Case::new(
                "an expired token: updateMyProfile",
                PROFILE,
                json!({}),
                "UNAUTHENTICATED",
            )
            .token(&tenants.user.access_token),
        ])
        .await;
    // Past the session's lifetime (14 days): its refresh token is spent too.
    server.clock.advance(chrono::Duration::days(15));
    server
        .run_cases(vec![Case::new(
            "an expired session's refresh token",
            REFRESH,
            json!({ "token": tenants.outsider.refresh_token }),
            "UNAUTHENTICATED",
        )])
        .await;
}

backend_tests!(
    forged_tokens_are_unauthenticated,
    server_signed_claims_must_match_their_session,
    tokens_used_as_something_else,
    tokens_that_were_good_once,
);
