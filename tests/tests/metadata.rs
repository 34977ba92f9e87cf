//! Metadata documents — a user's `userMetadata` and `appMetadata`, a membership's and an
//! organization's `metadata` — are changed by JSON Merge Patch (RFC 7396), within the contract's
//! limits, and concurrent patches never lose each other's keys.

use futures::future::join_all;
use serde_json::{json, Value};
use steward_tests::{backend_tests, Backend, Gql, Session, TestServer};

#[derive(Clone, Copy, Debug)]
enum Document {
    User,
    App,
    Membership,
    Organization,
}

const DOCUMENTS: [Document; 4] = [
    Document::User,
    Document::App,
    Document::Membership,
    Document::Organization,
];

/// A server with an organization and one member whose documents the tests patch as superadmin.
struct Fixture {
    server: TestServer,
    root: Session,
    org: String,
    user: String,
}

impl Fixture {
    async fn start(backend: Backend) -> Self {
        let server = TestServer::start(backend).await;
        let root = server.superadmin().await;
        let org = server.create_org(&root, "acme").await;
        let user = server.create_user(&root, &org, "ada@example.com", &["MEMBER"]).await;
        Self {
            server,
            root,
            org,
            user,
        }
    }

    async fn patch(&self, document: Document, patch: Value) -> Gql {
        let (query, variables) = match document {
            Document::User => (
                "mutation($id: ID!, $patch: JSON) { updateUserMetadata(id: $id, userMetadata: $patch) { document: userMetadata } }",
                json!({ "id": self.user, "patch": patch }),
            ),
            Document::App => (
                "mutation($id: ID!, $patch: JSON) { updateUserMetadata(id: $id, appMetadata: $patch) { document: appMetadata } }",
                json!({ "id": self.user, "patch": patch }),
            ),
            Document::Membership => (
                "mutation($org: ID!, $id: ID!, $patch: JSON!) { updateMembershipMetadata(orgId: $org, userId: $id, metadata: $patch) { document: metadata } }",
                json!({ "org": self.org, "id": self.user, "patch": patch }),
            ),
            Document::Organization => (
                "mutation($org: ID!, $patch: JSON) { updateOrganization(id: $org, input: { metadata: $patch }) { document: metadata } }",
                json!({ "org": self.org, "patch": patch }),
            ),
        };
        self.server.as_(&self.root, query, variables).await
    }

    /// The stored document, read back.
    async fn read(&self, document: Document) -> Value {
        let (query, path): (&str, &[&str]) = match document {
            Document::User => (
                "query($id: ID!) { user(id: $id) { userMetadata } }",
                &["user", "userMetadata"],
            ),
            Document::App => (
                "query($id: ID!) { user(id: $id) { appMetadata } }",
                &["user", "appMetadata"],
            ),
            Document::Membership => (
                "query($id: ID!) { user(id: $id) { memberships { metadata } } }",
                &["user", "memberships", "0", "metadata"],
            ),
            Document::Organization => (
                "query($org: ID!) { organization(id: $org) { metadata } }",
                &["organization", "metadata"],
            ),
        };
        let variables = match document {
            Document::Organization => json!({ "org": self.org }),
            _ => json!({ "id": self.user }),
        };
        let response = self.server.as_(&self.root, query, variables).await;
        path.iter()
            .fold(response.ok(), |value, key| match key.parse::<usize>() {
                Ok(index) => &value[index],
                Err(_) => &value[key],
            })
            .clone()
    }

    /// The field an error about this document names.
    fn field(document: Document) -> &'static str {
        match document {
            Document::User => "userMetadata",
            Document::App => "appMetadata",
            Document::Membership | Document::Organization => "metadata",
        }
    }

    /// Asserts a patch is refused as bad input and leaves the stored document as it was.
    async fn assert_refused(&self, document: Document, patch: Value) {
        let before = self.read(document).await;
        let response = self.patch(document, patch.clone()).await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{document:?} accepted {patch:.200}");
        assert!(
            response.fields()[Self::field(document)].is_string(),
            "{document:?}: {:#?}",
            response.errors
        );
        assert_eq!(
            self.read(document).await,
            before,
            "{document:?} changed by a refused patch"
        );
    }
}

