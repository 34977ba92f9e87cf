//! Bulk admin actions (`bulkUserAction`): one action on many members of one organization, each
//! item authorized, done and audited on its own, with a per-item answer.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, Gql, Session, TestServer, PASSWORD};

const BULK: &str = "mutation($input: BulkUserActionInput!) {
    bulkUserAction(input: $input) { succeeded failed items { userId ok code message } } }";

/// `acme` with an ADMIN, a USER_MANAGER, another ADMIN and members; `globex` with its own
/// member and a member shared with acme.
struct Org {
    server: TestServer,
    root: Session,
    acme: String,
    globex: String,
    admin: Session,
    manager: Session,
    other_admin: String,
    members: Vec<String>,
    shared: String,
    foreign: String,
}

impl Org {
    async fn start(backend: Backend, members: usize) -> Self {
        let server = TestServer::start(backend).await;
        let root = server.superadmin().await;
        let acme = server.create_org(&root, "acme").await;
        let globex = server.create_org(&root, "globex").await;
        let admin = server.member(&root, &acme, "admin@acme.test", &["ADMIN"]).await;
        let manager = server
            .member(&root, &acme, "manager@acme.test", &["USER_MANAGER"])
            .await;
        let other_admin = server.create_user(&root, &acme, "second@acme.test", &["ADMIN"]).await;
        let mut ids = Vec::new();
        for n in 0..members {
            ids.push(
                server
                    .create_user(&root, &acme, &format!("m{n}@acme.test"), &["MEMBER"])
                    .await,
            );
        }
        let shared = server.create_user(&root, &acme, "shared@acme.test", &["MEMBER"]).await;
        let add = "mutation($org: ID!, $id: ID!) { addMember(orgId: $org, userId: $id) { roles } }";
        server
            .as_(&root, add, json!({ "org": globex, "id": shared }))
            .await
            .ok();
        let foreign = server.create_user(&root, &globex, "g@globex.test", &["MEMBER"]).await;
        Self {
            server,
            root,
            acme,
            globex,
            admin,
            manager,
            other_admin,
            members: ids,
            shared,
            foreign,
        }
    }

    async fn bulk(&self, session: &Session, action: &str, ids: &[&str], extra: Value) -> Gql {
        let mut input = json!({ "orgId": self.acme, "userIds": ids, "action": action });
        if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
            input.extend(extra.clone());
        }
        self.server.as_(session, BULK, json!({ "input": input })).await
    }

    fn member_ids(&self) -> Vec<&str> {
        self.members.iter().map(String::as_str).collect()
    }

    async fn audit_count(&self, event_type: &str) -> u64 {
        steward_entity::audit_event::Entity::find()
            .filter(steward_entity::audit_event::Column::EventType.eq(event_type))
            .count(self.server.database())
            .await
            .unwrap()
    }
}

/// `userId → code` for the failed items, `"ok"` for the others.
fn outcomes(response: &Gql) -> Vec<(String, String)> {
    response.ok()["bulkUserAction"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let outcome = match item["ok"].as_bool().unwrap() {
                true => "ok".to_owned(),
                false => item["code"].as_str().unwrap().to_owned(),
            };
            (item["userId"].as_str().unwrap().to_owned(), outcome)
        })
        .collect()
}

