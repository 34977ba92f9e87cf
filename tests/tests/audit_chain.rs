//! The audit log's hash chains: an event changed, removed or inserted directly in the database is
//! found by `steward verify-audit`, which names it.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set};
use serde_json::json;
use steward_entity::{audit_event, AuditEventId};
use steward_server::domain::audit_chain::{self, ChainReport};
use steward_server::domain::authz::CommandLine;
use steward_tests::{backend_tests, Backend, TestServer};

/// A server whose `acme` organization has a few events in its chain; returns its id.
async fn world(backend: Backend) -> (TestServer, String) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    for n in 0..4 {
        server
            .create_user(&root, &org, &format!("user{n}@acme.test"), &["MEMBER"])
            .await;
    }
    (server, org)
}

async fn verify(server: &TestServer, org: Option<&str>) -> Vec<ChainReport> {
    let command_line = CommandLine::new(server.state.clone());
    audit_chain::verify(&command_line.operator(), org)
        .await
        .expect("verify")
}

/// The one problem found, in the chain of `acme`.
async fn problem(server: &TestServer) -> String {
    let reports = verify(server, Some("acme")).await;
    assert_eq!(reports.len(), 1);
    reports[0].problem.clone().expect("a broken chain")
}

/// The event at `sequence` in the organization's chain.
async fn event(server: &TestServer, org: &str, sequence: i64) -> audit_event::Model {
    audit_event::Entity::find()
        .filter(audit_event::Column::Chain.eq(org))
        .filter(audit_event::Column::Sequence.eq(sequence))
        .one(server.database())
        .await
        .expect("read")
        .expect("an event there")
}

async fn an_untouched_log_verifies(backend: Backend) {
    let (server, org) = world(backend).await;
    let reports = verify(&server, None).await;
    let broken: Vec<&ChainReport> = reports.iter().filter(|report| report.problem.is_some()).collect();
    assert!(broken.is_empty(), "{broken:?}");
    let acme = reports.iter().find(|report| report.chain == org).expect("acme's chain");
    assert!(acme.events >= 5, "{acme:?}");
    assert!(reports.iter().any(|report| report.chain == "identity"));
}

async fn a_changed_event_is_named(backend: Backend) {
    let (server, org) = world(backend).await;
    let second = event(&server, &org, 2).await;
    let mut changed = second.clone().into_active_model();
    changed.details = Set(json!({ "email": "someone-else@acme.test" }));
    changed.update(server.database()).await.expect("change it");
    let problem = problem(&server).await;
    assert!(
        problem.contains(&second.id.0.to_string()) && problem.contains("changed"),
        "{problem}"
    );
}

async fn a_removed_event_is_named(backend: Backend) {
    let (server, org) = world(backend).await;
    let (second, third) = (event(&server, &org, 2).await, event(&server, &org, 3).await);
    audit_event::Entity::delete_by_id(second.id)
        .exec(server.database())
        .await
        .expect("remove it");
    let problem = problem(&server).await;
    assert!(
        problem.contains("removed") && problem.contains(&third.id.0.to_string()),
        "{problem}"
    );
}

async fn removing_the_newest_events_shows(backend: Backend) {
    let (server, org) = world(backend).await;
    let head = verify(&server, Some("acme")).await[0].events as i64;
    let newest = event(&server, &org, head).await;
    audit_event::Entity::delete_by_id(newest.id)
        .exec(server.database())
        .await
        .expect("remove it");
    let problem = problem(&server).await;
    assert!(
        problem.contains("newest events") && problem.contains("removed"),
        "{problem}"
    );
}

async fn an_inserted_event_is_named(backend: Backend) {
    let (server, org) = world(backend).await;
    // A copy of a real event under a new id, outside the chain.
    let mut forged = event(&server, &org, 2).await;
    forged.id = AuditEventId::new();
    forged.sequence = None;
    forged.hash = None;
    forged.previous_hash = None;
    let id = forged.id.0.to_string();
    audit_event::Entity::insert(forged.into_active_model())
        .exec_without_returning(server.database())
        .await
        .expect("insert it");
    let problem = problem(&server).await;
    assert!(problem.contains(&id) && problem.contains("inserted"), "{problem}");
}

