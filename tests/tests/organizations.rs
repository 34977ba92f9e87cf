//! Organizations: creation and deletion by superadmins, settings and branding by their admins,
//! who may read settings and metadata, the lists each caller sees, and the public sign-in view.

use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, Session, TestServer};

const CREATE: &str = "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id slug } }";
const UPDATE: &str =
    "mutation($id: ID!, $input: UpdateOrganizationInput!) { updateOrganization(id: $id, input: $input) { id } }";
const DELETE: &str = "mutation($id: ID!) { deleteOrganization(id: $id) }";
const READ: &str = "query($id: ID!) { organization(id: $id) { name branding { displayName logoUrl primaryColor } metadata settings { passwordPolicy { minLength minStrength historySize rejectPersonalInfo } lockout { maxFailedAttempts lockoutSeconds } requireVerifiedEmail sessionLifetimeSeconds } } }";
const LIST: &str = "query($first: Int!, $after: String, $search: String) { organizations(first: $first, after: $after, search: $search) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { slug } } } }";

async fn read(server: &TestServer, session: &Session, org: &str) -> Value {
    server.as_(session, READ, json!({ "id": org })).await.ok()["organization"].clone()
}

async fn update(server: &TestServer, session: &Session, org: &str, input: Value) -> steward_tests::Gql {
    server.as_(session, UPDATE, json!({ "id": org, "input": input })).await
}

/// The slugs a caller sees, all pages of `first` each, and the total the server counts.
async fn slugs(server: &TestServer, session: &Session, search: Option<&str>, first: usize) -> (Vec<String>, i64) {
    let pages = server
        .all_pages(session, LIST, json!({ "search": search }), &["organizations"], first)
        .await;
    let slugs = pages
        .nodes
        .iter()
        .map(|node| node["slug"].as_str().unwrap().to_owned())
        .collect();
    (slugs, pages.total_count)
}

async fn superadmin_creates_an_organization_with_defaults_for_what_is_not_given(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let input = json!({
        "slug": "acme-42",
        "name": "Acme Corp",
        "branding": { "displayName": "Acme", "primaryColor": "#336699" },
        "metadata": { "tier": "gold" },
        "settings": { "passwordPolicy": { "minLength": 16 } },
    });
    let created = server.as_(&root, CREATE, json!({ "input": input })).await;
    let id = created.ok()["createOrganization"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created.ok()["createOrganization"]["slug"], "acme-42");

    let organization = read(&server, &root, &id).await;
    assert_eq!(
        organization,
        json!({
            "name": "Acme Corp",
            "branding": { "displayName": "Acme", "logoUrl": null, "primaryColor": "#336699" },
            "metadata": { "tier": "gold" },
            "settings": {
                "passwordPolicy": { "minLength": 16, "minStrength": 3, "historySize": 5, "rejectPersonalInfo": true },
                "lockout": { "maxFailedAttempts": 10, "lockoutSeconds": 900 },
                "requireVerifiedEmail": false,
                "sessionLifetimeSeconds": 14 * 24 * 3600,
            },
        })
    );
    let by_slug = server
        .as_(
            &root,
            "{ organization(slug: \"acme-42\") { id memberCount } }",
            json!({}),
        )
        .await;
    assert_eq!(by_slug.ok()["organization"], json!({ "id": id, "memberCount": 0 }));
}

async fn slug_must_be_3_to_63_lowercase_letters_digits_or_dashes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let too_long = "a".repeat(64);
    for slug in [
        "",
        "ab",
        too_long.as_str(),
        "Acme",
        "acme_corp",
        "acme corp",
        "acme.io",
        "café",
    ] {
        let response = server
            .as_(&root, CREATE, json!({ "input": { "slug": slug, "name": "Refused" } }))
            .await;
        response.expect_invalid("slug");
    }
    let longest = "a".repeat(63);
    for slug in ["abc", longest.as_str(), "acme-2024", "9-to-5"] {
        server
            .as_(&root, CREATE, json!({ "input": { "slug": slug, "name": "Accepted" } }))
            .await
            .ok();
    }
    assert_eq!(
        slugs(&server, &root, None, 50).await.1,
        4,
        "no refused slug was created"
    );
}

