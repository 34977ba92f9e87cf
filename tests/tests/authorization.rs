//! Who may do what: the roles table, the privilege taint, tenant isolation, the shared-user rule,
//! superadmins, and sessions bound to one organization.

use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, Gql, Session, TestServer, CHANGED_PASSWORD};

const ROLES: [&str; 4] = ["ADMIN", "USER_MANAGER", "AUDITOR", "MEMBER"];
const USER: &str = "query($id: ID!) { user(id: $id) { id nickname memberships { organization { slug } } } }";
const READ_MEMBERS: &str = "query($org: ID!) { organization(id: $org) { members { totalCount } } }";
const CREATE_USER: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
const UPDATE_USER: &str = "mutation($id: ID!) { updateUser(id: $id, input: { nickname: \"changed\" }) { id } }";
const UPDATE_METADATA: &str =
    "mutation($id: ID!) { updateUserMetadata(id: $id, appMetadata: { touched: true }) { id } }";
const DELETE_USER: &str = "mutation($id: ID!) { deleteUser(id: $id) }";
const ADD: &str = "mutation($org: ID!, $id: ID!, $roles: [OrgRole!]) { addMember(orgId: $org, userId: $id, roles: $roles) { roles } }";
const SET_ROLES: &str = "mutation($org: ID!, $id: ID!, $roles: [OrgRole!]!) { setMemberRoles(orgId: $org, userId: $id, roles: $roles) { roles } }";
const MEMBERSHIP_METADATA: &str = "mutation($org: ID!, $id: ID!) { updateMembershipMetadata(orgId: $org, userId: $id, metadata: { touched: true }) { roles } }";
const REMOVE: &str = "mutation($org: ID!, $id: ID!) { removeMember(orgId: $org, userId: $id) }";
const UPDATE_ORG: &str = "mutation($org: ID!) { updateOrganization(id: $org, input: { name: \"Renamed\" }) { name } }";

/// Organizations `org-a` and `org-b`, and a signed-in member of `org-a` for each role.
struct Tenants {
    server: TestServer,
    root: Session,
    a: String,
    b: String,
    by_role: Vec<(&'static str, Session)>,
}

impl Tenants {
    async fn start(backend: Backend) -> Self {
        let server = TestServer::start(backend).await;
        let root = server.superadmin().await;
        let a = server.create_org(&root, "org-a").await;
        let b = server.create_org(&root, "org-b").await;
        server.claim_domains(&root, &a, &["a.example"]).await;
        server.claim_domains(&root, &b, &["b.example"]).await;
        let mut by_role = Vec::new();
        for role in ROLES {
            let email = format!("{}@a.example", role.to_lowercase().replace('_', "-"));
            by_role.push((role, server.member(&root, &a, &email, &[role]).await));
        }
        Self {
            server,
            root,
            a,
            b,
            by_role,
        }
    }

    fn session(&self, role: &str) -> &Session {
        &self.by_role.iter().find(|(held, _)| *held == role).unwrap().1
    }

    /// A user without a password, created by the superadmin in `org`.
    async fn target(&self, org: &str, email: &str, roles: &[&str]) -> String {
        let input = json!({ "orgId": org, "email": email, "roles": roles });
        let created = self
            .server
            .as_(&self.root, CREATE_USER, json!({ "input": input }))
            .await;
        created.ok()["createUser"]["id"].as_str().unwrap().to_owned()
    }

    async fn as_(&self, session: &Session, query: &str, variables: Value) -> Gql {
        self.server.as_(session, query, variables).await
    }

    /// A fresh MEMBER of `org-a` for a role's caller to act on.
    async fn target_for(&self, role: &str) -> String {
        self.target(
            &self.a,
            &format!("target-{}@a.example", role.to_lowercase()),
            &["MEMBER"],
        )
        .await
    }

    /// The variables naming a user's membership in `org`.
    fn membership(org: &str, id: &str) -> Value {
        json!({ "org": org, "id": id })
    }

