//! What a query may cost: a request whose worst case is too large is refused before it runs, with
//! a coded error; everything the portal and GraphiQL send still passes; and a page of members
//! with their memberships and organizations costs a constant number of statements.

use futures::future::join_all;
use serde_json::{json, Value};
use steward_tests::{backend_tests, workspace_root, Backend, Session, TestServer};

/// The introspection query GraphiQL sends, with every option it can turn on.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    description
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL isOneOf
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}
"#;

const NESTED_PAGES: &str = "{ organization(slug: \"acme\") { members(first: 200) { edges { node { user { memberships { organization { members(first: 200) { edges { node { user { email } } } } } } } } } } } }";
const USERS_IN_PAGES: &str = "{ users(first: 1000) { edges { node { memberships { organization { members(first: 1000) { edges { node { user { email } } } } } } } } } }";

/// Forty copies of a full page of users, each under its own alias.
fn alias_bomb() -> String {
    let copies: Vec<String> = (0..40)
        .map(|n| format!("u{n}: users(first: 200) {{ edges {{ node {{ email name }} }} }}"))
        .collect();
    format!("{{ {} }}", copies.join(" "))
}

/// One operation of a portal file, as the portal sends it: the whole file (the typed client's
/// document holds every operation of the file), with this operation's name and variables.
struct Operation {
    name: String,
    text: String,
    variables: Value,
    subscription: bool,
}

impl Operation {
    fn is_subscription(&self) -> bool {
        self.subscription
    }
}

/// The file's top-level definitions, comments left out.
fn definitions(source: &str) -> Vec<String> {
    let mut definitions = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for line in source.lines() {
        let code = line.split('#').next().unwrap_or_default();
        for character in code.chars() {
            current.push(character);
            match character {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        definitions.push(current.trim().to_owned());
                        current.clear();
                    }
                }
                _ => {}
            }
        }
        current.push('\n');
    }
    assert!(current.trim().is_empty(), "unbalanced braces in: {current}");
    definitions
}

fn name_of(definition: &str) -> String {
    let mut words = definition.split(|c: char| c.is_whitespace() || c == '(' || c == '{');
    words.next();
    words
        .find(|word| !word.is_empty())
        .expect("a named definition")
        .to_owned()
}

/// A value of `ty` that passes validation, for variable `$name`. Optional variables are left out;
/// `first` asks for the largest page the server returns.
fn plausible(name: &str, ty: &str) -> Option<Value> {
    let required = ty.strip_suffix('!')?;
    Some(match required {
        _ if required.starts_with('[') => json!([]),
        "ID" => json!("00000000-0000-4000-8000-000000000000"),
        "String" => json!("someone@example.com"),
        "Int" if name == "first" => json!(200),
        "Int" => json!(1),
        "Boolean" => json!(false),
        "JSON" | "UpdateOrganizationInput" => json!({}),
        "BulkUserAction" => json!("BLOCK"),
        "MetadataTarget" => json!("USER_METADATA"),
        _ => panic!("no plausible value for ${name}: {ty}; teach this test one"),
    })
}

fn variables_of(operation: &str) -> Value {
    let header = operation.split('{').next().unwrap_or_default();
    let Some((_, declared)) = header.split_once('(') else {
        return json!({});
    };
    let mut variables = serde_json::Map::new();
    for declaration in declared.trim_end().trim_end_matches(')').split('$').skip(1) {
        let (name, rest) = declaration.split_once(':').expect("a typed variable");
        let ty = rest.split([',', '=']).next().unwrap_or_default().trim();
        if let Some(value) = plausible(name.trim(), ty) {
            variables.insert(name.trim().to_owned(), value);
        }
    }
    Value::Object(variables)
}

/// Every operation in the portal's `.graphql` files.
fn portal_operations() -> Vec<Operation> {
    let directory = workspace_root().join("frontend/src/api/queries");
    let mut files: Vec<_> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("{}: {error}", directory.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "graphql"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the portal's queries are at {}", directory.display());
    let mut operations = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("readable");
        let definitions = definitions(&source);
        for operation in definitions
            .iter()
            .filter(|definition| !definition.starts_with("fragment"))
        {
            operations.push(Operation {
                name: name_of(operation),
                variables: variables_of(operation),
                text: source.clone(),
                subscription: operation.starts_with("subscription"),
            });
        }
    }
    operations
}