async fn duplicate_slug_is_a_conflict(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    server.create_org(&root, "acme").await;
    let again = server
        .as_(
            &root,
            CREATE,
            json!({ "input": { "slug": "acme", "name": "Another Acme" } }),
        )
        .await;
    again.expect_code("CONFLICT");
    assert_eq!(slugs(&server, &root, None, 50).await, (vec!["acme".to_owned()], 1));
}

async fn only_a_superadmin_creates_or_deletes_organizations(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@example.com", &["ADMIN"]).await;
    let member = server.member(&root, &org, "member@example.com", &["MEMBER"]).await;
    for session in [&admin, &member] {
        let create = server
            .as_(session, CREATE, json!({ "input": { "slug": "mine", "name": "Mine" } }))
            .await;
        create.expect_code("FORBIDDEN");
        server
            .as_(session, DELETE, json!({ "id": org }))
            .await
            .expect_code("FORBIDDEN");
    }
    assert_eq!(slugs(&server, &root, None, 50).await, (vec!["acme".to_owned()], 1));
}

async fn admin_update_changes_only_the_given_settings(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@example.com", &["ADMIN"]).await;
    let mut expected = read(&server, &admin, &org).await;

    update(
        &server,
        &admin,
        &org,
        json!({ "settings": { "passwordPolicy": { "minLength": 16 } } }),
    )
    .await
    .ok();
    expected["settings"]["passwordPolicy"]["minLength"] = json!(16);
    assert_eq!(read(&server, &admin, &org).await, expected);

    let input = json!({ "settings": { "lockout": { "lockoutSeconds": 0 }, "sessionLifetimeSeconds": 3600 } });
    update(&server, &admin, &org, input).await.ok();
    expected["settings"]["lockout"]["lockoutSeconds"] = json!(0);
    expected["settings"]["sessionLifetimeSeconds"] = json!(3600);
    assert_eq!(read(&server, &admin, &org).await, expected);

    update(&server, &admin, &org, json!({ "name": "Acme Renamed" }))
        .await
        .ok();
    expected["name"] = json!("Acme Renamed");
    assert_eq!(read(&server, &admin, &org).await, expected);
}

async fn branding_colour_must_be_hex_rrggbb(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@example.com", &["ADMIN"]).await;
    for colour in ["red", "#fff", "#12345g", "123456", "#1234567", "#12 456"] {
        let response = update(&server, &admin, &org, json!({ "branding": { "primaryColor": colour } })).await;
        response.expect_invalid("branding.primaryColor");
    }
    assert!(read(&server, &admin, &org).await["branding"]["primaryColor"].is_null());
    update(
        &server,
        &admin,
        &org,
        json!({ "branding": { "primaryColor": "#1a2b3c" } }),
    )
    .await
    .ok();
    assert_eq!(read(&server, &admin, &org).await["branding"]["primaryColor"], "#1a2b3c");
}

async fn null_clears_a_branding_field_and_leaves_the_others(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@example.com", &["ADMIN"]).await;
    let branding =
        json!({ "displayName": "Acme", "logoUrl": "https://acme.example/logo.png", "primaryColor": "#1a2b3c" });
    update(&server, &admin, &org, json!({ "branding": branding }))
        .await
        .ok();
    assert_eq!(read(&server, &admin, &org).await["branding"], branding);

    update(&server, &admin, &org, json!({ "branding": { "logoUrl": null } }))
        .await
        .ok();
    let expected = json!({ "displayName": "Acme", "logoUrl": null, "primaryColor": "#1a2b3c" });
    assert_eq!(read(&server, &admin, &org).await["branding"], expected);
}

