//! Setting passwords: the policy every path checks, and storing the hash.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use steward_entity::{credential, membership, organization, UserId};

use super::settings::{OrgSettings, PasswordPolicy};
use crate::error::{Error, Result};

/// Longer passwords are refused only to bound the cost of hashing them.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// The strictest policy among the organizations a user belongs to (the defaults when none).
pub async fn policy_for(connection: &impl ConnectionTrait, user_id: UserId) -> Result<PasswordPolicy> {
    let orgs = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .find_also_related(organization::Entity)
        .all(connection)
        .await?;
    let mut policy = PasswordPolicy {
        min_length: 0,
        min_strength: 0,
        history_size: 0,
        reject_personal_info: false,
    };
    let mut any = false;
    for org in orgs.into_iter().filter_map(|(_, org)| org) {
        let theirs = OrgSettings::from_json(&org.settings).password_policy;
        policy.min_length = policy.min_length.max(theirs.min_length);
        policy.min_strength = policy.min_strength.max(theirs.min_strength);
        policy.history_size = policy.history_size.max(theirs.history_size);
        policy.reject_personal_info |= theirs.reject_personal_info;
        any = true;
    }
    Ok(if any { policy } else { PasswordPolicy::default() })
}

/// Checks a new password against a policy. Every reason is reported at once.
pub fn check(policy: &PasswordPolicy, password: &str) -> Result<()> {
    let length = password.chars().count();
    let mut reasons = Vec::new();
    // A policy can never refuse a password of 128 characters for being too short.
    let min_length = (policy.min_length.max(0) as usize).min(128);
    if length < min_length {
        reasons.push(format!("must be at least {min_length} characters long"));
    }
    if length > MAX_PASSWORD_CHARS {
        reasons.push(format!("must be at most {MAX_PASSWORD_CHARS} characters long"));
    }
    if password.trim().is_empty() {
        reasons.push("must not be blank".to_string());
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Error::PasswordPolicy { reasons })
    }
}

/// Stores a new hash for the user, replacing any old one.
pub async fn store(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    hash: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let model = credential::ActiveModel {
        user_id: Set(user_id),
        password_hash: Set(hash),
        updated_at: Set(now),
    };
    credential::Entity::insert(model)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(credential::Column::UserId)
                .update_columns([credential::Column::PasswordHash, credential::Column::UpdatedAt])
                .to_owned(),
        )
        .exec(connection)
        .await?;
    Ok(())
}
