//! Talking GraphQL to the test server, as a partner app or the portal would.

use serde_json::{json, Value};

use crate::TestServer;

/// A GraphQL response.
#[derive(Debug)]
pub struct Gql {
    pub data: Value,
    pub errors: Vec<Value>,
    pub set_cookie: Vec<String>,
}

impl Gql {
    /// The data, after checking there were no errors.
    pub fn ok(&self) -> &Value {
        assert!(self.errors.is_empty(), "unexpected errors: {:#?}", self.errors);
        &self.data
    }

    /// The `extensions.code` of the first error.
    pub fn code(&self) -> &str {
        self.errors
            .first()
            .and_then(|error| error["extensions"]["code"].as_str())
            .unwrap_or_else(|| panic!("expected an error, got data {:#}", self.data))
    }

    /// Asserts the first error has this code.
    pub fn expect_code(&self, code: &str) -> &Self {
        assert_eq!(self.code(), code, "errors: {:#?}", self.errors);
        self
    }

    pub fn first_error(&self) -> &Value {
        &self.errors[0]
    }

    /// The `extensions.fields` of the first error: each refused input field with its message.
    pub fn fields(&self) -> &Value {
        &self.first_error()["extensions"]["fields"]
    }

    /// Asserts the first error is `BAD_USER_INPUT` naming `field` among the refused fields.
    pub fn expect_invalid(&self, field: &str) -> &Self {
        self.expect_code("BAD_USER_INPUT");
        assert!(
            self.fields()[field].is_string(),
            "expected `{field}` among the refused fields: {:#?}",
            self.errors
        );
        self
    }
}

/// Every node of a connection, paged to its end, and the `totalCount` every page reported.
#[derive(Debug)]
pub struct Pages {
    pub nodes: Vec<Value>,
    pub total_count: i64,
    pub pages: usize,
}

/// A signed-in client.
#[derive(Clone, Debug)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub user_id: String,
    pub email: String,
}

pub const PASSWORD: &str = "Correct-Horse-Battery-9";

/// The password [`TestServer::sign_in_new_user`] changes to.
pub const CHANGED_PASSWORD: &str = "Correct-Horse-Battery-9-changed";

