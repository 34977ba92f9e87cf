//! Bulk actions on members: one action on up to 1 000 chosen members, answered per member, and
//! the members matching a filter (to choose "all matching").

use graphql_client::GraphQLQuery;

use super::client::{execute, Session};
use super::error::{ApiError, ErrorCode};
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::{DateTime, MembershipStatus, OrgRole, JSON};

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/bulk.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone, PartialEq",
    extern_enums("OrgRole"),
    skip_serializing_none
)]
pub struct BulkUserAction;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/bulk.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone, PartialEq",
    extern_enums("OrgRole", "MembershipStatus"),
    skip_serializing_none
)]
pub struct MatchingMembers;

pub use bulk_user_action::BulkUserAction as Action;
pub use matching_members::{
    MetadataFilter as MatchingMetadataFilter, MetadataRange as MatchingMetadataRange, UserFilter as MatchingFilter,
};

/// How many members one bulk action may name (the server's limit).
pub const MAX_MEMBERS: usize = 1_000;

/// A member picked for a bulk action: the id is sent, the email shown.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Picked {
    pub id: String,
    pub email: String,
}

/// The actions offered, in the order the menu lists them, with their labels and whether they
/// destroy something (which the confirmation says).
pub const ACTIONS: [(Action, &str, &str); 10] = [
    (Action::BLOCK, "BLOCK", "Block"),
    (Action::UNBLOCK, "UNBLOCK", "Unblock"),
    (Action::SUSPEND, "SUSPEND", "Suspend in this organization"),
    (Action::REINSTATE, "REINSTATE", "Reinstate in this organization"),
    (Action::SET_ROLES, "SET_ROLES", "Set roles"),
    (
        Action::REMOVE_FROM_ORG,
        "REMOVE_FROM_ORG",
        "Remove from this organization",
    ),
    (
        Action::SEND_PASSWORD_RESET,
        "SEND_PASSWORD_RESET",
        "Send a password reset link",
    ),
    (
        Action::SEND_VERIFICATION,
        "SEND_VERIFICATION",
        "Send a verification link",
    ),
    (Action::REVOKE_SESSIONS, "REVOKE_SESSIONS", "End all sessions"),
    (Action::DELETE, "DELETE", "Delete the users"),
];

/// One member's outcome: `None` when it was done, else why not.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemOutcome {
    pub id: String,
    pub error: Option<ApiError>,
}

pub async fn run_bulk(
    session: Session,
    organization_id: String,
    user_ids: Vec<String>,
    action: Action,
    roles: Option<Vec<OrgRole>>,
    reason: Option<String>,
) -> Result<Vec<ItemOutcome>, ApiError> {
    let variables = bulk_user_action::Variables {
        org_id: organization_id,
        user_ids,
        action,
        roles,
        reason,
    };
    let data = execute::<BulkUserAction>(session, variables).await?;
    Ok(data
        .bulk_user_action
        .items
        .into_iter()
        .map(|item| ItemOutcome {
            id: item.user_id,
            error: (!item.ok).then(|| {
                ApiError::local(
                    ErrorCode::parse(item.code.as_deref().unwrap_or("INTERNAL")),
                    item.message.unwrap_or_default(),
                )
            }),
        })
        .collect())
}

/// Every member matching `filter`, up to [`MAX_MEMBERS`], a page of 200 at a time.
pub async fn matching_members(
    session: Session,
    organization_id: String,
    filter: MatchingFilter,
) -> Result<Vec<Picked>, ApiError> {
    let mut picked = Vec::new();
    let mut after = None;
    loop {
        let variables = matching_members::Variables {
            org_id: organization_id.clone(),
            first: 200,
            after: after.clone(),
            filter: Some(filter.clone()),
        };
        let data = execute::<MatchingMembers>(session, variables).await?;
        let Some(members) = data.organization.and_then(|organization| organization.members) else {
            break;
        };
        picked.extend(members.edges.into_iter().map(|edge| Picked {
            id: edge.node.user.id,
            email: edge.node.user.email,
        }));
        if !members.page_info.has_next_page || picked.len() >= MAX_MEMBERS {
            break;
        }
        after = members.page_info.end_cursor;
    }
    picked.truncate(MAX_MEMBERS);
    Ok(picked)
}
