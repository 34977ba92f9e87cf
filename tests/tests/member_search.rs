//! Listing and searching members: every sort order paged to the end, every filter, the orgs a
//! caller may list, and the limits on cursors and page sizes.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use std::collections::HashSet;
use steward_entity::{membership, user, OrgId, UserId};
use steward_tests::{backend_tests, Backend, Session, TestServer, PASSWORD};

const MEMBERS: &str = "query($org: ID!, $first: Int!, $after: String, $filter: UserFilter, $order: UserOrder) { organization(id: $org) { members(first: $first, after: $after, filter: $filter, orderBy: $order) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { user { id email } } } } } }";
const USERS: &str = "query($org: ID, $first: Int!, $after: String, $filter: UserFilter, $order: UserOrder) { users(orgId: $org, first: $first, after: $after, filter: $filter, orderBy: $order) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id email name } } } }";
const FIELDS: [&str; 4] = ["EMAIL", "NAME", "CREATED_AT", "LAST_LOGIN_AT"];
const WORDS: [&str; 25] = [
    "amber", "birch", "cedar", "delta", "ember", "fjord", "gamma", "heron", "indigo", "jasper", "kestrel", "lumen",
    "maple", "nectar", "onyx", "pine", "quartz", "raven", "sage", "tundra", "umber", "violet", "willow", "xenon",
    "yarrow",
];
/// Names repeat, differ only in case, or are missing, so that sorting by name has ties.
const NAMES: [Option<&str>; 7] = [
    Some("Grace Hopper"),
    Some("Ada Lovelace"),
    None,
    Some("alan turing"),
    Some("Alan Turing"),
    Some("Barbara Liskov"),
    Some("Edsger Dijkstra"),
];

#[derive(Clone, Debug)]
struct Member {
    id: String,
    email: String,
    name: Option<String>,
    username: Option<String>,
    roles: Vec<&'static str>,
    app: Value,
    user: Value,
    verified: bool,
    blocked: bool,
    suspended: bool,
    created_at: DateTime<Utc>,
    last_login_at: Option<DateTime<Utc>>,
}

/// 25 members of `acme` (the first an ADMIN, signed in as `admin`), 3 of `globex`, in which the
/// admin is a plain MEMBER.
struct Fixture {
    server: TestServer,
    root: Session,
    admin: Session,
    org: String,
    other_org: String,
    members: Vec<Member>,
}

fn roles_of(index: usize) -> Vec<&'static str> {
    match index {
        0 => vec!["ADMIN"],
        _ if index % 6 == 1 => vec!["USER_MANAGER"],
        _ if index % 4 == 2 => vec!["AUDITOR", "MEMBER"],
        _ => vec!["MEMBER"],
    }
}

/// Members who have signed in, in the order they did.
const SIGNED_IN: [usize; 4] = [3, 13, 8, 0];

/// Acme's member number `index`, before the server gives them an id and times.
fn planned(index: usize) -> Member {
    let word = WORDS[(index * 7) % 25];
    let plan = if index == 24 {
        "Pro"
    } else {
        ["free", "pro", "enterprise"][index % 3]
    };
    let team = ["red", "blue"][index % 2];
    Member {
        id: String::new(),
        email: format!("{word}@acme.example"),
        name: NAMES[index % NAMES.len()].map(str::to_owned),
        username: (index % 5 == 0).then(|| format!("{word}-handle")),
        roles: roles_of(index),
        app: json!({ "plan": plan, "seats": index % 4, "trial": index % 2 == 0 }),
        user: json!({ "team": { "name": team }, "newsletter": index % 3 == 0 }),
        verified: index % 3 == 0,
        blocked: index == 6,
        suspended: index == 5,
        created_at: Utc::now(),
        last_login_at: None,
    }
}

