//! Hostile lookups (issue 8): open-redirect result URLs, ids and slugs of the wrong shape, cursors
//! and page sizes, and SQL and LIKE metacharacters in searches and metadata filters. Each case is
//! named; each must answer its code (or exactly the rows it should) and change nothing.

use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, Case, Tenants, TestServer, SIGN_IN_TRACES};

const TICKET: &str =
    "mutation($id: ID!, $url: String) { createPasswordChangeTicket(userId: $id, resultUrl: $url) { url } }";

async fn open_redirects_are_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tenants = server.tenants().await;
    let origin = server.url.clone();
    let host_port = origin.trim_start_matches("http://").to_owned();
    let port: u16 = host_port.rsplit(':').next().expect("port").parse().expect("a port");
    let urls = [
        ("scheme-relative", "//evil.test/done".to_owned()),
        ("scheme-relative with backslashes", "\\\\evil.test/done".to_owned()),
        (
            "userinfo that looks like the origin",
            format!("http://{host_port}@evil.test/"),
        ),
        ("userinfo under https", format!("https://{host_port}@evil.test/")),
        (
            "a backslash before the userinfo",
            format!("http://evil.test\\@{host_port}/"),
        ),
        ("backslashes after the scheme", "https:\\\\evil.test\\done".to_owned()),
        ("one slash after the scheme", "http:/evil.test/done".to_owned()),
        ("no slashes after the scheme", "http:evil.test".to_owned()),
        (
            "the origin as a subdomain of evil",
            format!("http://127.0.0.1.evil.test:{port}/"),
        ),
        ("an IDN look-alike host", "http://\u{0435}xample.test/".to_owned()),
        ("a punycode host", "http://xn--80ak6aa92e.com/".to_owned()),
        ("javascript", "javascript:alert(document.cookie)".to_owned()),
        (
            "javascript hidden by case and a tab",
            "JaVa\tScRiPt:alert(1)".to_owned(),
        ),
        ("a data URL", "data:text/html,<script>alert(1)</script>".to_owned()),
        ("a file URL", "file:///etc/passwd".to_owned()),
        (
            "another port",
            format!("http://127.0.0.1:{}/done", port.wrapping_add(1)),
        ),
        ("another scheme", format!("https://{host_port}/done")),
        ("localhost for 127.0.0.1", format!("http://localhost:{port}/done")),
        ("an IPv6 loopback", format!("http://[::1]:{port}/done")),
        ("a relative path", "/done".to_owned()),
        ("an empty string", String::new()),
        (
            "a 10 000 character URL elsewhere",
            format!("https://evil.test/{}", "a".repeat(10_000)),
        ),
    ];
    let cases = urls
        .into_iter()
        .map(|(name, url)| {
            Case::new(
                format!("resultUrl: {name}"),
                TICKET,
                json!({ "id": tenants.user.user_id, "url": url }),
                "BAD_USER_INPUT",
            )
            .token(&tenants.admin.access_token)
        })
        .collect();
    server.run_cases(cases).await;
}

fn null_at(path: &'static str) -> impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static {
    move |data: &Value| match data[path].is_null() {
        true => Ok(()),
        false => Err(format!("expected null at {path}, got {data}")),
    }
}

