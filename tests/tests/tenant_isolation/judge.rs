//! Judging one answer: its shape against the expectation (the contracted code, `null`, a withheld
//! field's `null` and error path) and its content against what the caller may see.

use serde_json::{json, Value};
use std::fmt;

use crate::cases::{Case, Expect, Readable};
use crate::parties::{Org, Person};
use crate::rules::{in_org, visible_memberships, OrgRight, Outcome};
use crate::table::Check;
use crate::world::World;
use steward_tests::Gql;

/// What a failed case shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A caller got, or changed, what the rules keep from them.
    Leak,
    /// Something out of reach answered unlike something that does not exist.
    Hint,
    /// An allowed call, or a readable field, was refused.
    OverRefused,
    /// The right decision, in another shape than the contract's (code, `null`, error path).
    Shape,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Leak => "LEAK: reached or changed what the rules keep out of reach",
            Kind::Hint => "HINT: out of reach, yet answered unlike what does not exist",
            Kind::OverRefused => "OVER-REFUSED: an allowed call or readable field was refused",
            Kind::Shape => "SHAPE: the right decision in another shape than the contract's",
        })
    }
}

pub type Verdict = Result<(), (Kind, String)>;

pub fn fail<T>(kind: Kind, why: impl Into<String>) -> Result<T, (Kind, String)> {
    Err((kind, why.into()))
}

pub fn codes(response: &Gql) -> Vec<&str> {
    response
        .errors
        .iter()
        .map(|error| error["extensions"]["code"].as_str().unwrap_or("(none)"))
        .collect()
}

pub fn judge(world: &World, case: &Case, response: &Gql) -> Verdict {
    if codes(response).contains(&"INTERNAL") {
        return fail(Kind::Shape, format!("an INTERNAL error: {:?}", response.errors));
    }
    let answer = &response.data[&case.root];
    match &case.expect {
        Expect::Answer(check) => {
            // An allowed change answers with what it changed; a field of that answer only some
            // roles may read is withheld from a caller who may change it but not read it (an
            // API client with `users:write` alone), as it would be anywhere else.
            let refused: Vec<&Value> = response
                .errors
                .iter()
                .filter(|error| !is_withheld_field(&response.data, error))
                .collect();
            if !refused.is_empty() {
                return fail(Kind::OverRefused, format!("errors {refused:?}"));
            }
            if answer.is_null() {
                return fail(Kind::OverRefused, "answered null");
            }
            if answer["pageInfo"]["hasNextPage"] == true {
                return fail(
                    Kind::Shape,
                    "the page does not hold the whole list: ask for a larger one",
                );
            }
            content(world, case, *check, answer)
        }
        Expect::Null if !answer.is_null() => fail(Kind::Leak, format!("answered {answer}")),
        Expect::Null if !response.errors.is_empty() => {
            fail(Kind::Shape, format!("expected null, got errors {:?}", response.errors))
        }
        Expect::Null => Ok(()),
        Expect::NothingThere if codes(response) == ["NOT_FOUND"] => Ok(()),
        Expect::NothingThere if response.errors.is_empty() && is_empty(answer) => Ok(()),
        Expect::NothingThere => fail(
            Kind::Shape,
            format!("expected nothing, got {answer} {:?}", response.errors),
        ),
        Expect::Refusal(_) if response.errors.is_empty() && !answer.is_null() => {
            fail(Kind::Leak, format!("answered {answer}"))
        }
        Expect::Refusal(expected) => {
            let got = codes(response);
            match got.first() {
                None => fail(
                    Kind::Shape,
                    format!("expected {expected:?}, got a null answer and no error"),
                ),
                Some(code) if expected.contains(code) => Ok(()),
                Some(&"FORBIDDEN") if expected == &["NOT_FOUND"] => fail(
                    Kind::Hint,
                    format!("expected NOT_FOUND, got FORBIDDEN: {:?}", response.errors),
                ),
                Some(_) => fail(Kind::Shape, format!("expected {expected:?}, got {:?}", response.errors)),
            }
        }
        Expect::Field { path, field, readable } => judge_field(world, response, path, field, readable),
        Expect::SignedIn { memberships, app_data } => judge_sign_in(world, case, response, memberships, *app_data),
    }
}

/// Fields that only some roles may read (API.md, "Decisions"): withheld as `null` with one
/// `FORBIDDEN` error at their path.
const WITHHELD_FIELDS: [&str; 8] = [
    "appMetadata",
    "sessions",
    "auditEvents",
    "lockouts",
    "settings",
    "metadata",
    "members",
    "pendingEmail",
];

