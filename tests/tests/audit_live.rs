//! The live audit log: `subscription { auditEvents }` over WebSocket (graphql-transport-ws),
//! through a real WebSocket client. Who may subscribe, what they receive, and that a viewer who
//! loses the right stops receiving at once: the change that took it away is not delivered, and
//! the subscription ends with its error.

use serde_json::{json, Value};
use steward_tests::live::{LiveConnection, Said};
use steward_tests::{backend_tests, Backend, Session, TestServer};

const LIVE: &str = "subscription($org: ID) { auditEvents(orgId: $org) { id eventType: type organizationId targetUserId actorUserId ip } }";

struct World {
    server: TestServer,
    root: Session,
    acme: String,
    globex: String,
    admin: Session,
}

async fn world(backend: Backend) -> World {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let globex = server.create_org(&root, "globex").await;
    let admin = server.member(&root, &acme, "ada@acme.test", &["ADMIN"]).await;
    World {
        server,
        root,
        acme,
        globex,
        admin,
    }
}

/// The event a `next` message carries; panics on anything else.
fn event(said: Said) -> Value {
    match said {
        Said::Next { data, errors } if errors.is_empty() => data["auditEvents"].clone(),
        other => panic!("expected an event, got {other:?}"),
    }
}

async fn subscribed(world: &World, viewer: &Session, org: &str) -> LiveConnection {
    let mut live = LiveConnection::signed_in(&world.server.url, &viewer.access_token).await;
    live.subscribe("1", LIVE, json!({ "org": org })).await;
    live
}

async fn an_admin_receives_their_organization_s_events_as_they_happen(backend: Backend) {
    let world = world(backend).await;
    let server = &world.server;
    let mut live = subscribed(&world, &world.admin, &world.acme).await;

    // Another tenant's change first, then two of acme's: had globex's been visible, it would have
    // come before acme's second.
    server
        .create_user(&world.root, &world.globex, "gus@globex.test", &["MEMBER"])
        .await;
    let first = server
        .create_user(&world.root, &world.acme, "bea@acme.test", &["MEMBER"])
        .await;
    let second = server
        .create_user(&world.root, &world.acme, "cy@acme.test", &["MEMBER"])
        .await;

    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|event: &Value| event["targetUserId"] == second.as_str())
    {
        seen.push(event(live.next("1").await));
    }
    assert!(
        seen.iter().all(|event| event["organizationId"] == world.acme.as_str()),
        "{seen:?}"
    );
    let created: Vec<&Value> = seen
        .iter()
        .filter(|event| event["eventType"] == "USER_CREATED")
        .collect();
    assert_eq!(created.len(), 2, "{seen:?}");
    assert_eq!(created[0]["targetUserId"], first.as_str());
    assert_eq!(created[0]["actorUserId"], world.root.user_id.as_str());
}