async fn malformed_ids_and_slugs_are_not_found_or_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let Tenants { root, admin, acme, .. } = server.tenants().await;
    let huge = "9".repeat(100_000);
    let ids = [
        ("not a UUID", "not-a-uuid"),
        ("empty", ""),
        ("SQL", "' OR '1'='1"),
        ("a UUID with a trailing quote", "0190d5b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b'"),
        ("the nil UUID", "00000000-0000-0000-0000-000000000000"),
        ("100 000 digits", huge.as_str()),
        ("a NUL", "\u{0}"),
    ];
    let mut cases = Vec::new();
    for (name, id) in ids {
        cases.extend([
            Case::answers(
                format!("user(id) {name}"),
                "query($id: ID!) { user(id: $id) { id } }",
                json!({ "id": id }),
                null_at("user"),
            )
            .token(&root.access_token),
            Case::answers(
                format!("organization(id) {name}"),
                "query($id: ID!) { organization(id: $id) { id } }",
                json!({ "id": id }),
                null_at("organization"),
            )
            .token(&root.access_token),
            Case::new(
                format!("deleteUser {name}"),
                "mutation($id: ID!) { deleteUser(id: $id) }",
                json!({ "id": id }),
                "NOT_FOUND",
            )
            .token(&root.access_token),
            Case::new(
                format!("setMemberRoles with an org id {name}"),
                "mutation($org: ID!, $id: ID!) { setMemberRoles(orgId: $org, userId: $id, roles: [ADMIN]) { roles } }",
                json!({ "org": id, "id": admin.user_id }),
                "NOT_FOUND",
            )
            .token(&admin.access_token),
        ]);
    }
    // An id of the wrong kind: an organization's id where a user's is expected.
    cases.push(
        Case::new(
            "blockUser with an organization's id",
            "mutation($id: ID!) { blockUser(userId: $id) { id } }",
            json!({ "id": acme }),
            "NOT_FOUND",
        )
        .token(&root.access_token),
    );
    for (name, slug) in [
        ("upper case", "ACME-NEW"),
        ("two characters", "ab"),
        ("64 characters", &*"a".repeat(64)),
        ("unicode", "ünïcode"),
        ("a space", "acme corp"),
        ("a leading dash", "-acme"),
        ("a trailing dash", "acme-"),
        ("an underscore", "acme_corp"),
        ("a slash", "acme/../root"),
        ("empty", ""),
        ("a NUL", "acme\u{0}x"),
        ("a line break inside", "ac\nme"),
    ] {
        cases.push(
            Case::new(
                format!("createOrganization slug {name}"),
                "mutation($slug: String!) { createOrganization(input: { slug: $slug, name: \"New\" }) { id } }",
                json!({ "slug": slug }),
                "BAD_USER_INPUT",
            )
            .token(&root.access_token),
        );
        cases.push(Case::answers(
            format!("publicOrganization slug {name}"),
            "query($slug: String!) { publicOrganization(slug: $slug) { name } }",
            json!({ "slug": slug }),
            null_at("publicOrganization"),
        ));
    }
    cases.extend([
        Case::new(
            "createOrganization slug of an existing one with spaces around",
            "mutation { createOrganization(input: { slug: \" acme \", name: \"Twin\" }) { id } }",
            json!({}),
            "CONFLICT",
        )
        .token(&root.access_token),
        Case::answers(
            "organization(slug) of 100 000 characters",
            "query($slug: String!) { organization(slug: $slug) { id } }",
            json!({ "slug": huge }),
            null_at("organization"),
        )
        .token(&root.access_token),
        Case::answers(
            "organization(slug) with a NUL",
            "query($slug: String!) { organization(slug: $slug) { id } }",
            json!({ "slug": "acme\u{0}" }),
            null_at("organization"),
        )
        .token(&root.access_token),
        Case::new(
            "login with an orgSlug of 100 000 characters",
            "mutation($org: String!) { login(email: \"user@acme.test\", password: \"Correct-Horse-Battery-9-changed\", orgSlug: $org) { accessToken } }",
            json!({ "org": huge }),
            "INVALID_CREDENTIALS",
        )
        .may_change(SIGN_IN_TRACES),
        // Last: the reset is answered at once and done afterwards, so its writes may land after its
        // own snapshot, where no later case may see them.
        Case::answers(
            "requestPasswordReset with an orgSlug with a NUL",
            "mutation { requestPasswordReset(email: \"user@acme.test\", orgSlug: \"acme\\u0000\") }",
            json!({}),
            |data| match data["requestPasswordReset"] == true {
                true => Ok(()),
                false => Err(format!("answered {data}")),
            },
        )
        .may_change(&["audit_events", "one_time_tokens", "mail_outbox"]),
    ]);
    server.run_cases(cases).await;
}

