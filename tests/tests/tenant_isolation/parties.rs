//! Who calls and what they act on: the callers of the matrix (anonymous, each role of the home
//! organization, superadmins bound and unbound, a suspended and a blocked user, an API client per
//! scope) and its targets (own, foreign and shared users, an ADMIN, a superadmin, organizations,
//! API clients, invitations, links, and ids that name nothing).

pub const USERS_READ: &str = "users:read";
pub const USERS_WRITE: &str = "users:write";
pub const USERS_DELETE: &str = "users:delete";
pub const METADATA_WRITE: &str = "metadata:write";
pub const AUDIT_READ: &str = "audit:read";
pub const ORG_READ: &str = "org:read";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    UserManager,
    Auditor,
    Member,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::UserManager => "USER_MANAGER",
            Role::Auditor => "AUDITOR",
            Role::Member => "MEMBER",
        }
    }
}

/// Who sends the request. Everyone but the superadmin and the API clients is a member of the
/// home organization; nobody but the superadmin reaches the foreign one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    Anonymous,
    /// A member of the home organization with this one role.
    Member(Role),
    Superadmin,
    /// A superadmin who signed in with `orgSlug: "home"`, where they are ADMIN: the session acts
    /// only as that ADMIN.
    BoundSuperadmin,
    /// An ADMIN of the home organization whose membership there is suspended.
    SuspendedAdmin,
    /// A MEMBER of the home organization, blocked after signing in.
    BlockedMember,
    /// An API client of the home organization holding this one scope.
    Client(&'static str),
}

pub const CALLERS: [Caller; 15] = [
    Caller::Anonymous,
    Caller::Member(Role::Member),
    Caller::Member(Role::Auditor),
    Caller::Member(Role::UserManager),
    Caller::Member(Role::Admin),
    Caller::Superadmin,
    Caller::BoundSuperadmin,
    Caller::SuspendedAdmin,
    Caller::BlockedMember,
    Caller::Client(USERS_READ),
    Caller::Client(USERS_WRITE),
    Caller::Client(USERS_DELETE),
    Caller::Client(METADATA_WRITE),
    Caller::Client(AUDIT_READ),
    Caller::Client(ORG_READ),
];

impl Caller {
    pub fn describe(self) -> String {
        match self {
            Caller::Anonymous => "anonymous".into(),
            Caller::Member(role) => format!("{} of home", role.name()),
            Caller::Superadmin => "superadmin".into(),
            Caller::BoundSuperadmin => "superadmin bound to home (ADMIN there)".into(),
            Caller::SuspendedAdmin => "suspended ADMIN of home".into(),
            Caller::BlockedMember => "blocked MEMBER of home".into(),
            Caller::Client(scope) => format!("API client of home with {scope}"),
        }
    }

    pub fn is_superadmin(self) -> bool {
        self == Caller::Superadmin
    }

