//! The table: one row per operation of the schema, naming the right it needs (rules in
//! `rules.rs`), what it acts on, and whether an allowed call changes anything; then every field
//! of every object type, open to whoever reaches the object or gated by a right. A new operation
//! or field that is not named here fails `the_table_names_every_operation_and_field`.

use crate::parties::{Org, Person, Target, METADATA_WRITE, USERS_DELETE, USERS_WRITE};
use crate::rules::{FieldRight, OrgRight, Right};

/// What an operation acts on; the matrix crosses each row with every target listed here.
#[derive(Clone, Copy, Debug)]
pub enum Targets {
    Nothing,
    Orgs,
    People,
    /// `People`, and the caller themself.
    PeopleAndMyself,
    /// Memberships: in the home org, in the foreign org, and ones that do not exist.
    Members,
    /// Would-be memberships of users not yet in the organization.
    Joining,
    Clients,
    Invitations,
    /// A token or credentials never issued.
    Bogus,
    /// A live invitation link, and a bogus one.
    Links,
}

impl Targets {
    pub fn list(self) -> Vec<Target> {
        use Person::*;
        let orgs = [Org::Home, Org::Foreign, Org::Ghost];
        let people = [
            OwnMember,
            ForeignMember,
            SharedMember,
            OwnAdmin,
            SuperadminMember,
            Ghost,
        ];
        match self {
            Targets::Nothing => vec![Target::Nothing],
            Targets::Orgs => orgs.map(Target::Org).to_vec(),
            Targets::People => people.map(Target::Person).to_vec(),
            Targets::PeopleAndMyself => people.into_iter().chain([Myself]).map(Target::Person).collect(),
            Targets::Members => [
                (Org::Home, OwnMember),
                (Org::Home, OwnAdmin),
                (Org::Home, SharedMember),
                (Org::Home, SuperadminMember),
                (Org::Home, ForeignMember),
                (Org::Home, Ghost),
                (Org::Foreign, ForeignMember),
                (Org::Foreign, SharedMember),
                (Org::Ghost, ForeignMember),
            ]
            .map(|(org, person)| Target::Member(org, person))
            .to_vec(),
            Targets::Joining => [
                (Org::Home, ForeignMember),
                (Org::Home, Ghost),
                (Org::Foreign, OwnMember),
                (Org::Ghost, OwnMember),
            ]
            .map(|(org, person)| Target::Member(org, person))
            .to_vec(),
            Targets::Clients => orgs.map(Target::Client).to_vec(),
            Targets::Invitations => orgs.map(Target::Invitation).to_vec(),
            Targets::Bogus => vec![Target::Bogus],
            Targets::Links => vec![Target::InvitationLink, Target::Bogus],
        }
    }
}

/// What an allowed call does to the world, which decides when it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Changes nothing: the database must be unchanged afterwards.
    Reads,
    /// Changes what it targets: each allowed call gets a fresh target of its own.
    Writes,
    /// Deletes its organization, or changes what the rest of the matrix relies on (the email
    /// domains it claims): each allowed call gets a fresh organization.
    Destroys,
    /// Ends the caller's own sessions: runs after everything else.
    EndsSessions,
}

/// What an allowed answer must hold beyond its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    Nothing,
    /// Lists exactly the organizations the caller sees.
    OrganizationsInReach,
    /// The signed-in caller, their superadmin flag and their own memberships.
    ViewerIsCaller,
    /// No event of an organization, or about a user, out of the caller's reach.
    AuditWithinReach,
    /// The memberships of a user the caller may see, and no other.
    VisibleMemberships(Person),
    /// An organization's pending invitations for those who manage its members; none for others.
    InvitationsForManagers(Org),
}