async fn an_admin_blocks_and_unblocks_many_members_at_once(backend: Backend) {
    let org = Org::start(backend, 5).await;
    let mut ids = org.member_ids();
    let first = ids[0];
    ids.push(first); // named twice: acted on once
    ids.push("not-an-id");
    ids.push(&org.foreign);
    let blocked = org
        .bulk(&org.admin, "BLOCK", &ids, json!({ "reason": "offboarded" }))
        .await;
    let answer = &blocked.ok()["bulkUserAction"];
    assert_eq!(
        (answer["succeeded"].as_i64(), answer["failed"].as_i64()),
        (Some(5), Some(2))
    );
    let mut expected: Vec<(String, String)> = org.members.iter().map(|id| (id.clone(), "ok".to_owned())).collect();
    expected.push(("not-an-id".into(), "NOT_FOUND".into()));
    expected.push((org.foreign.clone(), "NOT_FOUND".into()));
    assert_eq!(outcomes(&blocked), expected);
    // Each item is its own audited change, and bites at once.
    assert_eq!(org.audit_count("USER_BLOCKED").await, 5);
    org.server
        .login("m3@acme.test", PASSWORD)
        .await
        .expect_code("USER_BLOCKED");
    let unblocked = org.bulk(&org.admin, "UNBLOCK", &org.member_ids(), json!({})).await;
    assert_eq!(unblocked.ok()["bulkUserAction"]["succeeded"], 5);
    assert_eq!(org.audit_count("USER_UNBLOCKED").await, 5);
    org.server.login("m3@acme.test", PASSWORD).await.ok();
}

async fn each_item_is_authorized_as_its_single_mutation(backend: Backend) {
    let org = Org::start(backend, 2).await;
    let (member, admin, shared) = (org.members[0].as_str(), org.other_admin.as_str(), org.shared.as_str());
    // A USER_MANAGER may suspend a member, not an ADMIN.
    let suspended = org.bulk(&org.manager, "SUSPEND", &[member, admin], json!({})).await;
    assert_eq!(
        outcomes(&suspended),
        vec![
            (member.to_owned(), "ok".to_owned()),
            (admin.to_owned(), "FORBIDDEN".to_owned())
        ]
    );
    // A user shared with globex: acme's admin may act inside acme (suspend), not on the identity
    // (block, delete, reset), which globex has a say in.
    let ids = [shared, member];
    for action in ["BLOCK", "DELETE", "SEND_PASSWORD_RESET"] {
        let answer = org.bulk(&org.admin, action, &ids, json!({})).await;
        assert_eq!(
            outcomes(&answer)[0],
            (shared.to_owned(), "FORBIDDEN".to_owned()),
            "{action}"
        );
    }
    let answer = org.bulk(&org.admin, "SUSPEND", &[shared], json!({})).await;
    assert_eq!(outcomes(&answer), vec![(shared.to_owned(), "ok".to_owned())]);
    // Only an ADMIN grants ADMIN, item by item.
    let answer = org
        .bulk(
            &org.manager,
            "SET_ROLES",
            &[org.members[1].as_str()],
            json!({ "roles": ["ADMIN"] }),
        )
        .await;
    assert_eq!(outcomes(&answer)[0].1, "FORBIDDEN");
    let answer = org
        .bulk(
            &org.admin,
            "SET_ROLES",
            &[org.members[1].as_str()],
            json!({ "roles": ["AUDITOR"] }),
        )
        .await;
    assert_eq!(outcomes(&answer)[0].1, "ok");
    // The member deleted above (after the shared user was refused) is gone; globex's copy of the
    // shared user is untouched.
    let globex = "query($id: ID!) { organization(id: $id) { members { totalCount } } }";
    let count = org.server.as_(&org.root, globex, json!({ "id": org.globex })).await;
    assert_eq!(count.ok()["organization"]["members"]["totalCount"], 2);
}

