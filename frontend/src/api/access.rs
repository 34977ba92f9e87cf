//! What keeps a user out, and changing it: block, suspension, lockouts and sessions. The block,
//! the suspensions and the lockouts arrive with the user's profile (`users.rs`); sessions are read
//! apart because fewer callers may see them.

use graphql_client::GraphQLQuery;

use super::client::{execute, Session};
use super::error::ApiError;
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::{DateTime, MembershipStatus};

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/access.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct UserSessions;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/access.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct BlockUser;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/access.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct UnblockUser;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/access.graphql",
    response_derives = "Debug, Clone, PartialEq",
    extern_enums("MembershipStatus")
)]
pub struct SuspendMember;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/access.graphql",
    response_derives = "Debug, Clone, PartialEq",
    extern_enums("MembershipStatus")
)]
pub struct ReinstateMember;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/access.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct ClearLockouts;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/access.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct RevokeSessions;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/access.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct RevokeSession;

pub type SignInSession = user_sessions::UserSessionsUserSessions;

/// Ends one session: that device must sign in again.
pub async fn revoke_session(session: Session, id: String) -> Result<(), ApiError> {
    execute::<RevokeSession>(session, revoke_session::Variables { id }).await?;
    Ok(())
}

/// The user's live sessions. Empty when the user is out of reach: the profile query already says
/// so, and this one should not say it twice.
pub async fn load_sessions(session: Session, user_id: String) -> Result<Vec<SignInSession>, ApiError> {
    let variables = user_sessions::Variables { id: user_id };
    let data = execute::<UserSessions>(session, variables).await?;
    Ok(data.user.and_then(|user| user.sessions).unwrap_or_default())
}

/// Blocks the user everywhere; an empty reason is sent as none.
pub async fn block_user(session: Session, user_id: String, reason: Option<String>) -> Result<(), ApiError> {
    let variables = block_user::Variables { user_id, reason };
    execute::<BlockUser>(session, variables).await?;
    Ok(())
}

pub async fn unblock_user(session: Session, user_id: String) -> Result<(), ApiError> {
    execute::<UnblockUser>(session, unblock_user::Variables { user_id }).await?;
    Ok(())
}

/// Suspends the user's membership in one organization only.
pub async fn suspend_member(
    session: Session,
    organization_id: String,
    user_id: String,
    reason: Option<String>,
) -> Result<(), ApiError> {
    let variables = suspend_member::Variables {
        org_id: organization_id,
        user_id,
        reason,
    };
    execute::<SuspendMember>(session, variables).await?;
    Ok(())
}

pub async fn reinstate_member(session: Session, organization_id: String, user_id: String) -> Result<(), ApiError> {
    let variables = reinstate_member::Variables {
        org_id: organization_id,
        user_id,
    };
    execute::<ReinstateMember>(session, variables).await?;
    Ok(())
}

/// Lifts every brute-force lock on the user, from whatever address.
pub async fn clear_lockouts(session: Session, user_id: String) -> Result<(), ApiError> {
    execute::<ClearLockouts>(session, clear_lockouts::Variables { user_id }).await?;
    Ok(())
}

/// Ends every session of the user, the caller's own included when it is their own account;
/// returns how many were live.
pub async fn revoke_sessions(session: Session, user_id: String) -> Result<i64, ApiError> {
    let data = execute::<RevokeSessions>(session, revoke_sessions::Variables { user_id }).await?;
    Ok(data.revoke_sessions)
}