pub struct Operation {
    /// The call as sent: `$org`, `$user`, `$session`, `$slug`, `$client`, `$invitation`, `$token` and
    /// `$password` come from the target and the caller; `{n}` makes a name unique per call.
    pub call: &'static str,
    pub targets: Targets,
    pub right: Right,
    pub effect: Effect,
    pub check: Check,
    /// The answer to a token or credentials never issued (`None`: `null`).
    pub refusal: Option<&'static str>,
    /// Tables a refused call may still write to (a failed sign-in's traces).
    pub traces: &'static [&'static str],
}

/// A row: the right an operation needs, what it acts on, what an allowed call does, the call.
const fn op(right: Right, targets: Targets, effect: Effect, call: &'static str) -> Operation {
    Operation {
        call,
        targets,
        right,
        effect,
        check: Check::Nothing,
        refusal: None,
        traces: &[],
    }
}

impl Operation {
    /// An allowed answer must also pass `check`.
    const fn checked(self, check: Check) -> Self {
        Operation { check, ..self }
    }

    /// Answers `code` to a token or credentials never issued (an empty `code`: `null`).
    const fn refuses_bogus_with(self, code: &'static str) -> Self {
        let refusal = if code.is_empty() { None } else { Some(code) };
        Operation { refusal, ..self }
    }

    /// Writes these tables even when refused.
    const fn leaves(self, traces: &'static [&'static str]) -> Self {
        Operation { traces, ..self }
    }
}

use Check::{AuditWithinReach, OrganizationsInReach, ViewerIsCaller};
use Effect::{Destroys, EndsSessions, Reads, Writes};
use Right::{Anyone, Myself, ReadUser, SelfOrManageIdentity, SignedIn, Superadmin, Viewer};
use Targets::{Bogus, Clients, Invitations, Joining, Links, Members, Nothing, Orgs, People, PeopleAndMyself};

const SEE: Right = Right::InOrg(OrgRight::See);
const READ_MEMBERS: Right = Right::InOrg(OrgRight::ReadMembers);
const READ_AUDIT: Right = Right::InOrg(OrgRight::ReadAudit);
const MANAGE_MEMBERS: Right = Right::InOrg(OrgRight::ManageMembers { privileged: false });
const GRANT_PRIVILEGED: Right = Right::InOrg(OrgRight::ManageMembers { privileged: true });
const ADMINISTER: Right = Right::InOrg(OrgRight::Administer);
const IDENTITY: Right = Right::ManageIdentity {
    client_scope: USERS_WRITE,
};
const METADATA: Right = Right::ManageIdentity {
    client_scope: METADATA_WRITE,
};
const DELETION: Right = Right::ManageIdentity {
    client_scope: USERS_DELETE,
};
const MEMBER: Right = Right::ManageMember { privileged: false };
const GRANT_TO_MEMBER: Right = Right::ManageMember { privileged: true };
const JOIN: Right = Right::AddMember;

/// What a failed sign-in writes: its audit event and the lockout counters, of accounts and of
/// addresses that have none.
const FAILED_SIGN_IN: &[&str] = &["audit_events", "login_failures", "address_login_failures"];