/// A `FORBIDDEN` error for a role-gated field below the operation, whose value is there and null.
fn is_withheld_field(data: &Value, error: &Value) -> bool {
    let Some(path) = error["path"].as_array() else {
        return false;
    };
    let gated = path
        .last()
        .and_then(Value::as_str)
        .is_some_and(|field| WITHHELD_FIELDS.contains(&field));
    if error["extensions"]["code"] != "FORBIDDEN" || path.len() < 2 || !gated {
        return false;
    }
    let (last, parents) = path.split_last().expect("a path of two or more");
    let parent = parents.iter().try_fold(data, |value, step| match step {
        Value::String(name) => value.get(name.as_str()),
        Value::Number(index) => index.as_u64().and_then(|index| value.get(index as usize)),
        _ => None,
    });
    parent
        .and_then(|parent| parent.get(last.as_str().unwrap_or_default()))
        .is_some_and(Value::is_null)
}

/// A list, or a connection, without items.
fn is_empty(answer: &Value) -> bool {
    answer.as_array().is_some_and(Vec::is_empty) || answer["edges"].as_array().is_some_and(Vec::is_empty)
}

/// The objects at `path` under `data`, each with its path as the GraphQL errors spell it.
fn objects<'a>(data: &'a Value, path: &[&str]) -> Vec<(Vec<Value>, &'a Value)> {
    let mut found = vec![(Vec::new(), data)];
    for step in path {
        found = found
            .into_iter()
            .flat_map(|(at, value)| match *step {
                "*" => value
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        let mut at = at.clone();
                        at.push(json!(index));
                        (at, item)
                    })
                    .collect::<Vec<_>>(),
                name => {
                    let mut at = at.clone();
                    at.push(json!(name));
                    vec![(at, &value[name])]
                }
            })
            .collect();
    }
    found
}

fn judge_field(world: &World, response: &Gql, path: &[&str], field: &str, readable: &Readable) -> Verdict {
    let found = objects(&response.data, path);
    let mut withheld = Vec::new();
    if let Readable::ByOrg(orgs) = readable {
        if found.len() != orgs.len() {
            return fail(
                Kind::Shape,
                format!(
                    "expected {} memberships, got {}: {:?}",
                    orgs.len(),
                    found.len(),
                    response.errors
                ),
            );
        }
    }
    for (at, object) in &found {
        if object.is_null() {
            let errors = &response.errors;
            return fail(
                Kind::Shape,
                format!("the object at {at:?} did not survive: errors {errors:?}"),
            );
        }
        let may_read = match readable {
            Readable::Always(may) => *may,
            Readable::ByOrg(orgs) => {
                let org = object["organization"]["id"].as_str().and_then(|id| world.org_named(id));
                match orgs.iter().find(|(expected, _)| Some(*expected) == org) {
                    Some((_, may)) => *may,
                    None => return fail(Kind::Leak, format!("a membership out of sight: {object}")),
                }
            }
        };
        let Some(value) = object.get(field) else {
            let errors = &response.errors;
            return fail(
                Kind::Shape,
                format!("{field} left out of the answer instead of null: errors {errors:?}"),
            );
        };
        if may_read && value.is_null() {
            return fail(
                Kind::OverRefused,
                format!("{field} withheld: errors {:?}", response.errors),
            );
        }
        if !may_read && !value.is_null() {
            return fail(Kind::Leak, format!("{field} read: {value}"));
        }
        if !may_read {
            let mut at = at.clone();
            at.push(json!(field));
            withheld.push(at);
        }
    }
    let errors: Vec<(&Value, &Value)> = response
        .errors
        .iter()
        .map(|error| (&error["extensions"]["code"], &error["path"]))
        .collect();
    let expected: Vec<(Value, Value)> = withheld.into_iter().map(|at| (json!("FORBIDDEN"), json!(at))).collect();
    let matches = errors.len() == expected.len()
        && expected.iter().all(|(code, at)| {
            errors
                .iter()
                .any(|(got_code, got_at)| *got_code == code && *got_at == at)
        });
    if matches {
        Ok(())
    } else {
        let got = &response.errors;
        fail(
            Kind::Shape,
            format!("expected one FORBIDDEN error at each of {expected:?}, got {got:?}"),
        )
    }
}