impl TestServer {
    /// Sends one GraphQL request, with a bearer token when given.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Gql {
        self.gql_from(None, token, query, variables).await
    }

    /// As `gql`, from client IP `ip` as a reverse proxy would say (`X-Forwarded-For`); the
    /// server must trust the loopback address as a proxy (`trusted_proxies`).
    pub async fn gql_from(&self, ip: Option<&str>, token: Option<&str>, query: &str, variables: Value) -> Gql {
        let authorization = token.map(|token| format!("Bearer {token}"));
        self.send_graphql(ip, authorization.as_deref(), query, variables).await
    }

    /// Sends one GraphQL request with this `Authorization` header, verbatim, when given.
    pub async fn gql_authorized(&self, authorization: Option<&str>, query: &str, variables: Value) -> Gql {
        self.send_graphql(None, authorization, query, variables).await
    }

    async fn send_graphql(&self, ip: Option<&str>, authorization: Option<&str>, query: &str, variables: Value) -> Gql {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(ip) = ip {
            request = request.header("x-forwarded-for", ip);
        }
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        let response = request.send().await.expect("request");
        let set_cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|value| value.to_str().ok().map(str::to_owned))
            .collect();
        let body: Value = response.json().await.expect("JSON body");
        Gql {
            data: body.get("data").cloned().unwrap_or(Value::Null),
            errors: body
                .get("errors")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            set_cookie,
        }
    }

    /// As `gql`, for a signed-in session.
    pub async fn as_(&self, session: &Session, query: &str, variables: Value) -> Gql {
        self.gql(Some(&session.access_token), query, variables).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Gql {
        self.login_to(email, password, None).await
    }

    /// Signs in, bound to the organization `org_slug` when given.
    pub async fn login_to(&self, email: &str, password: &str, org_slug: Option<&str>) -> Gql {
        self.login_from(None, email, password, org_slug).await
    }

    /// As `login_to`, from client IP `ip` (see [`TestServer::gql_from`]).
    pub async fn login_from(&self, ip: Option<&str>, email: &str, password: &str, org_slug: Option<&str>) -> Gql {
        self.gql_from(
            ip,
            None,
            "mutation($email: String!, $password: String!, $org: String) { login(email: $email, password: $password, orgSlug: $org) { accessToken refreshToken expiresIn passwordChangeRequired user { id email } } }",
            json!({ "email": email, "password": password, "org": org_slug }),
        )
        .await
    }

    /// Signs in and returns the session, failing the test on any error.
    pub async fn sign_in(&self, email: &str, password: &str) -> Session {
        self.sign_in_to(email, password, None).await
    }

    /// As `sign_in`, bound to the organization `org_slug` when given.
    pub async fn sign_in_to(&self, email: &str, password: &str, org_slug: Option<&str>) -> Session {
        let response = self.login_to(email, password, org_slug).await;
        let login = &response.ok()["login"];
        Session {
            access_token: login["accessToken"].as_str().expect("access token").to_owned(),
            refresh_token: login["refreshToken"].as_str().expect("refresh token").to_owned(),
            user_id: login["user"]["id"].as_str().expect("user id").to_owned(),
            email: email.to_owned(),
        }
    }

    /// A superadmin, created from the command line's code path, signed in.
    pub async fn superadmin(&self) -> Session {
        self.superadmin_named("root@example.com").await
    }

    pub async fn superadmin_named(&self, email: &str) -> Session {
        let caller = steward_server::domain::authz::CommandLine::new(self.state.clone());
        steward_server::domain::setup::create_admin(&caller.operator(), email, Some(PASSWORD))
            .await
            .expect("create admin");
        self.sign_in(email, PASSWORD).await
    }

    /// Creates an organization as `admin` and returns its id. It claims the email domain
    /// `<slug>.test`, so that its admins may create accounts there.
    pub async fn create_org(&self, admin: &Session, slug: &str) -> String {
        let response = self
            .as_(
                admin,
                "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }",
                json!({ "input": { "slug": slug, "name": format!("Org {slug}"), "domains": [format!("{slug}.test")] } }),
            )
            .await;
        response.ok()["createOrganization"]["id"]
            .as_str()
            .expect("org id")
            .to_owned()
    }

    /// An access token for an API client, from the client-credentials grant at `/oauth/token`.
    pub async fn client_token(&self, client_id: &str, secret: &str) -> String {
        let response = self
            .http
            .post(format!("{}/oauth/token", self.url))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token request");
        let body: Value = response.json().await.expect("a JSON token response");
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    /// Makes `domains` the email domains `org_id` claims (as the superadmin `root`), so that its
    /// admins may create accounts there.
    pub async fn claim_domains(&self, root: &Session, org_id: &str, domains: &[&str]) {
        self.as_(
            root,
            "mutation($id: ID!, $domains: [String!]!) { setOrganizationDomains(id: $id, domains: $domains) { id } }",
            json!({ "id": org_id, "domains": domains }),
        )
        .await
        .ok();
    }

    /// Creates a user in `org_id` with `roles` and a known password; returns the user's id.
    pub async fn create_user(&self, admin: &Session, org_id: &str, email: &str, roles: &[&str]) -> String {
        let response = self
            .as_(
                admin,
                "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
                json!({ "input": { "orgId": org_id, "email": email, "roles": roles, "password": PASSWORD, "name": email } }),
            )
            .await;
        response.ok()["createUser"]["id"].as_str().expect("user id").to_owned()
    }

    /// Makes an existing user a member of another organization too (a shared user), as `admin`.
    pub async fn add_member(&self, admin: &Session, org_id: &str, user_id: &str) {
        self.as_(
            admin,
            "mutation($org: ID!, $user: ID!) { addMember(orgId: $org, userId: $user) { roles } }",
            json!({ "org": org_id, "user": user_id }),
        )
        .await
        .ok();
    }

    /// A user created with a password must change it first; this does so and returns a session
    /// that may do everything.
    pub async fn sign_in_new_user(&self, email: &str) -> Session {
        let first = self.sign_in(email, PASSWORD).await;
        let changed = self
            .as_(
                &first,
                "mutation($current: String!, $new: String!) { changeMyPassword(currentPassword: $current, newPassword: $new) }",
                json!({ "current": PASSWORD, "new": CHANGED_PASSWORD }),
            )
            .await;
        changed.ok();
        first
    }

    /// Sets an organization's lockout policy as `admin`.
    pub async fn set_lockout(&self, admin: &Session, org_id: &str, max: i32, seconds: i32) {
        let policy = "mutation($id: ID!, $max: Int!, $seconds: Int!) { updateOrganization(id: $id, input: { settings: { lockout: { maxFailedAttempts: $max, lockoutSeconds: $seconds } } }) { id } }";
        self.as_(admin, policy, json!({ "id": org_id, "max": max, "seconds": seconds }))
            .await
            .ok();
    }

    /// Creates a user in an org with roles, and signs them in with a full session.
    pub async fn member(&self, admin: &Session, org_id: &str, email: &str, roles: &[&str]) -> Session {
        self.create_user(admin, org_id, email, roles).await;
        self.sign_in_new_user(email).await
    }
}

impl TestServer {
    /// Pages through a connection `first` at a time to its end. `query` declares `$first: Int!`
    /// and `$after: String` besides `variables`; `path` leads from `data` to the connection,
    /// which selects `totalCount`, `pageInfo { hasNextPage endCursor }` and `edges { cursor node }`.
    /// Checks on the way that every page but the last is full, that `endCursor` names the last
    /// edge, and that every page reports the same `totalCount`.
    pub async fn all_pages(
        &self,
        session: &Session,
        query: &str,
        variables: Value,
        path: &[&str],
        first: usize,
    ) -> Pages {
        let mut nodes = Vec::new();
        let mut total_count = None;
        let mut after: Option<String> = None;
        for pages in 1..=1000 {
            let mut page_variables = variables.clone();
            page_variables["first"] = json!(first);
            page_variables["after"] = json!(after);
            let response = self.as_(session, query, page_variables).await;
            let connection = path.iter().fold(response.ok(), |value, key| &value[key]);
            let edges = connection["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("no edges in {connection:#}"));
            let count = connection["totalCount"].as_i64().expect("totalCount");
            assert_eq!(
                *total_count.get_or_insert(count),
                count,
                "totalCount changed between pages"
            );
            let has_next_page = connection["pageInfo"]["hasNextPage"].as_bool().expect("hasNextPage");
            if has_next_page {
                assert_eq!(edges.len(), first, "a page before the last one is short");
            }
            assert!(edges.len() <= first, "a page is longer than asked for");
            if let Some(last) = edges.last() {
                assert_eq!(
                    connection["pageInfo"]["endCursor"], last["cursor"],
                    "endCursor names the last edge"
                );
            }
            nodes.extend(edges.iter().map(|edge| edge["node"].clone()));
            if !has_next_page {
                return Pages {
                    nodes,
                    total_count: total_count.unwrap_or(0),
                    pages,
                };
            }
            after = Some(
                connection["pageInfo"]["endCursor"]
                    .as_str()
                    .expect("endCursor")
                    .to_owned(),
            );
        }
        panic!("the connection never ended");
    }

    /// Sets a user's `emailVerified` in the database: the verification mail that sets it comes
    /// with the mail capability, and these suites need both states now.
    pub async fn set_email_verified(&self, user_id: &str, verified: bool) {
        use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
        use steward_entity::{user, UserId};
        let id: UserId = user_id.parse().expect("a user id");
        user::Entity::update_many()
            .col_expr(user::Column::EmailVerified, Expr::value(verified))
            .filter(user::Column::Id.eq(id))
            .exec(self.database())
            .await
            .expect("set emailVerified");
    }
}
