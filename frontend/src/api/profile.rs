//! The signed-in person's own account: profile fields, user metadata, email address and the
//! verification mail. The password change is `auth::change_my_password`.

use graphql_client::GraphQLQuery;

use super::client::{execute, Session};
use super::error::{ApiError, ErrorCode};
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::JSON;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/profile.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct MyProfile;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/profile.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct UpdateMyProfile;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/profile.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct UpdateMyUserMetadata;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/profile.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct ChangeMyEmail;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/profile.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct ResendMyVerificationEmail;

pub type OwnUser = my_profile::MyProfileViewerUser;

/// The person's account and the organization whose password policy applies to them.
#[derive(Clone, Debug, PartialEq)]
pub struct MyAccount {
    pub user: OwnUser,
    /// The first organization they belong to, if any.
    pub organization_slug: Option<String>,
}

/// The fields of "My profile"; `None` clears a field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileFields {
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub phone_number: Option<String>,
    pub locale: Option<String>,
}

impl From<&OwnUser> for ProfileFields {
    fn from(user: &OwnUser) -> Self {
        Self {
            name: user.name.clone(),
            given_name: user.given_name.clone(),
            family_name: user.family_name.clone(),
            nickname: user.nickname.clone(),
            picture: user.picture.clone(),
            phone_number: user.phone_number.clone(),
            locale: user.locale.clone(),
        }
    }
}

pub async fn load_my_account(session: Session) -> Result<MyAccount, ApiError> {
    let data = execute::<MyProfile>(session, my_profile::Variables).await?;
    let viewer = data
        .viewer
        .ok_or_else(|| ApiError::local(ErrorCode::Unauthenticated, "The session is no longer valid."))?;
    Ok(MyAccount {
        organization_slug: viewer
            .memberships
            .into_iter()
            .next()
            .map(|membership| membership.organization.slug),
        user: viewer.user,
    })
}

/// Saves every field as given and answers with what the server stored.
pub async fn update_my_profile(session: Session, fields: ProfileFields) -> Result<ProfileFields, ApiError> {
    let variables = update_my_profile::Variables {
        name: fields.name,
        given_name: fields.given_name,
        family_name: fields.family_name,
        nickname: fields.nickname,
        picture: fields.picture,
        phone_number: fields.phone_number,
        locale: fields.locale,
    };
    let saved = execute::<UpdateMyProfile>(session, variables).await?.update_my_profile;
    Ok(ProfileFields {
        name: saved.name,
        given_name: saved.given_name,
        family_name: saved.family_name,
        nickname: saved.nickname,
        picture: saved.picture,
        phone_number: saved.phone_number,
        locale: saved.locale,
    })
}

/// Applies a merge patch to the person's `userMetadata`; answers with the whole new document.
pub async fn update_my_user_metadata(
    session: Session,
    patch: serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    let data = execute::<UpdateMyUserMetadata>(session, update_my_user_metadata::Variables { patch }).await?;
    Ok(data.update_my_profile.user_metadata)
}

/// Mails a link to the new address; the address changes only when it is followed.
pub async fn change_my_email(session: Session, new_email: String, password: String) -> Result<(), ApiError> {
    execute::<ChangeMyEmail>(session, change_my_email::Variables { new_email, password }).await?;
    Ok(())
}

pub async fn resend_my_verification_email(session: Session) -> Result<(), ApiError> {
    execute::<ResendMyVerificationEmail>(session, resend_my_verification_email::Variables).await?;
    Ok(())
}
