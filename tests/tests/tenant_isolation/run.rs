//! Running the cases against one world: refused calls and reads between snapshots of every table,
//! then allowed changes on fresh targets, then sign-ins; and comparing what lies out of reach with
//! what does not exist.

use serde_json::{json, Value};
use std::collections::HashMap;

use crate::cases::{uses, Case, Expect, Phase, VARIABLES};
use crate::judge::{codes, fail, judge, Kind, Verdict};
use crate::parties::{Caller, Target, CALLERS};
use crate::world::World;
use steward_tests::Gql;

/// A case that did not get the answer the rules promise.
pub struct Failure {
    pub kind: Kind,
    pub label: String,
    pub why: String,
}

/// How many cases ran, and which failed.
pub struct Report {
    pub cases: usize,
    pub failures: Vec<Failure>,
}

/// Runs every case. The quiet ones run first, a bracket at a time (the cases of one query row or
/// field, or every mutation row that may share a request) between two snapshots of every table;
/// when a bracket changed the database, it runs again one case at a time between snapshots, to
/// name the case that changed it. One caller's cases of a bracket share requests, each case
/// under an alias of its own: a request's authentication is most of its cost.
pub async fn run(world: &World, mut cases: Vec<Case>) -> Report {
    cases.sort_by_key(|case| (case.phase, case.document.contains("logout")));
    let mut failures = Vec::new();
    let mut answers: HashMap<(usize, Caller, Target), String> = HashMap::new();
    let (quiet, loud) = cases.split_at(cases.iter().filter(|case| case.phase == Phase::Quiet).count());
    for bracket in quiet.chunk_by(|one, next| bracket(one) == bracket(next)) {
        let before = world.server.snapshot().await;
        let mut by_caller: Vec<&Case> = bracket.iter().collect();
        by_caller.sort_by_key(|case| CALLERS.iter().position(|caller| *caller == case.caller));
        // Cases per request: fewer once the server refused a request as too costly.
        let mut size = 64;
        for together in by_caller.chunk_by(|one, next| one.caller == next.caller) {
            for chunk in together.chunks(size) {
                let variables = chunk
                    .iter()
                    .map(|case| world.variables(case.target, case.caller).expect("a target"))
                    .collect();
                let (verdicts, taken) = send_together(world, chunk, variables).await;
                size = size.min(taken);
                for (case, (verdict, signature)) in chunk.iter().zip(verdicts) {
                    if let Some(row) = case.row {
                        answers.insert((row, case.caller, case.target), signature);
                    }
                    failures.extend(failure(case, verdict));
                }
            }
        }
        let changed = world.server.snapshot().await.changed_since(&before, bracket[0].traces);
        if !changed.is_empty() {
            failures.extend(blame(world, bracket, changed).await);
        }
    }
    let wanted: Vec<(Target, Caller, bool)> = loud
        .iter()
        .filter_map(|case| case.fresh.map(|destroys| (case.target, case.caller, destroys)))
        .collect();
    let mut fresh = world.fresh(&wanted).await.into_iter();
    let prepared: Vec<(&Case, Value)> = loud
        .iter()
        .map(|case| {
            let variables = match (&case.variables, case.fresh) {
                (Some(variables), _) => variables.clone(),
                (None, Some(_)) => fresh.next().expect("a fresh target"),
                (None, None) => world.variables(case.target, case.caller).expect("a target"),
            };
            (case, variables)
        })
        .collect();
    let together = |(one, _): &(&Case, Value), (next, _): &(&Case, Value)| {
        one.phase == Phase::Changes && one.document == next.document && one.caller == next.caller
    };
    for chunk in prepared.chunk_by(together) {
        let (chunk, variables): (Vec<&Case>, Vec<Value>) = chunk.iter().cloned().unzip();
        for (case, (verdict, _)) in chunk.iter().zip(send_together(world, &chunk, variables).await.0) {
            failures.extend(failure(case, verdict));
        }
    }
    failures.extend(unlike_ghosts(quiet, &answers));
    Report {
        cases: cases.len(),
        failures,
    }
}