    pub fn scope(self) -> Option<&'static str> {
        match self {
            Caller::Client(scope) => Some(scope),
            _ => None,
        }
    }

    /// A signed-in user whose token still holds.
    pub fn is_user(self) -> bool {
        !matches!(self, Caller::Anonymous | Caller::BlockedMember | Caller::Client(_))
    }

    /// The caller's role in an organization their session reaches.
    pub(crate) fn role_in(self, org: Org) -> Option<Role> {
        match (self, org) {
            (Caller::Member(role), Org::Home) => Some(role),
            (Caller::BoundSuperadmin, Org::Home) => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Org {
    Home,
    Foreign,
    /// An id that names no organization.
    Ghost,
}

/// A user acted upon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Person {
    /// A MEMBER of the home organization only.
    OwnMember,
    /// A MEMBER of the foreign organization only.
    ForeignMember,
    /// A MEMBER of both organizations.
    SharedMember,
    /// An ADMIN of the home organization.
    OwnAdmin,
    /// A superadmin who is a MEMBER of the home organization.
    SuperadminMember,
    /// An id that names no user.
    Ghost,
    /// The caller themself.
    Myself,
    /// One of the callers, as someone else sees them.
    Caller(Caller),
}

/// What the world holds about a person.
pub(crate) struct Facts {
    pub exists: bool,
    pub superadmin: bool,
    pub memberships: Vec<(Org, Role)>,
}

impl Person {
    pub fn describe(self) -> String {
        match self {
            Person::OwnMember => "a MEMBER of home".into(),
            Person::ForeignMember => "a MEMBER of the foreign org".into(),
            Person::SharedMember => "a MEMBER shared by home and the foreign org".into(),
            Person::OwnAdmin => "an ADMIN of home".into(),
            Person::SuperadminMember => "a superadmin who is a MEMBER of home".into(),
            Person::Ghost => "a user id that names no one".into(),
            Person::Myself => "themself".into(),
            Person::Caller(caller) => caller.describe(),
        }
    }

    /// The person as the world holds them, `Myself` being `caller`.
    pub(crate) fn facts(self, caller: Caller) -> Facts {
        let user = |superadmin, memberships: &[(Org, Role)]| Facts {
            exists: true,
            superadmin,
            memberships: memberships.to_vec(),
        };
        match self {
            Person::OwnMember => user(false, &[(Org::Home, Role::Member)]),
            Person::ForeignMember => user(false, &[(Org::Foreign, Role::Member)]),
            Person::SharedMember => user(false, &[(Org::Home, Role::Member), (Org::Foreign, Role::Member)]),
            Person::OwnAdmin => user(false, &[(Org::Home, Role::Admin)]),
            Person::SuperadminMember => user(true, &[(Org::Home, Role::Member)]),
            Person::Ghost => Facts {
                exists: false,
                superadmin: false,
                memberships: Vec::new(),
            },
            Person::Myself => Person::Caller(caller).facts(caller),
            Person::Caller(who) => match who {
                Caller::Member(role) => user(false, &[(Org::Home, role)]),
                Caller::Superadmin => user(true, &[]),
                Caller::BoundSuperadmin | Caller::SuspendedAdmin => {
                    user(who == Caller::BoundSuperadmin, &[(Org::Home, Role::Admin)])
                }
                Caller::BlockedMember => user(false, &[(Org::Home, Role::Member)]),
                Caller::Anonymous | Caller::Client(_) => Person::Ghost.facts(caller),
            },
        }
    }

    /// Whether this person is the signed-in caller.
    pub(crate) fn is(self, caller: Caller) -> bool {
        caller.is_user() && (self == Person::Myself || self == Person::Caller(caller))
    }

    /// The organizations this person belongs to.
    pub fn orgs(self, caller: Caller) -> Vec<Org> {
        self.facts(caller).memberships.iter().map(|(org, _)| *org).collect()
    }
}

/// What a request acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Nothing,
    Org(Org),
    Person(Person),
    /// A person's membership (or would-be membership) in an organization.
    Member(Org, Person),
    /// An API client of an organization.
    Client(Org),
    /// A pending invitation into an organization.
    Invitation(Org),
    /// A token or credentials that the server never issued.
    Bogus,
    /// A live invitation link of the home organization.
    InvitationLink,
}

impl Target {
    pub fn describe(self) -> String {
        let org = |org: Org| match org {
            Org::Home => "home",
            Org::Foreign => "the foreign org",
            Org::Ghost => "an org id that names none",
        };
        match self {
            Target::Nothing => String::new(),
            Target::Org(o) => format!("on {}", org(o)),
            Target::Person(person) => format!("on {}", person.describe()),
            Target::Member(o, person) => format!("on {} in {}", person.describe(), org(o)),
            Target::Client(o) => format!("on an API client of {}", org(o)),
            Target::Invitation(o) => format!("on an invitation into {}", org(o)),
            Target::Bogus => "with a token or password never issued".into(),
            Target::InvitationLink => "with a live invitation link".into(),
        }
    }

    /// The same request aimed at something that does not exist, which a target out of reach
    /// must answer exactly like.
    pub fn ghost_twin(self) -> Option<Target> {
        match self {
            Target::Org(Org::Foreign) => Some(Target::Org(Org::Ghost)),
            Target::Person(Person::ForeignMember) => Some(Target::Person(Person::Ghost)),
            Target::Member(Org::Home, Person::ForeignMember) => Some(Target::Member(Org::Home, Person::Ghost)),
            Target::Member(Org::Foreign, person) => Some(Target::Member(Org::Ghost, person)),
            Target::Client(Org::Foreign) => Some(Target::Client(Org::Ghost)),
            Target::Invitation(Org::Foreign) => Some(Target::Invitation(Org::Ghost)),
            _ => None,
        }
    }
}

impl Target {
    /// Whether it names something that does not exist.
    pub fn is_ghost(self) -> bool {
        matches!(
            self,
            Target::Org(Org::Ghost)
                | Target::Person(Person::Ghost)
                | Target::Member(Org::Ghost, _)
                | Target::Member(_, Person::Ghost)
                | Target::Client(Org::Ghost)
                | Target::Invitation(Org::Ghost)
        )
    }
}