fn judge_sign_in(world: &World, case: &Case, response: &Gql, memberships: &[Org], app_data: bool) -> Verdict {
    let user = &response.data[&case.root]["user"];
    if user.is_null() {
        return fail(Kind::Shape, format!("no answer: errors {:?}", response.errors));
    }
    if !user["memberships"].is_array() {
        return fail(
            Kind::Shape,
            format!("memberships not read: errors {:?}", response.errors),
        );
    }
    let orgs = membership_orgs(world, &user["memberships"]);
    if orgs != memberships {
        return fail(Kind::Shape, format!("memberships {orgs:?}, expected {memberships:?}"));
    }
    let at = json!([case.root, "user", "appMetadata"]);
    let withheld_once = response.errors.len() == 1
        && response.errors[0]["extensions"]["code"] == "FORBIDDEN"
        && response.errors[0]["path"] == at;
    if user.get("appMetadata").is_none() {
        return fail(
            Kind::Shape,
            format!("appMetadata left out instead of null: {:?}", response.errors),
        );
    }
    match (app_data, user["appMetadata"].is_null()) {
        (true, false) if response.errors.is_empty() => Ok(()),
        (false, true) if withheld_once => Ok(()),
        (false, false) => fail(Kind::Leak, format!("appMetadata read: {}", user["appMetadata"])),
        _ => fail(
            Kind::Shape,
            format!("appMetadata readable: {app_data}; errors {:?}", response.errors),
        ),
    }
}

fn membership_orgs(world: &World, memberships: &Value) -> Vec<Org> {
    let mut orgs: Vec<Org> = memberships
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|membership| membership["organization"]["id"].as_str())
        .map(|id| world.org_named(id).unwrap_or(Org::Ghost))
        .collect();
    orgs.sort_by_key(|org| *org as u8);
    orgs
}

fn nodes(connection: &Value) -> Vec<&Value> {
    connection["edges"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|edge| &edge["node"])
        .collect()
}

/// The content an allowed answer must hold.
fn content(world: &World, case: &Case, check: Check, answer: &Value) -> Verdict {
    let caller = case.caller;
    let sees = |org: Org, right: OrgRight| in_org(caller, org, right) == Outcome::Allowed;
    match check {
        Check::Nothing => Ok(()),
        Check::OrganizationsInReach => {
            let listed: Vec<&str> = nodes(answer).iter().filter_map(|node| node["id"].as_str()).collect();
            for org in [Org::Home, Org::Foreign] {
                let (shown, allowed) = (listed.contains(&world.org_id(org)), sees(org, OrgRight::See));
                if shown && !allowed {
                    return fail(Kind::Leak, format!("lists {org:?}, out of reach: {answer}"));
                }
                if allowed && !shown {
                    return fail(Kind::OverRefused, format!("leaves out {org:?}: {answer}"));
                }
            }
            Ok(())
        }
        Check::ViewerIsCaller => {
            let credentials = world.credentials(caller);
            let user_id = answer["user"]["id"].as_str();
            if user_id != credentials.user_id.as_deref() || answer["isSuperadmin"] != caller.is_superadmin() {
                return fail(Kind::Leak, format!("not the caller as they are: {answer}"));
            }
            let orgs = membership_orgs(world, &answer["memberships"]);
            match orgs == visible_memberships(caller, Person::Myself) {
                true => Ok(()),
                false => fail(Kind::Shape, format!("own memberships {orgs:?}: {answer}")),
            }
        }
        Check::AuditWithinReach => {
            let foreign_member = world.person_id(Person::ForeignMember);
            for event in nodes(answer) {
                let org = event["organizationId"].as_str().map(|id| world.org_named(id));
                let readable = match org {
                    Some(Some(org)) => sees(org, OrgRight::ReadAudit),
                    Some(None) => caller.is_superadmin(),
                    None => event["targetUserId"] != foreign_member || caller.is_superadmin(),
                };
                if !readable {
                    return fail(Kind::Leak, format!("an event out of reach: {event}"));
                }
            }
            Ok(())
        }
        Check::VisibleMemberships(person) => {
            let orgs = membership_orgs(world, &answer["memberships"]);
            let mut expected = visible_memberships(caller, person);
            expected.sort_by_key(|org| *org as u8);
            match orgs.iter().find(|org| !expected.contains(org)) {
                Some(org) => fail(Kind::Leak, format!("shows the membership in {org:?}: {answer}")),
                None if orgs != expected => fail(Kind::OverRefused, format!("expected {expected:?}: {answer}")),
                None => Ok(()),
            }
        }
        Check::InvitationsForManagers(org) => {
            let invitations = answer["invitations"].as_array().map(Vec::as_slice).unwrap_or_default();
            let standing = world.standing_invitation(org);
            let listed = invitations.iter().any(|invitation| invitation["id"] == standing);
            match (
                sees(org, OrgRight::ManageMembers { privileged: false }),
                invitations.is_empty(),
            ) {
                (true, _) if !listed => fail(Kind::OverRefused, format!("leaves out the invitation: {answer}")),
                (false, false) => fail(Kind::Leak, format!("shows invitations: {answer}")),
                _ => Ok(()),
            }
        }
    }
}
