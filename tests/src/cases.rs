//! Tables of named hostile requests: each is sent, its answer checked, and the database compared
//! with a [`Snapshot`] taken just before, so a refusal that still wrote something fails.

use serde_json::Value;

use crate::snapshot::Snapshot;
use crate::{Gql, Session, TestServer};

type DataCheck = Box<dyn Fn(&Value) -> Result<(), String> + Send + Sync>;

enum Expect {
    /// The first error has this `extensions.code`.
    Code(&'static str),
    /// No error, and the data passes the check.
    Data(DataCheck),
}

/// One named GraphQL request and the answer it must get.
pub struct Case {
    name: String,
    authorization: Option<String>,
    query: String,
    variables: Value,
    expect: Expect,
    may_change: &'static [&'static str],
}

impl Case {
    /// A request that must fail with `code` and change nothing.
    pub fn new(name: impl Into<String>, query: impl Into<String>, variables: Value, code: &'static str) -> Self {
        Self {
            name: name.into(),
            authorization: None,
            query: query.into(),
            variables,
            expect: Expect::Code(code),
            may_change: &[],
        }
    }

    /// A request that must succeed, change nothing, and answer data that passes `check`.
    pub fn answers(
        name: impl Into<String>,
        query: impl Into<String>,
        variables: Value,
        check: impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            expect: Expect::Data(Box::new(check)),
            ..Self::new(name, query, variables, "")
        }
    }

    /// Sent with this bearer token.
    pub fn token(mut self, token: impl std::fmt::Display) -> Self {
        self.authorization = Some(format!("Bearer {token}"));
        self
    }

    /// Sent with this `Authorization` header, verbatim.
    pub fn authorization(mut self, value: impl Into<String>) -> Self {
        self.authorization = Some(value.into());
        self
    }

    /// Tables the request may write to even when refused (a failed sign-in's traces).
    pub fn may_change(mut self, tables: &'static [&'static str]) -> Self {
        self.may_change = tables;
        self
    }

    fn judge(&self, response: &Gql) -> Result<(), String> {
        if let Some(internal) = response
            .errors
            .iter()
            .find(|error| error["extensions"]["code"] == "INTERNAL")
        {
            return Err(format!("an INTERNAL error: {internal}"));
        }
        match &self.expect {
            Expect::Code(code) => match response.errors.first() {
                None => Err(format!("expected {code}, got data {}", response.data)),
                Some(error) if error["extensions"]["code"] != *code => {
                    Err(format!("expected {code}, got {:?}", response.errors))
                }
                Some(_) => Ok(()),
            },
            Expect::Data(check) if response.errors.is_empty() => check(&response.data),
            Expect::Data(_) => Err(format!("unexpected errors {:?}", response.errors)),
        }
    }
}

impl TestServer {
    /// Runs every case, each against a snapshot taken just before it, and fails naming every case
    /// that did not hold. Returns how many ran.
    pub async fn run_cases(&self, cases: Vec<Case>) -> usize {
        let mut failures = Vec::new();
        for case in &cases {
            let before = self.snapshot().await;
            let response = self
                .gql_authorized(case.authorization.as_deref(), &case.query, case.variables.clone())
                .await;
            let mut verdict = case.judge(&response);
            if verdict.is_ok() {
                let changed = self.snapshot().await.changed_since(&before, case.may_change);
                if !changed.is_empty() {
                    verdict = Err(format!("the database changed: {}", changed.join("; ")));
                }
            }
            match verdict {
                Ok(()) => println!("case {}: ok", case.name),
                Err(why) => {
                    println!("case {}: FAILED", case.name);
                    failures.push(format!("case `{}`: {why}", case.name));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} cases failed:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
        cases.len()
    }
}

/// Whether a snapshot now equals `before`, for cases checked by hand; names what changed.
pub async fn assert_unchanged(server: &TestServer, before: &Snapshot, case: &str, except: &[&str]) {
    let changed = server.snapshot().await.changed_since(before, except);
    assert!(changed.is_empty(), "case `{case}`: the database changed: {changed:#?}");
}

/// Two tenants: `acme` with an ADMIN and a MEMBER, `other` with a MEMBER, and a superadmin; every
/// session full (passwords changed).
pub struct Tenants {
    pub root: Session,
    pub acme: String,
    pub admin: Session,
    pub user: Session,
    pub other: String,
    pub outsider: Session,
}

impl TestServer {
    pub async fn tenants(&self) -> Tenants {
        let root = self.superadmin().await;
        let acme = self.create_org(&root, "acme").await;
        let other = self.create_org(&root, "other").await;
        let admin = self.member(&root, &acme, "admin@acme.test", &["ADMIN"]).await;
        let user = self.member(&root, &acme, "user@acme.test", &["MEMBER"]).await;
        let outsider = self.member(&root, &other, "outsider@other.test", &["MEMBER"]).await;
        Tenants {
            root,
            acme,
            admin,
            user,
            other,
            outsider,
        }
    }
}
