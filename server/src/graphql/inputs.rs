//! Input types of the contract, and their conversion to the domain's.

use async_graphql::{InputObject, Json, MaybeUndefined};
use chrono::{DateTime, Utc};

use super::enums::{MembershipStatus, OrderDirection, OrgRole, UserOrderField};
use crate::domain::organizations::BrandingPatch;
use crate::domain::user_search::UserFilter;
use crate::domain::users::{Patch, ProfilePatch};
use crate::policy::settings::SettingsPatch;

#[derive(InputObject, Default)]
#[graphql(name = "UserFilter")]
pub struct UserFilterInput {
    /// Case-insensitive match on email, name and username.
    pub query: Option<String>,
    pub email_verified: Option<bool>,
    pub blocked: Option<bool>,
    pub role: Option<OrgRole>,
    pub status: Option<MembershipStatus>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub metadata: Option<Vec<MetadataFilter>>,
    /// Metadata keys whose values lie within bounds, each key typed by its bounds: numbers compare
    /// as numbers, strings (dates like 2026-12-05) character by character; a value of another
    /// type does not match.
    pub metadata_range: Option<Vec<MetadataRange>>,
}

/// `path` as in `MetadataFilter`; give `atLeast`, `atMost` or both (inclusive).
#[derive(InputObject)]
pub struct MetadataRange {
    pub path: String,
    pub at_least: Option<Json<serde_json::Value>>,
    pub at_most: Option<Json<serde_json::Value>>,
}

/// `path` like `appMetadata.plan` or `userMetadata.team.name`.
#[derive(InputObject)]
pub struct MetadataFilter {
    pub path: String,
    pub equals: Json<serde_json::Value>,
}

impl UserFilterInput {
    pub fn into_domain(self) -> UserFilter {
        UserFilter {
            query: self.query,
            email_verified: self.email_verified,
            blocked: self.blocked,
            role: self.role.map(Into::into),
            status: self.status.map(MembershipStatus::stored),
            created_after: self.created_after,
            created_before: self.created_before,
            metadata: self
                .metadata
                .unwrap_or_default()
                .into_iter()
                .map(|filter| (filter.path, filter.equals.0))
                .collect(),
            metadata_ranges: self
                .metadata_range
                .unwrap_or_default()
                .into_iter()
                .map(|range| crate::domain::user_search::MetadataRange {
                    path: range.path,
                    at_least: range.at_least.map(|bound| bound.0),
                    at_most: range.at_most.map(|bound| bound.0),
                })
                .collect(),
        }
    }
}

#[derive(InputObject)]
#[graphql(name = "UserOrder")]
pub struct UserOrderInput {
    pub field: UserOrderField,
    pub direction: OrderDirection,
}

/// `primaryColor` as `#rrggbb`. A field left out stays; null clears it.
#[derive(InputObject, Default)]
pub struct BrandingInput {
    pub display_name: MaybeUndefined<String>,
    pub logo_url: MaybeUndefined<String>,
    pub primary_color: MaybeUndefined<String>,
}

fn patch<T>(value: MaybeUndefined<T>) -> Patch<T> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(value)),
    }
}

impl BrandingInput {
    pub fn into_domain(self) -> BrandingPatch {
        BrandingPatch {
            display_name: patch(self.display_name),
            logo_url: patch(self.logo_url),
            primary_color: patch(self.primary_color),
        }
    }
}

#[derive(InputObject, Default)]
pub struct PasswordPolicyInput {
    pub min_length: Option<i32>,
    pub min_strength: Option<i32>,
    pub history_size: Option<i32>,
    pub reject_personal_info: Option<bool>,
}

#[derive(InputObject, Default)]
pub struct LockoutPolicyInput {
    pub max_failed_attempts: Option<i32>,
    pub lockout_seconds: Option<i32>,
}

/// Every field optional: only what is given changes.
#[derive(InputObject, Default)]
pub struct OrgSettingsInput {
    pub password_policy: Option<PasswordPolicyInput>,
    pub lockout: Option<LockoutPolicyInput>,
    pub require_verified_email: Option<bool>,
    pub session_lifetime_seconds: Option<i32>,
}