async fn bad_page_arguments_and_settings_are_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tenants = server.tenants().await;
    let root = &tenants.root.access_token;
    let users = "query($first: Int, $after: String) { users(first: $first, after: $after) { totalCount } }";
    let orgs = "query($first: Int, $after: String) { organizations(first: $first, after: $after) { totalCount } }";
    // A cursor holds a position in one sort order; another order's is refused. (A cursor of
    // another list with the same kind of key is only a position: it reads nothing it names.)
    let by_creation = server
        .as_(
            &tenants.root,
            "{ users(first: 1, orderBy: { field: CREATED_AT, direction: ASC }) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let creation_cursor = by_creation.ok()["users"]["pageInfo"]["endCursor"].clone();
    let settings = "mutation($id: ID!, $settings: OrgSettingsInput!) { updateOrganization(id: $id, input: { settings: $settings }) { id } }";
    let branding = "mutation($id: ID!, $branding: BrandingInput!) { updateOrganization(id: $id, input: { branding: $branding }) { id } }";
    let ticket_ttl =
        "mutation($id: ID!, $ttl: Int) { createPasswordChangeTicket(userId: $id, ttlSeconds: $ttl) { url } }";
    let mut cases = vec![
        Case::new("first: -1", users, json!({ "first": -1 }), "BAD_USER_INPUT"),
        Case::new("first: 201", users, json!({ "first": 201 }), "BAD_USER_INPUT"),
        Case::new("first: 2^31", users, json!({ "first": 2_147_483_648_i64 }), "BAD_USER_INPUT"),
        Case::new("first: a string", users, json!({ "first": "all" }), "BAD_USER_INPUT"),
        Case::new("after: garbage", users, json!({ "after": "garbage" }), "BAD_USER_INPUT"),
        Case::new("after: base64 of JSON that is no cursor", users, json!({ "after": "eyJhIjoxfQ" }), "BAD_USER_INPUT"),
        Case::new("after: a cursor of another sort order", users, json!({ "after": creation_cursor }), "BAD_USER_INPUT"),
        Case::new("after: 100 000 characters", orgs, json!({ "after": "A".repeat(100_000) }), "BAD_USER_INPUT"),
        Case::new("orderBy: an injected field", "{ users(orderBy: { field: \"email; DROP TABLE users\", direction: ASC }) { totalCount } }", json!({}), "BAD_USER_INPUT"),
        Case::new("orderBy: an unknown enum value", "{ users(orderBy: { field: PASSWORD_HASH, direction: ASC }) { totalCount } }", json!({}), "BAD_USER_INPUT"),
        Case::new("ttlSeconds: -1", ticket_ttl, json!({ "id": tenants.user.user_id, "ttl": -1 }), "BAD_USER_INPUT"),
        Case::new("ttlSeconds: 31 days", ticket_ttl, json!({ "id": tenants.user.user_id, "ttl": 31 * 24 * 3600 }), "BAD_USER_INPUT"),
        Case::new("ttlSeconds: i32::MAX", ticket_ttl, json!({ "id": tenants.user.user_id, "ttl": i32::MAX }), "BAD_USER_INPUT"),
        Case::new("createApiClient with an unknown scope", "mutation($org: ID!) { createApiClient(orgId: $org, name: \"x\", scopes: [\"admin\"]) { clientSecret } }", json!({ "org": tenants.acme }), "BAD_USER_INPUT"),
        Case::new("createApiClient with a scope list smuggled in one string", "mutation($org: ID!) { createApiClient(orgId: $org, name: \"x\", scopes: [\"users:read users:delete\"]) { clientSecret } }", json!({ "org": tenants.acme }), "BAD_USER_INPUT"),
    ];
    for (name, value) in [
        ("minLength: 0", json!({ "passwordPolicy": { "minLength": 0 } })),
        ("minLength: -5", json!({ "passwordPolicy": { "minLength": -5 } })),
        ("minStrength: 5", json!({ "passwordPolicy": { "minStrength": 5 } })),
        (
            "historySize: 1000",
            json!({ "passwordPolicy": { "historySize": 1000 } }),
        ),
        ("maxFailedAttempts: 0", json!({ "lockout": { "maxFailedAttempts": 0 } })),
        ("lockoutSeconds: -1", json!({ "lockout": { "lockoutSeconds": -1 } })),
        ("sessionLifetimeSeconds: 0", json!({ "sessionLifetimeSeconds": 0 })),
    ] {
        cases.push(Case::new(
            format!("settings {name}"),
            settings,
            json!({ "id": tenants.acme, "settings": value }),
            "BAD_USER_INPUT",
        ));
    }
    for (name, value) in [
        ("a javascript logoUrl", json!({ "logoUrl": "javascript:alert(1)" })),
        (
            "a data logoUrl",
            json!({ "logoUrl": "data:image/svg+xml,<svg onload=alert(1)>" }),
        ),
        (
            "a primaryColor that closes a CSS rule",
            json!({ "primaryColor": "#fff;}body{display:none" }),
        ),
        ("a primaryColor by name", json!({ "primaryColor": "red" })),
        (
            "a displayName with a script tag and a line break",
            json!({ "displayName": "<script>\nalert(1)</script>" }),
        ),
    ] {
        cases.push(Case::new(
            format!("branding {name}"),
            branding,
            json!({ "id": tenants.acme, "branding": value }),
            "BAD_USER_INPUT",
        ));
    }
    let cases = cases.into_iter().map(|case| case.token(root)).collect();
    server.run_cases(cases).await;
}

