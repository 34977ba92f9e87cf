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

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/users.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct UpdateUserProfile;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/users.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct ChangeUserEmail;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/users.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct DeleteUser;

/// A user's profile fields as an administrator edits them; `None` clears a field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdminProfileFields {
    pub username: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub phone_number: Option<String>,
    pub locale: Option<String>,
}

/// Saves every field as given.
pub async fn update_user_profile(
    session: Session,
    user_id: String,
    fields: AdminProfileFields,
) -> Result<(), ApiError> {
    let variables = update_user_profile::Variables {
        id: user_id,
        username: fields.username,
        name: fields.name,
        given_name: fields.given_name,
        family_name: fields.family_name,
        nickname: fields.nickname,
        picture: fields.picture,
        phone_number: fields.phone_number,
        locale: fields.locale,
    };
    execute::<UpdateUserProfile>(session, variables).await?;
    Ok(())
}

/// Changes the user's address: the new one is unverified and is sent a link.
pub async fn change_user_email(session: Session, user_id: String, email: String) -> Result<(), ApiError> {
    execute::<ChangeUserEmail>(session, change_user_email::Variables { id: user_id, email }).await?;
    Ok(())
}

/// Deletes the user everywhere.
pub async fn delete_user(session: Session, user_id: String) -> Result<(), ApiError> {
    execute::<DeleteUser>(session, delete_user::Variables { id: user_id }).await?;
    Ok(())
}

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/users.graphql",
    response_derives = "Debug, Clone, PartialEq",
    extern_enums("OrgRole")
)]
pub struct SetMemberRoles;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/users.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct RemoveMember;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/users.graphql",
    response_derives = "Debug, Clone, PartialEq",
    extern_enums("OrgRole", "MembershipStatus")
)]
pub struct AddMember;

/// Replaces the user's roles in one organization.
pub async fn set_member_roles(
    session: Session,
    org_id: String,
    user_id: String,
    roles: Vec<OrgRole>,
) -> Result<(), ApiError> {
    execute::<SetMemberRoles>(session, set_member_roles::Variables { org_id, user_id, roles }).await?;
    Ok(())
}

/// Takes the user out of one organization; the account stays.
pub async fn remove_member(session: Session, org_id: String, user_id: String) -> Result<(), ApiError> {
    execute::<RemoveMember>(session, remove_member::Variables { org_id, user_id }).await?;
    Ok(())
}

/// Makes an existing user a member of another organization.
pub async fn add_member(
    session: Session,
    org_id: String,
    user_id: String,
    roles: Vec<OrgRole>,
) -> Result<(), ApiError> {
    execute::<AddMember>(
        session,
        add_member::Variables {
            org_id,
            user_id,
            roles: Some(roles),
        },
    )
    .await?;
    Ok(())
}

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/users.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct UpdateUserMetadata;

/// Merge-patches the user's metadata documents; answers both as stored (`appMetadata` is `None`
/// where the caller may not read it).
pub async fn update_user_metadata(
    session: Session,
    user_id: String,
    user_metadata: Option<JSON>,
    app_metadata: Option<JSON>,
) -> Result<(JSON, Option<JSON>), ApiError> {
    let variables = update_user_metadata::Variables {
        id: user_id,
        user_metadata,
        app_metadata,
    };
    let data = execute::<UpdateUserMetadata>(session, variables).await?;
    let user = data.update_user_metadata;
    Ok((user.user_metadata, user.app_metadata))
}

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/users.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct MembershipMetadata;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/users.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct UpdateMembershipMetadata;

/// One membership's metadata (`{}` when it has none); `None` when the user is not a member there
/// or the organization is out of reach.
pub async fn load_membership_metadata(
    session: Session,
    organization_id: String,
    user_id: String,
) -> Result<Option<JSON>, ApiError> {
    let variables = membership_metadata::Variables {
        org_id: organization_id,
        user_id,
    };
    let data = execute::<MembershipMetadata>(session, variables).await?;
    Ok(data
        .organization
        .and_then(|organization| organization.member)
        .map(|member| member.metadata.unwrap_or_else(|| serde_json::json!({}))))
}

/// Merge-patches one membership's metadata; answers it as stored.
pub async fn update_membership_metadata(
    session: Session,
    organization_id: String,
    user_id: String,
    patch: JSON,
) -> Result<JSON, ApiError> {
    let variables = update_membership_metadata::Variables {
        org_id: organization_id,
        user_id,
        metadata: patch,
    };
    let data = execute::<UpdateMembershipMetadata>(session, variables).await?;
    Ok(data
        .update_membership_metadata
        .metadata
        .unwrap_or_else(|| serde_json::json!({})))
}
