//! Hostile GraphQL documents and HTTP bodies (issue 8): query bombs (depth, aliases, batches,
//! fragment cycles and fan-outs, directives), and bodies that are too big, too deep, not JSON,
//! not UTF-8, of the wrong content type, or sent too slowly. Each case is named; each must be
//! refused and leave every table as it was.

use serde_json::{json, Value};
use std::time::Duration;
use steward_tests::{backend_tests, Backend, Case, Snapshot, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Aliases of a cheap field, `count` of them.
fn aliases(count: usize, field: &str) -> String {
    let body: String = (0..count).map(|n| format!("a{n}: {field} ")).collect();
    format!("{{ {body}}}")
}

/// `levels` nested selections of `cycle`, closed by `leaf`.
fn nested(levels: usize, open: &str, leaf: &str, close: &str) -> String {
    format!("{}{leaf}{}", open.repeat(levels), close.repeat(levels))
}

/// Fragments F1..Fn, each spreading the one before `fan_out` times: a few hundred bytes that
/// expand to `fan_out`^n selections.
fn fragment_fan_out(levels: usize, fan_out: usize) -> String {
    let mut document = format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ __typename }}\n");
    for level in 1..=levels {
        let spreads: String = (0..fan_out).map(|_| format!("...F{} ", level - 1)).collect();
        document.push_str(&format!("fragment F{level} on Query {{ {spreads}}}\n"));
    }
    document
}

async fn query_bombs_are_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tenants = server.tenants().await;
    let root = tenants.root.access_token.clone();
    let deep_members = "memberships { organization { members { edges { node { user { ";
    let cases = vec![
        Case::new(
            "depth 25 through memberships and members",
            format!("{{ viewer {{ user {{ {} id {} }} }} }}", deep_members.repeat(4), "} } } } } } ".repeat(4)),
            json!({}),
            "BAD_USER_INPUT",
        ),
        Case::new(
            "depth 30 through introspection",
            format!("{{ __schema {{ types {{ {} }} }} }}", nested(14, "fields { type { ", "name", "} } ")),
            json!({}),
            "BAD_USER_INPUT",
        ),
        Case::new("10 000 nested selections", nested(10_000, "{ viewer ", "", "} "), json!({}), "BAD_USER_INPUT"),
        Case::new(
            "10 000 nested list literals in an argument",
            format!("{{ organizations(search: {}) {{ totalCount }} }}", nested(10_000, "[", "\"x\"", "]")),
            json!({}),
            "BAD_USER_INPUT",
        ),
        Case::new(
            "10 000 nested object literals in a metadata argument",
            format!(
                "mutation {{ updateMyProfile(input: {{ userMetadata: {} }}) {{ id }} }}",
                nested(10_000, "{ a: ", "1", "} ")
            ),
            json!({}),
            "BAD_USER_INPUT",
        ),
        Case::new("3 000 aliases of viewer", aliases(3_000, "viewer { isSuperadmin }"), json!({}), "BAD_USER_INPUT"),
        Case::new(
            "3 000 aliases of organizations",
            aliases(3_000, "organizations { totalCount }"),
            json!({}),
            "BAD_USER_INPUT",
        ),
        Case::new(
            "2 000 aliases of createOrganization",
            format!(
                "mutation {{ {} }}",
                (0..2_000)
                    .map(|n| format!("a{n}: createOrganization(input: {{ slug: \"bomb-{n}\", name: \"Bomb\" }}) {{ id name slug }} "))
                    .collect::<String>()
            ),
            json!({}),
            "BAD_USER_INPUT",
        ),
        Case::new(
            "a fragment that spreads itself",
            "query { ...A } fragment A on Query { viewer { isSuperadmin } ...A }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        Case::new(
            "two fragments that spread each other",
            "query { ...A } fragment A on Query { viewer { isSuperadmin } ...B } fragment B on Query { ...A }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        Case::new(
            "a fragment cycle through a mutation",
            "mutation { ...A } fragment A on Mutation { createOrganization(input: { slug: \"cycle\", name: \"Cycle\" }) { id } ...B } fragment B on Mutation { ...A }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        Case::new("fragments fanning out 2^30 times", fragment_fan_out(30, 2), json!({}), "BAD_USER_INPUT"),
        Case::new("fragments fanning out 10^9 times", fragment_fan_out(9, 10), json!({}), "BAD_USER_INPUT"),
        Case::new(
            "1 000 directives on one field",
            format!("{{ viewer {} {{ isSuperadmin }} }}", "@include(if: true) ".repeat(1_000)),
            json!({}),
            "BAD_USER_INPUT",
        ),
        Case::new(
            "two anonymous operations",
            "{ viewer { isSuperadmin } } mutation { createOrganization(input: { slug: \"two\", name: \"Two\" }) { id } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        Case::new(
            "a subscription",
            "subscription { viewer { isSuperadmin } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        Case::new(
            "a variable of the wrong type smuggling an object",
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }",
            json!({ "input": { "slug": { "$ne": null }, "name": "Injected" } }),
            "BAD_USER_INPUT",
        ),
        Case::new(
            "an undeclared variable",
            "mutation { createOrganization(input: { slug: $slug, name: \"Undeclared\" }) { id } }",
            json!({ "slug": "undeclared" }),
            "BAD_USER_INPUT",
        ),
    ]
    .into_iter()
    .map(|case| case.token(&root))
    .collect();
    server.run_cases(cases).await;
}