fn total(
    path: &'static [&'static str],
    expected: i64,
) -> impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static {
    move |data: &Value| {
        let connection = path.iter().fold(data, |value, key| &value[key]);
        match connection["totalCount"].as_i64() {
            Some(count)
                if count == expected && connection["edges"].as_array().map(Vec::len) == Some(count as usize) =>
            {
                Ok(())
            }
            _ => Err(format!("expected {expected} rows, got {connection}")),
        }
    }
}

/// Searches where SQL and LIKE metacharacters are plain characters: `%` finds the one address
/// with a `%` in it, not everyone.
async fn metacharacters_in_searches_are_data(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tenants = server.tenants().await;
    for email in ["o'brien@acme.test", "under_score@acme.test", "100%real@acme.test"] {
        server
            .create_user(&tenants.root, &tenants.acme, email, &["MEMBER"])
            .await;
    }
    let tricky =
        "mutation { createOrganization(input: { slug: \"tricky\", name: \"100% Under_score O'Neil\" }) { id } }";
    server.as_(&tenants.root, tricky, json!({})).await.ok();
    let app_metadata = "mutation($id: ID!, $app: JSON) { updateUserMetadata(id: $id, appMetadata: $app) { id } }";
    let metadata = json!({ "plan": "pro", "$ne": "x", "it's": "quoted", "*": "star" });
    server
        .as_(
            &tenants.root,
            app_metadata,
            json!({ "id": tenants.user.user_id, "app": metadata }),
        )
        .await
        .ok();

    let users = "query($query: String) { users(filter: { query: $query }) { totalCount edges { node { email } } } }";
    let members = "query($org: ID!, $query: String) { organization(id: $org) { members(filter: { query: $query }) { totalCount edges { cursor } } } }";
    let orgs = "query($search: String) { organizations(search: $search) { totalCount edges { node { slug } } } }";
    let by_metadata = "query($path: String!, $equals: JSON!) { users(filter: { metadata: [{ path: $path, equals: $equals }] }) { totalCount edges { node { email } } } }";
    let mut cases = Vec::new();
    for (query, matches) in [
        ("%", 1),
        ("_", 1),
        ("'", 1),
        ("%%", 0),
        ("a%e", 0),
        ("u_er", 0),
        ("_cme", 0),
        ("\\", 0),
        ("\\%", 0),
        ("\"", 0),
        (";--", 0),
        ("' OR '1'='1", 0),
        ("') OR 1=1 --", 0),
        ("*", 0),
        ("[a-z]", 0),
        ("user\u{0}", 0),
    ] {
        cases.push(Case::answers(
            format!("users query {query:?}"),
            users,
            json!({ "query": query }),
            total(&["users"], matches),
        ));
        cases.push(Case::answers(
            format!("members query {query:?}"),
            members,
            json!({ "org": tenants.acme, "query": query }),
            total(&["organization", "members"], matches),
        ));
        cases.push(Case::answers(
            format!("organizations search {query:?}"),
            orgs,
            json!({ "search": query }),
            total(&["organizations"], matches),
        ));
    }
    for (name, path, equals, matches) in [
        ("a key with a dollar", "appMetadata.$ne", json!("x"), 1),
        ("a key with a quote", "appMetadata.it's", json!("quoted"), 1),
        ("a star key", "appMetadata.*", json!("star"), 1),
        ("a value like SQL", "appMetadata.plan", json!("' OR '1'='1"), 0),
        ("a value like a LIKE pattern", "appMetadata.plan", json!("%"), 0),
        ("a path like SQL", "appMetadata.plan' OR '1'='1", json!("pro"), 0),
        ("a path with an array index", "appMetadata.plan[0]", json!("pro"), 0),
        ("a path with a wildcard", "appMetadata.**", json!("pro"), 0),
        ("a path with a dollar", "appMetadata.$", json!("pro"), 0),
    ] {
        cases.push(Case::answers(
            format!("metadata filter: {name}"),
            by_metadata,
            json!({ "path": path, "equals": equals }),
            total(&["users"], matches),
        ));
    }
    for (name, path, equals) in [
        ("a path with a double quote", "appMetadata.pl\"an", json!("pro")),
        ("a path with a backslash", "appMetadata.pl\\an", json!("pro")),
        ("a path with a NUL", "appMetadata.plan\u{0}", json!("pro")),
        ("a path into another column", "passwordHash.x", json!("pro")),
        ("a path with no key", "appMetadata.", json!("pro")),
        ("a path with an empty key", "appMetadata..plan", json!("pro")),
        ("a path of nine keys", "appMetadata.a.b.c.d.e.f.g.h.i", json!("pro")),
        ("a value with a NUL", "appMetadata.plan", json!("pro\u{0}")),
        (
            "a value nested 100 levels",
            "appMetadata.plan",
            (0..100).fold(json!(1), |inner, _| json!({ "a": inner })),
        ),
    ] {
        cases.push(Case::new(
            format!("metadata filter: {name}"),
            by_metadata,
            json!({ "path": path, "equals": equals }),
            "BAD_USER_INPUT",
        ));
    }
    let cases = cases
        .into_iter()
        .map(|case| case.token(&tenants.root.access_token))
        .collect();
    server.run_cases(cases).await;
}

backend_tests!(
    open_redirects_are_refused,
    malformed_ids_and_slugs_are_not_found_or_refused,
    bad_page_arguments_and_settings_are_refused,
    metacharacters_in_searches_are_data,
    a_hostile_org_slug_at_sign_in_tells_nothing,
);

/// A slug PostgreSQL cannot read must answer as any wrong sign-in does, or it tells that the
/// account exists.
async fn a_hostile_org_slug_at_sign_in_tells_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tenants = server.tenants().await;
    let login = "mutation($email: String!, $org: String!) { login(email: $email, password: \"wrong-password-here\", orgSlug: $org) { accessToken } }";
    let cases = ["acme\u{0}", "ACME\u{0}x"]
        .into_iter()
        .flat_map(|slug| {
            [
                (tenants.user.email.clone(), "an existing account"),
                ("nobody@acme.test".to_owned(), "no account"),
            ]
            .map(|(email, whose)| {
                Case::new(
                    format!("login orgSlug {slug:?} for {whose}"),
                    login,
                    json!({ "email": email, "org": slug }),
                    "INVALID_CREDENTIALS",
                )
                .may_change(SIGN_IN_TRACES)
            })
        })
        .collect();
    server.run_cases(cases).await;
}