/// Whether a case may share a request with others: it has a field of its own, and checks no
/// password (a request may hold only one such check).
fn may_share(case: &Case) -> bool {
    case.field.is_some() && !case.checks_password
}

/// Which quiet cases share a pair of snapshots: every mutation that may share a request, or the
/// cases of one document.
fn bracket(case: &Case) -> &str {
    match &case.field {
        Some(("mutation", _)) if may_share(case) => "mutation",
        _ => &case.document,
    }
}

/// Runs a group that changed the database again, a case at a time, and names each case that
/// changes it; the group's first change is reported in any case.
async fn blame(world: &World, group: &[Case], changed: Vec<String>) -> Vec<Failure> {
    let mut failures = Vec::new();
    for case in group {
        let before = world.server.snapshot().await;
        let _replayed = send(world, case).await;
        let changed = world.server.snapshot().await.changed_since(&before, case.traces);
        if !changed.is_empty() {
            failures.extend(failure(
                case,
                fail(Kind::Leak, format!("the database changed: {}", changed.join("; "))),
            ));
        }
    }
    failures.push(Failure {
        kind: Kind::Leak,
        label: format!("{} cases run between the same two snapshots", group.len()),
        why: format!(
            "calls that must change nothing changed the database: {}",
            changed.join("; ")
        ),
    });
    failures
}

fn failure(case: &Case, verdict: Verdict) -> Option<Failure> {
    verdict.err().map(|(kind, why)| Failure {
        kind,
        label: case.label.clone(),
        why,
    })
}

/// Sends one case and judges its answer; returns the verdict and the answer's signature (its
/// error codes, and whether it is null).
async fn send(world: &World, case: &Case) -> (Verdict, String) {
    send_with(world, case, None).await
}

/// As `send`, aimed at a fresh target when given.
async fn send_with(world: &World, case: &Case, fresh: Option<Value>) -> (Verdict, String) {
    let variables = match (&case.variables, fresh) {
        (Some(variables), _) => variables.clone(),
        (None, Some(fresh)) => fresh,
        (None, None) => world.variables(case.target, case.caller).expect("a target"),
    };
    let document = case.document.replace("{n}", &world.next().to_string());
    let authorization = world.authorization(case.caller).filter(|_| !case.tokenless);
    let response = world
        .server
        .gql_authorized(authorization, &document, variables.clone())
        .await;
    conclude(world, case, &document, &variables, &response)
}

/// Sends one caller's cases as one request, each case's field under an alias of its own, and
/// judges each case on its part of the answer. A request the server refuses whole (its cost) is
/// sent again in two halves. Also answers how many cases the server takes in one request, as far
/// as this call learned (`usize::MAX`: no limit met).
async fn send_together(world: &World, cases: &[&Case], variables: Vec<Value>) -> (Vec<(Verdict, String)>, usize) {
    let shared = cases.len() > 1 && cases.iter().all(|case| may_share(case));
    let Some((kind, _)) = cases[0].field.as_ref().filter(|_| shared) else {
        return (one_at_a_time(world, cases, variables).await, usize::MAX);
    };
    let mut declarations = Vec::new();
    let mut fields = Vec::new();
    let mut values = serde_json::Map::new();
    for (index, (case, own)) in cases.iter().zip(&variables).enumerate() {
        let (_, field) = case.field.as_ref().expect("a field of its own");
        let mut field = field.replace("{n}", &world.next().to_string());
        for (name, kind) in VARIABLES {
            if uses(&field, name) {
                let renamed = format!("{name}_{index}");
                field = rename(&field, name, &renamed);
                declarations.push(format!("${renamed}: {kind}"));
                values.insert(renamed, own[name].clone());
            }
        }
        fields.push(format!("case_{index}: {field}"));
    }
    let declared = match declarations.is_empty() {
        true => String::new(),
        false => format!("({})", declarations.join(", ")),
    };
    let document = format!("{kind}{declared} {{ {} }}", fields.join(" "));
    let authorization = world.authorization(cases[0].caller);
    let response = world
        .server
        .gql_authorized(authorization, &document, Value::Object(values))
        .await;
    if response.errors.iter().any(|error| error["path"].is_null()) {
        let half = cases.len() / 2;
        let mut rest = variables;
        let second = rest.split_off(half);
        let (mut verdicts, first_taken) = Box::pin(send_together(world, &cases[..half], rest)).await;
        let (more, second_taken) = Box::pin(send_together(world, &cases[half..], second)).await;
        verdicts.extend(more);
        return (verdicts, first_taken.min(second_taken).min(half.max(1)));
    }
    let mut verdicts = Vec::new();
    for (index, (case, own)) in cases.iter().zip(&variables).enumerate() {
        let alias = format!("case_{index}");
        let errors = response
            .errors
            .iter()
            .filter(|error| error["path"][0] == alias.as_str())
            .map(|error| {
                let mut error = error.clone();
                error["path"][0] = json!(case.root);
                error
            })
            .collect();
        let part = Gql {
            data: json!({ &case.root: response.data[&alias] }),
            errors,
            set_cookie: Vec::new(),
        };
        verdicts.push(conclude(world, case, &document, own, &part));
    }
    (verdicts, usize::MAX)
}