impl OrgSettingsInput {
    pub fn into_domain(self) -> SettingsPatch {
        let policy = self.password_policy.unwrap_or_default();
        let lockout = self.lockout.unwrap_or_default();
        SettingsPatch {
            min_length: policy.min_length,
            min_strength: policy.min_strength,
            history_size: policy.history_size,
            reject_personal_info: policy.reject_personal_info,
            max_failed_attempts: lockout.max_failed_attempts,
            lockout_seconds: lockout.lockout_seconds,
            require_verified_email: self.require_verified_email,
            session_lifetime_seconds: self.session_lifetime_seconds,
        }
    }
}

#[derive(InputObject)]
pub struct CreateOrganizationInput {
    pub slug: String,
    pub name: String,
    pub branding: Option<BrandingInput>,
    pub metadata: Option<Json<serde_json::Value>>,
    pub settings: Option<OrgSettingsInput>,
    /// Email domains the organization claims: its admins and API clients create accounts only
    /// for addresses there. Each domain belongs to one organization at most.
    pub domains: Option<Vec<String>>,
}

/// `metadata` is a merge patch.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    pub name: Option<String>,
    pub branding: Option<BrandingInput>,
    pub metadata: Option<Json<serde_json::Value>>,
    pub settings: Option<OrgSettingsInput>,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub org_id: async_graphql::ID,
    pub email: String,
    #[graphql(default_with = "Some(vec![OrgRole::Member])")]
    pub roles: Option<Vec<OrgRole>>,
    /// Given: the user must change it at first sign-in.
    pub password: Option<String>,
    /// Mail a link that verifies the address and sets a password.
    #[graphql(default_with = "Some(true)")]
    pub send_invitation: Option<bool>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub phone_number: Option<String>,
    pub locale: Option<String>,
    pub user_metadata: Option<Json<serde_json::Value>>,
    pub app_metadata: Option<Json<serde_json::Value>>,
}

/// Only what is given changes; null clears an optional field.
#[derive(InputObject)]
pub struct UpdateUserInput {
    pub email: Option<String>,
    pub username: MaybeUndefined<String>,
    pub name: MaybeUndefined<String>,
    pub given_name: MaybeUndefined<String>,
    pub family_name: MaybeUndefined<String>,
    pub nickname: MaybeUndefined<String>,
    pub picture: MaybeUndefined<String>,
    pub phone_number: MaybeUndefined<String>,
    pub locale: MaybeUndefined<String>,
}

impl UpdateUserInput {
    pub fn into_domain(self) -> ProfilePatch {
        ProfilePatch {
            email: self.email,
            username: patch(self.username),
            name: patch(self.name),
            given_name: patch(self.given_name),
            family_name: patch(self.family_name),
            nickname: patch(self.nickname),
            picture: patch(self.picture),
            phone_number: patch(self.phone_number),
            locale: patch(self.locale),
        }
    }
}

/// The user's own profile; `userMetadata` is a merge patch.
#[derive(InputObject)]
pub struct MyProfileInput {
    pub name: MaybeUndefined<String>,
    pub given_name: MaybeUndefined<String>,
    pub family_name: MaybeUndefined<String>,
    pub nickname: MaybeUndefined<String>,
    pub picture: MaybeUndefined<String>,
    pub phone_number: MaybeUndefined<String>,
    pub locale: MaybeUndefined<String>,
    pub user_metadata: Option<Json<serde_json::Value>>,
}

impl MyProfileInput {
    pub fn into_domain(self) -> (ProfilePatch, Option<serde_json::Value>) {
        let profile = ProfilePatch {
            email: None,
            username: None,
            name: patch(self.name),
            given_name: patch(self.given_name),
            family_name: patch(self.family_name),
            nickname: patch(self.nickname),
            picture: patch(self.picture),
            phone_number: patch(self.phone_number),
            locale: patch(self.locale),
        };
        (profile, self.user_metadata.map(|json| json.0))
    }
}