    /// The user as the superadmin sees them.
    async fn user(&self, id: &str) -> Value {
        self.as_(&self.root, USER, json!({ "id": id })).await.ok()["user"].clone()
    }
}

/// Asserts a response succeeded, or failed with `code`.
fn expect(response: &Gql, allowed: bool, code: &str, what: &str) {
    if allowed {
        assert!(
            response.errors.is_empty(),
            "{what} should succeed: {:#?}",
            response.errors
        );
    } else {
        assert_eq!(response.code(), code, "{what}: {:#?}", response.errors);
    }
}

async fn only_admins_user_managers_and_auditors_read_members(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let fellow = tenants.target(&tenants.a, "fellow@a.example", &["MEMBER"]).await;
    for (role, session) in &tenants.by_role {
        let allowed = *role != "MEMBER";
        let members = tenants.as_(session, READ_MEMBERS, json!({ "org": tenants.a })).await;
        expect(&members, allowed, "FORBIDDEN", &format!("{role} reading members"));
        if allowed {
            assert_eq!(members.ok()["organization"]["members"]["totalCount"], 5);
        }
        let user = tenants.as_(session, USER, json!({ "id": fellow })).await;
        assert_eq!(user.ok()["user"].is_null(), !allowed, "{role} reading a fellow member");
    }
}

async fn only_admins_and_user_managers_create_users(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    for (role, session) in &tenants.by_role {
        let input = json!({ "orgId": tenants.a, "email": format!("new-{}@a.example", role.to_lowercase()) });
        let response = tenants.as_(session, CREATE_USER, json!({ "input": input })).await;
        expect(
            &response,
            matches!(*role, "ADMIN" | "USER_MANAGER"),
            "FORBIDDEN",
            &format!("{role} creating"),
        );
    }
    let count = tenants
        .as_(&tenants.root, READ_MEMBERS, json!({ "org": tenants.a }))
        .await;
    assert_eq!(count.ok()["organization"]["members"]["totalCount"], 6);
}

async fn only_admins_and_user_managers_edit_users_and_their_metadata(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    for (role, session) in &tenants.by_role {
        let target = tenants.target_for(role).await;
        let allowed = matches!(*role, "ADMIN" | "USER_MANAGER");
        // An AUDITOR sees the member and is refused; a MEMBER cannot see them at all.
        let denied = if *role == "MEMBER" { "NOT_FOUND" } else { "FORBIDDEN" };
        let update = tenants.as_(session, UPDATE_USER, json!({ "id": target })).await;
        expect(&update, allowed, denied, &format!("{role} updating a user"));
        let metadata = tenants.as_(session, UPDATE_METADATA, json!({ "id": target })).await;
        expect(&metadata, allowed, denied, &format!("{role} updating metadata"));
        let nickname = tenants.user(&target).await["nickname"].clone();
        assert_eq!(nickname, if allowed { json!("changed") } else { Value::Null }, "{role}");
    }
}

async fn only_admins_and_user_managers_set_roles_and_remove_members(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    for (role, session) in &tenants.by_role {
        let target = tenants.target_for(role).await;
        let allowed = matches!(*role, "ADMIN" | "USER_MANAGER");
        let variables = json!({ "org": tenants.a, "id": target, "roles": ["AUDITOR"] });
        let roles = tenants.as_(session, SET_ROLES, variables).await;
        expect(&roles, allowed, "FORBIDDEN", &format!("{role} setting roles"));
        let in_a = Tenants::membership(&tenants.a, &target);
        let metadata = tenants.as_(session, MEMBERSHIP_METADATA, in_a.clone()).await;
        expect(
            &metadata,
            allowed,
            "FORBIDDEN",
            &format!("{role} on membership metadata"),
        );
        let removed = tenants.as_(session, REMOVE, in_a).await;
        expect(&removed, allowed, "FORBIDDEN", &format!("{role} removing a member"));
        let memberships = tenants.user(&target).await["memberships"].as_array().unwrap().len();
        assert_eq!(memberships, usize::from(!allowed), "{role}");
    }
}

async fn only_admins_update_the_organization(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    for role in ["USER_MANAGER", "AUDITOR", "MEMBER"] {
        let response = tenants
            .as_(tenants.session(role), UPDATE_ORG, json!({ "org": tenants.a }))
            .await;
        response.expect_code("FORBIDDEN");
    }
    let response = tenants
        .as_(tenants.session("ADMIN"), UPDATE_ORG, json!({ "org": tenants.a }))
        .await;
    assert_eq!(response.ok()["updateOrganization"]["name"], "Renamed");
}

async fn user_manager_grants_only_auditor_or_member(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let manager = tenants.session("USER_MANAGER");
    let cases = [
        (vec!["ADMIN"], false),
        (vec!["USER_MANAGER"], false),
        (vec!["ADMIN", "MEMBER"], false),
        (vec!["AUDITOR"], true),
        (vec!["MEMBER"], true),
    ];
    for (index, (roles, allowed)) in cases.iter().enumerate() {
        let input = json!({ "orgId": tenants.a, "email": format!("new{index}@a.example"), "roles": roles });
        let created = tenants.as_(manager, CREATE_USER, json!({ "input": input })).await;
        expect(&created, *allowed, "FORBIDDEN", &format!("creating with {roles:?}"));
    }
    let target = tenants.target(&tenants.a, "target@a.example", &["MEMBER"]).await;
    for (roles, allowed) in [
        (vec!["ADMIN"], false),
        (vec!["USER_MANAGER"], false),
        (vec!["AUDITOR", "MEMBER"], true),
    ] {
        let set = tenants
            .as_(
                manager,
                SET_ROLES,
                json!({ "org": tenants.a, "id": target, "roles": roles }),
            )
            .await;
        expect(&set, allowed, "FORBIDDEN", &format!("setting {roles:?}"));
    }
    let count = tenants
        .as_(&tenants.root, READ_MEMBERS, json!({ "org": tenants.a }))
        .await;
    assert_eq!(count.ok()["organization"]["members"]["totalCount"], 4 + 2 + 1);

    // An ADMIN grants anything.
    let admin = tenants.session("ADMIN");
    let input = json!({ "orgId": tenants.a, "email": "second-admin@a.example", "roles": ["ADMIN"] });
    tenants.as_(admin, CREATE_USER, json!({ "input": input })).await.ok();
    let set = tenants
        .as_(
            admin,
            SET_ROLES,
            json!({ "org": tenants.a, "id": target, "roles": ["USER_MANAGER"] }),
        )
        .await;
    assert_eq!(set.ok()["setMemberRoles"]["roles"], json!(["USER_MANAGER"]));
}

async fn user_manager_cannot_act_on_an_admin(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let target = tenants.target(&tenants.a, "other-admin@a.example", &["ADMIN"]).await;
    let org_target = json!({ "org": tenants.a, "id": target });
    let demote = json!({ "org": tenants.a, "id": target, "roles": ["MEMBER"] });
    let manager = tenants.session("USER_MANAGER");
    for (query, variables) in [
        (UPDATE_USER, json!({ "id": target })),
        (UPDATE_METADATA, json!({ "id": target })),
        (DELETE_USER, json!({ "id": target })),
        (SET_ROLES, demote.clone()),
        (MEMBERSHIP_METADATA, org_target.clone()),
        (REMOVE, org_target.clone()),
    ] {
        tenants.as_(manager, query, variables).await.expect_code("FORBIDDEN");
    }
    assert_eq!(tenants.user(&target).await["nickname"], Value::Null);

    let admin = tenants.session("ADMIN");
    for (query, variables) in [
        (UPDATE_USER, json!({ "id": target })),
        (UPDATE_METADATA, json!({ "id": target })),
        (SET_ROLES, demote),
        (MEMBERSHIP_METADATA, org_target.clone()),
        (REMOVE, org_target),
    ] {
        tenants.as_(admin, query, variables).await.ok();
    }
    assert_eq!(tenants.user(&target).await["nickname"], "changed");
}

async fn org_admin_cannot_reach_a_member_of_another_org(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let outsider = tenants.target(&tenants.b, "outsider@b.example", &["MEMBER"]).await;
    let admin = tenants.session("ADMIN");
    assert!(tenants.as_(admin, USER, json!({ "id": outsider })).await.ok()["user"].is_null());
    let in_b = json!({ "org": tenants.b, "id": outsider });
    let in_a = json!({ "org": tenants.a, "id": outsider });
    for (query, variables) in [
        (UPDATE_USER, json!({ "id": outsider })),
        (UPDATE_METADATA, json!({ "id": outsider })),
        (DELETE_USER, json!({ "id": outsider })),
        (
            SET_ROLES,
            json!({ "org": tenants.b, "id": outsider, "roles": ["AUDITOR"] }),
        ),
        (MEMBERSHIP_METADATA, in_b.clone()),
        (REMOVE, in_b),
        (REMOVE, in_a.clone()),
        (ADD, in_a),
        (UPDATE_ORG, json!({ "org": tenants.b })),
    ] {
        tenants.as_(admin, query, variables).await.expect_code("NOT_FOUND");
    }
    assert!(tenants.as_(admin, READ_MEMBERS, json!({ "org": tenants.b })).await.ok()["organization"].is_null());
    let untouched = tenants.user(&outsider).await;
    assert_eq!(untouched["nickname"], Value::Null);
    assert_eq!(
        untouched["memberships"],
        json!([{ "organization": { "slug": "org-b" } }])
    );
}

/// A user in both organizations: created in `org-a`, added to `org-b` by the superadmin.
async fn shared_user(tenants: &Tenants) -> String {
    let shared = tenants.target(&tenants.a, "shared@a.example", &["MEMBER"]).await;
    tenants
        .as_(&tenants.root, ADD, json!({ "org": tenants.b, "id": shared }))
        .await
        .ok();
    shared
}

async fn shared_user_is_beyond_one_org_admins_identity_reach(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let shared = shared_user(&tenants).await;
    let admin = tenants.session("ADMIN");
    // Visible, with the memberships the admin may see: so refused, not hidden.
    let seen = tenants.as_(admin, USER, json!({ "id": shared })).await;
    assert_eq!(
        seen.ok()["user"]["memberships"],
        json!([{ "organization": { "slug": "org-a" } }])
    );
    for query in [UPDATE_USER, UPDATE_METADATA, DELETE_USER] {
        tenants
            .as_(admin, query, json!({ "id": shared }))
            .await
            .expect_code("FORBIDDEN");
    }
    assert_eq!(tenants.user(&shared).await["nickname"], Value::Null);

    // What concerns org-a only is the admin's to do.
    let roles = json!({ "org": tenants.a, "id": shared, "roles": ["AUDITOR"] });
    tenants.as_(admin, SET_ROLES, roles).await.ok();
    tenants
        .as_(admin, MEMBERSHIP_METADATA, json!({ "org": tenants.a, "id": shared }))
        .await
        .ok();
    tenants
        .as_(admin, REMOVE, json!({ "org": tenants.a, "id": shared }))
        .await
        .ok();
    assert!(tenants.as_(admin, USER, json!({ "id": shared })).await.ok()["user"].is_null());
    assert_eq!(
        tenants.user(&shared).await["memberships"],
        json!([{ "organization": { "slug": "org-b" } }])
    );
}

async fn once_no_longer_shared_the_org_admin_may_change_the_user(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let shared = shared_user(&tenants).await;
    let admin = tenants.session("ADMIN");
    tenants
        .as_(admin, UPDATE_USER, json!({ "id": shared }))
        .await
        .expect_code("FORBIDDEN");
    tenants
        .as_(&tenants.root, REMOVE, json!({ "org": tenants.b, "id": shared }))
        .await
        .ok();
    tenants.as_(admin, UPDATE_USER, json!({ "id": shared })).await.ok();
    tenants.as_(admin, UPDATE_METADATA, json!({ "id": shared })).await.ok();
    assert_eq!(tenants.user(&shared).await["nickname"], "changed");
    assert_eq!(
        tenants.as_(admin, DELETE_USER, json!({ "id": shared })).await.ok()["deleteUser"],
        true
    );
}

async fn only_a_superadmin_changes_a_superadmin(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let ops = tenants.server.superadmin_named("ops@example.com").await;
    tenants
        .as_(&tenants.root, ADD, json!({ "org": tenants.a, "id": ops.user_id }))
        .await
        .ok();
    let loner = tenants.server.superadmin_named("loner@example.com").await;
    let admin = tenants.session("ADMIN");
    assert!(!tenants.as_(admin, USER, json!({ "id": ops.user_id })).await.ok()["user"].is_null());
    for query in [UPDATE_USER, UPDATE_METADATA, DELETE_USER] {
        tenants
            .as_(admin, query, json!({ "id": ops.user_id }))
            .await
            .expect_code("FORBIDDEN");
        // A superadmin in no organization is out of the admin's sight altogether.
        tenants
            .as_(admin, query, json!({ "id": loner.user_id }))
            .await
            .expect_code("NOT_FOUND");
    }
    tenants
        .as_(&tenants.root, UPDATE_USER, json!({ "id": ops.user_id }))
        .await
        .ok();
    assert_eq!(tenants.user(&ops.user_id).await["nickname"], "changed");
}

/// A user who is ADMIN of both organizations, signed in once without binding (the password is
/// then [`CHANGED_PASSWORD`]).
async fn admin_of_both(tenants: &Tenants) -> (String, Session) {
    let id = tenants
        .server
        .create_user(&tenants.root, &tenants.a, "both@example.com", &["ADMIN"])
        .await;
    tenants
        .as_(
            &tenants.root,
            ADD,
            json!({ "org": tenants.b, "id": id, "roles": ["ADMIN"] }),
        )
        .await
        .ok();
    (id, tenants.server.sign_in_new_user("both@example.com").await)
}

async fn a_session_bound_to_one_org_reaches_only_that_org(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let (_, unbound) = admin_of_both(&tenants).await;
    let bound = tenants
        .server
        .sign_in_to("both@example.com", CHANGED_PASSWORD, Some("org-a"))
        .await;
    let outsider = tenants.target(&tenants.b, "outsider@b.example", &["MEMBER"]).await;

    let members = tenants.as_(&bound, READ_MEMBERS, json!({ "org": tenants.a })).await;
    assert_eq!(members.ok()["organization"]["members"]["totalCount"], 5);
    assert!(tenants
        .as_(&bound, READ_MEMBERS, json!({ "org": tenants.b }))
        .await
        .ok()["organization"]
        .is_null());
    assert!(tenants.as_(&bound, USER, json!({ "id": outsider })).await.ok()["user"].is_null());
    tenants
        .as_(&bound, UPDATE_USER, json!({ "id": outsider }))
        .await
        .expect_code("NOT_FOUND");
    tenants
        .as_(&bound, UPDATE_ORG, json!({ "org": tenants.b }))
        .await
        .expect_code("NOT_FOUND");
    let users = tenants
        .as_(
            &bound,
            "query($org: ID) { users(orgId: $org) { totalCount } }",
            json!({ "org": tenants.b }),
        )
        .await;
    users.expect_code("NOT_FOUND");
    let orgs = tenants
        .as_(&bound, "{ organizations { edges { node { slug } } } }", json!({}))
        .await;
    assert_eq!(
        orgs.ok()["organizations"]["edges"],
        json!([{ "node": { "slug": "org-a" } }])
    );

    // The same user, unbound, reaches both.
    let members = tenants.as_(&unbound, READ_MEMBERS, json!({ "org": tenants.b })).await;
    assert_eq!(members.ok()["organization"]["members"]["totalCount"], 2);
    tenants.as_(&unbound, UPDATE_USER, json!({ "id": outsider })).await.ok();
}

async fn a_superadmin_bound_to_one_org_is_only_a_member_there(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    tenants
        .as_(
            &tenants.root,
            ADD,
            json!({ "org": tenants.a, "id": tenants.root.user_id }),
        )
        .await
        .ok();
    let bound = tenants
        .server
        .sign_in_to("root@example.com", steward_tests::PASSWORD, Some("org-a"))
        .await;
    let viewer = tenants.as_(&bound, "{ viewer { isSuperadmin } }", json!({})).await;
    assert_eq!(viewer.ok()["viewer"]["isSuperadmin"], false);
    let create = "mutation { createOrganization(input: { slug: \"org-c\", name: \"C\" }) { id } }";
    tenants.as_(&bound, create, json!({})).await.expect_code("FORBIDDEN");
    assert!(tenants
        .as_(&bound, READ_MEMBERS, json!({ "org": tenants.b }))
        .await
        .ok()["organization"]
        .is_null());
    tenants
        .as_(&bound, READ_MEMBERS, json!({ "org": tenants.a }))
        .await
        .expect_code("FORBIDDEN");
}

async fn signing_in_to_an_org_one_is_not_in_is_invalid_credentials(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let (server, email) = (&tenants.server, "member@a.example");
    server.login_to(email, CHANGED_PASSWORD, Some("org-a")).await.ok();
    let wrong_password = server.login_to(email, "not-the-password", Some("org-a")).await;
    wrong_password.expect_code("INVALID_CREDENTIALS");
    for slug in ["org-b", "no-such-org"] {
        let response = server.login_to(email, CHANGED_PASSWORD, Some(slug)).await;
        response.expect_code("INVALID_CREDENTIALS");
        assert_eq!(
            response.first_error()["message"],
            wrong_password.first_error()["message"],
            "{slug}"
        );
    }
}

async fn require_verified_email_keeps_unverified_users_out_of_that_org(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let (id, earlier) = admin_of_both(&tenants).await;
    let setting = "mutation($org: ID!) { updateOrganization(id: $org, input: { settings: { requireVerifiedEmail: true } }) { id } }";
    tenants
        .as_(&tenants.root, setting, json!({ "org": tenants.a }))
        .await
        .ok();
    let server = &tenants.server;
    let email = "both@example.com";

    server
        .login_to(email, CHANGED_PASSWORD, Some("org-a"))
        .await
        .expect_code("EMAIL_NOT_VERIFIED");
    server
        .login_to(email, "not-the-password", Some("org-a"))
        .await
        .expect_code("INVALID_CREDENTIALS");
    server.login_to(email, CHANGED_PASSWORD, Some("org-b")).await.ok();
    let unbound = server.sign_in(email, CHANGED_PASSWORD).await;
    for session in [&unbound, &earlier] {
        assert!(tenants
            .as_(session, READ_MEMBERS, json!({ "org": tenants.a }))
            .await
            .ok()["organization"]
            .is_null());
        let users = tenants
            .as_(
                session,
                "query($org: ID) { users(orgId: $org) { totalCount } }",
                json!({ "org": tenants.a }),
            )
            .await;
        users.expect_code("NOT_FOUND");
        let members = tenants.as_(session, READ_MEMBERS, json!({ "org": tenants.b })).await;
        assert_eq!(members.ok()["organization"]["members"]["totalCount"], 1);
    }

    server.set_email_verified(&id, true).await;
    server.login_to(email, CHANGED_PASSWORD, Some("org-a")).await.ok();
    let members = tenants.as_(&unbound, READ_MEMBERS, json!({ "org": tenants.a })).await;
    assert_eq!(members.ok()["organization"]["members"]["totalCount"], 5);
}

backend_tests!(
    only_admins_user_managers_and_auditors_read_members,
    only_admins_and_user_managers_create_users,
    only_admins_and_user_managers_edit_users_and_their_metadata,
    only_admins_and_user_managers_set_roles_and_remove_members,
    only_admins_update_the_organization,
    user_manager_grants_only_auditor_or_member,
    user_manager_cannot_act_on_an_admin,
    org_admin_cannot_reach_a_member_of_another_org,
    shared_user_is_beyond_one_org_admins_identity_reach,
    once_no_longer_shared_the_org_admin_may_change_the_user,
    only_a_superadmin_changes_a_superadmin,
    a_session_bound_to_one_org_reaches_only_that_org,
    a_superadmin_bound_to_one_org_is_only_a_member_there,
    signing_in_to_an_org_one_is_not_in_is_invalid_credentials,
    require_verified_email_keeps_unverified_users_out_of_that_org,
);