async fn one_at_a_time(world: &World, cases: &[&Case], variables: Vec<Value>) -> Vec<(Verdict, String)> {
    let mut verdicts = Vec::new();
    for (case, variables) in cases.iter().zip(variables) {
        verdicts.push(send_with(world, case, Some(variables)).await);
    }
    verdicts
}

/// `text` with the variable `$name` renamed `$renamed`.
fn rename(text: &str, name: &str, renamed: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    let pattern = format!("${name}");
    while let Some(at) = rest.find(&pattern) {
        let after = &rest[at + pattern.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
            out.push_str(&pattern);
        } else {
            out.push('$');
            out.push_str(renamed);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Judges one case's answer: its shape, and that it names nothing the caller may not see.
fn conclude(world: &World, case: &Case, document: &str, variables: &Value, response: &Gql) -> (Verdict, String) {
    if std::env::var("MATRIX_SHOW").is_ok_and(|shown| case.label.contains(&shown)) {
        println!(
            "{}\n  {document}\n  {variables}\n  {:#?}\n  {:#?}",
            case.label, response.data, response.errors
        );
    }
    let mut verdict = judge(world, case, response);
    let answer = json!({ "data": response.data, "errors": response.errors }).to_string();
    let leaked = world.leaked(case.caller, &answer, &variables.to_string());
    if verdict.is_ok() && !leaked.is_empty() {
        verdict = fail(Kind::Leak, format!("the answer names {}: {answer}", leaked.join(", ")));
    }
    let signature = format!(
        "{:?}, answer null: {}",
        codes(response),
        response.data[&case.root].is_null()
    );
    (verdict, signature)
}

/// A target out of reach, or refused whatever it is, must answer exactly as one that does not
/// exist: otherwise the answer tells that it exists.
fn unlike_ghosts(cases: &[Case], answers: &HashMap<(usize, Caller, Target), String>) -> Vec<Failure> {
    let mut failures = Vec::new();
    for case in cases {
        let refused = matches!(&case.expect, Expect::Null | Expect::Refusal(_));
        let (Some(row), Some(twin), true) = (case.row, case.target.ghost_twin(), refused) else {
            continue;
        };
        let (Some(real), Some(ghost)) = (
            answers.get(&(row, case.caller, case.target)),
            answers.get(&(row, case.caller, twin)),
        ) else {
            continue;
        };
        if real != ghost {
            failures.push(Failure {
                kind: Kind::Hint,
                label: case.label.clone(),
                why: format!("answered {real}, but {ghost} {}", twin.describe()),
            });
        }
    }
    failures
}