async fn an_event_inserted_into_the_chain_is_named(backend: Backend) {
    let (server, org) = world(backend).await;
    // Made room for: every later event moved up one, and a forged one put in the gap with the
    // hashes of the event it displaced.
    let head = verify(&server, Some("acme")).await[0].events as i64;
    for sequence in (3..=head).rev() {
        let mut moved = event(&server, &org, sequence).await.into_active_model();
        moved.sequence = Set(Some(sequence + 1));
        moved.update(server.database()).await.expect("move it");
    }
    let mut forged = event(&server, &org, 2).await;
    forged.id = AuditEventId::new();
    forged.sequence = Some(3);
    forged.event_type = "USER_DELETED".into();
    let id = forged.id.0.to_string();
    audit_event::Entity::insert(forged.into_active_model())
        .exec_without_returning(server.database())
        .await
        .expect("insert it");
    let problem = problem(&server).await;
    assert!(problem.contains(&id), "{problem}");
}

async fn an_event_added_outside_every_chain_is_found(backend: Backend) {
    let (server, org) = world(backend).await;
    let mut forged = event(&server, &org, 2).await;
    forged.id = AuditEventId::new();
    forged.chain = None;
    forged.sequence = None;
    let id = forged.id.0.to_string();
    audit_event::Entity::insert(forged.into_active_model())
        .exec_without_returning(server.database())
        .await
        .expect("insert it");
    let reports = verify(&server, None).await;
    let legacy = reports
        .iter()
        .find(|report| report.chain == "legacy")
        .expect("the legacy count");
    let problem = legacy.problem.clone().expect("found");
    assert!(problem.contains("inserted") && problem.contains(&id), "{problem}");
}

/// A change and its audit event commit together: when the event cannot be written, the change
/// does not happen either. (The write is made to fail by taking the chain's next place first.)
async fn a_change_whose_audit_event_fails_does_not_happen(backend: Backend) {
    let (server, org) = world(backend).await;
    let root = server.sign_in("root@example.com", steward_tests::PASSWORD).await;
    let head = verify(&server, Some("acme")).await[0].events as i64;
    let mut squatter = event(&server, &org, head).await;
    squatter.id = AuditEventId::new();
    squatter.sequence = Some(head + 1);
    audit_event::Entity::insert(squatter.into_active_model())
        .exec_without_returning(server.database())
        .await
        .expect("take the next place");
    let rename = "mutation($id: ID!) { updateOrganization(id: $id, input: { name: \"Renamed\" }) { name } }";
    let answer = server.as_(&root, rename, json!({ "id": org })).await;
    assert!(!answer.errors.is_empty(), "{:?}", answer.data);
    let name = server
        .as_(
            &root,
            "query($id: ID!) { organization(id: $id) { name } }",
            json!({ "id": org }),
        )
        .await;
    assert_eq!(name.ok()["organization"]["name"], "Org acme");
}

/// Events older than the retention period leave; the chain keeps the hash at the cut, so what
/// remains still verifies, and tampering with it still shows.
async fn retention_removes_old_events_and_the_rest_still_verifies(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.audit_retention_days = 30).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    for n in 0..3 {
        server
            .create_user(&root, &org, &format!("old{n}@acme.test"), &["MEMBER"])
            .await;
    }
    server.clock.advance(chrono::Duration::days(31));
    let root = server.sign_in(&root.email, steward_tests::PASSWORD).await;
    for n in 0..2 {
        server
            .create_user(&root, &org, &format!("new{n}@acme.test"), &["MEMBER"])
            .await;
    }
    let before = verify(&server, Some("acme")).await[0].events;
    let command_line = CommandLine::new(server.state.clone());
    let removed = audit_chain::prune(&command_line.operator()).await.expect("prune");
    assert!(removed >= 4, "{removed}");
    let reports = verify(&server, None).await;
    let broken: Vec<&ChainReport> = reports.iter().filter(|report| report.problem.is_some()).collect();
    assert!(broken.is_empty(), "{broken:?}");
    let kept = reports.iter().find(|report| report.chain == org).expect("acme").events;
    assert!(kept >= 2 && kept < before, "{kept} of {before}");

    // Removing the first event kept is a removal like any other.
    let first_kept = audit_event::Entity::find()
        .filter(audit_event::Column::Chain.eq(org.as_str()))
        .order_by_asc(audit_event::Column::Sequence)
        .one(server.database())
        .await
        .unwrap()
        .unwrap();
    audit_event::Entity::delete_by_id(first_kept.id)
        .exec(server.database())
        .await
        .unwrap();
    let problem = problem(&server).await;
    assert!(problem.contains("removed"), "{problem}");
}

backend_tests!(
    an_untouched_log_verifies,
    a_changed_event_is_named,
    a_removed_event_is_named,
    removing_the_newest_events_shows,
    an_inserted_event_is_named,
    an_event_inserted_into_the_chain_is_named,
    an_event_added_outside_every_chain_is_found,
    a_change_whose_audit_event_fails_does_not_happen,
    retention_removes_old_events_and_the_rest_still_verifies,
);
