//! Claimed email domains: an organization's admins and API clients create accounts, and change
//! addresses, only in the domains a superadmin has claimed for it, and invite everyone else. An
//! address outside them is refused before it is looked up, so the answer never tells a tenant
//! whether the address has an account in another organization.

use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, Gql, Session, TestServer};

const CREATE: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id email } }";
const CHANGE_EMAIL: &str =
    "mutation($id: ID!, $email: String!) { updateUser(id: $id, input: { email: $email }) { id email } }";
const SET_DOMAINS: &str =
    "mutation($id: ID!, $domains: [String!]!) { setOrganizationDomains(id: $id, domains: $domains) { id domains } }";
const DOMAINS: &str = "query($id: ID!) { organization(id: $id) { domains } }";

/// `acme` (claims acme.test) and `globex` (claims globex.test), with an address at a public mail
/// provider that has an account in globex only.
struct Tenants {
    server: TestServer,
    root: Session,
    acme: String,
    globex: String,
    acme_admin: Session,
}

impl Tenants {
    async fn start(backend: Backend) -> Self {
        let server = TestServer::start(backend).await;
        let root = server.superadmin().await;
        let acme = server.create_org(&root, "acme").await;
        let globex = server.create_org(&root, "globex").await;
        server.create_user(&root, &globex, "taken@mail.test", &["MEMBER"]).await;
        server.create_user(&root, &globex, "taken@acme.test", &["MEMBER"]).await;
        let acme_admin = server.member(&root, &acme, "admin@acme.test", &["ADMIN"]).await;
        Self {
            server,
            root,
            acme,
            globex,
            acme_admin,
        }
    }

    async fn create(&self, session: &Session, email: &str) -> Gql {
        let input = json!({ "orgId": self.acme, "email": email, "sendInvitation": false });
        self.server.as_(session, CREATE, json!({ "input": input })).await
    }
}

/// The whole answer as a client sees it.
fn answer(response: &Gql) -> Value {
    json!({ "data": response.data, "errors": response.errors })
}

async fn outside_the_claimed_domains_a_taken_and_a_free_address_answer_alike(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let server = &tenants.server;
    let before = server.snapshot().await;
    let taken = tenants.create(&tenants.acme_admin, "taken@mail.test").await;
    let free = tenants.create(&tenants.acme_admin, "free@mail.test").await;
    assert_eq!(answer(&taken), answer(&free));
    taken.expect_invalid("email");
    let message = taken.fields()["email"].as_str().unwrap();
    assert!(
        message.contains("acme.test") && message.contains("inviteMember"),
        "{message}"
    );
    // The same for an address change of one of acme's own members.
    let member = server
        .create_user(&tenants.root, &tenants.acme, "ada@acme.test", &["MEMBER"])
        .await;
    let before_changes = server.snapshot().await;
    let change = |email: &'static str| {
        let variables = json!({ "id": member, "email": email });
        server.as_(&tenants.acme_admin, CHANGE_EMAIL, variables)
    };
    let (taken, free) = (change("taken@mail.test").await, change("free@mail.test").await);
    assert_eq!(answer(&taken), answer(&free));
    taken.expect_invalid("email");
    assert_eq!(
        server.snapshot().await.changed_since(&before_changes, &[]),
        Vec::<String>::new()
    );
    // Nothing was written by the refused creations either (the member above is the only change).
    let changed = server.snapshot().await.changed_since(&before, &[]);
    assert!(changed.iter().all(|table| !table.contains("mail.test")), "{changed:#?}");
}

async fn an_organization_without_domains_invites_and_its_admins_are_told_so(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let server = &tenants.server;
    server.claim_domains(&tenants.root, &tenants.acme, &[]).await;
    let before = server.snapshot().await;
    let taken = tenants.create(&tenants.acme_admin, "taken@acme.test").await;
    let free = tenants.create(&tenants.acme_admin, "free@acme.test").await;
    assert_eq!(answer(&taken), answer(&free));
    let message = taken.fields()["email"].as_str().unwrap().to_owned();
    assert!(
        message.contains("no email domain") && message.contains("inviteMember"),
        "{message}"
    );
    assert_eq!(
        server.snapshot().await.changed_since(&before, &[]),
        Vec::<String>::new()
    );
    // Inviting works for both, and answers alike.
    let invite = "mutation($org: ID!, $email: String!) { inviteMember(orgId: $org, email: $email) { email roles } }";
    let taken = server
        .as_(
            &tenants.acme_admin,
            invite,
            json!({ "org": tenants.acme, "email": "taken@mail.test" }),
        )
        .await;
    let free = server
        .as_(
            &tenants.acme_admin,
            invite,
            json!({ "org": tenants.acme, "email": "free@mail.test" }),
        )
        .await;
    assert_eq!(taken.ok()["inviteMember"]["roles"], free.ok()["inviteMember"]["roles"]);
}