async fn subscribing_needs_the_right_to_read_the_log(backend: Backend) {
    let world = world(backend).await;
    let server = &world.server;
    let member = server
        .member(&world.root, &world.acme, "mo@acme.test", &["MEMBER"])
        .await;
    let mut live = subscribed(&world, &member, &world.acme).await;
    let refused = live.next("1").await;
    assert_eq!(refused.code(), Some("FORBIDDEN"), "{refused:?}");
    assert!(matches!(live.next("1").await, Said::Complete));

    // Another organization's log, to its admin: as if it did not exist for them.
    let mut live = subscribed(&world, &world.admin, &world.globex).await;
    let refused = live.next("1").await;
    assert!(matches!(refused.code(), Some("FORBIDDEN" | "NOT_FOUND")), "{refused:?}");

    // Over HTTP a subscription is told where it is served.
    let over_http = server
        .gql(Some(&world.admin.access_token), LIVE, json!({ "org": world.acme }))
        .await;
    over_http.expect_code("BAD_USER_INPUT");
    assert!(over_http.first_error()["message"]
        .as_str()
        .unwrap()
        .contains("/graphql/ws"));
    let over_get = server
        .http
        .get(format!(
            "{}/graphql?query=subscription%7BauditEvents%7Bid%7D%7D",
            server.url
        ))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(
        over_get["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("/graphql/ws"),
        "{over_get}"
    );

    // Over WebSocket only subscriptions run: a query or mutation there would act as the caller of
    // when the connection opened, without a request's checks.
    let mut live = LiveConnection::signed_in(&server.url, &world.admin.access_token).await;
    for (n, document) in ["{ viewer { user { id } } }", "mutation { logout }"]
        .into_iter()
        .enumerate()
    {
        let id = n.to_string();
        live.subscribe(&id, document, json!({})).await;
        let refused = live.next(&id).await;
        assert_eq!(refused.code(), Some("BAD_USER_INPUT"), "{document}: {refused:?}");
    }
    // And a fragment bomb is refused there as over HTTP, before the engine walks it.
    let mut bomb = String::from("subscription { ...f9 } fragment f0 on Subscription { auditEvents { id } }");
    for level in 1..10 {
        let previous = level - 1;
        bomb.push_str(&format!(
            " fragment f{level} on Subscription {{ ...f{previous} ...f{previous} ...f{previous} ...f{previous} ...f{previous} }}"
        ));
    }
    live.subscribe("bomb", &bomb, json!({})).await;
    assert_eq!(live.next("bomb").await.code(), Some("BAD_USER_INPUT"));
    // The admin's session is untouched by all that.
    server
        .as_(&world.admin, "{ viewer { user { id } } }", json!({}))
        .await
        .ok();

    // A connection without a token, or with a bad one, is closed before any subscription.
    for payload in [json!({}), json!({ "Authorization": "Bearer not-a-token" })] {
        match LiveConnection::open(&server.url, payload).await {
            Err(Said::Closed(code)) => assert_eq!(code, Some(1002)),
            Err(other) => panic!("expected the connection closed, got {other:?}"),
            Ok(_) => panic!("a connection without a valid token was acknowledged"),
        }
    }
}

/// One way a viewer loses the right to the log, done by the superadmin.
async fn take_away(world: &World, viewer: &Session, how: &str) {
    let server = &world.server;
    let (query, variables) = match how {
        "blocked" => (
            "mutation($user: ID!) { blockUser(userId: $user) { id } }",
            json!({ "user": viewer.user_id }),
        ),
        "suspended" => (
            "mutation($org: ID!, $user: ID!) { suspendMember(orgId: $org, userId: $user) { status } }",
            json!({ "org": world.acme, "user": viewer.user_id }),
        ),
        "demoted" => (
            "mutation($org: ID!, $user: ID!) { setMemberRoles(orgId: $org, userId: $user, roles: [MEMBER]) { roles } }",
            json!({ "org": world.acme, "user": viewer.user_id }),
        ),
        "removed" => (
            "mutation($org: ID!, $user: ID!) { removeMember(orgId: $org, userId: $user) }",
            json!({ "org": world.acme, "user": viewer.user_id }),
        ),
        "signed out" => (
            "mutation($user: ID!) { revokeSessions(userId: $user) }",
            json!({ "user": viewer.user_id }),
        ),
        other => panic!("unknown way {other}"),
    };
    server.as_(&world.root, query, variables).await.ok();
}

async fn a_viewer_who_loses_the_right_stops_receiving_at_once(backend: Backend) {
    let world = world(backend).await;
    let server = &world.server;
    for (n, how) in ["blocked", "suspended", "demoted", "removed", "signed out"]
        .into_iter()
        .enumerate()
    {
        let email = format!("aud{n}@acme.test");
        let viewer = server.member(&world.root, &world.acme, &email, &["AUDITOR"]).await;
        let mut live = subscribed(&world, &viewer, &world.acme).await;
        // Delivery works for this viewer: an event before the change arrives.
        let before = server
            .create_user(&world.root, &world.acme, &format!("pre{n}@acme.test"), &["MEMBER"])
            .await;
        loop {
            let event = event(live.next("1").await);
            if event["targetUserId"] == before.as_str() {
                break;
            }
        }

        take_away(&world, &viewer, how).await;
        server
            .create_user(&world.root, &world.acme, &format!("post{n}@acme.test"), &["MEMBER"])
            .await;

        // The next word is the refusal: neither the change that took the right away nor anything
        // after it reaches the viewer.
        let said = live.next("1").await;
        let code = said.code().map(str::to_owned);
        assert!(
            matches!(
                code.as_deref(),
                Some("FORBIDDEN" | "NOT_FOUND" | "UNAUTHENTICATED" | "USER_BLOCKED")
            ),
            "{how}: expected the refusal, got {said:?}"
        );
        assert!(
            matches!(said, Said::Next { ref data, .. } if data.is_null()),
            "{how}: {said:?}"
        );
        assert!(
            matches!(live.next("1").await, Said::Complete),
            "{how}: the subscription ends"
        );
    }
}

/// With several instances on one database, a viewer on one instance receives what another
/// instance committed (each instance also looks for other instances' events every second).
async fn events_committed_by_another_instance_arrive(backend: Backend) {
    let world = world(backend).await;
    let other = world.server.second_instance().await;
    let mut live = subscribed(&world, &world.admin, &world.acme).await;
    let created = other
        .create_user(&world.root, &world.acme, "ivy@acme.test", &["MEMBER"])
        .await;
    loop {
        let event = event(live.next("1").await);
        if event["targetUserId"] == created.as_str() {
            assert_eq!(event["eventType"], "USER_CREATED");
            break;
        }
    }
}

backend_tests!(
    an_admin_receives_their_organization_s_events_as_they_happen,
    subscribing_needs_the_right_to_read_the_log,
    a_viewer_who_loses_the_right_stops_receiving_at_once,
    events_committed_by_another_instance_arrive,
    an_expired_token_ends_the_subscription,
);

/// A token that expires ends the subscription with `UNAUTHENTICATED`, before the next event.
async fn an_expired_token_ends_the_subscription(backend: Backend) {
    let world = world(backend).await;
    let server = &world.server;
    let mut live = subscribed(&world, &world.admin, &world.acme).await;
    server.clock.advance(chrono::Duration::seconds(901));
    let root = server.sign_in("root@example.com", steward_tests::PASSWORD).await;
    server
        .create_user(&root, &world.acme, "late@acme.test", &["MEMBER"])
        .await;
    let said = live.next("1").await;
    assert_eq!(said.code(), Some("UNAUTHENTICATED"), "{said:?}");
    assert!(matches!(live.next("1").await, Said::Complete));
}
