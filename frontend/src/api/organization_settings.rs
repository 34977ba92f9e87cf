//! One organization's name, branding and settings, as its ADMINs and superadmins edit them.

use graphql_client::GraphQLQuery;

use super::client::{execute, Session};
use super::error::{ApiError, ErrorCode};
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::JSON;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/organization_settings.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct OrganizationSettings;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/organization_settings.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct UpdateOrganizationSettings;

/// Everything the settings page edits. `None` in branding means "not set": the default is used.
#[derive(Clone, Debug, PartialEq)]
pub struct OrgSettingsValues {
    pub name: String,
    pub display_name: Option<String>,
    pub logo_url: Option<String>,
    pub primary_color: Option<String>,
    pub min_length: i64,
    pub min_strength: i64,
    pub history_size: i64,
    pub reject_personal_info: bool,
    pub max_failed_attempts: i64,
    pub lockout_seconds: i64,
    pub require_verified_email: bool,
    pub session_lifetime_seconds: i64,
}

/// What the settings page loads.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedOrgSettings {
    pub slug: String,
    pub values: OrgSettingsValues,
    /// Members whose address is not verified yet.
    pub unverified_members: i64,
}

/// Both operations answer with the same fragment, generated as a type of each operation's own.
/// `None` when the settings were withheld (the viewer is not the organization's ADMIN).
macro_rules! values_of {
    ($fields:expr) => {{
        let organization = $fields;
        organization.settings.map(|settings| {
            let policy = settings.password_policy;
            let lockout = settings.lockout;
            OrgSettingsValues {
                name: organization.name,
                display_name: organization.branding.display_name,
                logo_url: organization.branding.logo_url,
                primary_color: organization.branding.primary_color,
                min_length: policy.min_length,
                min_strength: policy.min_strength,
                history_size: policy.history_size,
                reject_personal_info: policy.reject_personal_info,
                max_failed_attempts: lockout.max_failed_attempts,
                lockout_seconds: lockout.lockout_seconds,
                require_verified_email: settings.require_verified_email,
                session_lifetime_seconds: settings.session_lifetime_seconds,
            }
        })
    }};
}

/// `None` means the organization does not exist or is out of reach.
pub async fn load_org_settings(
    session: Session,
    organization_id: String,
) -> Result<Option<LoadedOrgSettings>, ApiError> {
    let variables = organization_settings::Variables { id: organization_id };
    let data = execute::<OrganizationSettings>(session, variables).await?;
    Ok(data.organization.and_then(|organization| {
        Some(LoadedOrgSettings {
            slug: organization.org_settings_fields.slug.clone(),
            unverified_members: organization
                .unverified
                .map(|unverified| unverified.total_count)
                .unwrap_or(0),
            values: values_of!(organization.org_settings_fields)?,
        })
    }))
}

/// Sends what differs between `before` (as loaded) and `after` (as edited), so that a concurrent
/// change of another field survives; answers with what the server stored.
pub async fn update_org_settings(
    session: Session,
    organization_id: String,
    before: &OrgSettingsValues,
    after: &OrgSettingsValues,
) -> Result<OrgSettingsValues, ApiError> {
    use update_organization_settings::{
        BrandingInput, LockoutPolicyInput, OrgSettingsInput, PasswordPolicyInput, UpdateOrganizationInput,
    };

    fn changed<T: Clone + PartialEq>(before: &T, after: &T) -> Option<T> {
        (before != after).then(|| after.clone())
    }

    let branding_changed = before.display_name != after.display_name
        || before.logo_url != after.logo_url
        || before.primary_color != after.primary_color;
    let password_policy = PasswordPolicyInput {
        min_length: changed(&before.min_length, &after.min_length),
        min_strength: changed(&before.min_strength, &after.min_strength),
        history_size: changed(&before.history_size, &after.history_size),
        reject_personal_info: changed(&before.reject_personal_info, &after.reject_personal_info),
    };
    let lockout = LockoutPolicyInput {
        max_failed_attempts: changed(&before.max_failed_attempts, &after.max_failed_attempts),
        lockout_seconds: changed(&before.lockout_seconds, &after.lockout_seconds),
    };
    let input = UpdateOrganizationInput {
        name: changed(&before.name, &after.name),
        branding: branding_changed.then(|| BrandingInput {
            display_name: after.display_name.clone(),
            logo_url: after.logo_url.clone(),
            primary_color: after.primary_color.clone(),
        }),
        metadata: None,
        settings: Some(OrgSettingsInput {
            password_policy: Some(password_policy),
            lockout: Some(lockout),
            require_verified_email: changed(&before.require_verified_email, &after.require_verified_email),
            session_lifetime_seconds: changed(&before.session_lifetime_seconds, &after.session_lifetime_seconds),
        }),
    };
    let variables = update_organization_settings::Variables {
        id: organization_id,
        input,
    };
    let data = execute::<UpdateOrganizationSettings>(session, variables).await?;
    values_of!(data.update_organization)
        .ok_or_else(|| ApiError::local(ErrorCode::Forbidden, "the organization's settings are for its ADMIN"))
}

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/organization_settings.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct OrganizationMetadata;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/organization_settings.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct UpdateOrganizationMetadata;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/organization_settings.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct DeleteOrganization;

/// The organization's metadata (`{}` when it has none); `None` when it is out of reach.
pub async fn load_org_metadata(session: Session, organization_id: String) -> Result<Option<JSON>, ApiError> {
    let data =
        execute::<OrganizationMetadata>(session, organization_metadata::Variables { id: organization_id }).await?;
    Ok(data
        .organization
        .map(|organization| organization.metadata.unwrap_or_else(|| serde_json::json!({}))))
}

/// Applies a merge patch to the organization's metadata; answers the document as stored.
pub async fn update_org_metadata(session: Session, organization_id: String, patch: JSON) -> Result<JSON, ApiError> {
    let variables = update_organization_metadata::Variables {
        id: organization_id,
        metadata: patch,
    };
    let data = execute::<UpdateOrganizationMetadata>(session, variables).await?;
    Ok(data
        .update_organization
        .metadata
        .unwrap_or_else(|| serde_json::json!({})))
}

/// Deletes the organization, its memberships, invitations and API clients.
pub async fn delete_organization(session: Session, organization_id: String) -> Result<(), ApiError> {
    execute::<DeleteOrganization>(session, delete_organization::Variables { id: organization_id }).await?;
    Ok(())
}

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/organization_settings.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct OrganizationDomains;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/organization_settings.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct SetOrganizationDomains;

/// The domains typed in a text box, separated by commas, spaces or lines.
pub fn domain_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|domain| !domain.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The email domains the organization claims; `None` when it is out of reach.
pub async fn load_org_domains(session: Session, organization_id: String) -> Result<Option<Vec<String>>, ApiError> {
    let variables = organization_domains::Variables { id: organization_id };
    let data = execute::<OrganizationDomains>(session, variables).await?;
    Ok(data.organization.map(|organization| organization.domains))
}

/// Superadmins only: replaces the claimed domains; answers with the list as stored (normalised).
pub async fn set_org_domains(
    session: Session,
    organization_id: String,
    domains: Vec<String>,
) -> Result<Vec<String>, ApiError> {
    let variables = set_organization_domains::Variables {
        id: organization_id,
        domains,
    };
    let data = execute::<SetOrganizationDomains>(session, variables).await?;
    Ok(data.set_organization_domains.domains)
}
