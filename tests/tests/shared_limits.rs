//! Rate limits shared by every instance through Redis (`STEWARD_REDIS_URL`), and what happens
//! while Redis is away: each instance falls back to its own limits, sign-in keeps working, and
//! `/readyz` says why.

use std::time::{Duration, Instant};
use steward_tests::relay::Relay;
use steward_tests::{Backend, TestServer, PASSWORD};

const REDIS: &str = "127.0.0.1:6379";
const WRONG: &str = "not-the-password-at-all";
/// Password checks one account may have from one client IP per minute in these tests: below the
/// lockout's default of 10, so that the limit, not the lockout, answers first.
const PER_PAIR: u32 = 4;

/// A server whose sign-in limit per (account, IP) is [`PER_PAIR`], sharing its limits through
/// the Redis at `redis` (none: in memory), under a key prefix of its own so that tests running
/// at once do not share counts.
async fn server(backend: Backend, redis: Option<String>) -> TestServer {
    let prefix = format!("steward-test-{}", uuid::Uuid::new_v4().simple());
    TestServer::start_with(backend, |config| {
        config.login_attempts_per_account_per_minute = PER_PAIR;
        config.redis_url = redis.map(|url| steward_server::config::SecretText(url));
        config.redis_prefix = prefix;
    })
    .await
}

async fn readyz(server: &TestServer) -> (u16, String) {
    let response = server.http.get(format!("{}/readyz", server.url)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Waits until `server`'s `/readyz` answers `body`, as the background connection to Redis
/// settles (a signal, not a pause): fails after 30 s.
async fn until_ready_says(server: &TestServer, body: &str, mut nudge: impl AsyncFnMut()) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, text) = readyz(server).await;
        if status == 200 && text == body {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz still answers {status} {text:?}, not {body:?}"
        );
        nudge().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `PER_PAIR` wrong passwords for one account from one IP, alternating between the two
/// instances, then one more on the first: what that last one answers.
async fn one_past_the_limit(first: &TestServer, second: &TestServer, email: &str) -> String {
    for attempt in 0..PER_PAIR {
        let instance = if attempt % 2 == 0 { first } else { second };
        instance.login(email, WRONG).await.expect_code("INVALID_CREDENTIALS");
    }
    first.login(email, WRONG).await.code().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_two_instances_share_one_limit() {
    let first = server(Backend::Sqlite, Some(format!("redis://{REDIS}"))).await;
    let second = first.second_instance().await;
    until_ready_says(&first, "ready", async || {}).await;
    until_ready_says(&second, "ready", async || {}).await;
    let root = first.superadmin().await;
    let org = first.create_org(&root, "shared").await;
    first.create_user(&root, &org, "pat@shared.test", &["MEMBER"]).await;

    assert_eq!(
        one_past_the_limit(&first, &second, "pat@shared.test").await,
        "RATE_LIMITED"
    );
    // An address without an account counts alike, on either instance.
    assert_eq!(
        one_past_the_limit(&second, &first, "nobody@shared.test").await,
        "RATE_LIMITED"
    );
}

/// The control: without Redis each instance counts on its own, so the same sequence is not
/// refused (each instance has seen only half of it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_each_instance_counts_on_its_own() {
    let first = server(Backend::Sqlite, None).await;
    let second = first.second_instance().await;
    let root = first.superadmin().await;
    let org = first.create_org(&root, "apart").await;
    first.create_user(&root, &org, "pat@apart.test", &["MEMBER"]).await;
    assert_eq!(readyz(&first).await, (200, "ready".to_owned()));

    assert_eq!(
        one_past_the_limit(&first, &second, "pat@apart.test").await,
        "INVALID_CREDENTIALS"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_away_sign_in_works_under_the_instance_s_own_limits() {
    let relay = Relay::start(REDIS.to_owned()).await;
    let server = server(Backend::Sqlite, Some(format!("redis://127.0.0.1:{}", relay.port))).await;
    until_ready_says(&server, "ready", async || {}).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "away").await;
    let email = "sam@away.test";
    server.create_user(&root, &org, email, &["MEMBER"]).await;
    let password = PASSWORD;

    relay.cut();
    // The first request after the cut finds Redis gone; from then on the instance says so.
    server.sign_in(email, password).await;
    let degraded = "ready, degraded: shared rate limits: Redis unreachable, each instance limits on its own";
    until_ready_says(&server, degraded, async || {}).await;
    // Sign-in keeps working, and the limits still bite, counted by this instance alone.
    server.sign_in(email, password).await;
    for _ in 0..PER_PAIR - 2 {
        server.login(email, WRONG).await.expect_code("INVALID_CREDENTIALS");
    }
    server.login(email, WRONG).await.expect_code("RATE_LIMITED");

    relay.restore();
    // Redis is tried again after a short back-off; the next sign-in request that reaches it
    // clears the degradation.
    until_ready_says(&server, "ready", async || {
        let _ = server.login("someone-else@away.test", WRONG).await;
    })
    .await;
}

/// Redis that never answers from the start: the server starts, signs in and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_does_not_stop_the_server() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let server = server(Backend::Sqlite, Some(format!("redis://127.0.0.1:{port}"))).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "nored").await;
    server.create_user(&root, &org, "kim@nored.test", &["MEMBER"]).await;
    server.sign_in("kim@nored.test", PASSWORD).await;
    let (status, body) = readyz(&server).await;
    assert_eq!(status, 200);
    assert!(body.starts_with("ready, degraded: shared rate limits"), "{body}");
    assert!(!body.contains(&port.to_string()), "the reason names no address: {body}");
}

#[test]
fn a_redis_url_that_is_no_url_is_refused_without_being_echoed() {
    let config = steward_server::Config {
        redis_url: Some(steward_server::config::SecretText("http://user:hunter2@example".into())),
        ..Default::default()
    };
    let error = config.validate().expect_err("refused").to_string();
    assert!(error.contains("redis_url"), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
}
