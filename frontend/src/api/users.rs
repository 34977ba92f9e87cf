//! One user's full profile, for the user page, with what keeps them out for its Access panel.

use graphql_client::GraphQLQuery;

use super::client::{execute, Session};
use super::error::ApiError;
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::{DateTime, MembershipStatus, OrgRole, JSON};

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/users.graphql",
    response_derives = "Debug, Clone, PartialEq",
    extern_enums("OrgRole", "MembershipStatus")
)]
pub struct UserDetails;

pub type UserProfile = user_details::UserDetailsUser;
pub type UserMembership = user_details::UserDetailsUserMemberships;
pub type UserLockout = user_details::UserDetailsUserLockouts;

/// `None` when the user does not exist or is outside the caller's reach (the server does not say
/// which, on purpose).
pub async fn load_user(session: Session, user_id: String) -> Result<Option<UserProfile>, ApiError> {
    let variables = user_details::Variables { id: user_id };
    Ok(execute::<UserDetails>(session, variables).await?.user)
}
