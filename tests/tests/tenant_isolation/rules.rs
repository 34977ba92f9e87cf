//! The contract's rules of reach (API.md, "Roles and who may do what" and "Decisions"), written
//! once: for each right, which caller may use it on which target, and the answer the contract
//! promises to the others. The table in `table.rs` names one right per operation and field;
//! everything the matrix expects is derived from these functions.
//!
//! Two words carry the contract's distinction:
//! - *reach*: what a caller may see at all. Outside it everything reads as absent (`NOT_FOUND`, or
//!   `null` where the answer may be null), exactly as a thing that does not exist.
//! - *right*: what a caller may do within reach. Without it the answer is `FORBIDDEN`.

use crate::parties::{Caller, Org, Person, Role, Target, AUDIT_READ, ORG_READ, USERS_READ, USERS_WRITE};

/// A right inside one organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgRight {
    /// See that it exists (name, slug, branding): its members; API clients with `org:read`.
    See,
    /// Read its members and their metadata: ADMIN, USER_MANAGER, AUDITOR; `users:read`.
    ReadMembers,
    /// Read its audit log: ADMIN, AUDITOR; `audit:read`.
    ReadAudit,
    /// Create, invite and manage members: ADMIN, USER_MANAGER; `users:write`. Granting ADMIN or
    /// USER_MANAGER (`privileged`) is for an ADMIN only.
    ManageMembers { privileged: bool },
    /// Settings, branding, metadata and API clients: its ADMIN only, never an API client.
    Administer,
}

/// What an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Right {
    /// No sign-in: sign-in itself, the flows run from a mailed link, public org pages.
    Anyone,
    /// The signed-in user reads themself; `null` for anonymous callers and API clients.
    Viewer,
    /// Any signed-in user or API client; lists hold only what the caller reaches.
    SignedIn,
    /// The signed-in user on their own account; API clients have none.
    Myself,
    /// Platform superadmins only, whatever the target: nothing is looked up for anyone else.
    Superadmin,
    /// A right in the target organization; without a target, in any organization at all.
    InOrg(OrgRight),
    /// Read a user: themself, readers of an organization the user belongs to, superadmins.
    ReadUser,
    /// Identity-wide changes: the right to manage members in *every* organization the user
    /// belongs to, ADMIN for an ADMIN, superadmin for a superadmin; an API client needs
    /// `client_scope` and never touches a shared user or an ADMIN.
    ManageIdentity { client_scope: &'static str },
    /// The user themself (sign out everywhere), or as `ManageIdentity` with `users:write`.
    SelfOrManageIdentity,
    /// Org-scoped changes to a member: the right to manage members in that organization only;
    /// ADMIN for an ADMIN, and for granting ADMIN or USER_MANAGER (`privileged`).
    ManageMember { privileged: bool },
    /// Adding an existing user: managing the organization's members and seeing the user.
    AddMember,
}

/// A role-gated field of an object the caller already reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldRight {
    /// `appMetadata`: readers of an organization the user belongs to, superadmins, `users:read`;
    /// not the user themself.
    UserAppData,
    /// `sessions`: the user themself, or whoever may manage the user's identity.
    Sessions,
    /// `User.auditEvents`: ADMIN or AUDITOR of an organization the user belongs to; superadmins;
    /// `audit:read`.
    UserAudit,
    /// An organization's `settings` and `metadata`: its ADMIN, superadmins, `org:read`.
    OrgAdminData,
    /// An organization's `members`, a membership's `metadata`: readers of that organization.
    OrgMembers,
}

/// The answer the contract promises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    /// In reach, without the right: `FORBIDDEN`.
    Forbidden,
    /// Out of reach, or no such thing: `NOT_FOUND`, or `null` where the answer may be null.
    Absent,
    /// A right that needs a signed-in caller: `UNAUTHENTICATED`.
    Unauthenticated,
    /// A blocked user's token: `USER_BLOCKED` (or `UNAUTHENTICATED`).
    Blocked,
    /// The operation's own answer to a token or credentials it never issued (`None`: `null`).
    Refused(Option<&'static str>),
}

