//! The signed-in person's own view: superadmin flag and memberships, for the shell.

use graphql_client::GraphQLQuery;

use super::client::{execute, Session};
use super::error::{ApiError, ErrorCode};
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::{MembershipStatus, OrgRole};

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/viewer.graphql",
    response_derives = "Debug, Clone, PartialEq",
    extern_enums("OrgRole", "MembershipStatus")
)]
pub struct Viewer;

/// One organization the signed-in person belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct OwnMembership {
    pub organization_id: String,
    pub organization_name: String,
    pub organization_slug: String,
    pub roles: Vec<OrgRole>,
    pub status: MembershipStatus,
}

impl OwnMembership {
    /// Whether these roles may read the member list: where an administrator's work starts.
    pub fn can_read_members(&self) -> bool {
        self.status == MembershipStatus::Active
            && self
                .roles
                .iter()
                .any(|role| matches!(role, OrgRole::Admin | OrgRole::UserManager | OrgRole::Auditor))
    }

    /// Whether these roles let the person add and manage members (the server has the final say).
    pub fn can_manage_members(&self) -> bool {
        self.status == MembershipStatus::Active
            && self
                .roles
                .iter()
                .any(|role| matches!(role, OrgRole::Admin | OrgRole::UserManager))
    }

    /// Whether these roles may read the organization's audit log (the server has the final say).
    pub fn can_read_audit(&self) -> bool {
        self.status == MembershipStatus::Active
            && self
                .roles
                .iter()
                .any(|role| matches!(role, OrgRole::Admin | OrgRole::Auditor))
    }

    /// Whether these roles make the person the organization's ADMIN, who alone manages its
    /// settings and API clients (the server has the final say).
    pub fn is_admin(&self) -> bool {
        self.status == MembershipStatus::Active && self.roles.contains(&OrgRole::Admin)
    }
}

/// What the shell needs to know about the signed-in person beyond the session itself.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewerProfile {
    pub user_id: String,
    pub email: String,
    pub name: Option<String>,
    pub is_superadmin: bool,
    pub memberships: Vec<OwnMembership>,
}

impl ViewerProfile {
    pub fn membership(&self, organization_id: &str) -> Option<&OwnMembership> {
        self.memberships
            .iter()
            .find(|membership| membership.organization_id == organization_id)
    }

    /// Whether the "New user" form is worth offering in this organization.
    pub fn can_manage_members_of(&self, organization_id: &str) -> bool {
        self.is_superadmin
            || self
                .membership(organization_id)
                .is_some_and(OwnMembership::can_manage_members)
    }

    /// Whether the organization's audit log is worth offering: its ADMINs and AUDITORs, and
    /// superadmins.
    pub fn can_read_audit_of(&self, organization_id: &str) -> bool {
        self.is_superadmin
            || self
                .membership(organization_id)
                .is_some_and(OwnMembership::can_read_audit)
    }

    /// Whether the ADMIN-only parts of an organization's page, such as its API clients, are worth
    /// offering.
    pub fn can_administer(&self, organization_id: &str) -> bool {
        self.is_superadmin || self.membership(organization_id).is_some_and(OwnMembership::is_admin)
    }
}

/// `viewer` is null only when the token is not accepted, which the caller treats as signed out.
pub async fn load_viewer(session: Session) -> Result<ViewerProfile, ApiError> {
    let data = execute::<Viewer>(session, viewer::Variables).await?;
    let viewer = data
        .viewer
        .ok_or_else(|| ApiError::local(ErrorCode::Unauthenticated, "The session is no longer valid."))?;
    Ok(ViewerProfile {
        user_id: viewer.user.id,
        email: viewer.user.email,
        name: viewer.user.name,
        is_superadmin: viewer.is_superadmin,
        memberships: viewer
            .memberships
            .into_iter()
            .map(|membership| OwnMembership {
                organization_id: membership.organization.id,
                organization_name: membership.organization.name,
                organization_slug: membership.organization.slug,
                roles: membership.roles,
                status: membership.status,
            })
            .collect(),
    })
}
