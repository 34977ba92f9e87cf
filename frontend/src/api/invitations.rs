//! An organization's pending invitations: listing, sending and revoking them.

use graphql_client::GraphQLQuery;

use super::client::{execute, Session};
use super::error::ApiError;
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::{DateTime, OrgRole};

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/invitations.graphql",
    response_derives = "Debug, Clone, PartialEq",
    extern_enums("OrgRole")
)]
pub struct OrganizationInvitations;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/invitations.graphql",
    response_derives = "Debug, Clone, PartialEq",
    extern_enums("OrgRole")
)]
pub struct InviteMember;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/invitations.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct RevokeInvitation;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/invitations.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct ResendInvitation;

/// Mails the invitation again with a new link, valid for the full period; the old link stops
/// working.
pub async fn resend_invitation(session: Session, invitation_id: String) -> Result<(), ApiError> {
    execute::<ResendInvitation>(session, resend_invitation::Variables { id: invitation_id }).await?;
    Ok(())
}

pub type Invitation = organization_invitations::OrganizationInvitationsOrganizationInvitations;

/// The pending invitations; empty when the organization is out of reach (the member list says so
/// already).
pub async fn load_invitations(session: Session, organization_id: String) -> Result<Vec<Invitation>, ApiError> {
    let variables = organization_invitations::Variables {
        org_id: organization_id,
    };
    let data = execute::<OrganizationInvitations>(session, variables).await?;
    Ok(data
        .organization
        .map(|organization| organization.invitations)
        .unwrap_or_default())
}

/// Mails an invitation to join the organization with these roles.
pub async fn invite_member(
    session: Session,
    organization_id: String,
    email: String,
    roles: Vec<OrgRole>,
) -> Result<(), ApiError> {
    let variables = invite_member::Variables {
        org_id: organization_id,
        email,
        roles,
    };
    execute::<InviteMember>(session, variables).await?;
    Ok(())
}

/// The link in the invitation stops working.
pub async fn revoke_invitation(session: Session, invitation_id: String) -> Result<(), ApiError> {
    execute::<RevokeInvitation>(session, revoke_invitation::Variables { id: invitation_id }).await?;
    Ok(())
}