/// Every operation. A name may appear in several rows that differ in their arguments. Lists ask
/// for their largest page (within the server's cost limit), so that what a caller must not see
/// cannot hide on a later one.
#[rustfmt::skip]
pub const OPERATIONS: &[Operation] = &[
    // right           targets          effect        call
    // Queries.
    op(Viewer,         Nothing,         Reads,        "viewer").checked(ViewerIsCaller),
    op(SEE,            Orgs,            Reads,        "organization(id: $org)"),
    op(SignedIn,       Nothing,         Reads,        "organizations(first: 200)").checked(OrganizationsInReach),
    op(Anyone,         Orgs,            Reads,        "publicOrganization(slug: $slug)"),
    op(ReadUser,       PeopleAndMyself, Reads,        "user(id: $user)"),
    op(READ_MEMBERS,   Nothing,         Reads,        "users(first: 30)"),
    op(READ_MEMBERS,   Orgs,            Reads,        "users(orgId: $org, first: 30)"),
    op(READ_AUDIT,     Nothing,         Reads,        "auditEvents(first: 200)").checked(AuditWithinReach),
    op(READ_AUDIT,     Orgs,            Reads,        "auditEvents(orgId: $org, first: 200)").checked(AuditWithinReach),
    op(READ_AUDIT,     People,          Reads,        "auditEvents(userId: $user, first: 200)").checked(AuditWithinReach),
    op(Anyone,         Links,           Reads,        "tokenInfo(token: $token)").refuses_bogus_with(""),
    op(Superadmin,     Nothing,         Reads,        "mailDelivery"),
    op(Superadmin,     Nothing,         Reads,        "mails(first: 200)"),
    op(ADMINISTER,     Orgs,            Reads,        "apiClients(orgId: $org)"),
    op(READ_MEMBERS,   Orgs,            Reads,        "metadataSchema(orgId: $org, target: USER_METADATA)"),
    op(SignedIn,       Nothing,         Reads,        "metadataSchema(target: APP_METADATA)"),
    op(ADMINISTER,     Orgs,            Reads,        "checkMetadataSchema(orgId: $org, target: USER_METADATA, schema: {})"),
    op(Superadmin,     Nothing,         Reads,        "checkMetadataSchema(target: MEMBERSHIP_METADATA, schema: {})"),
    op(ADMINISTER,     Orgs,            Reads,        "importJobs(orgId: $org)"),
    op(Anyone,         Bogus,           Reads,        "importJob(id: $token)").refuses_bogus_with(""),
    // Sign-in and the flows run from a mailed link, the same for every caller. The answers of
    // real sign-ins are the sign-in cases.
    op(Anyone,         Bogus,           Reads,        "login(email: \"nobody-{n}@nowhere.test\", password: \"Not-the-password-{n}\")")
        .refuses_bogus_with("INVALID_CREDENTIALS").leaves(FAILED_SIGN_IN),
    op(Anyone,         Bogus,           Reads,        "refreshSession(refreshToken: $token)").refuses_bogus_with("UNAUTHENTICATED"),
    op(Anyone,         Bogus,           Reads,        "resetPassword(token: $token, newPassword: \"Violet-Anchor-Tundra-{n}\")")
        .refuses_bogus_with("TOKEN_INVALID"),
    op(Anyone,         Bogus,           Reads,        "setupFirstAdmin(token: $token, email: \"first-{n}@example.com\", password: \"Violet-Anchor-Tundra-{n}\")")
        .refuses_bogus_with("TOKEN_INVALID"),
    op(Anyone,         Bogus,           Reads,        "verifyEmail(token: $token)").refuses_bogus_with("TOKEN_INVALID"),
    op(Anyone,         Bogus,           Reads,        "acceptInvitation(token: $token, password: \"Violet-Anchor-Tundra-{n}\")")
        .refuses_bogus_with("TOKEN_INVALID"),
    op(Anyone,         Bogus,           Reads,        "unlockAccount(token: $token)").refuses_bogus_with("TOKEN_INVALID"),
    op(Anyone,         Nothing,         Reads,        "requestPasswordReset(email: \"nobody@nowhere.test\")"),
    // Self-service.
    op(Myself,         Nothing,         Writes,       "updateMyProfile(input: { nickname: \"matrix-{n}\" })"),
    op(Myself,         Nothing,         Writes,       "changeMyEmail(newEmail: \"moved-{n}@example.com\", password: $password)"),
    op(Myself,         Nothing,         Writes,       "resendMyVerificationEmail"),
    op(Myself,         Nothing,         EndsSessions, "changeMyPassword(currentPassword: $password, newPassword: \"Violet-Anchor-Tundra-{n}\")"),
    op(Myself,         Nothing,         EndsSessions, "logout"),
    // Organizations.
    op(Superadmin,     Nothing,         Writes,       "createOrganization(input: { slug: \"made-{n}\", name: \"Made {n}\" })"),
    op(ADMINISTER,     Orgs,            Writes,       "updateOrganization(id: $org, input: { metadata: { matrix: \"{n}\" } })"),
    op(Superadmin,     Orgs,            Destroys,     "setOrganizationDomains(id: $org, domains: [\"claimed-{n}.test\"])"),
    op(Superadmin,     Orgs,            Destroys,     "deleteOrganization(id: $org)"),
    // Metadata schemas: a dry run writes nothing; a confirmed one is applied.
    op(ADMINISTER,     Orgs,            Reads,        "setMetadataSchema(orgId: $org, target: USER_METADATA, schema: { description: \"matrix-{n}\" })"),
    op(ADMINISTER,     Orgs,            Writes,       "setMetadataSchema(orgId: $org, target: APP_METADATA, schema: { description: \"matrix-{n}\" }, confirm: true)"),
    op(Superadmin,     Nothing,         Writes,       "setMetadataSchema(target: MEMBERSHIP_METADATA, schema: { description: \"matrix-{n}\" }, confirm: true)"),
    // Users and members.
    op(MANAGE_MEMBERS, Orgs,            Writes,       "createUser(input: { orgId: $org, email: \"made-{n}@example.com\", sendInvitation: false })"),
    op(GRANT_PRIVILEGED, Orgs,          Writes,       "createUser(input: { orgId: $org, email: \"made-{n}@example.com\", roles: [ADMIN], sendInvitation: false })"),
    op(IDENTITY,       People,          Writes,       "updateUser(id: $user, input: { nickname: \"matrix-{n}\" })"),
    op(METADATA,       People,          Writes,       "updateUserMetadata(id: $user, appMetadata: { matrix: \"{n}\" })"),
    op(DELETION,       People,          Writes,       "deleteUser(id: $user)"),
    op(MANAGE_MEMBERS, Orgs,            Writes,       "inviteMember(orgId: $org, email: \"invited-{n}@example.com\")"),
    op(GRANT_PRIVILEGED, Orgs,          Writes,       "inviteMember(orgId: $org, email: \"invited-{n}@example.com\", roles: [ADMIN])"),
    // Each item of a bulk action is authorized as its single mutation (the `bulk_actions` suite);
    // here, who may start one.
    op(MANAGE_MEMBERS, Orgs,            Reads,        "bulkUserAction(input: { orgId: $org, userIds: [], action: REVOKE_SESSIONS })"),
    op(MANAGE_MEMBERS, Invitations,     Writes,       "revokeInvitation(id: $invitation)"),
    op(MANAGE_MEMBERS, Invitations,     Writes,       "resendInvitation(id: $invitation)"),
    op(JOIN,           Joining,         Writes,       "addMember(orgId: $org, userId: $user)"),
    op(MEMBER,         Members,         Writes,       "removeMember(orgId: $org, userId: $user)"),
    op(MEMBER,         Members,         Writes,       "setMemberRoles(orgId: $org, userId: $user, roles: [AUDITOR])"),
    op(GRANT_TO_MEMBER, Members,        Writes,       "setMemberRoles(orgId: $org, userId: $user, roles: [ADMIN])"),
    op(MEMBER,         Members,         Writes,       "updateMembershipMetadata(orgId: $org, userId: $user, metadata: { matrix: \"{n}\" })"),
    op(MEMBER,         Members,         Writes,       "suspendMember(orgId: $org, userId: $user, reason: \"matrix\")"),
    op(MEMBER,         Members,         Writes,       "reinstateMember(orgId: $org, userId: $user)"),
    // Passwords, verification, blocking, sessions.
    op(IDENTITY,       People,          Writes,       "blockUser(userId: $user, reason: \"matrix\")"),
    op(IDENTITY,       People,          Writes,       "unblockUser(userId: $user)"),
    op(IDENTITY,       People,          Writes,       "clearLockouts(userId: $user)"),
    op(SelfOrManageIdentity, People,    Writes,       "revokeSessions(userId: $user)"),
    op(SelfOrManageIdentity, People,    Writes,       "revokeSession(id: $session)"),
    op(IDENTITY,       People,          Writes,       "sendPasswordResetEmail(userId: $user)"),
    op(IDENTITY,       People,          Writes,       "createPasswordChangeTicket(userId: $user)"),
    op(IDENTITY,       People,          Writes,       "setUserPassword(userId: $user, password: \"Violet-Anchor-Tundra-{n}\")"),
    op(IDENTITY,       People,          Writes,       "sendVerificationEmail(userId: $user)"),
    op(IDENTITY,       People,          Writes,       "setEmailVerified(userId: $user, verified: true)"),
    // Partner apps.
    op(ADMINISTER,     Orgs,            Writes,       "createApiClient(orgId: $org, name: \"made {n}\", scopes: [\"users:read\"])"),
    op(ADMINISTER,     Clients,         Writes,       "rotateApiClientSecret(id: $client)"),
    op(ADMINISTER,     Clients,         Writes,       "deleteApiClient(id: $client)"),
];