async fn out_of_range_settings_are_refused_and_change_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@example.com", &["ADMIN"]).await;
    let before = read(&server, &admin, &org).await;
    let cases = [
        (
            json!({ "passwordPolicy": { "minLength": 4 } }),
            "settings.passwordPolicy.minLength",
        ),
        (
            json!({ "passwordPolicy": { "minStrength": 5 } }),
            "settings.passwordPolicy.minStrength",
        ),
        (
            json!({ "passwordPolicy": { "historySize": -1 } }),
            "settings.passwordPolicy.historySize",
        ),
        (
            json!({ "lockout": { "maxFailedAttempts": 0 } }),
            "settings.lockout.maxFailedAttempts",
        ),
        (
            json!({ "lockout": { "lockoutSeconds": -1 } }),
            "settings.lockout.lockoutSeconds",
        ),
        (
            json!({ "sessionLifetimeSeconds": 10 }),
            "settings.sessionLifetimeSeconds",
        ),
        // One good and one bad field: neither is applied.
        (
            json!({ "passwordPolicy": { "minLength": 20, "minStrength": 9 } }),
            "settings.passwordPolicy.minStrength",
        ),
    ];
    for (settings, field) in cases {
        let response = update(
            &server,
            &admin,
            &org,
            json!({ "name": "Changed", "settings": settings }),
        )
        .await;
        response.expect_invalid(field);
        assert_eq!(read(&server, &admin, &org).await, before, "after refusing {settings}");
    }
}

async fn admin_of_one_org_updating_another_gets_not_found(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let a = server.create_org(&root, "a-org").await;
    let b = server.create_org(&root, "b-org").await;
    let admin = server.member(&root, &a, "admin@example.com", &["ADMIN"]).await;
    update(&server, &admin, &b, json!({ "name": "Taken over" }))
        .await
        .expect_code("NOT_FOUND");
    assert_eq!(read(&server, &root, &b).await["name"], "Org b-org");
}

async fn settings_and_metadata_are_readable_by_admins_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let admin = server.member(&root, &org, "admin@example.com", &["ADMIN"]).await;
    for (email, role) in [
        ("manager@example.com", "USER_MANAGER"),
        ("auditor@example.com", "AUDITOR"),
        ("m@example.com", "MEMBER"),
    ] {
        let session = server.member(&root, &org, email, &[role]).await;
        let name = server
            .as_(
                &session,
                "query($id: ID!) { organization(id: $id) { name } }",
                json!({ "id": org }),
            )
            .await;
        assert_eq!(
            name.ok()["organization"]["name"],
            "Org acme",
            "{role} sees the organization"
        );
        for field in ["settings { requireVerifiedEmail }", "metadata"] {
            let query = format!("query($id: ID!) {{ organization(id: $id) {{ name {field} }} }}");
            let response = server.as_(&session, &query, json!({ "id": org })).await;
            response.expect_code("FORBIDDEN");
            let path = &response.first_error()["path"];
            assert_eq!(path[0], "organization");
            assert_eq!(
                path[1],
                field.split(' ').next().unwrap(),
                "{role}: {:#?}",
                response.errors
            );
            // The field is null, one error names it, and the rest of the organization survives.
            assert_eq!(response.errors.len(), 1, "{role}: {:#?}", response.errors);
            let organization = &response.data["organization"];
            assert_eq!(organization["name"], "Org acme", "{role}: {organization}");
            let key = field.split(' ').next().unwrap();
            assert!(organization[key].is_null(), "{role}: {organization}");
        }
    }
    for session in [&admin, &root] {
        let query = "query($id: ID!) { organization(id: $id) { metadata settings { requireVerifiedEmail } } }";
        let response = server.as_(session, query, json!({ "id": org })).await;
        assert_eq!(
            response.ok()["organization"],
            json!({ "metadata": {}, "settings": { "requireVerifiedEmail": false } })
        );
    }
}

async fn superadmin_lists_every_organization_and_a_member_only_their_own(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let a = server.create_org(&root, "a-org").await;
    let b = server.create_org(&root, "b-org").await;
    server.create_org(&root, "c-org").await;
    let user = server.create_user(&root, &a, "user@example.com", &["MEMBER"]).await;
    let add = "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user) { roles } }";
    server.as_(&root, add, json!({ "org": b, "user": user })).await.ok();
    let session = server.sign_in_new_user("user@example.com").await;

    let all = ["a-org", "b-org", "c-org"].map(String::from).to_vec();
    assert_eq!(slugs(&server, &root, None, 50).await, (all, 3));
    let own = ["a-org", "b-org"].map(String::from).to_vec();
    assert_eq!(slugs(&server, &session, None, 50).await, (own, 2));
}