async fn org_scoped_actions_remove_reinstate_revoke_and_mail(backend: Backend) {
    let org = Org::start(backend, 3).await;
    let ids = org.member_ids();
    // Sessions end.
    let session = org.server.sign_in("m0@acme.test", PASSWORD).await;
    let revoked = org.bulk(&org.admin, "REVOKE_SESSIONS", &ids[..1], json!({})).await;
    assert_eq!(revoked.ok()["bulkUserAction"]["succeeded"], 1);
    org.server
        .as_(&session, "{ viewer { user { id } } }", json!({}))
        .await
        .expect_code("UNAUTHENTICATED");
    // Reset links and verification links go out, one per member.
    let before = steward_entity::outbox_mail::Entity::find()
        .count(org.server.database())
        .await
        .unwrap();
    org.bulk(&org.admin, "SEND_PASSWORD_RESET", &ids, json!({})).await.ok();
    org.bulk(&org.admin, "SEND_VERIFICATION", &ids, json!({})).await.ok();
    let after = steward_entity::outbox_mail::Entity::find()
        .count(org.server.database())
        .await
        .unwrap();
    assert_eq!(after - before, 6);
    // Suspended and reinstated; then removed from the organization, identities kept.
    assert_eq!(
        org.bulk(&org.admin, "SUSPEND", &ids, json!({})).await.ok()["bulkUserAction"]["succeeded"],
        3
    );
    assert_eq!(
        org.bulk(&org.admin, "REINSTATE", &ids, json!({})).await.ok()["bulkUserAction"]["succeeded"],
        3
    );
    assert_eq!(
        org.bulk(&org.admin, "REMOVE_FROM_ORG", &ids, json!({})).await.ok()["bulkUserAction"]["succeeded"],
        3
    );
    assert_eq!(org.audit_count("MEMBER_REMOVED").await, 3);
    let user = "query($id: ID!) { user(id: $id) { email } }";
    let still = org.server.as_(&org.root, user, json!({ "id": ids[0] })).await;
    assert_eq!(still.ok()["user"]["email"], "m0@acme.test");
    // Now they are not acme's members: every item is refused.
    let again = org.bulk(&org.admin, "SUSPEND", &ids, json!({})).await;
    assert_eq!(again.ok()["bulkUserAction"]["failed"], 3);
}

async fn a_bulk_action_is_refused_whole_before_any_item(backend: Backend) {
    let org = Org::start(backend, 1).await;
    let too_many: Vec<String> = (0..1001).map(|n| format!("id-{n}")).collect();
    let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
    let before = org.server.snapshot().await;
    org.bulk(&org.admin, "BLOCK", &too_many, json!({}))
        .await
        .expect_invalid("userIds");
    org.bulk(&org.admin, "SET_ROLES", &org.member_ids(), json!({}))
        .await
        .expect_invalid("roles");
    assert_eq!(
        org.server.snapshot().await.changed_since(&before, &[]),
        Vec::<String>::new()
    );
    // Another tenant's admin does not see the organization.
    let globex_admin = org
        .server
        .member(&org.root, &org.globex, "admin@globex.test", &["ADMIN"])
        .await;
    let member = org.server.sign_in_new_user("m0@acme.test").await;
    let snapshot = org.server.snapshot().await;
    org.bulk(&globex_admin, "BLOCK", &org.member_ids(), json!({}))
        .await
        .expect_code("NOT_FOUND");
    // A MEMBER may not start one.
    org.bulk(&member, "BLOCK", &org.member_ids(), json!({}))
        .await
        .expect_code("FORBIDDEN");
    // One bulk action per request: two under aliases are refused by their cost.
    let two = "mutation($a: BulkUserActionInput!, $b: BulkUserActionInput!) {
        a: bulkUserAction(input: $a) { succeeded } b: bulkUserAction(input: $b) { succeeded } }";
    let input = json!({ "orgId": org.acme, "userIds": org.member_ids(), "action": "BLOCK" });
    let answer = org.server.as_(&org.admin, two, json!({ "a": input, "b": input })).await;
    assert!(!answer.errors.is_empty(), "{:?}", answer.data);
    assert_eq!(
        org.server.snapshot().await.changed_since(&snapshot, &[]),
        Vec::<String>::new()
    );
}

backend_tests!(
    an_admin_blocks_and_unblocks_many_members_at_once,
    each_item_is_authorized_as_its_single_mutation,
    org_scoped_actions_remove_reinstate_revoke_and_mail,
    a_bulk_action_is_refused_whole_before_any_item,
);