/// Puts the flags that no mutation sets yet (verification, blocking, suspension) straight into
/// the database.
async fn store_flags(server: &TestServer, org: &str, member: &Member) {
    let database = server.database();
    let user_id: UserId = member.id.parse().unwrap();
    if member.verified {
        server.set_email_verified(&member.id, true).await;
    }
    if member.blocked {
        let update = user::Entity::update_many().col_expr(user::Column::Blocked, Expr::value(true));
        update
            .filter(user::Column::Id.eq(user_id))
            .exec(database)
            .await
            .unwrap();
    }
    if member.suspended {
        let org_id: OrgId = org.parse().unwrap();
        let update = membership::Entity::update_many().col_expr(membership::Column::Status, Expr::value("SUSPENDED"));
        let update = update.filter(membership::Column::OrgId.eq(org_id));
        update
            .filter(membership::Column::UserId.eq(user_id))
            .exec(database)
            .await
            .unwrap();
    }
}

impl Fixture {
    async fn start(backend: Backend) -> Self {
        let server = TestServer::start(backend).await;
        let root = server.superadmin().await;
        let org = server.create_org(&root, "acme").await;
        let other_org = server.create_org(&root, "globex").await;
        let create = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
        let mut members = Vec::new();
        for index in 0..25 {
            // Ten seconds apart (access tokens outlive the whole setup), but every fifth member is
            // created in the same instant as the one before.
            if index % 5 != 4 {
                server.clock.advance(Duration::seconds(10));
            }
            let member = planned(index);
            let input = json!({
                "orgId": org, "email": member.email, "roles": member.roles, "name": member.name,
                "username": member.username, "appMetadata": member.app, "userMetadata": member.user,
                "password": SIGNED_IN.contains(&index).then_some(PASSWORD),
            });
            let created = server.as_(&root, create, json!({ "input": input })).await;
            let id = created.ok()["createUser"]["id"].as_str().unwrap().to_owned();
            members.push(Member { id, ..member });
        }
        for member in &members {
            store_flags(&server, &org, member).await;
        }
        let mut admin = None;
        for index in SIGNED_IN {
            server.clock.advance(Duration::seconds(10));
            if index == 0 {
                admin = Some(server.sign_in_new_user(&members[0].email).await);
            } else {
                server.login(&members[index].email, PASSWORD).await.ok();
            }
        }
        for (email, name, roles) in [
            ("grace@globex.example", "Grace Hopper", ["MEMBER"]),
            ("amber@globex.example", "Amber Globex", ["AUDITOR"]),
            ("turing@globex.example", "Alan Turing", ["USER_MANAGER"]),
        ] {
            let input = json!({
                "orgId": other_org, "email": email, "name": name, "roles": roles, "password": PASSWORD,
                "appMetadata": { "plan": "pro", "trial": true }, "userMetadata": { "team": { "name": "red" } },
            });
            server.as_(&root, create, json!({ "input": input })).await.ok();
        }
        let add = "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user) { roles } }";
        server
            .as_(&root, add, json!({ "org": other_org, "user": members[0].id }))
            .await
            .ok();

        // Creation and sign-in times as the database keeps them.
        let read = "query($org: ID) { users(orgId: $org, first: 200) { edges { node { id createdAt lastLoginAt } } } }";
        let stored = server.as_(&root, read, json!({ "org": org })).await;
        for edge in stored.ok()["users"]["edges"].as_array().unwrap() {
            let member = members
                .iter_mut()
                .find(|member| member.id == edge["node"]["id"])
                .unwrap();
            member.created_at = timestamp(&edge["node"]["createdAt"]).unwrap();
            member.last_login_at = timestamp(&edge["node"]["lastLoginAt"]);
        }
        let admin = admin.unwrap();
        Self {
            server,
            root,
            admin,
            org,
            other_org,
            members,
        }
    }

    /// The acme members a filter should find, by email.
    fn expected(&self, keep: impl Fn(&Member) -> bool) -> Vec<String> {
        let mut emails: Vec<String> = self
            .members
            .iter()
            .filter(|member| keep(member))
            .map(|m| m.email.clone())
            .collect();
        emails.sort();
        emails
    }