async fn search_matches_slug_or_name_case_insensitively(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let mut acme = String::new();
    for (slug, name) in [
        ("acme", "Acme Rockets"),
        ("anvils", "ACME Anvils"),
        ("globex", "Globex Corporation"),
        ("initech", "Initech"),
    ] {
        let created = server
            .as_(&root, CREATE, json!({ "input": { "slug": slug, "name": name } }))
            .await;
        if slug == "acme" {
            acme = created.ok()["createOrganization"]["id"].as_str().unwrap().to_owned();
        }
    }
    let found = |names: &[&str]| {
        (
            names.iter().map(|name| name.to_string()).collect::<Vec<_>>(),
            names.len() as i64,
        )
    };
    assert_eq!(
        slugs(&server, &root, Some("acme"), 50).await,
        found(&["acme", "anvils"])
    );
    assert_eq!(slugs(&server, &root, Some("GLOBEX"), 50).await, found(&["globex"]));
    assert_eq!(slugs(&server, &root, Some("rock"), 50).await, found(&["acme"]));
    assert_eq!(slugs(&server, &root, Some("tech"), 50).await, found(&["initech"]));
    assert_eq!(slugs(&server, &root, Some("%"), 50).await, found(&[]));
    assert_eq!(slugs(&server, &root, Some("a_me"), 50).await, found(&[]));

    // A member searches only among their own organizations.
    let member = server.member(&root, &acme, "member@example.com", &["MEMBER"]).await;
    assert_eq!(slugs(&server, &member, Some("acme"), 50).await, found(&["acme"]));
}

