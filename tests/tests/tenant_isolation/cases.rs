//! The case list: every row of the table crossed with every caller and every target it lists,
//! every gated field crossed with every caller who reaches its object, and the sign-in answers.
//! Each case carries the answer the rules promise.

use serde_json::{json, Value};

use crate::parties::{Caller, Org, Person, Role, Target, CALLERS};
use crate::rules::{
    expected, holds_right_nowhere, reads_field, visible_memberships, FieldRight, OrgRight, Outcome, Right,
};
use crate::schema::{Coverage, Schema};
use crate::table::{operation_name, Check, Effect, FieldRule, Targets, OPERATIONS};
use crate::world::World;

/// When a case runs: everything that must change nothing first, against one world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Refused calls and allowed reads: the database must not change.
    Quiet,
    /// Allowed changes, each on a fresh target.
    Changes,
    /// Real sign-ins, whose answers are read as the user who signed in.
    SignIn,
    /// Allowed calls that end the caller's own sessions.
    EndsSessions,
}

/// Whether a gated field must be readable, for one object or per membership's organization.
#[derive(Clone, Debug)]
pub enum Readable {
    Always(bool),
    ByOrg(Vec<(Org, bool)>),
}

#[derive(Clone, Debug)]
pub enum Expect {
    /// No error, an answer that is not null, and the check holds.
    Answer(Check),
    /// No error and a `null` answer: absent.
    Null,
    /// `NOT_FOUND`, or an answer with nothing in it: a caller who reads everything asks for
    /// something that does not exist.
    NothingThere,
    /// An error with one of these codes, and no answer.
    Refusal(Vec<&'static str>),
    /// The objects at `path` ("*" steps into a list) are there; `field` of each is readable,
    /// or `null` with one `FORBIDDEN` error at its path.
    Field {
        path: Vec<&'static str>,
        field: &'static str,
        readable: Readable,
    },
    /// A sign-in's answer, read as the user who signed in: their memberships, and their
    /// `appMetadata` when they may read it.
    SignedIn { memberships: Vec<Org>, app_data: bool },
}

pub struct Case {
    pub label: String,
    /// Who the answer is for: whose sight judges it, and whose token the request carries.
    pub caller: Caller,
    /// Sent without a token all the same: a sign-in, judged as the user it signs in.
    pub tokenless: bool,
    pub target: Target,
    /// The row of the table, for comparing a target out of reach with one that does not exist.
    pub row: Option<usize>,
    pub document: String,
    /// The document's one root field, call and selection, when the case may share a request
    /// with others of its group: `(query or mutation, field)`.
    pub field: Option<(&'static str, String)>,
    /// The call checks or sets a password, which a request may do once only.
    pub checks_password: bool,
    /// The answer's field under `data`.
    pub root: String,
    pub expect: Expect,
    pub phase: Phase,
    /// Allowed changes get a fresh target (`true`: a fresh organization too).
    pub fresh: Option<bool>,
    pub traces: &'static [&'static str],
    /// Variables fixed by the case; otherwise the target's.
    pub variables: Option<Value>,
}

/// The variables a call may use, and their types.
pub const VARIABLES: [(&str, &str); 9] = [
    ("org", "ID!"),
    // A member of the organization a field is read on (for `Organization.member`).
    ("member", "ID!"),
    ("user", "ID!"),
    ("session", "ID!"),
    ("client", "ID!"),
    ("invitation", "ID!"),
    ("token", "String!"),
    ("slug", "String!"),
    ("password", "String!"),
];

/// Whether `text` uses the variable `$name`.
pub fn uses(text: &str, name: &str) -> bool {
    text.match_indices(&format!("${name}"))
        .any(|(at, found)| !text[at + found.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// The declaration of the variables a call uses.
fn declarations(call: &str) -> String {
    let used: Vec<String> = VARIABLES
        .iter()
        .filter(|(name, _)| uses(call, name))
        .map(|(name, kind)| format!("${name}: {kind}"))
        .collect();
    if used.is_empty() {
        String::new()
    } else {
        format!("({})", used.join(", "))
    }
}

/// Names a case; an operation that several rows call is named by its whole call.
fn label(call: &str, caller: Caller, target: Target) -> String {
    let shared = OPERATIONS
        .iter()
        .filter(|row| operation_name(row.call) == operation_name(call))
        .count()
        > 1;
    let operation = if shared { call } else { operation_name(call) };
    format!("{operation} by {} {}", caller.describe(), target.describe())
        .trim_end()
        .to_owned()
}

/// The refusal an outcome stands for; `nullable`: the answer may be `null`.
fn expectation(outcome: Outcome, nullable: bool, out_of_reach_may_be_forbidden: bool, check: Check) -> Expect {
    match outcome {
        Outcome::Allowed => Expect::Answer(check),
        Outcome::Absent if nullable => Expect::Null,
        Outcome::Absent if out_of_reach_may_be_forbidden => Expect::Refusal(vec!["NOT_FOUND", "FORBIDDEN"]),
        Outcome::Absent => Expect::Refusal(vec!["NOT_FOUND"]),
        Outcome::Forbidden => Expect::Refusal(vec!["FORBIDDEN"]),
        Outcome::Unauthenticated => Expect::Refusal(vec!["UNAUTHENTICATED"]),
        Outcome::Blocked => Expect::Refusal(vec!["USER_BLOCKED", "UNAUTHENTICATED"]),
        Outcome::Refused(Some(code)) => Expect::Refusal(vec![code]),
        Outcome::Refused(None) => Expect::Null,
    }
}

/// Every row × caller × target, and every gated field × caller × object in reach.
pub fn plan(schema: &Schema, coverage: &mut Coverage) -> Vec<Case> {
    let mut cases = Vec::new();
    for (index, row) in OPERATIONS.iter().enumerate() {
        let Some((kind, root)) = schema.root(operation_name(row.call)) else {
            continue;
        };
        let selection = schema.selection(&root.type_name, 0, coverage);
        let field = format!("{} {selection}", row.call);
        let document = format!("{kind}{} {{ {field} }}", declarations(row.call));
        for caller in CALLERS {
            for target in row.targets.list() {
                if target == Target::Person(Person::Myself) && !has_self(caller) {
                    continue;
                }
                let outcome = expected(row.right, caller, target, row.refusal);
                let allowed = outcome == Outcome::Allowed;
                let phase = match row.effect {
                    _ if !allowed => Phase::Quiet,
                    Effect::Reads => Phase::Quiet,
                    Effect::Writes | Effect::Destroys => Phase::Changes,
                    Effect::EndsSessions => Phase::EndsSessions,
                };
                cases.push(Case {
                    label: label(row.call, caller, target),
                    caller,
                    tokenless: false,
                    target,
                    row: Some(index),
                    document: document.clone(),
                    field: Some((kind, field.clone())),
                    checks_password: row.call.to_lowercase().contains("password"),
                    root: root.name.clone(),
                    expect: match expectation(
                        outcome,
                        root.nullable,
                        holds_right_nowhere(row.right, caller),
                        row.check,
                    ) {
                        // A superadmin asking for the members of no organization may read an empty list.
                        Expect::Refusal(_)
                            if outcome == Outcome::Absent && caller.is_superadmin() && row.effect == Effect::Reads =>
                        {
                            Expect::NothingThere
                        }
                        expect => expect,
                    },
                    phase,
                    fresh: (phase == Phase::Changes).then_some(row.effect == Effect::Destroys),
                    traces: row.traces,
                    variables: None,
                });
            }
        }
    }
    cases.extend(field_cases(schema, coverage));
    cases
}

fn has_self(caller: Caller) -> bool {
    caller.is_user() || caller == Caller::BlockedMember
}

/// An object type's carriers: a query that reaches objects of that type, the path to them
/// (`*` steps into a list), the right that reaches them and the targets to try.
struct Carrier {
    call: &'static str,
    path: &'static [&'static str],
    right: Right,
    targets: Vec<Target>,
}

fn carriers(type_name: &str) -> Vec<Carrier> {
    let people: Vec<Target> = Targets::PeopleAndMyself
        .list()
        .into_iter()
        .filter(|target| *target != Target::Person(Person::Ghost))
        .collect();
    let user = Carrier {
        call: "user(id: $user)",
        path: &["user"],
        right: Right::ReadUser,
        targets: people.clone(),
    };
    match type_name {
        "User" => vec![user],
        "Organization" => vec![Carrier {
            call: "organization(id: $org)",
            path: &["organization"],
            right: Right::InOrg(OrgRight::See),
            targets: vec![Target::Org(Org::Home), Target::Org(Org::Foreign)],
        }],
        "Membership" => vec![
            Carrier {
                call: "viewer",
                path: &["viewer", "memberships", "*"],
                right: Right::Viewer,
                targets: vec![Target::Nothing],
            },
            Carrier {
                call: "user(id: $user)",
                path: &["user", "memberships", "*"],
                ..user
            },
        ],
        other => panic!("no carrier reaches {other}"),
    }
}

fn field_cases(schema: &Schema, coverage: &mut Coverage) -> Vec<Case> {
    let mut cases = Vec::new();
    for type_name in ["User", "Organization", "Membership"] {
        for (field, call, rule, field_type) in schema.gated(type_name) {
            coverage.insert((type_name.to_owned(), field.to_owned()));
            let selection = schema.selection(&field_type, 0, coverage);
            for carrier in carriers(type_name) {
                let inner = match carrier.path.len() {
                    1 => format!("id {call} {selection}"),
                    _ => format!("memberships {{ organization {{ id }} {call} {selection} }}"),
                };
                let root_field = format!("{} {{ {inner} }}", carrier.call);
                let document = format!("query{} {{ {root_field} }}", declarations(&root_field));
                for caller in CALLERS {
                    for target in &carrier.targets {
                        let target = *target;
                        let myself = matches!(target, Target::Person(Person::Myself) | Target::Nothing);
                        if myself && !caller.is_user() {
                            continue;
                        }
                        if expected(carrier.right, caller, target, None) != Outcome::Allowed {
                            continue;
                        }
                        let expect = match rule {
                            FieldRule::Withheld(right) => Expect::Field {
                                path: carrier.path.to_vec(),
                                field,
                                readable: readable(right, caller, target, carrier.path.len() > 1),
                            },
                            FieldRule::Trimmed => Expect::Answer(match target {
                                Target::Org(org) => Check::InvitationsForManagers(org),
                                Target::Person(person) => Check::VisibleMemberships(person),
                                _ => continue,
                            }),
                        };
                        cases.push(Case {
                            label: format!(
                                "{type_name}.{field} through {} by {} {}",
                                operation_name(carrier.call),
                                caller.describe(),
                                target.describe()
                            )
                            .trim_end()
                            .to_owned(),
                            caller,
                            tokenless: false,
                            target,
                            row: None,
                            document: document.clone(),
                            field: Some(("query", root_field.clone())),
                            checks_password: false,
                            root: carrier.path[0].to_owned(),
                            expect,
                            phase: Phase::Quiet,
                            fresh: None,
                            traces: &[],
                            variables: None,
                        });
                    }
                }
            }
        }
    }
    cases
}

/// Whether `right` lets the caller read the field of the carrier's objects.
fn readable(right: FieldRight, caller: Caller, target: Target, per_membership: bool) -> Readable {
    if !per_membership {
        return Readable::Always(reads_field(right, caller, target));
    }
    let person = match target {
        Target::Person(person) => person,
        _ => Person::Myself,
    };
    Readable::ByOrg(
        visible_memberships(caller, person)
            .into_iter()
            .map(|org| (org, reads_field(right, caller, Target::Org(org))))
            .collect(),
    )
}

const SIGNED_IN: &str = "{ accessToken user { id memberships { roles organization { id } } appMetadata } }";

/// Real sign-ins of every caller who is a user, a refresh, and an accepted invitation: each answer
/// is read as the user who just signed in (API.md, "Decisions").
pub fn sign_in_cases(world: &World) -> Vec<Case> {
    let login = format!(
        "mutation($email: String!, $password: String!, $slug: String) {{ login(email: $email, password: $password, orgSlug: $slug) {SIGNED_IN} }}"
    );
    let mut cases = Vec::new();
    let mut sign_in = |label: String, caller, document: &str, root: &str, variables: Value, expect| {
        cases.push(Case {
            label,
            caller,
            tokenless: true,
            target: Target::Nothing,
            row: None,
            document: document.to_owned(),
            field: None,
            checks_password: true,
            root: root.to_owned(),
            expect,
            phase: Phase::SignIn,
            fresh: None,
            traces: &[],
            variables: Some(variables),
        });
    };
    let answer_for = |caller: Caller| Expect::SignedIn {
        memberships: visible_memberships(caller, Person::Myself),
        app_data: reads_field(FieldRight::UserAppData, caller, Target::Person(Person::Myself)),
    };
    for caller in CALLERS.into_iter().filter(|caller| has_self(*caller)) {
        let credentials = world.credentials(caller);
        let slug = (caller == Caller::BoundSuperadmin).then_some("home");
        let variables = json!({ "email": credentials.email, "password": credentials.password, "slug": slug });
        let expect = match caller {
            Caller::BlockedMember => Expect::Refusal(vec!["USER_BLOCKED"]),
            _ => answer_for(caller),
        };
        sign_in(
            format!("login as the {}", caller.describe()),
            caller,
            &login,
            "login",
            variables,
            expect,
        );
    }
    let suspended = world.credentials(Caller::SuspendedAdmin);
    sign_in(
        "login bound to home as the suspended ADMIN of home".into(),
        Caller::SuspendedAdmin,
        &login,
        "login",
        json!({ "email": suspended.email, "password": suspended.password, "slug": "home" }),
        Expect::Refusal(vec!["USER_BLOCKED"]),
    );
    let auditor = Caller::Member(Role::Auditor);
    sign_in(
        "refreshSession of the AUDITOR of home".into(),
        auditor,
        &format!("mutation($token: String!) {{ refreshSession(refreshToken: $token) {SIGNED_IN} }}"),
        "refreshSession",
        json!({ "token": world.credentials(auditor).refresh_token }),
        answer_for(auditor),
    );
    sign_in(
        "acceptInvitation into home by a new user".into(),
        // A MEMBER of home once accepted, as the MEMBER caller is.
        Caller::Member(Role::Member),
        &format!(
            "mutation($token: String!) {{ acceptInvitation(token: $token, password: \"Violet-Anchor-Tundra-9\") {SIGNED_IN} }}"
        ),
        "acceptInvitation",
        json!({ "token": world.newcomer_link }),
        Expect::SignedIn {
            memberships: vec![Org::Home],
            app_data: false,
        },
    );
    cases
}
