//! An organization's member list — filtered, sorted and paged on the server — and adding a member.

use graphql_client::GraphQLQuery;

use super::client::{execute, Session};
use super::error::ApiError;
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::{DateTime, MembershipStatus, OrderDirection, OrgRole, UserOrderField, JSON};

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/members.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone, PartialEq",
    extern_enums("OrgRole", "MembershipStatus", "OrderDirection", "UserOrderField"),
    skip_serializing_none
)]
pub struct OrganizationMembers;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/members.graphql",
    response_derives = "Debug, Clone, PartialEq",
    extern_enums("OrgRole", "MembershipStatus", "OrderDirection", "UserOrderField"),
    skip_serializing_none
)]
pub struct CreateUser;

pub type OrganizationWithMembers = organization_members::OrganizationMembersOrganization;
pub type MemberEdge = organization_members::OrganizationMembersOrganizationMembersEdges;
pub use organization_members::{MetadataFilter, MetadataRange, UserFilter, UserOrder};

/// How many members one page shows.
pub const PAGE_SIZE: i64 = 50;

/// One page of members. `None` means the organization does not exist or is out of reach.
pub async fn load_members(
    session: Session,
    organization_id: String,
    after: Option<String>,
    filter: UserFilter,
    order: UserOrder,
) -> Result<Option<OrganizationWithMembers>, ApiError> {
    let variables = organization_members::Variables {
        org_id: organization_id,
        first: PAGE_SIZE,
        after,
        filter: Some(filter),
        order_by: Some(order),
    };
    Ok(execute::<OrganizationMembers>(session, variables).await?.organization)
}

/// What the "New user" form collects.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMember {
    pub organization_id: String,
    pub email: String,
    pub name: Option<String>,
    pub roles: Vec<OrgRole>,
    /// Given: the user must change it at the first sign-in (the server sets the flag).
    pub password: Option<String>,
    pub send_invitation: bool,
}

/// Creates the user as a member of the organization; returns the new user's id.
pub async fn create_member(session: Session, member: NewMember) -> Result<String, ApiError> {
    let variables = create_user::Variables {
        org_id: member.organization_id,
        email: member.email,
        name: member.name,
        roles: member.roles,
        password: member.password,
        send_invitation: member.send_invitation,
    };
    let data = execute::<CreateUser>(session, variables).await?;
    Ok(data.create_user.id)
}