/// The outcome of `right` for `caller` on `target`. `refusal` is what the operation answers to a
/// bogus token or credentials.
pub fn expected(right: Right, caller: Caller, target: Target, refusal: Option<&'static str>) -> Outcome {
    if right == Right::Anyone {
        return match target {
            Target::Bogus => Outcome::Refused(refusal),
            Target::Org(Org::Ghost) => Outcome::Absent,
            _ => Outcome::Allowed,
        };
    }
    match caller {
        Caller::Anonymous if right == Right::Viewer => return Outcome::Absent,
        Caller::Anonymous => return Outcome::Unauthenticated,
        Caller::BlockedMember => return Outcome::Blocked,
        _ => {}
    }
    let allowed = |yes: bool, otherwise: Outcome| if yes { Outcome::Allowed } else { otherwise };
    match (right, target) {
        (Right::Anyone, _) => unreachable!("answered above"),
        (Right::Viewer, _) => allowed(caller.is_user(), Outcome::Absent),
        (Right::SignedIn, _) => Outcome::Allowed,
        (Right::Myself, _) => allowed(caller.is_user(), Outcome::Forbidden),
        (Right::Superadmin, target) if caller.is_superadmin() => allowed(!target.is_ghost(), Outcome::Absent),
        (Right::Superadmin, _) => Outcome::Forbidden,
        (Right::InOrg(right), Target::Org(org) | Target::Client(org) | Target::Invitation(org)) => {
            in_org(caller, org, right)
        }
        (Right::InOrg(right), _) => allowed(holds_anywhere(caller, right), Outcome::Forbidden),
        (Right::ReadUser, Target::Person(person)) => allowed(reads_person(caller, person), Outcome::Absent),
        (Right::ManageIdentity { client_scope }, Target::Person(person)) => {
            manage_identity(caller, person, client_scope)
        }
        (Right::SelfOrManageIdentity, Target::Person(person)) if person.is(caller) => Outcome::Allowed,
        (Right::SelfOrManageIdentity, Target::Person(person)) => manage_identity(caller, person, USERS_WRITE),
        (Right::ManageMember { privileged }, Target::Member(org, person)) => {
            manage_member(caller, org, person, privileged)
        }
        (Right::AddMember, Target::Member(org, person)) => add_member(caller, org, person),
        (right, target) => panic!("the table pairs {right:?} with {target:?}, which no rule covers"),
    }
}

/// A right inside one organization. An API client reaches its own organization only; a user the
/// organizations their session reaches (a suspended membership, or a session bound elsewhere,
/// takes one out of reach).
pub fn in_org(caller: Caller, org: Org, right: OrgRight) -> Outcome {
    let allowed = |yes: bool| if yes { Outcome::Allowed } else { Outcome::Forbidden };
    if caller.is_superadmin() {
        return if org == Org::Ghost {
            Outcome::Absent
        } else {
            Outcome::Allowed
        };
    }
    if let Some(scope) = caller.scope() {
        if org != Org::Home {
            return Outcome::Absent;
        }
        return match right {
            // All a client has are its scopes: without `org:read` even its own org reads as absent.
            OrgRight::See if scope == ORG_READ => Outcome::Allowed,
            OrgRight::See => Outcome::Absent,
            OrgRight::ReadMembers => allowed(scope == USERS_READ),
            OrgRight::ReadAudit => allowed(scope == AUDIT_READ),
            // A client manages members like a USER_MANAGER.
            OrgRight::ManageMembers { privileged } => allowed(scope == USERS_WRITE && !privileged),
            OrgRight::Administer => Outcome::Forbidden,
        };
    }
    let Some(role) = caller.role_in(org) else {
        return Outcome::Absent;
    };
    allowed(match right {
        OrgRight::See => true,
        OrgRight::ReadMembers => role != Role::Member,
        OrgRight::ReadAudit => matches!(role, Role::Admin | Role::Auditor),
        OrgRight::ManageMembers { privileged } => role == Role::Admin || (role == Role::UserManager && !privileged),
        OrgRight::Administer => role == Role::Admin,
    })
}

/// Whether the caller holds `right` in some organization: one who holds it nowhere may be
/// refused with `FORBIDDEN` before anything is looked up.
pub fn holds_anywhere(caller: Caller, right: OrgRight) -> bool {
    in_org(caller, Org::Home, right) == Outcome::Allowed
}

/// Whether an out-of-reach target may also answer `FORBIDDEN`: only from a caller who holds the
/// operation's right nowhere, so that the refusal cannot depend on the target.
pub fn holds_right_nowhere(right: Right, caller: Caller) -> bool {
    let canonical = match right {
        Right::InOrg(right) => Some(right),
        Right::ManageMember { .. } | Right::AddMember => Some(OrgRight::ManageMembers { privileged: false }),
        Right::ReadUser => Some(OrgRight::ReadMembers),
        _ => None,
    };
    match (right, canonical) {
        (_, Some(org_right)) => !holds_anywhere(caller, org_right),
        (Right::ManageIdentity { client_scope }, None) => {
            manage_identity(caller, Person::OwnMember, client_scope) != Outcome::Allowed
        }
        (Right::SelfOrManageIdentity, None) => {
            manage_identity(caller, Person::OwnMember, USERS_WRITE) != Outcome::Allowed
        }
        _ => true,
    }
}

