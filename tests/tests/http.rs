//! The HTTP routes around the API: health, signing keys, the schema, GraphQL over GET, error
//! codes, the portal's fallback to `index.html`, and the request body limit.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::{json, Value};
use std::path::PathBuf;
use steward_tests::{backend_tests, Backend, TestServer};

/// A portal folder of the test's own, removed when the test ends.
struct Portal(PathBuf);

impl Portal {
    fn create(files: &[(&str, &str)]) -> Self {
        let directory = std::env::temp_dir().join(format!("steward-portal-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&directory).expect("portal folder");
        for (name, content) in files {
            std::fs::write(directory.join(name), content).expect("portal file");
        }
        Self(directory)
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn get(server: &TestServer, path: &str) -> reqwest::Response {
    server
        .http
        .get(format!("{}{path}", server.url))
        .send()
        .await
        .expect("request")
}

fn decode(segment: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(segment).expect("base64url")
}

async fn health_and_readiness_answer_200(backend: Backend) {
    let server = TestServer::start(backend).await;
    for path in ["/healthz", "/readyz"] {
        assert_eq!(get(&server, path).await.status(), 200, "{path}");
    }
}

async fn jwks_publishes_the_ed25519_key_that_signs_access_tokens(backend: Backend) {
    let server = TestServer::start(backend).await;
    let session = server.superadmin().await;
    let response = get(&server, "/.well-known/jwks.json").await;
    assert_eq!(response.status(), 200);
    let jwks: Value = response.json().await.expect("JSON");

    let segments: Vec<&str> = session.access_token.split('.').collect();
    assert_eq!(segments.len(), 3, "a JWT");
    let header: Value = serde_json::from_slice(&decode(segments[0])).expect("JWT header");
    assert_eq!(header["alg"], "EdDSA");
    let key = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|key| key["kid"] == header["kid"])
        .unwrap_or_else(|| panic!("no key {} in {jwks:#}", header["kid"]));
    assert_eq!((&key["kty"], &key["crv"]), (&json!("OKP"), &json!("Ed25519")));

    let public: [u8; 32] = decode(key["x"].as_str().expect("x")).try_into().expect("32 bytes");
    let signature = Signature::from_slice(&decode(segments[2])).expect("a signature");
    let signed = format!("{}.{}", segments[0], segments[1]);
    VerifyingKey::from_bytes(&public)
        .expect("a key")
        .verify(signed.as_bytes(), &signature)
        .expect("verifies");
}

async fn schema_route_serves_the_exported_sdl(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = get(&server, "/schema.graphql").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), steward_server::graphql::sdl());
}

async fn graphql_over_get_answers_queries_but_refuses_mutations(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let over_get = |query: &str| {
        let url = reqwest::Url::parse_with_params(&format!("{}/graphql", server.url), [("query", query)]).unwrap();
        let request = server.http.get(url);
        async {
            request
                .bearer_auth(&root.access_token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let viewer = over_get("{ viewer { isSuperadmin } }").await;
    assert_eq!(viewer["data"]["viewer"]["isSuperadmin"], true, "{viewer:#}");

    for mutation in [
        "mutation { createOrganization(input: { slug: \"via-get\", name: \"Via GET\" }) { id } }",
        "query Harmless { viewer { isSuperadmin } } mutation Sneaky { createOrganization(input: { slug: \"via-get\", name: \"Via GET\" }) { id } }",
    ] {
        let refused = over_get(mutation).await;
        let errors = refused["errors"].as_array().unwrap_or_else(|| panic!("refused: {refused:#}"));
        assert!(errors[0]["extensions"]["code"].is_string(), "{refused:#}");
        assert!(refused["data"]["createOrganization"].is_null());
    }
    let count = server.as_(&root, "{ organizations { totalCount } }", json!({})).await;
    assert_eq!(count.ok()["organizations"]["totalCount"], 0);
}

async fn every_error_carries_a_code(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    // Deeper than the depth limit of 20.
    let cycle = "memberships { organization { members { edges { node { user { ";
    let too_deep = format!(
        "{{ viewer {{ user {{ {} id {} }} }} }}",
        cycle.repeat(4),
        "} } } } } } ".repeat(4)
    );
    let cases = [
        (None, "{ viewer { ", json!({})),
        (None, "{ nope }", json!({})),
        (None, "query($id: ID!) { user(id: $id) { id } }", json!({})),
        (None, "{ organizations(first: \"many\") { totalCount } }", json!({})),
        (None, "{ users { totalCount } }", json!({})),
        (
            None,
            "mutation { login(email: \"root@example.com\", password: \"wrong\") { accessToken } }",
            json!({}),
        ),
        (Some("not-a-token"), "{ organizations { totalCount } }", json!({})),
        (
            Some(root.access_token.as_str()),
            "mutation { deleteOrganization(id: \"nope\") }",
            json!({}),
        ),
        (
            Some(root.access_token.as_str()),
            "mutation { createOrganization(input: { slug: \"x\", name: \"X\" }) { id } }",
            json!({}),
        ),
        (Some(root.access_token.as_str()), too_deep.as_str(), json!({})),
    ];
    for (token, query, variables) in cases {
        let response = server.gql(token, query, variables).await;
        assert!(!response.errors.is_empty(), "{query} should fail");
        for error in &response.errors {
            assert!(error["extensions"]["code"].is_string(), "{query}: {error:#}");
        }
    }
}

async fn bodies_that_are_no_graphql_request_get_a_coded_error(backend: Backend) {
    let server = TestServer::start(backend).await;
    let url = format!("{}/graphql", server.url);
    let batch = "[{\"query\": \"{ viewer { isSuperadmin } }\"}, {\"query\": \"{ viewer { isSuperadmin } }\"}]";
    let posts = ["not json", "{\"query\": 5}", batch].map(|body| {
        server
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
    });
    for (index, request) in futures::future::join_all(posts).await.into_iter().enumerate() {
        let response = request.unwrap();
        assert_eq!(response.status(), 400, "body {index}");
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|error| panic!("body {index}: not JSON: {error}"));
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "body {index}: {body:#}"
        );
    }
    let no_query: Value = get(&server, "/graphql").await.json().await.unwrap();
    assert_eq!(
        no_query["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{no_query:#}"
    );
}

async fn portal_routes_fall_back_to_index_html(backend: Backend) {
    let index = "<!doctype html><title>Steward</title><p>the portal</p>";
    let portal = Portal::create(&[("index.html", index), ("app.js", "console.log('portal')")]);
    let directory = portal.0.to_string_lossy().into_owned();
    let server = TestServer::start_with(backend, |config| config.portal_dir = directory).await;
    for path in ["/orgs/123", "/orgs/123/members", "/"] {
        let response = get(&server, path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.text().await.unwrap(), index, "{path}");
    }
    assert_eq!(
        get(&server, "/app.js").await.text().await.unwrap(),
        "console.log('portal')"
    );
    assert_eq!(get(&server, "/healthz").await.text().await.unwrap(), "ok");
}

async fn request_bodies_over_256_kib_are_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let post = |padding: usize| {
        let body = json!({ "query": "{ viewer { isSuperadmin } }", "variables": { "padding": "x".repeat(padding) } });
        server.http.post(format!("{}/graphql", server.url)).json(&body).send()
    };
    let small = post(200 * 1024).await.unwrap();
    assert_eq!(small.status(), 200);
    assert_eq!(small.json::<Value>().await.unwrap()["data"], json!({ "viewer": null }));
    assert_eq!(post(300 * 1024).await.unwrap().status(), 413);
}

/// `/readyz` says 503 and why while the database is unreachable, and 200 again once it is back,
/// without a restart. The database goes away behind a relay this server alone uses.
async fn readiness_follows_the_database_without_a_restart(backend: Backend) {
    let upstream = match backend {
        Backend::Postgres => "127.0.0.1:5432",
        Backend::MariaDb => "127.0.0.1:3306",
        Backend::Sqlite => return,
    };
    let relay = steward_tests::relay::Relay::start(upstream.to_owned()).await;
    let port = relay.port;
    let server = TestServer::start_with(backend, |config| {
        config.database_url = config.database_url.replacen(upstream, &format!("127.0.0.1:{port}"), 1);
    })
    .await;
    let readyz = || async {
        let response = server
            .http
            .get(format!("{}/readyz", server.url))
            .send()
            .await
            .expect("an answer");
        (response.status().as_u16(), response.text().await.unwrap())
    };
    assert_eq!(readyz().await.0, 200);

    relay.cut();
    let (status, why) = readyz().await;
    assert_eq!((status, why.as_str()), (503, "database unreachable"));
    // Signing in fails as the database does, and says nothing more.
    let login = server.login("nobody@example.com", "whatever-password").await;
    assert_eq!(login.code(), "INTERNAL");

    relay.restore();
    let mut answer = readyz().await;
    for _ in 0..100 {
        if answer.0 == 200 {
            break;
        }
        answer = readyz().await;
    }
    assert_eq!(answer, (200, "ready".to_owned()));
}

backend_tests!(
    health_and_readiness_answer_200,
    jwks_publishes_the_ed25519_key_that_signs_access_tokens,
    schema_route_serves_the_exported_sdl,
    graphql_over_get_answers_queries_but_refuses_mutations,
    every_error_carries_a_code,
    bodies_that_are_no_graphql_request_get_a_coded_error,
    portal_routes_fall_back_to_index_html,
    request_bodies_over_256_kib_are_refused,
    readiness_follows_the_database_without_a_restart,
);

mod metrics {
    use serde_json::json;
    use steward_tests::{Backend, TestServer};

    /// Metrics are process-wide, so this reads them once, on one backend.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn metrics_count_requests_by_route_and_sign_ins_by_outcome() {
        let server = TestServer::start(Backend::Sqlite).await;
        server
            .login("nobody@example.com", "whatever-password")
            .await
            .expect_code("INVALID_CREDENTIALS");
        server.gql(None, "{ __typename }", json!({})).await.ok();
        let response = server.http.get(format!("{}/metrics", server.url)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        assert!(text.contains("steward_http_requests_total{"), "{text}");
        assert!(text.contains("route=\"/graphql\""), "{text}");
        assert!(
            text.contains("steward_login_attempts_total{outcome=\"INVALID_CREDENTIALS\"}"),
            "{text}"
        );
        assert!(text.contains("steward_http_request_duration_seconds_bucket"), "{text}");
    }
}
