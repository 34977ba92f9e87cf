//! Tenant isolation, as a matrix generated from the schema: every operation and every field,
//! asked by every kind of caller (anonymous, each role of the home organization, superadmins
//! bound and unbound, a suspended and a blocked user, an API client per scope), of every kind of
//! target (own, foreign, shared, an ADMIN, a superadmin, and things that do not exist).
//!
//! The expected answers come from one table (`table.rs`) of the contract's rules (`rules.rs`):
//! allowed calls must succeed; refused ones must answer the contracted code and change nothing,
//! which a snapshot of every table before and after proves; and no answer may name a person or
//! an organization the caller cannot see. The schema is read by introspection, so an operation
//! or field that the table does not cover fails the suite.

mod cases;
mod judge;
mod parties;
mod rules;
mod run;
mod schema;
mod table;
mod world;

use std::collections::BTreeMap;
use std::time::Instant;

use schema::{Coverage, Schema};
use steward_tests::{Backend, TestServer};

/// Runs each named `async fn name(backend: Backend)` on SQLite and PostgreSQL: what the
/// matrix checks is the server's, and two backends keep it quick.
macro_rules! sqlite_and_postgres_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(steward_tests::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(steward_tests::Backend::Postgres).await
                }
            )*
        }
    };
}

/// The table names every operation and every field of every object type the server serves,
/// and some case selects each of them.
async fn the_table_names_every_operation_and_field(backend: Backend) {
    let server = TestServer::start(backend).await;
    let schema = Schema::introspect(&server).await;
    let mut coverage = Coverage::new();
    cases::plan(&schema, &mut coverage);
    let gaps = schema.gaps(&coverage);
    assert!(
        gaps.is_empty(),
        "the tenant-isolation table does not cover the schema:\n{}",
        gaps.join("\n")
    );
}

/// Fields that some roles may not read are nullable (API.md, "Decisions"): a caller without
/// the right reads `null` there, with one `FORBIDDEN` error, and the rest of the object survives.
async fn role_gated_fields_are_nullable(backend: Backend) {
    let server = TestServer::start(backend).await;
    let non_null = Schema::introspect(&server).await.non_null_withheld();
    assert!(
        non_null.is_empty(),
        "role-gated fields declared non-null: {}",
        non_null.join(", ")
    );
}

/// Every caller gets exactly what the rules allow, on every target, and a refusal changes
/// nothing.
async fn every_caller_gets_exactly_what_the_rules_allow(backend: Backend) {
    let started = Instant::now();
    let world = world::World::build(backend).await;
    let built = started.elapsed();
    let schema = Schema::introspect(&world.server).await;
    let mut cases = cases::plan(&schema, &mut Coverage::new());
    cases.extend(cases::sign_in_cases(&world));
    let report = run::run(&world, cases).await;
    let leaks = report
        .failures
        .iter()
        .filter(|failure| failure.kind == judge::Kind::Leak)
        .count();
    println!(
        "tenant isolation on {backend:?}: {} cases, {leaks} leaks, {} failures; {:.1} s (the world {:.1} s)",
        report.cases,
        report.failures.len(),
        started.elapsed().as_secs_f64(),
        built.as_secs_f64()
    );
    let mut grouped: BTreeMap<judge::Kind, Vec<String>> = BTreeMap::new();
    for failure in &report.failures {
        grouped
            .entry(failure.kind)
            .or_default()
            .push(format!("  {}: {}", failure.label, shortened(&failure.why)));
    }
    let text: Vec<String> = grouped
        .iter()
        .map(|(kind, lines)| format!("{kind} ({}):\n{}", lines.len(), lines.join("\n")))
        .collect();
    assert!(
        report.failures.is_empty(),
        "{} of {} cases failed:\n{}",
        report.failures.len(),
        report.cases,
        text.join("\n")
    );
}

/// A failure's explanation, cut to a readable length.
fn shortened(why: &str) -> String {
    const MOST: usize = 600;
    match why.char_indices().nth(MOST) {
        Some((end, _)) => format!("{}…", &why[..end]),
        None => why.to_owned(),
    }
}

sqlite_and_postgres_tests!(
    the_table_names_every_operation_and_field,
    role_gated_fields_are_nullable,
    every_caller_gets_exactly_what_the_rules_allow,
);