    /// The acme members `filter` finds, by email, paged 7 at a time.
    async fn search(&self, filter: Value) -> Vec<String> {
        let variables = json!({ "org": self.org, "filter": filter, "order": { "field": "EMAIL", "direction": "ASC" } });
        let pages = self
            .server
            .all_pages(&self.admin, MEMBERS, variables, &["organization", "members"], 7)
            .await;
        assert_eq!(pages.total_count as usize, pages.nodes.len(), "totalCount for {filter}");
        pages
            .nodes
            .iter()
            .map(|node| node["user"]["email"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn timestamp(value: &Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .map(|text| DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc))
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Ids in the order the server should give: by the key, then by id; never-signed-in sorts as
/// the earliest sign-in, and a missing name as the empty one.
fn sorted(members: &[Member], field: &str, direction: &str) -> Vec<String> {
    let mut keyed: Vec<((String, i64), &str)> = members
        .iter()
        .map(|member| {
            let key = match field {
                "EMAIL" => (member.email.clone(), 0),
                "NAME" => (member.name.clone().unwrap_or_default().to_lowercase(), 0),
                "CREATED_AT" => (String::new(), member.created_at.timestamp_micros()),
                _ => (
                    String::new(),
                    member.last_login_at.map_or(0, |at| at.timestamp_micros()),
                ),
            };
            (key, member.id.as_str())
        })
        .collect();
    keyed.sort();
    if direction == "DESC" {
        keyed.reverse();
    }
    keyed.into_iter().map(|(_, id)| id.to_owned()).collect()
}

/// Pages `query` to the end for every order, and compares with the order computed here.
async fn assert_every_order(fixture: &Fixture, query: &str, path: &[&str], id_of: fn(&Value) -> &Value) {
    for field in FIELDS {
        for direction in ["ASC", "DESC"] {
            let variables = json!({ "org": fixture.org, "order": { "field": field, "direction": direction } });
            let pages = fixture
                .server
                .all_pages(&fixture.admin, query, variables, path, 7)
                .await;
            let ids: Vec<String> = pages
                .nodes
                .iter()
                .map(|node| id_of(node).as_str().unwrap().to_owned())
                .collect();
            assert_eq!(
                ids.iter().collect::<HashSet<_>>().len(),
                ids.len(),
                "duplicates in {field} {direction}"
            );
            assert_eq!(ids, sorted(&fixture.members, field, direction), "{field} {direction}");
            assert_eq!((pages.total_count, pages.pages), (25, 4), "{field} {direction}");
        }
    }
}

async fn members_page_to_the_end_in_every_order(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    assert_every_order(&fixture, MEMBERS, &["organization", "members"], |node| {
        &node["user"]["id"]
    })
    .await;
}

async fn users_of_an_org_page_to_the_end_in_every_order(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    assert_every_order(&fixture, USERS, &["users"], |node| &node["id"]).await;
}

async fn text_query_matches_email_name_and_username_case_insensitively(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    for query in ["HOPPER", "Turing", "-HANDLE", "kestrel@", "acme.example", "grace"] {
        let lower = query.to_lowercase();
        let expected = fixture.expected(|member| {
            member.email.contains(&lower)
                || member
                    .name
                    .as_deref()
                    .is_some_and(|name| name.to_lowercase().contains(&lower))
                || member
                    .username
                    .as_deref()
                    .is_some_and(|username| username.contains(&lower))
        });
        assert!(!expected.is_empty(), "{query} should find someone");
        assert_eq!(fixture.search(json!({ "query": query })).await, expected, "{query}");
    }
}

async fn text_query_treats_percent_and_underscore_literally(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let names = [
        "100% cotton",
        "1000 cotton",
        "under_score",
        "underXscore",
        "under-score",
        "back\\slash",
        "backslash",
    ];
    let create = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
    for (index, name) in names.iter().enumerate() {
        let input = json!({ "orgId": org, "email": format!("user{index}@example.com"), "name": name });
        server.as_(&root, create, json!({ "input": input })).await.ok();
    }
    for (query, expected) in [
        ("%", vec!["100% cotton"]),
        ("0%", vec!["100% cotton"]),
        ("_", vec!["under_score"]),
        ("r_s", vec!["under_score"]),
        ("\\", vec!["back\\slash"]),
        ("k\\s", vec!["back\\slash"]),
        ("cotton", vec!["100% cotton", "1000 cotton"]),
    ] {
        let variables =
            json!({ "org": org, "filter": { "query": query }, "order": { "field": "NAME", "direction": "ASC" } });
        let pages = server.all_pages(&root, USERS, variables, &["users"], 7).await;
        let found: Vec<&str> = pages.nodes.iter().map(|node| node["name"].as_str().unwrap()).collect();
        assert_eq!(found, expected, "{query}");
    }
}

async fn role_and_status_filters_read_the_membership(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    for role in ["ADMIN", "USER_MANAGER", "AUDITOR", "MEMBER"] {
        let expected = fixture.expected(|member| member.roles.contains(&role));
        assert_eq!(fixture.search(json!({ "role": role })).await, expected, "{role}");
    }
    assert_eq!(
        fixture.search(json!({ "status": "ACTIVE" })).await,
        fixture.expected(|member| !member.suspended)
    );
    assert_eq!(
        fixture.search(json!({ "status": "SUSPENDED" })).await,
        fixture.expected(|member| member.suspended)
    );
    let both = fixture.search(json!({ "role": "MEMBER", "status": "ACTIVE" })).await;
    assert_eq!(
        both,
        fixture.expected(|member| member.roles.contains(&"MEMBER") && !member.suspended)
    );
}

async fn verified_and_blocked_filters(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    for value in [true, false] {
        let verified = fixture.search(json!({ "emailVerified": value })).await;
        assert_eq!(
            verified,
            fixture.expected(|member| member.verified == value),
            "emailVerified {value}"
        );
        let blocked = fixture.search(json!({ "blocked": value })).await;
        assert_eq!(
            blocked,
            fixture.expected(|member| member.blocked == value),
            "blocked {value}"
        );
    }
}

async fn creation_time_filters_bound_the_list(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    // Halfway between creations, which are ten seconds apart.
    let after = fixture.members[10].created_at + Duration::seconds(5);
    let before = fixture.members[20].created_at + Duration::seconds(5);
    let found = fixture.search(json!({ "createdAfter": rfc3339(after) })).await;
    assert_eq!(found, fixture.expected(|member| member.created_at > after));
    let found = fixture.search(json!({ "createdBefore": rfc3339(before) })).await;
    assert_eq!(found, fixture.expected(|member| member.created_at < before));
    let found = fixture
        .search(json!({ "createdAfter": rfc3339(after), "createdBefore": rfc3339(before) }))
        .await;
    let expected = fixture.expected(|member| member.created_at > after && member.created_at < before);
    assert_eq!(expected.len(), 10, "members 11 to 20");
    assert_eq!(found, expected);
}

async fn metadata_filters_match_strings_numbers_and_booleans(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    let cases = [
        json!([{ "path": "appMetadata.plan", "equals": "pro" }]),
        json!([{ "path": "appMetadata.plan", "equals": "Pro" }]),
        json!([{ "path": "appMetadata.seats", "equals": 2 }]),
        json!([{ "path": "appMetadata.seats", "equals": "2" }]),
        json!([{ "path": "appMetadata.trial", "equals": true }]),
        json!([{ "path": "appMetadata.trial", "equals": false }]),
        json!([{ "path": "appMetadata.trial", "equals": 1 }]),
        json!([{ "path": "userMetadata.team.name", "equals": "red" }]),
        json!([{ "path": "userMetadata.newsletter", "equals": true }, { "path": "appMetadata.plan", "equals": "free" }]),
        json!([{ "path": "appMetadata.missing", "equals": "x" }]),
    ];
    for filters in cases {
        let expected = fixture.expected(|member| {
            filters.as_array().unwrap().iter().all(|filter| {
                let path = filter["path"].as_str().unwrap();
                let mut keys = path.split('.');
                let document = if keys.next() == Some("appMetadata") {
                    &member.app
                } else {
                    &member.user
                };
                keys.fold(document, |value, key| &value[key]) == &filter["equals"]
            })
        });
        assert_eq!(
            fixture.search(json!({ "metadata": filters })).await,
            expected,
            "{filters}"
        );
    }
    for path in ["plan", "appMetadata", "profile.plan"] {
        let variables =
            json!({ "org": fixture.org, "first": 7, "filter": { "metadata": [{ "path": path, "equals": "pro" }] } });
        let response = fixture.server.as_(&fixture.admin, MEMBERS, variables).await;
        response.expect_invalid("filter.metadata.path");
    }
}

async fn members_of_other_organizations_never_appear(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    let (server, admin) = (&fixture.server, &fixture.admin);
    assert_eq!(fixture.search(json!({ "query": "globex" })).await, Vec::<String>::new());
    let graces = fixture.expected(|member| member.name.as_deref() == Some("Grace Hopper"));
    assert_eq!(fixture.search(json!({ "query": "grace hopper" })).await, graces);

    // The admin is a plain MEMBER of globex, and not in initech at all.
    let page = json!({ "org": fixture.other_org, "first": 7 });
    server.as_(admin, USERS, page).await.expect_code("FORBIDDEN");
    server
        .as_(admin, MEMBERS, json!({ "org": fixture.other_org, "first": 7 }))
        .await
        .expect_code("FORBIDDEN");
    let initech = server.create_org(&fixture.root, "initech").await;
    server
        .as_(admin, USERS, json!({ "org": initech, "first": 7 }))
        .await
        .expect_code("NOT_FOUND");
    let members = server.as_(admin, MEMBERS, json!({ "org": initech, "first": 7 })).await;
    assert!(members.ok()["organization"].is_null());
}

async fn users_without_an_org_lists_the_callers_readable_orgs_only(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    let server = &fixture.server;
    let everyone = |session: &Session| {
        let session = session.clone();
        async move {
            let pages = server
                .all_pages(&session, USERS, json!({ "org": null }), &["users"], 7)
                .await;
            assert_eq!(pages.total_count as usize, pages.nodes.len());
            let mut emails: Vec<String> = pages
                .nodes
                .iter()
                .map(|node| node["email"].as_str().unwrap().to_owned())
                .collect();
            emails.sort();
            emails
        }
    };
    // The acme admin is only a MEMBER of globex: acme's members alone.
    assert_eq!(everyone(&fixture.admin).await, fixture.expected(|_| true));

    // A globex AUDITOR: globex's members, the acme admin among them.
    let auditor = server.sign_in_new_user("amber@globex.example").await;
    let globex = ["amber@globex.example", "grace@globex.example", "turing@globex.example"].map(String::from);
    let mut expected = globex.to_vec();
    expected.push(fixture.members[0].email.clone());
    expected.sort();
    assert_eq!(everyone(&auditor).await, expected);

    let mut all = fixture.expected(|_| true);
    all.extend(globex);
    all.push("root@example.com".to_owned());
    all.sort();
    assert_eq!(everyone(&fixture.root).await, all);

    let member = server.sign_in_new_user(&fixture.members[3].email).await;
    server
        .as_(&member, USERS, json!({ "org": null, "first": 7 }))
        .await
        .expect_code("FORBIDDEN");
}

async fn invalid_cursors_are_bad_user_input(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    let (server, admin, org) = (&fixture.server, &fixture.admin, &fixture.org);
    let by_created = json!({ "field": "CREATED_AT", "direction": "ASC" });
    let first = server
        .as_(admin, MEMBERS, json!({ "org": org, "first": 2, "order": by_created }))
        .await;
    let cursor = first.ok()["organization"]["members"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_email = json!({ "field": "EMAIL", "direction": "ASC" });
    // Not a cursor at all; JSON of another shape; a cursor of another sort order.
    for after in ["garbage", "eyJrZXkiOnRydWV9", cursor.as_str()] {
        let variables = json!({ "org": org, "first": 2, "after": after, "order": by_email });
        server
            .as_(admin, MEMBERS, variables.clone())
            .await
            .expect_invalid("after");
        server.as_(admin, USERS, variables).await.expect_invalid("after");
    }
}

async fn page_size_is_at_most_200(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    let (server, admin, org) = (&fixture.server, &fixture.admin, &fixture.org);
    for first in [500, 201, -1] {
        server
            .as_(admin, MEMBERS, json!({ "org": org, "first": first }))
            .await
            .expect_invalid("first");
        server
            .as_(admin, USERS, json!({ "org": org, "first": first }))
            .await
            .expect_invalid("first");
    }
    let all = server.as_(admin, USERS, json!({ "org": org, "first": 200 })).await;
    assert_eq!(all.ok()["users"]["edges"].as_array().unwrap().len(), 25);
}

/// A member list reads copies of the users' sort and search keys; they follow every change.
async fn member_lists_follow_profile_changes_and_sign_ins(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    let ada = server.create_user(&root, &org, "ada@acme.test", &["MEMBER"]).await;
    server.create_user(&root, &org, "bob@acme.test", &["MEMBER"]).await;
    let update =
        "mutation($id: ID!) { updateUser(id: $id, input: { email: \"zed@acme.test\", name: \"Zed Quill\" }) { id } }";
    server.as_(&root, update, json!({ "id": ada })).await.ok();

    let emails = |response: steward_tests::Gql| -> Vec<String> {
        response.ok()["organization"]["members"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"]["user"]["email"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_email = json!({ "org": org, "first": 10, "order": { "field": "EMAIL", "direction": "ASC" } });
    assert_eq!(
        emails(server.as_(&root, MEMBERS, by_email).await),
        ["bob@acme.test", "zed@acme.test"]
    );
    let found = json!({ "org": org, "first": 10, "filter": { "query": "quill" } });
    assert_eq!(emails(server.as_(&root, MEMBERS, found).await), ["zed@acme.test"]);
    let old = json!({ "org": org, "first": 10, "filter": { "query": "ada@" } });
    assert!(emails(server.as_(&root, MEMBERS, old).await).is_empty());

    server.clock.advance(Duration::seconds(5));
    server.login("zed@acme.test", PASSWORD).await.ok();
    let recent = json!({ "org": org, "first": 10, "order": { "field": "LAST_LOGIN_AT", "direction": "DESC" } });
    assert_eq!(
        emails(server.as_(&root, MEMBERS, recent).await),
        ["zed@acme.test", "bob@acme.test"]
    );
}

backend_tests!(
    member_lists_follow_profile_changes_and_sign_ins,
    members_page_to_the_end_in_every_order,
    users_of_an_org_page_to_the_end_in_every_order,
    text_query_matches_email_name_and_username_case_insensitively,
    text_query_treats_percent_and_underscore_literally,
    role_and_status_filters_read_the_membership,
    verified_and_blocked_filters,
    creation_time_filters_bound_the_list,
    metadata_filters_match_strings_numbers_and_booleans,
    members_of_other_organizations_never_appear,
    users_without_an_org_lists_the_callers_readable_orgs_only,
    invalid_cursors_are_bad_user_input,
    page_size_is_at_most_200,
);