/// Sends `body` to `/graphql` with `content_type`, as the root user, and answers the status and
/// the body as JSON if it is JSON.
async fn post_raw(server: &TestServer, token: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let response = server
        .http
        .post(format!("{}/graphql", server.url))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

const CREATE: &str = "mutation { createOrganization(input: { slug: \"smuggled\", name: \"Smuggled\" }) { id } }";

/// Bodies that are no acceptable GraphQL request. Each names the HTTP status it must get and,
/// where the answer is a GraphQL response, the code.
async fn hostile_bodies_are_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tenants = server.tenants().await;
    let create = json!({ "query": CREATE });
    let with_padding = |bytes: usize| {
        serde_json::to_vec(&json!({ "query": CREATE, "variables": { "padding": "x".repeat(bytes) } })).unwrap()
    };
    let mut invalid_utf8 = br#"{"query": "mutation { createOrganization(input: { slug: \"smuggled\", name: \"#.to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    invalid_utf8.extend_from_slice(br#"\" }) { id } }"}"#);
    let deep_variables = format!(
        r#"{{"query": "mutation($m: JSON) {{ updateMyProfile(input: {{ userMetadata: $m }}) {{ id }} }}", "variables": {{"m": {}}}}}"#,
        nested(10_000, r#"{"a": "#, "1", "}")
    );
    let cases: Vec<(&str, &str, Vec<u8>, u16, Option<&str>)> = vec![
        ("a 1 MB body", "application/json", with_padding(1024 * 1024), 413, None),
        ("a 300 KiB body", "application/json", with_padding(300 * 1024), 413, None),
        ("variables nested 10 000 levels", "application/json", deep_variables.into_bytes(), 400, Some("BAD_USER_INPUT")),
        ("a body that is no JSON", "application/json", b"mutation { createOrganization }".to_vec(), 400, Some("BAD_USER_INPUT")),
        ("a truncated JSON body", "application/json", br#"{"query": "mutation { createOrganization("#.to_vec(), 400, Some("BAD_USER_INPUT")),
        ("a JSON string body", "application/json", br#""mutation { createOrganization }""#.to_vec(), 400, Some("BAD_USER_INPUT")),
        ("a JSON null body", "application/json", b"null".to_vec(), 400, Some("BAD_USER_INPUT")),
        ("an empty body", "application/json", Vec::new(), 400, Some("BAD_USER_INPUT")),
        ("invalid UTF-8 in the body", "application/json", invalid_utf8, 400, Some("BAD_USER_INPUT")),
        (
            "a lone surrogate escape",
            "application/json",
            br#"{"query": "mutation { createOrganization(input: { slug: \"smuggled\", name: \"\ud800\" }) { id } }"}"#.to_vec(),
            400,
            Some("BAD_USER_INPUT"),
        ),
        (
            "a lone surrogate escape in a variable",
            "application/json",
            br#"{"query": "mutation($name: String!) { createOrganization(input: { slug: \"smuggled\", name: $name }) { id } }", "variables": {"name": "\udfff"}}"#.to_vec(),
            400,
            Some("BAD_USER_INPUT"),
        ),
        (
            "a batch of two mutations",
            "application/json",
            serde_json::to_vec(&json!([create, { "query": CREATE.replace("smuggled", "smuggled-too") }])).unwrap(),
            400,
            Some("BAD_USER_INPUT"),
        ),
        (
            "a batch of 1 000 queries",
            "application/json",
            serde_json::to_vec(&vec![json!({ "query": "{ viewer { isSuperadmin } }" }); 1_000]).unwrap(),
            400,
            Some("BAD_USER_INPUT"),
        ),
        ("a JSON body sent as text/plain", "text/plain", serde_json::to_vec(&create).unwrap(), 415, Some("BAD_USER_INPUT")),
        (
            "a form body",
            "application/x-www-form-urlencoded",
            format!("query={}", CREATE.replace(' ', "+")).into_bytes(),
            415,
            Some("BAD_USER_INPUT"),
        ),
        (
            "a multipart body",
            "multipart/form-data; boundary=XYZ",
            format!(
                "--XYZ\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{}\r\n--XYZ\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{}}\r\n--XYZ--\r\n",
                serde_json::to_string(&create).unwrap()
            )
            .into_bytes(),
            415,
            Some("BAD_USER_INPUT"),
        ),
        ("a JSON body sent as XML", "application/xml", serde_json::to_vec(&create).unwrap(), 415, Some("BAD_USER_INPUT")),
    ];
    let count = cases.len();
    let mut failures = Vec::new();
    for (name, content_type, body, status, code) in cases {
        let before = Snapshot::take(&server).await;
        let (got_status, got_body) = post_raw(&server, &tenants.root.access_token, content_type, body).await;
        let got_code = got_body["errors"][0]["extensions"]["code"].as_str();
        let changed = server.snapshot().await.changed_since(&before, &[]);
        if got_status != status || (code.is_some() && got_code != code) || !changed.is_empty() {
            println!("case {name}: FAILED");
            failures.push(format!(
                "case `{name}`: expected {status} {code:?}, got {got_status} {got_body}; changed: {changed:?}"
            ));
        } else {
            println!("case {name}: ok");
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A client that sends its body a byte at a time must not hold a connection and a request forever.
async fn a_slow_body_times_out(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.request_timeout_seconds = 2).await;
    let before = server.snapshot().await;
    let address = server.url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.expect("connect");
    let body = serde_json::to_vec(&json!({ "query": CREATE })).unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("send the head");
    let (mut reader, mut writer) = stream.into_split();
    // One byte every 200 ms: the whole body would take well over the timeout.
    let trickle = tokio::spawn(async move {
        for byte in body {
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        let mut buffer = [0u8; 1024];
        while !answer.windows(4).any(|window| window == b"\r\n\r\n") {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    trickle.abort();
    assert!(
        read.is_ok(),
        "the server still waited for the slow body after 30 seconds"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "case `a slow body`: answered {answer:?}"
    );
    steward_tests::cases::assert_unchanged(&server, &before, "a slow body", &[]).await;
}

backend_tests!(
    query_bombs_are_refused,
    hostile_bodies_are_refused,
    a_slow_body_times_out
);

/// Pages nested in pages: 200 members, each with their memberships, each with 200 members...
/// Complexity must count `first` times the cost of what each page selects.
mod nested_pages {
    use serde_json::json;
    use steward_tests::{Backend, Case, TestServer};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_nested_page_bomb_is_refused() {
        let server = TestServer::start(Backend::Sqlite).await;
        let tenants = server.tenants().await;
        let bomb = "query($id: ID!) { organization(id: $id) { members(first: 200) { edges { node { user { memberships { organization { members(first: 200) { edges { node { user { memberships { organization { members(first: 200) { totalCount } } } } } } } } } } } } } } }";
        server
            .run_cases(vec![Case::new(
                "members(first: 200) nested three times",
                bomb,
                json!({ "id": tenants.acme }),
                "BAD_USER_INPUT",
            )
            .token(&tenants.root.access_token)])
            .await;
    }
}
