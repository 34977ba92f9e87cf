//! The flows that start from an emailed link or before signing in: what a token is for, an
//! organization's public face, asking for a reset link, verifying an address and lifting a
//! lockout. None of them needs or creates a session (accepting an invitation does: `auth.rs`).

use graphql_client::GraphQLQuery;
use steward_frontend::brand;
use steward_frontend::password_policy::PasswordPolicy;

use super::client::execute_public;
use super::error::ApiError;
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::{DateTime, TokenPurpose};

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/links.graphql",
    response_derives = "Debug, Clone, PartialEq",
    extern_enums("TokenPurpose")
)]
pub struct TokenInfo;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/links.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct OrganizationBranding;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/links.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct RequestPasswordReset;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/links.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct VerifyEmail;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/links.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct UnlockAccount;

/// What an organization shows before anyone signs in.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicOrganization {
    pub slug: String,
    pub name: String,
    pub display_name: Option<String>,
    pub logo_url: Option<String>,
    pub primary_color: Option<String>,
    pub password_policy: PasswordPolicy,
}

impl PublicOrganization {
    /// The name to show: the branding's display name, or the organization's name.
    pub fn title(&self) -> String {
        brand::title(self.display_name.as_deref(), &self.name)
    }
}

/// What a one-time token from a link is for, read without using it up.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkToken {
    pub purpose: TokenPurpose,
    /// The address the link was sent to (for an address change, the new one).
    pub email: String,
    pub expires_at: String,
    pub organization: Option<PublicOrganization>,
    pub password_policy: PasswordPolicy,
    /// For an invitation: whether the invited address already has an account (then no password
    /// is asked for).
    pub account_exists: bool,
    /// For a ticket: where to send the person once the password is set.
    pub result_url: Option<String>,
}

/// Each operation gets its own copy of the fragment types; this folds them into the shared ones.
macro_rules! public_organization_from {
    ($module:ident) => {
        impl From<$module::PolicyFields> for PasswordPolicy {
            fn from(fields: $module::PolicyFields) -> Self {
                PasswordPolicy {
                    min_length: fields.min_length,
                    min_strength: fields.min_strength,
                    history_size: fields.history_size,
                    reject_personal_info: fields.reject_personal_info,
                }
            }
        }

        impl From<$module::BrandFields> for PublicOrganization {
            fn from(fields: $module::BrandFields) -> Self {
                PublicOrganization {
                    slug: fields.slug,
                    name: fields.name,
                    display_name: fields.branding.display_name,
                    logo_url: fields.branding.logo_url,
                    primary_color: fields.branding.primary_color,
                    password_policy: fields.password_policy.into(),
                }
            }
        }
    };
}

public_organization_from!(token_info);
public_organization_from!(organization_branding);

/// `None` for a token that is unknown, used or expired: the server does not say which.
pub async fn token_info(token: String) -> Result<Option<LinkToken>, ApiError> {
    let data = execute_public::<TokenInfo>(token_info::Variables { token }).await?;
    Ok(data.token_info.map(|info| LinkToken {
        purpose: info.purpose,
        email: info.email,
        expires_at: info.expires_at,
        organization: info.organization.map(PublicOrganization::from),
        password_policy: info.password_policy.into(),
        account_exists: info.account_exists,
        result_url: info.result_url,
    }))
}

/// `None` when no organization has that slug.
pub async fn public_organization(slug: String) -> Result<Option<PublicOrganization>, ApiError> {
    let data = execute_public::<OrganizationBranding>(organization_branding::Variables { slug }).await?;
    Ok(data.public_organization.map(PublicOrganization::from))
}

/// Always succeeds the same way, whether or not the address has an account.
pub async fn request_password_reset(email: String, organization_slug: Option<String>) -> Result<(), ApiError> {
    let variables = request_password_reset::Variables {
        email,
        org_slug: organization_slug,
    };
    execute_public::<RequestPasswordReset>(variables).await?;
    Ok(())
}

pub async fn verify_email(token: String) -> Result<(), ApiError> {
    execute_public::<VerifyEmail>(verify_email::Variables { token }).await?;
    Ok(())
}

pub async fn unlock_account(token: String) -> Result<(), ApiError> {
    execute_public::<UnlockAccount>(unlock_account::Variables { token }).await?;
    Ok(())
}