/// May the caller see this user at all.
pub fn reads_person(caller: Caller, person: Person) -> bool {
    let facts = person.facts(caller);
    facts.exists
        && (caller.is_superadmin()
            || person.is(caller)
            || facts
                .memberships
                .iter()
                .any(|(org, _)| in_org(caller, *org, OrgRight::ReadMembers) == Outcome::Allowed))
}

/// Identity-wide changes: the shared-user rule, the privilege taint, superadmins for superadmins.
fn manage_identity(caller: Caller, person: Person, client_scope: &str) -> Outcome {
    let facts = person.facts(caller);
    if caller.is_superadmin() {
        return if facts.exists {
            Outcome::Allowed
        } else {
            Outcome::Absent
        };
    }
    if let Some(scope) = caller.scope() {
        // A client's reach is its organization's members; its scopes are its rights there.
        if !facts.memberships.iter().any(|(org, _)| *org == Org::Home) {
            return Outcome::Absent;
        }
        let untouchable =
            facts.memberships.len() > 1 || facts.memberships.contains(&(Org::Home, Role::Admin)) || facts.superadmin;
        return if scope == client_scope && !untouchable {
            Outcome::Allowed
        } else {
            Outcome::Forbidden
        };
    }
    if !reads_person(caller, person) {
        return Outcome::Absent;
    }
    if facts.superadmin || facts.memberships.is_empty() {
        return Outcome::Forbidden;
    }
    let manages_each = facts.memberships.iter().all(|(org, role)| match caller.role_in(*org) {
        Some(Role::Admin) => true,
        Some(Role::UserManager) => *role != Role::Admin,
        _ => false,
    });
    if manages_each {
        Outcome::Allowed
    } else {
        Outcome::Forbidden
    }
}

/// Whether the caller acts as an ADMIN of `org`.
fn admin_of(caller: Caller, org: Org) -> bool {
    caller.is_superadmin() || caller.role_in(org) == Some(Role::Admin)
}

fn manage_member(caller: Caller, org: Org, person: Person, privileged: bool) -> Outcome {
    let gate = in_org(caller, org, OrgRight::ManageMembers { privileged: false });
    if gate != Outcome::Allowed {
        return gate;
    }
    let facts = person.facts(caller);
    let Some((_, role)) = facts.memberships.iter().find(|(member_of, _)| *member_of == org) else {
        return Outcome::Absent;
    };
    if (*role == Role::Admin || privileged) && !admin_of(caller, org) {
        return Outcome::Forbidden;
    }
    Outcome::Allowed
}

fn add_member(caller: Caller, org: Org, person: Person) -> Outcome {
    let gate = in_org(caller, org, OrgRight::ManageMembers { privileged: false });
    if gate != Outcome::Allowed {
        return gate;
    }
    if !reads_person(caller, person) {
        return Outcome::Absent;
    }
    assert!(
        !person.orgs(caller).contains(&org),
        "the table adds {person:?} to an org they are in"
    );
    Outcome::Allowed
}

/// May the caller read a role-gated field of an object they reach: `owner` is the user or
/// organization the field belongs to.
pub fn reads_field(right: FieldRight, caller: Caller, owner: Target) -> bool {
    let allowed = |outcome: Outcome| outcome == Outcome::Allowed;
    match (right, owner) {
        (FieldRight::UserAppData, Target::Person(person)) => {
            caller.is_superadmin()
                || person
                    .orgs(caller)
                    .into_iter()
                    .any(|org| allowed(in_org(caller, org, OrgRight::ReadMembers)))
        }
        (FieldRight::Sessions, Target::Person(person)) => {
            allowed(expected(Right::SelfOrManageIdentity, caller, owner, None)) || person.is(caller)
        }
        (FieldRight::UserAudit, Target::Person(person)) => {
            caller.is_superadmin()
                || person
                    .orgs(caller)
                    .into_iter()
                    .any(|org| allowed(in_org(caller, org, OrgRight::ReadAudit)))
        }
        (FieldRight::OrgAdminData, Target::Org(org)) => match caller.scope() {
            Some(scope) => scope == ORG_READ && org == Org::Home,
            None => allowed(in_org(caller, org, OrgRight::Administer)),
        },
        (FieldRight::OrgMembers, Target::Org(org)) => allowed(in_org(caller, org, OrgRight::ReadMembers)),
        (right, owner) => panic!("no rule reads {right:?} of {owner:?}"),
    }
}

/// The memberships of `person` the caller sees: those in organizations whose members they read,
/// and their own (all of them, but a session bound to one organization sees that one only).
pub fn visible_memberships(caller: Caller, person: Person) -> Vec<Org> {
    person
        .orgs(caller)
        .into_iter()
        .filter(|org| person.is(caller) || in_org(caller, *org, OrgRight::ReadMembers) == Outcome::Allowed)
        .collect()
}