/// Applies patches one after another, checking the document the mutation returns and the one
/// stored after each.
async fn assert_merges(document: Document, backend: Backend) {
    let fixture = Fixture::start(backend).await;
    let steps = [
        (
            json!({ "team": { "name": "blue", "size": 3 }, "tags": ["a", "b"], "plan": "free" }),
            json!({ "team": { "name": "blue", "size": 3 }, "tags": ["a", "b"], "plan": "free" }),
        ),
        // Nested objects merge, null deletes, arrays are replaced whole.
        (
            json!({ "team": { "size": null, "lead": "ada" }, "tags": ["c"], "plan": null, "trial": true }),
            json!({ "team": { "name": "blue", "lead": "ada" }, "tags": ["c"], "trial": true }),
        ),
        // A value replaces an object, and an object a value.
        (
            json!({ "team": "none", "trial": { "days": 14 } }),
            json!({ "team": "none", "tags": ["c"], "trial": { "days": 14 } }),
        ),
        // Deleting what is not there, or patching nothing, changes nothing.
        (
            json!({ "absent": null }),
            json!({ "team": "none", "tags": ["c"], "trial": { "days": 14 } }),
        ),
        (
            json!({}),
            json!({ "team": "none", "tags": ["c"], "trial": { "days": 14 } }),
        ),
        // Inside an array null is a value, not a deletion.
        (
            json!({ "tags": [null, 1, { "x": null }] }),
            json!({ "team": "none", "tags": [null, 1, { "x": null }], "trial": { "days": 14 } }),
        ),
        // An empty object as a value is stored as one.
        (
            json!({ "team": { "nested": { "deeper": null } } }),
            json!({ "team": { "nested": {} }, "tags": [null, 1, { "x": null }], "trial": { "days": 14 } }),
        ),
    ];
    for (patch, expected) in steps {
        let response = fixture.patch(document, patch.clone()).await;
        let returned = response.ok().as_object().unwrap().values().next().unwrap()["document"].clone();
        assert_eq!(returned, expected, "{document:?} as returned after {patch}");
        assert_eq!(
            fixture.read(document).await,
            expected,
            "{document:?} as stored after {patch}"
        );
    }
}

async fn user_metadata_is_merge_patched(backend: Backend) {
    assert_merges(Document::User, backend).await;
}

async fn app_metadata_is_merge_patched(backend: Backend) {
    assert_merges(Document::App, backend).await;
}

async fn membership_metadata_is_merge_patched(backend: Backend) {
    assert_merges(Document::Membership, backend).await;
}

async fn organization_metadata_is_merge_patched(backend: Backend) {
    assert_merges(Document::Organization, backend).await;
}

async fn user_and_app_metadata_are_separate_documents(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    let both = "mutation($id: ID!, $user: JSON, $app: JSON) { updateUserMetadata(id: $id, userMetadata: $user, appMetadata: $app) { userMetadata appMetadata } }";
    let variables = json!({ "id": fixture.user, "user": { "theme": "dark" }, "app": { "plan": "pro" } });
    fixture.server.as_(&fixture.root, both, variables).await.ok();
    let variables = json!({ "id": fixture.user, "app": { "seats": 5 } });
    let response = fixture.server.as_(&fixture.root, both, variables).await;
    assert_eq!(
        response.ok()["updateUserMetadata"],
        json!({ "userMetadata": { "theme": "dark" }, "appMetadata": { "plan": "pro", "seats": 5 } })
    );
}

async fn documents_over_16_kib_are_refused(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    for document in DOCUMENTS {
        // `{"big":"…"}` is the string plus 10 bytes: exactly 16 KiB is allowed.
        fixture
            .patch(document, json!({ "big": "x".repeat(16 * 1024 - 10) }))
            .await
            .ok();
        fixture.assert_refused(document, json!({ "more": 1 })).await;
        fixture.patch(document, json!({ "big": null, "keep": "me" })).await.ok();
        fixture
            .assert_refused(document, json!({ "big": "x".repeat(16 * 1024) }))
            .await;
        // Patches small on their own are refused when the document they make is too big.
        fixture.patch(document, json!({ "a": "x".repeat(9000) })).await.ok();
        fixture.assert_refused(document, json!({ "b": "x".repeat(9000) })).await;
    }
}

