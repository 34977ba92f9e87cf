//! Enums of the contract, and their mapping to the domain's.

use async_graphql::Enum;

use crate::domain::user_search::OrderField;
use crate::policy::roles::{Role, RoleSet, ACTIVE, SUSPENDED};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgRole {
    Admin,
    UserManager,
    Auditor,
    Member,
}

impl From<OrgRole> for Role {
    fn from(role: OrgRole) -> Self {
        match role {
            OrgRole::Admin => Role::Admin,
            OrgRole::UserManager => Role::UserManager,
            OrgRole::Auditor => Role::Auditor,
            OrgRole::Member => Role::Member,
        }
    }
}

impl From<Role> for OrgRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => OrgRole::Admin,
            Role::UserManager => OrgRole::UserManager,
            Role::Auditor => OrgRole::Auditor,
            Role::Member => OrgRole::Member,
        }
    }
}

pub fn role_set(roles: &[OrgRole]) -> RoleSet {
    RoleSet::from_roles(&roles.iter().map(|role| Role::from(*role)).collect::<Vec<_>>())
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipStatus {
    Active,
    Suspended,
}

impl MembershipStatus {
    pub fn stored(self) -> &'static str {
        match self {
            MembershipStatus::Active => ACTIVE,
            MembershipStatus::Suspended => SUSPENDED,
        }
    }

    pub fn from_stored(value: &str) -> Self {
        if value == SUSPENDED {
            MembershipStatus::Suspended
        } else {
            MembershipStatus::Active
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderDirection {
    Asc,
    Desc,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserOrderField {
    Email,
    Name,
    CreatedAt,
    LastLoginAt,
}

impl From<UserOrderField> for OrderField {
    fn from(field: UserOrderField) -> Self {
        match field {
            UserOrderField::Email => OrderField::Email,
            UserOrderField::Name => OrderField::Name,
            UserOrderField::CreatedAt => OrderField::CreatedAt,
            UserOrderField::LastLoginAt => OrderField::LastLoginAt,
        }
    }
}