async fn every_portal_operation_passes_the_limits(backend: Backend) {
    let server = TestServer::start(backend).await;
    let operations = portal_operations();
    assert!(operations.len() >= 40, "{} operations", operations.len());
    // Subscriptions run over WebSocket, where a connection needs a signed-in user: a MEMBER, whom
    // the resolver then refuses, which shows that validation and the limits let it through.
    let root = server.superadmin().await;
    let org = server.create_org(&root, "costs").await;
    let member = server.member(&root, &org, "mia@costs.test", &["MEMBER"]).await;
    for operation in operations.iter().filter(|operation| operation.is_subscription()) {
        let mut live = steward_tests::live::LiveConnection::signed_in(&server.url, &member.access_token).await;
        let mut variables = operation.variables.clone();
        if let Some(org_id) = variables.get_mut("orgId") {
            *org_id = json!(org);
        }
        live.subscribe_named("1", &operation.text, &operation.name, variables)
            .await;
        match live.next("1").await {
            steward_tests::live::Said::Next { errors, .. } => {
                assert!(
                    !errors.is_empty(),
                    "{}: a MEMBER's subscription is refused",
                    operation.name
                );
                for error in errors {
                    assert!(
                        error["path"].is_array(),
                        "{} was refused before it ran: {error:#}",
                        operation.name
                    );
                }
            }
            other => panic!("{}: {other:?}", operation.name),
        }
    }
    for operation in operations.into_iter().filter(|operation| !operation.is_subscription()) {
        // Anonymous: refusals then come from the resolvers, which shows that validation, the
        // cost and depth limits included, let the operation through.
        let response: Value = server
            .http
            .post(format!("{}/graphql", server.url))
            .json(&json!({
                "query": operation.text,
                "operationName": operation.name,
                "variables": operation.variables,
            }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON body");
        for error in response["errors"].as_array().into_iter().flatten() {
            assert!(
                error["path"].is_array(),
                "{} was refused before it ran: {error:#}",
                operation.name
            );
        }
    }
}

async fn graphiqls_introspection_query_passes_the_limits(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server.gql(None, INTROSPECTION, json!({})).await;
    assert_eq!(response.ok()["__schema"]["queryType"]["name"], "Query");
    assert!(response.ok()["__schema"]["types"].as_array().unwrap().len() > 50);
}

async fn page_bombs_are_refused_before_they_run(backend: Backend) {
    let mut server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    server.create_org(&root, "acme").await;
    server.stop_mail_worker().await;
    for bomb in [NESTED_PAGES.to_owned(), USERS_IN_PAGES.to_owned(), alias_bomb()] {
        // Anonymous, nothing is read at all: not even a session.
        let before = server.state.database.statements_sent();
        let refused = server.gql(None, &bomb, json!({})).await;
        assert_eq!(server.state.database.statements_sent(), before, "{bomb}");
        refused.expect_code("BAD_USER_INPUT");
        assert!(refused.data.is_null(), "{:#}", refused.data);
        let message = refused.first_error()["message"].as_str().unwrap();
        assert!(
            message.contains("too complex") && message.contains("smaller pages"),
            "{message}"
        );

        // Signed in, only the session is read: no more than for a request that reads nothing.
        let before = server.state.database.statements_sent();
        server.as_(&root, "{ __typename }", json!({})).await.ok();
        let session_only = server.state.database.statements_sent() - before;
        let before = server.state.database.statements_sent();
        server.as_(&root, &bomb, json!({})).await.expect_code("BAD_USER_INPUT");
        assert_eq!(server.state.database.statements_sent() - before, session_only, "{bomb}");
    }
}

async fn too_deep_a_query_is_refused_with_a_code(backend: Backend) {
    let server = TestServer::start(backend).await;
    let deep = format!(
        "{{ __schema {{ types {{ {} name {} }} }} }}",
        "ofType { ".repeat(20),
        "} ".repeat(20)
    );
    let refused = server.gql(None, &deep, json!({})).await;
    refused.expect_code("BAD_USER_INPUT");
    assert!(refused.first_error()["message"].as_str().unwrap().contains("too deep"));
}

async fn fifty_users_with_every_field_and_their_memberships_still_run(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    server.create_user(&root, &org, "ada@acme.test", &["MEMBER"]).await;
    let fields = "id email emailVerified username name givenName familyName nickname picture phoneNumber locale userMetadata appMetadata isSuperadmin blocked blockedReason passwordChangeRequired lastLoginAt loginsCount createdAt updatedAt";
    let query = format!("{{ users(first: 50) {{ totalCount edges {{ node {{ {fields} memberships {{ roles status createdAt organization {{ id slug name }} }} }} }} }} }}");
    let page = server.as_(&root, &query, json!({})).await;
    assert_eq!(page.ok()["users"]["totalCount"], 2);
}

const MEMBER_PAGE: &str = "query($org: ID!) { organization(id: $org) { members(first: 50) { edges { node { roles user { email memberships { organization { slug } user { email } } } } } } } }";
const ADD: &str = "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user) { status } }";

/// For each member on the page: their email and the slugs of their memberships shown.
async fn member_page(server: &TestServer, session: &Session, org: &str) -> (Vec<(String, Vec<String>)>, u64) {
    let before = server.state.database.statements_sent();
    let page = server.as_(session, MEMBER_PAGE, json!({ "org": org })).await;
    let statements = server.state.database.statements_sent() - before;
    let rows = page.ok()["organization"]["members"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            let user = &edge["node"]["user"];
            let email = user["email"].as_str().unwrap().to_owned();
            let mut slugs: Vec<String> = user["memberships"]
                .as_array()
                .unwrap()
                .iter()
                .map(|membership| {
                    assert_eq!(membership["user"]["email"], user["email"]);
                    membership["organization"]["slug"].as_str().unwrap().to_owned()
                })
                .collect();
            slugs.sort();
            (email, slugs)
        })
        .collect();
    (rows, statements)
}

async fn a_page_of_members_loads_memberships_in_a_constant_number_of_statements(backend: Backend) {
    let mut server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let globex = server.create_org(&root, "globex").await;
    let initech = server.create_org(&root, "initech").await;
    let admin = server.member(&root, &acme, "admin@acme.test", &["ADMIN"]).await;
    server
        .as_(&root, ADD, json!({ "org": globex, "user": admin.user_id }))
        .await
        .ok();
    let create = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
    let created = join_all((0..49).map(|n| {
        let input = json!({ "orgId": acme, "email": format!("member{n:02}@acme.test"), "sendInvitation": false });
        server.as_(&root, create, json!({ "input": input }))
    }))
    .await;
    let ids: Vec<String> = created
        .iter()
        .map(|response| response.ok()["createUser"]["id"].as_str().unwrap().to_owned())
        .collect();
    // Even members also belong to globex, every third to initech.
    let additions = ids.iter().enumerate().flat_map(|(n, id)| {
        let globex = (n % 2 == 0).then(|| json!({ "org": globex, "user": id }));
        let initech = (n % 3 == 0).then(|| json!({ "org": initech, "user": id }));
        globex.into_iter().chain(initech)
    });
    for added in join_all(additions.map(|variables| server.as_(&root, ADD, variables))).await {
        added.ok();
    }
    // An AUDITOR of globex, the admin sees globex memberships; initech's stay out of reach.
    let grant =
        "mutation($org: ID!, $user: ID!) { setMemberRoles(orgId: $org, userId: $user, roles: [AUDITOR]) { roles } }";
    server
        .as_(&root, grant, json!({ "org": globex, "user": admin.user_id }))
        .await
        .ok();

    // Each new user was sent a link; what the worker would do with it is no part of the count.
    server.stop_mail_worker().await;

    let expected = |n: usize, visible: &[&str]| -> Vec<String> {
        let mut slugs = vec!["acme".to_owned()];
        if n % 2 == 0 && visible.contains(&"globex") {
            slugs.push("globex".to_owned());
        }
        if n % 3 == 0 && visible.contains(&"initech") {
            slugs.push("initech".to_owned());
        }
        slugs
    };
    for (session, visible) in [(&admin, &["globex"][..]), (&root, &["globex", "initech"][..])] {
        let (rows, statements) = member_page(&server, session, &acme).await;
        assert_eq!(rows.len(), 50);
        for (email, slugs) in rows {
            let wanted = match email.strip_prefix("member").and_then(|rest| rest.get(..2)) {
                Some(n) => expected(n.parse().unwrap(), visible),
                None => vec!["acme".to_owned(), "globex".to_owned()],
            };
            assert_eq!(slugs, wanted, "{email} as {}", session.email);
        }
        // The session, the organization, the page, the memberships, their organizations: seven,
        // or a few more when a loader's short wait ends before every row has asked. A query per
        // row would be a hundred and more.
        assert!(statements < 25, "{statements} statements for a page of 50");
    }
}

async fn a_session_that_must_change_its_password_reads_no_user_through_a_membership(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = server.create_org(&root, "acme").await;
    server.create_user(&root, &org, "ada@acme.test", &["MEMBER"]).await;
    let restricted = server.sign_in("ada@acme.test", steward_tests::PASSWORD).await;
    let own = "{ viewer { memberships { organization { slug } } } }";
    let memberships = server.as_(&restricted, own, json!({})).await;
    assert_eq!(
        memberships.ok()["viewer"]["memberships"][0]["organization"]["slug"],
        "acme"
    );
    let through = "{ viewer { memberships { user { email } } } }";
    server
        .as_(&restricted, through, json!({}))
        .await
        .expect_code("FORBIDDEN");
}

backend_tests!(
    every_portal_operation_passes_the_limits,
    graphiqls_introspection_query_passes_the_limits,
    page_bombs_are_refused_before_they_run,
    too_deep_a_query_is_refused_with_a_code,
    fifty_users_with_every_field_and_their_memberships_still_run,
    a_page_of_members_loads_memberships_in_a_constant_number_of_statements,
    a_session_that_must_change_its_password_reads_no_user_through_a_membership,
);