async fn keys_must_be_1_to_255_characters_without_dots(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    let mut too_long = serde_json::Map::new();
    too_long.insert("k".repeat(256), json!(1));
    let mut longest = serde_json::Map::new();
    longest.insert("k".repeat(255), json!(1));
    for document in DOCUMENTS {
        fixture.patch(document, json!({ "keep": "me" })).await.ok();
        for patch in [
            json!({ "a.b": 1 }),
            json!({ "": 1 }),
            json!({ "nested": { "x.y": 1 } }),
            json!({ "nested": { "": 1 } }),
            json!({ "list": [{ "a.b": 1 }] }),
            json!({ "ok": 1, "not.ok": 2 }),
            Value::Object(too_long.clone()),
        ] {
            fixture.assert_refused(document, patch).await;
        }
        fixture.patch(document, Value::Object(longest.clone())).await.ok();
    }
}

async fn a_patch_must_be_an_object(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    for document in DOCUMENTS {
        fixture.patch(document, json!({ "keep": "me" })).await.ok();
        for patch in [json!([1, 2]), json!("text"), json!(42), json!(true)] {
            fixture.assert_refused(document, patch).await;
        }
    }
}

async fn creation_applies_the_same_limits(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    let (server, root) = (&fixture.server, &fixture.root);
    let create_user = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
    for (field, value) in [
        ("userMetadata", json!({ "a.b": 1 })),
        ("appMetadata", json!([1])),
        ("userMetadata", json!({ "": 1 })),
    ] {
        let mut input = json!({ "orgId": fixture.org, "email": "new@example.com" });
        input[field] = value;
        server
            .as_(root, create_user, json!({ "input": input }))
            .await
            .expect_invalid(field);
    }
    let create_org = "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }";
    let input = json!({ "slug": "globex", "name": "Globex", "metadata": { "big": "x".repeat(16 * 1024) } });
    server
        .as_(root, create_org, json!({ "input": input }))
        .await
        .expect_invalid("metadata");
    let count = server
        .as_(root, "{ organizations { totalCount } users { totalCount } }", json!({}))
        .await;
    assert_eq!(count.ok()["organizations"]["totalCount"], 1);
    assert_eq!(
        count.ok()["users"]["totalCount"],
        2,
        "the superadmin and the fixture's member only"
    );
}

async fn concurrent_user_metadata_updates_never_lose_keys(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    let patches = (0..20).map(|n| fixture.patch(Document::User, json!({ format!("key{n}"): n })));
    for response in join_all(patches).await {
        response.ok();
    }
    let expected: serde_json::Map<String, Value> = (0..20).map(|n| (format!("key{n}"), json!(n))).collect();
    assert_eq!(fixture.read(Document::User).await, Value::Object(expected));
}

async fn concurrent_membership_and_organization_updates_never_lose_keys(backend: Backend) {
    let fixture = Fixture::start(backend).await;
    let patches = (0..20).map(|n| {
        let document = if n % 2 == 0 {
            Document::Membership
        } else {
            Document::Organization
        };
        fixture.patch(document, json!({ format!("key{n}"): n }))
    });
    for response in join_all(patches).await {
        response.ok();
    }
    for (document, parity) in [(Document::Membership, 0), (Document::Organization, 1)] {
        let expected: serde_json::Map<String, Value> = (0..20)
            .filter(|n| n % 2 == parity)
            .map(|n| (format!("key{n}"), json!(n)))
            .collect();
        assert_eq!(fixture.read(document).await, Value::Object(expected), "{document:?}");
    }
}

backend_tests!(
    user_metadata_is_merge_patched,
    app_metadata_is_merge_patched,
    membership_metadata_is_merge_patched,
    organization_metadata_is_merge_patched,
    user_and_app_metadata_are_separate_documents,
    documents_over_16_kib_are_refused,
    keys_must_be_1_to_255_characters_without_dots,
    a_patch_must_be_an_object,
    creation_applies_the_same_limits,
    concurrent_user_metadata_updates_never_lose_keys,
    concurrent_membership_and_organization_updates_never_lose_keys,
);
