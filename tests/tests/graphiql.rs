//! GraphiQL works offline: its page loads scripts from Steward only, and the introspection query
//! it sends on load passes the query limits.

use serde_json::json;
use steward_tests::{backend_tests, Backend, TestServer};

/// The shape of the introspection query GraphiQL sends: type references nest nine levels deep.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}
"#;

async fn the_introspection_query_passes_the_limits(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server.gql(None, INTROSPECTION, json!({})).await;
    assert_eq!(response.ok()["__schema"]["queryType"]["name"], "Query");
}

async fn graphiql_loads_nothing_from_other_hosts(backend: Backend) {
    let server = TestServer::start(backend).await;
    let page = server
        .http
        .get(format!("{}/graphiql", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/graphiql/graphiql.min.js"), "{html}");
    for attribute in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(
            !html.contains(attribute),
            "GraphiQL must not load from another host ({attribute})"
        );
    }
}

backend_tests!(
    the_introspection_query_passes_the_limits,
    graphiql_loads_nothing_from_other_hosts
);