async fn inside_its_domains_an_organization_creates_accounts(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let server = &tenants.server;
    let created = tenants.create(&tenants.acme_admin, "  New@ACME.test ").await;
    assert_eq!(created.ok()["createUser"]["email"], "new@acme.test");
    // Its own domain's mailboxes are the organization's: a taken one there is a plain conflict.
    tenants
        .create(&tenants.acme_admin, "taken@acme.test")
        .await
        .expect_code("CONFLICT");
    // A subdomain is not the domain.
    tenants
        .create(&tenants.acme_admin, "eve@eu.acme.test")
        .await
        .expect_invalid("email");
    // An API client with users:write follows the same rule.
    let client = "mutation($org: ID!) { createApiClient(orgId: $org, name: \"sync\", scopes: [\"users:write\"]) { clientSecret client { clientId } } }";
    let made = server
        .as_(&tenants.acme_admin, client, json!({ "org": tenants.acme }))
        .await;
    let made = &made.ok()["createApiClient"];
    let token = server
        .client_token(
            made["client"]["clientId"].as_str().unwrap(),
            made["clientSecret"].as_str().unwrap(),
        )
        .await;
    let input = |email: &str| json!({ "input": { "orgId": tenants.acme, "email": email, "sendInvitation": false } });
    let taken = server.gql(Some(&token), CREATE, input("taken@mail.test")).await;
    let free = server.gql(Some(&token), CREATE, input("free@mail.test")).await;
    assert_eq!(answer(&taken), answer(&free));
    taken.expect_invalid("email");
    let synced = server.gql(Some(&token), CREATE, input("synced@acme.test")).await;
    assert_eq!(synced.ok()["createUser"]["email"], "synced@acme.test");
}

async fn set(server: &TestServer, session: &Session, org: &str, domains: Value) -> Gql {
    server
        .as_(session, SET_DOMAINS, json!({ "id": org, "domains": domains }))
        .await
}

async fn superadmins_claim_domains_and_create_anywhere(backend: Backend) {
    let tenants = Tenants::start(backend).await;
    let server = &tenants.server;
    // A superadmin is not bound by domains (and sees every tenant anyway).
    tenants.create(&tenants.root, "anyone@mail.test").await.ok();
    tenants
        .create(&tenants.root, "taken@mail.test")
        .await
        .expect_code("CONFLICT");
    // Claiming: checked, normalised, one organization per domain, superadmins only.
    let before = server.snapshot().await;
    set(
        server,
        &tenants.root,
        &tenants.acme,
        json!(["acme.test", "not a domain", "x."]),
    )
    .await
    .expect_invalid("domains.1");
    set(server, &tenants.root, &tenants.acme, json!(["globex.test"]))
        .await
        .expect_code("CONFLICT");
    set(
        server,
        &tenants.acme_admin,
        &tenants.acme,
        json!(["acme.test", "acme.example"]),
    )
    .await
    .expect_code("FORBIDDEN");
    assert_eq!(
        server.snapshot().await.changed_since(&before, &[]),
        Vec::<String>::new()
    );
    let claimed = set(
        server,
        &tenants.root,
        &tenants.acme,
        json!([" ACME.example", "acme.test", "acme.test"]),
    )
    .await;
    assert_eq!(
        claimed.ok()["setOrganizationDomains"]["domains"],
        json!(["acme.example", "acme.test"])
    );
    // Every member of the organization may read them; the change is in its audit log.
    let read = server
        .as_(&tenants.acme_admin, DOMAINS, json!({ "id": tenants.acme }))
        .await;
    assert_eq!(
        read.ok()["organization"]["domains"],
        json!(["acme.example", "acme.test"])
    );
    let audit = "query($org: ID!) { auditEvents(orgId: $org, types: [\"ORGANIZATION_DOMAINS_SET\"]) { edges { node { details } } } }";
    let events = server
        .as_(&tenants.acme_admin, audit, json!({ "org": tenants.acme }))
        .await;
    assert_eq!(
        events.ok()["auditEvents"]["edges"][0]["node"]["details"]["after"],
        json!(["acme.example", "acme.test"])
    );
    tenants.create(&tenants.acme_admin, "bob@acme.example").await.ok();
    // Deleting an organization releases its domains.
    let delete = "mutation($id: ID!) { deleteOrganization(id: $id) }";
    server
        .as_(&tenants.root, delete, json!({ "id": tenants.globex }))
        .await
        .ok();
    let initech = server.create_org(&tenants.root, "initech").await;
    set(server, &tenants.root, &initech, json!(["globex.test"])).await.ok();
}

backend_tests!(
    outside_the_claimed_domains_a_taken_and_a_free_address_answer_alike,
    an_organization_without_domains_invites_and_its_admins_are_told_so,
    inside_its_domains_an_organization_creates_accounts,
    superadmins_claim_domains_and_create_anywhere,
);