async fn organizations_page_to_the_end(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    for slug in ["org-3", "org-1", "org-5", "org-2", "org-4"] {
        server.create_org(&root, slug).await;
    }
    let pages = server.all_pages(&root, LIST, json!({}), &["organizations"], 2).await;
    let slugs: Vec<&str> = pages.nodes.iter().map(|node| node["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["org-1", "org-2", "org-3", "org-4", "org-5"]);
    assert_eq!((pages.total_count, pages.pages), (5, 3));

    let bad = server
        .as_(&root, LIST, json!({ "first": 2, "after": "not-a-cursor" }))
        .await;
    bad.expect_invalid("after");
}

async fn foreign_organization_reads_as_null(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let a = server.create_org(&root, "a-org").await;
    let b = server.create_org(&root, "b-org").await;
    let admin = server.member(&root, &a, "admin@example.com", &["ADMIN"]).await;
    let by_id = "query($id: ID!) { organization(id: $id) { name } }";
    let unknown = uuid::Uuid::now_v7().to_string();
    for id in [b.as_str(), unknown.as_str(), "not-an-id"] {
        assert!(
            server.as_(&admin, by_id, json!({ "id": id })).await.ok()["organization"].is_null(),
            "{id}"
        );
    }
    let by_slug = server
        .as_(&admin, "{ organization(slug: \"b-org\") { name } }", json!({}))
        .await;
    assert!(by_slug.ok()["organization"].is_null());
    assert_eq!(
        server.as_(&admin, by_id, json!({ "id": a })).await.ok()["organization"]["name"],
        "Org a-org"
    );
}

async fn deleting_an_organization_removes_memberships_but_keeps_users(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let a = server.create_org(&root, "a-org").await;
    let b = server.create_org(&root, "b-org").await;
    let only_a = server.member(&root, &a, "only-a@example.com", &["ADMIN"]).await;
    let shared = server.create_user(&root, &a, "shared@example.com", &["MEMBER"]).await;
    let add = "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user) { roles } }";
    server.as_(&root, add, json!({ "org": b, "user": shared })).await.ok();

    assert_eq!(
        server.as_(&root, DELETE, json!({ "id": a })).await.ok()["deleteOrganization"],
        true
    );

    let by_id = "query($id: ID!) { organization(id: $id) { name } }";
    assert!(server.as_(&root, by_id, json!({ "id": a })).await.ok()["organization"].is_null());
    let user = "query($id: ID!) { user(id: $id) { email memberships { organization { slug } } } }";
    let kept = server.as_(&root, user, json!({ "id": only_a.user_id })).await;
    assert_eq!(
        kept.ok()["user"],
        json!({ "email": "only-a@example.com", "memberships": [] })
    );
    let kept = server.as_(&root, user, json!({ "id": shared })).await;
    assert_eq!(
        kept.ok()["user"]["memberships"],
        json!([{ "organization": { "slug": "b-org" } }])
    );

    // The former admin can still sign in, and reaches no organization.
    assert_eq!(slugs(&server, &only_a, None, 50).await, (vec![], 0));
    server
        .sign_in("only-a@example.com", steward_tests::CHANGED_PASSWORD)
        .await;
    // The slug is free again; deleting what is gone is NOT_FOUND.
    server.create_org(&root, "a-org").await;
    server
        .as_(&root, DELETE, json!({ "id": a }))
        .await
        .expect_code("NOT_FOUND");
}

async fn public_organization_needs_no_sign_in_and_shows_the_password_policy(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let input = json!({
        "slug": "acme",
        "name": "Acme Corp",
        "branding": { "displayName": "Acme", "primaryColor": "#336699" },
        "settings": { "passwordPolicy": { "minLength": 14, "historySize": 3 } },
    });
    server.as_(&root, CREATE, json!({ "input": input })).await.ok();
    let query = "query($slug: String!) { publicOrganization(slug: $slug) { slug name branding { displayName logoUrl primaryColor } passwordPolicy { minLength minStrength historySize rejectPersonalInfo } } }";
    let response = server.gql(None, query, json!({ "slug": "acme" })).await;
    assert_eq!(
        response.ok()["publicOrganization"],
        json!({
            "slug": "acme",
            "name": "Acme Corp",
            "branding": { "displayName": "Acme", "logoUrl": null, "primaryColor": "#336699" },
            "passwordPolicy": { "minLength": 14, "minStrength": 3, "historySize": 3, "rejectPersonalInfo": true },
        })
    );
    assert!(server.gql(None, query, json!({ "slug": "nope" })).await.ok()["publicOrganization"].is_null());
}

async fn a_list_counts_each_organizations_members(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let mut expected = Vec::new();
    for (slug, members) in [("alpha", 0), ("bravo", 1), ("charlie", 3)] {
        let org = server.create_org(&root, slug).await;
        for n in 0..members {
            server
                .create_user(&root, &org, &format!("user{n}@{slug}.test"), &["MEMBER"])
                .await;
        }
        expected.push(json!({ "slug": slug, "memberCount": members }));
    }
    let list = "{ organizations(first: 10) { edges { node { slug memberCount } } } }";
    let found = server.as_(&root, list, json!({})).await;
    let nodes: Vec<Value> = found.ok()["organizations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect();
    assert_eq!(nodes, expected);
}

/// An argument with a default is nullable: an explicit null, like an absent variable, means the
/// default.
async fn a_null_page_size_means_the_default(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    for n in 0..3 {
        server.create_org(&root, &format!("org-{n}")).await;
    }
    let list = "query($first: Int) { organizations(first: $first) { edges { node { slug } } } }";
    for variables in [json!({ "first": null }), json!({})] {
        let found = server.as_(&root, list, variables.clone()).await;
        let edges = found.ok()["organizations"]["edges"].as_array().unwrap().len();
        assert_eq!(edges, 3, "{variables}");
    }
}

backend_tests!(
    superadmin_creates_an_organization_with_defaults_for_what_is_not_given,
    slug_must_be_3_to_63_lowercase_letters_digits_or_dashes,
    duplicate_slug_is_a_conflict,
    only_a_superadmin_creates_or_deletes_organizations,
    admin_update_changes_only_the_given_settings,
    branding_colour_must_be_hex_rrggbb,
    null_clears_a_branding_field_and_leaves_the_others,
    out_of_range_settings_are_refused_and_change_nothing,
    admin_of_one_org_updating_another_gets_not_found,
    settings_and_metadata_are_readable_by_admins_only,
    superadmin_lists_every_organization_and_a_member_only_their_own,
    search_matches_slug_or_name_case_insensitively,
    organizations_page_to_the_end,
    foreign_organization_reads_as_null,
    deleting_an_organization_removes_memberships_but_keeps_users,
    public_organization_needs_no_sign_in_and_shows_the_password_policy,
    a_list_counts_each_organizations_members,
    a_null_page_size_means_the_default,
);
