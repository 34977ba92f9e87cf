//! The schema's enums, written once and shared by every operation (via graphql_client's
//! `extern_enums`) so that a role read from one query can be sent back in another without
//! converting between per-operation copies.

use serde::{Deserialize, Serialize};

/// The custom scalars, as the generated code expects them in scope: RFC 3339 text and any JSON.
/// The names are the schema's, which is why `JSON` keeps its capitals.
pub type DateTime = String;
#[allow(clippy::upper_case_acronyms)]
pub type JSON = serde_json::Value;

/// A role inside one organization. Superadmin is a flag on the user, not one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrgRole {
    Admin,
    UserManager,
    Auditor,
    Member,
    /// A role added to the server after this portal was built; shown, never sent.
    #[serde(other)]
    Unknown,
}

impl OrgRole {
    /// Every role an administrator can grant, strongest first, for checkboxes and filters.
    pub const GRANTABLE: [OrgRole; 4] = [OrgRole::Admin, OrgRole::UserManager, OrgRole::Auditor, OrgRole::Member];

    pub fn label(self) -> &'static str {
        match self {
            OrgRole::Admin => "Admin",
            OrgRole::UserManager => "User manager",
            OrgRole::Auditor => "Auditor",
            OrgRole::Member => "Member",
            OrgRole::Unknown => "Other",
        }
    }

    /// The wire name, also used as a stable form value and element id suffix.
    pub fn wire_name(self) -> &'static str {
        match self {
            OrgRole::Admin => "ADMIN",
            OrgRole::UserManager => "USER_MANAGER",
            OrgRole::Auditor => "AUDITOR",
            OrgRole::Member => "MEMBER",
            OrgRole::Unknown => "UNKNOWN",
        }
    }

    pub fn from_wire_name(name: &str) -> Option<Self> {
        Self::GRANTABLE.into_iter().find(|role| role.wire_name() == name)
    }
}

/// Whether a membership is in force; a suspended member cannot reach that organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MembershipStatus {
    Active,
    Suspended,
    #[serde(other)]
    Unknown,
}

impl MembershipStatus {
    pub const ALL: [MembershipStatus; 2] = [MembershipStatus::Active, MembershipStatus::Suspended];

    pub fn label(self) -> &'static str {
        match self {
            MembershipStatus::Active => "Active",
            MembershipStatus::Suspended => "Suspended",
            MembershipStatus::Unknown => "Other",
        }
    }

    pub fn wire_name(self) -> &'static str {
        match self {
            MembershipStatus::Active => "ACTIVE",
            MembershipStatus::Suspended => "SUSPENDED",
            MembershipStatus::Unknown => "UNKNOWN",
        }
    }

    pub fn from_wire_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.wire_name() == name)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderDirection {
    #[default]
    Asc,
    Desc,
}

impl OrderDirection {
    pub const ALL: [OrderDirection; 2] = [OrderDirection::Asc, OrderDirection::Desc];

    pub fn label(self) -> &'static str {
        match self {
            OrderDirection::Asc => "Ascending",
            OrderDirection::Desc => "Descending",
        }
    }

    pub fn wire_name(self) -> &'static str {
        match self {
            OrderDirection::Asc => "ASC",
            OrderDirection::Desc => "DESC",
        }
    }

    pub fn from_wire_name(name: &str) -> Self {
        if name == "DESC" {
            OrderDirection::Desc
        } else {
            OrderDirection::Asc
        }
    }
}

/// What a member list can be sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserOrderField {
    #[default]
    Email,
    Name,
    CreatedAt,
    LastLoginAt,
}

impl UserOrderField {
    pub const ALL: [UserOrderField; 4] = [
        UserOrderField::Email,
        UserOrderField::Name,
        UserOrderField::CreatedAt,
        UserOrderField::LastLoginAt,
    ];

    pub fn label(self) -> &'static str {
        match self {
            UserOrderField::Email => "Email",
            UserOrderField::Name => "Name",
            UserOrderField::CreatedAt => "Created",
            UserOrderField::LastLoginAt => "Last login",
        }
    }

    pub fn wire_name(self) -> &'static str {
        match self {
            UserOrderField::Email => "EMAIL",
            UserOrderField::Name => "NAME",
            UserOrderField::CreatedAt => "CREATED_AT",
            UserOrderField::LastLoginAt => "LAST_LOGIN_AT",
        }
    }

    pub fn from_wire_name(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|field| field.wire_name() == name)
            .unwrap_or_default()
    }
}

/// What a one-time token from an emailed link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TokenPurpose {
    PasswordReset,
    EmailVerification,
    EmailChange,
    Invitation,
    Unlock,
    #[serde(other)]
    Unknown,
}

/// Where a message in the outbox stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MailStatus {
    Pending,
    Sent,
    Failed,
    /// Not sent: no SMTP server is configured, so the message went to the server log.
    Logged,
    #[serde(other)]
    Unknown,
}

impl MailStatus {
    pub const ALL: [MailStatus; 4] = [
        MailStatus::Pending,
        MailStatus::Sent,
        MailStatus::Failed,
        MailStatus::Logged,
    ];

    pub fn label(self) -> &'static str {
        match self {
            MailStatus::Pending => "Pending",
            MailStatus::Sent => "Sent",
            MailStatus::Failed => "Failed",
            MailStatus::Logged => "Logged",
            MailStatus::Unknown => "Other",
        }
    }

    pub fn wire_name(self) -> &'static str {
        match self {
            MailStatus::Pending => "PENDING",
            MailStatus::Sent => "SENT",
            MailStatus::Failed => "FAILED",
            MailStatus::Logged => "LOGGED",
            MailStatus::Unknown => "UNKNOWN",
        }
    }

    pub fn from_wire_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.wire_name() == name)
    }

    /// The pill colour, from the shared palette in lists.css.
    pub fn pill_class(self) -> &'static str {
        match self {
            MailStatus::Sent => "pill positive",
            MailStatus::Failed => "pill danger",
            MailStatus::Pending | MailStatus::Logged | MailStatus::Unknown => "pill warning",
        }
    }
}