/// How a field of an object is read by those who reach the object.
#[derive(Clone, Copy, Debug)]
pub enum FieldRule {
    /// Readable only with this right; everyone else gets `null` there and one `FORBIDDEN` error
    /// at that path, and the rest of the object survives (API.md, "Decisions").
    Withheld(FieldRight),
    /// A list trimmed to what the caller may see (checked by the case's `Check`).
    Trimmed,
}

/// The fields of one object type.
pub struct Fields {
    pub type_name: &'static str,
    /// Read by whoever reaches the object.
    pub open: &'static [&'static str],
    /// The name, how the field is called, and its rule.
    pub gated: &'static [(&'static str, &'static str, FieldRule)],
}

const fn open(type_name: &'static str, open: &'static [&'static str]) -> Fields {
    Fields {
        type_name,
        open,
        gated: &[],
    }
}

use FieldRule::{Trimmed, Withheld};

#[rustfmt::skip]
pub const FIELDS: &[Fields] = &[
    Fields {
        type_name: "User",
        open: &["id", "email", "emailVerified", "username", "name", "givenName", "familyName", "nickname", "picture",
            "phoneNumber", "locale", "userMetadata", "blocked", "blockedReason", "passwordChangeRequired", "lastLoginAt",
            "loginsCount", "createdAt", "updatedAt", "pendingEmail", "isSuperadmin", "lockouts", "metadataForm"],
        gated: &[
            ("appMetadata", "appMetadata",            Withheld(FieldRight::UserAppData)),
            ("sessions",    "sessions",               Withheld(FieldRight::Sessions)),
            ("auditEvents", "auditEvents(first: 200)", Withheld(FieldRight::UserAudit)),
            ("memberships", "memberships",            Trimmed),
        ],
    },
    Fields {
        type_name: "Organization",
        open: &["id", "slug", "name", "branding", "domains", "memberCount", "createdAt"],
        gated: &[
            ("metadata",    "metadata",           Withheld(FieldRight::OrgAdminData)),
            ("settings",    "settings",           Withheld(FieldRight::OrgAdminData)),
            ("members",     "members(first: 200)", Withheld(FieldRight::OrgMembers)),
            ("member",      "member(userId: $member)", Withheld(FieldRight::OrgMembers)),
            ("invitations", "invitations",        Trimmed),
        ],
    },
    Fields {
        type_name: "Membership",
        open: &["organization", "user", "roles", "status", "suspendedReason", "createdAt"],
        gated: &[("metadata", "metadata", Withheld(FieldRight::OrgMembers))],
    },
    open("Viewer",               &["user", "isSuperadmin", "memberships"]),
    open("AuthPayload",          &["accessToken", "refreshToken", "expiresIn", "user", "passwordChangeRequired"]),
    open("ApiClient",            &["id", "name", "clientId", "scopes", "createdAt", "lastUsedAt"]),
    open("ApiClientCredentials", &["client", "clientSecret"]),
    open("AuditEvent",           &["id", "type", "at", "actorUserId", "actorApiClientId", "targetUserId", "organizationId",
                                   "ip", "userAgent", "details"]),
    open("Branding",             &["displayName", "logoUrl", "primaryColor"]),
    open("BulkActionResult",     &["succeeded", "failed", "items"]),
    open("BulkItemResult",       &["userId", "ok", "code", "message"]),
    open("ImportJob",            &["id", "orgId", "status", "source", "format", "upsert", "updateShared", "fileBytes",
                                   "bytesDone", "linesDone", "createdCount", "updatedCount", "skippedCount",
                                   "rejectedCount", "failure", "startedAt", "updatedAt", "finishedAt", "problems"]),
    open("ImportProblem",        &["line", "outcome", "message"]),
    open("Invitation",           &["id", "email", "roles", "expiresAt"]),
    open("Lockout",              &["ip", "failedAttempts", "lockedUntil"]),
    open("LockoutPolicy",        &["maxFailedAttempts", "lockoutSeconds"]),
    open("Mail",                 &["id", "kind", "to", "subject", "status", "attempts", "lastError", "createdAt", "sentAt",
                                   "nextAttemptAt", "link", "textBody", "organizationId", "userId"]),
    open("MailDelivery",         &["sending", "from"]),
    open("MetadataForm",         &["schemas", "readOnly"]),
    open("MetadataSchemaFailure", &["userId", "email", "violations"]),
    open("MetadataSchemaReport", &["applied", "checkedCount", "failingCount", "failing", "hasMore"]),
    open("MetadataSchemaViolation", &["path", "message"]),
    open("OrgSettings",          &["passwordPolicy", "lockout", "requireVerifiedEmail", "sessionLifetimeSeconds"]),
    open("PageInfo",             &["hasNextPage", "endCursor"]),
    open("PasswordPolicy",       &["minLength", "minStrength", "historySize", "rejectPersonalInfo"]),
    open("PublicOrganization",   &["slug", "name", "branding", "passwordPolicy"]),
    open("Session",              &["id", "createdAt", "lastUsedAt", "expiresAt", "ip", "userAgent", "current"]),
    open("Ticket",               &["url", "expiresAt"]),
    open("TokenInfo",            &["purpose", "email", "expiresAt", "organization", "passwordPolicy", "accountExists",
                                   "resultUrl"]),
    open("AuditEventConnection", &["edges", "pageInfo", "totalCount"]),
    open("AuditEventEdge",       &["cursor", "node"]),
    open("MailConnection",       &["edges", "pageInfo", "totalCount"]),
    open("MailEdge",             &["cursor", "node"]),
    open("MembershipConnection", &["edges", "pageInfo", "totalCount"]),
    open("MembershipEdge",       &["cursor", "node"]),
    open("OrganizationConnection", &["edges", "pageInfo", "totalCount"]),
    open("OrganizationEdge",     &["cursor", "node"]),
    open("UserConnection",       &["edges", "pageInfo", "totalCount"]),
    open("UserEdge",             &["cursor", "node"]),
];

/// The name of the operation a call invokes.
pub fn operation_name(call: &str) -> &str {
    call.split(|c: char| c == '(' || c.is_whitespace())
        .next()
        .unwrap_or(call)
}

pub fn fields_of(type_name: &str) -> Option<&'static Fields> {
    FIELDS.iter().find(|fields| fields.type_name == type_name)
}

/// The subscription root's fields, each with the suite that checks its authorization over
/// WebSocket (at subscribe, and before every delivery).
pub const SUBSCRIPTIONS: &[(&str, &str)] = &[(
    "auditEvents",
    "audit_live.rs: subscribing_needs_the_right_to_read_the_log, a_viewer_who_loses_the_right_stops_receiving_at_once",
)];
