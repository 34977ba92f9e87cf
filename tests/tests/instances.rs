//! The README's recipe for several instances, followed to the letter with the real binary: two
//! `steward serve` processes on one PostgreSQL database with one key-encryption key, one public
//! URL, limits shared through Redis, and a proxy they trust for the client address. The test
//! plays the load balancer: it sends each request to one instance or the other, from the
//! proxy's address (loopback) with `X-Forwarded-For` naming the client.

use serde_json::{json, Value};
use steward_server::crypto::SecretKey;
use steward_tests::process::{Site, Steward};
use steward_tests::{Backend, FreshDatabase, CHANGED_PASSWORD, PASSWORD};

const ROOT: &str = "root@example.com";
const ADA: &str = "ada@acme.test";
const WRONG: &str = "not-the-password-at-all";
const OFFICE: &str = "198.51.100.20";
const ATTACKER: &str = "203.0.113.7";

/// One GraphQL request to `instance`, as the proxy relays it for a client at `client_ip`.
async fn call(instance: &Steward, client_ip: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = instance
        .http
        .post(format!("{}/graphql", instance.url))
        .header("X-Forwarded-For", client_ip)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("a response").json().await.expect("JSON")
}

fn ok(answer: Value) -> Value {
    assert!(answer["errors"].is_null(), "{answer}");
    answer["data"].clone()
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"].as_str().unwrap_or("none")
}

const LOGIN: &str = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken } }";

async fn login(instance: &Steward, client_ip: &str, email: &str, password: &str) -> Value {
    call(
        instance,
        client_ip,
        None,
        LOGIN,
        json!({ "email": email, "password": password }),
    )
    .await
}

async fn token(instance: &Steward, client_ip: &str, email: &str, password: &str) -> (String, String) {
    let data = ok(login(instance, client_ip, email, password).await);
    let text = |key: &str| data["login"][key].as_str().expect("a token").to_owned();
    (text("accessToken"), text("refreshToken"))
}

async fn readyz(instance: &Steward) -> String {
    let response = instance
        .http
        .get(format!("{}/readyz", instance.url))
        .send()
        .await
        .unwrap();
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_through_sign_in_block_and_lockout() {
    let database = FreshDatabase::create(Backend::Postgres).await;
    let key = SecretKey::generate().to_text();
    let prefix = format!("steward-test-{}", uuid::Uuid::new_v4().simple());
    let mut first = Site::instance(&database.url, &[]).await;
    let public_url = format!("http://127.0.0.1:{}", first.port);
    let settings = [
        ("STEWARD_SECRET_KEY", key.as_str()),
        ("STEWARD_PUBLIC_URL", public_url.as_str()),
        ("STEWARD_TRUSTED_PROXIES", "127.0.0.1"),
        ("STEWARD_REDIS_URL", "redis://127.0.0.1:6379"),
        ("STEWARD_REDIS_PREFIX", prefix.as_str()),
    ];
    first.settings = settings
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let second = Site::instance(&database.url, &settings).await;

    // Once, before the instances start (and before each upgrade).
    first.run(&["migrate"], "migrate.log");
    first.run(&["create-admin", "--email", ROOT, "--password", PASSWORD], "admin.log");
    let a = first.serve("a.log").await;
    let b = second.serve("b.log").await;
    for instance in [&a, &b] {
        // Ready, and the limits shared (Redis reached) rather than degraded.
        let mut said = readyz(instance).await;
        for _ in 0..200 {
            if said == "ready" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            said = readyz(instance).await;
        }
        assert_eq!(said, "ready");
    }

    // A token from one instance works on the other: one signing key, one issuer.
    let (root, _) = token(&a, OFFICE, ROOT, PASSWORD).await;
    let created = ok(call(
        &b,
        OFFICE,
        Some(&root),
        "mutation { createOrganization(input: { slug: \"acme\", name: \"Acme\" }) { id } }",
        json!({}),
    )
    .await);
    let acme = created["createOrganization"]["id"].as_str().unwrap().to_owned();
    ok(call(
        &a,
        OFFICE,
        Some(&root),
        "mutation($id: ID!) { updateOrganization(id: $id, input: { settings: { lockout: { maxFailedAttempts: 3, lockoutSeconds: 0 } } }) { id } }",
        json!({ "id": acme }),
    )
    .await);
    let user = ok(call(
        &b,
        OFFICE,
        Some(&root),
        "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
        json!({ "input": { "orgId": acme, "email": ADA, "name": "Ada", "roles": ["MEMBER"], "password": PASSWORD } }),
    )
    .await);
    let ada_id = user["createUser"]["id"].as_str().unwrap().to_owned();

    // Ada signs in on one instance and changes the password she was given on the other.
    let (first_token, _) = token(&b, OFFICE, ADA, PASSWORD).await;
    ok(call(
        &a,
        OFFICE,
        Some(&first_token),
        "mutation($old: String!, $new: String!) { changeMyPassword(currentPassword: $old, newPassword: $new) }",
        json!({ "old": PASSWORD, "new": CHANGED_PASSWORD }),
    )
    .await);
    let (ada, refresh) = token(&a, OFFICE, ADA, CHANGED_PASSWORD).await;
    let viewer = "{ viewer { user { email } } }";
    assert_eq!(
        ok(call(&b, OFFICE, Some(&ada), viewer, json!({})).await)["viewer"]["user"]["email"],
        ADA
    );
    // A refresh token from one instance is rotated by the other.
    let refreshed = ok(call(
        &b,
        OFFICE,
        None,
        "mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken } }",
        json!({ "token": refresh }),
    )
    .await);
    let ada = refreshed["refreshSession"]["accessToken"].as_str().unwrap().to_owned();

    // A block on one instance bites on the other's very next request.
    ok(call(
        &a,
        OFFICE,
        Some(&root),
        "mutation($id: ID!) { blockUser(userId: $id) { id } }",
        json!({ "id": ada_id }),
    )
    .await);
    let refused = call(&b, OFFICE, Some(&ada), viewer, json!({})).await;
    assert!(
        matches!(code(&refused), "USER_BLOCKED" | "UNAUTHENTICATED"),
        "{refused}"
    );
    ok(call(
        &b,
        OFFICE,
        Some(&root),
        "mutation($id: ID!) { unblockUser(userId: $id) { id } }",
        json!({ "id": ada_id }),
    )
    .await);

    // Wrong passwords from one client spread over both instances lock that client out after the
    // organization's three, on both; Ada, at her own address, still gets in.
    for (n, instance) in [&a, &b, &a].into_iter().enumerate() {
        let answer = login(instance, ATTACKER, ADA, WRONG).await;
        assert_eq!(code(&answer), "INVALID_CREDENTIALS", "attempt {n}: {answer}");
    }
    for instance in [&a, &b] {
        let answer = login(instance, ATTACKER, ADA, CHANGED_PASSWORD).await;
        assert_eq!(code(&answer), "LOCKED_OUT", "{answer}");
    }
    token(&b, OFFICE, ADA, CHANGED_PASSWORD).await;
    // (The instances stop before their database is dropped: locals drop in reverse order.)
}
