//! Organization settings, stored as one JSON document with defaults for whatever is missing, so
//! that a new setting needs no migration.

use serde::{Deserialize, Serialize};

use crate::error::FieldErrors;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PasswordPolicy {
    pub min_length: i32,
    pub min_strength: i32,
    pub history_size: i32,
    pub reject_personal_info: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 12,
            min_strength: 3,
            history_size: 5,
            reject_personal_info: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LockoutPolicy {
    pub max_failed_attempts: i32,
    pub lockout_seconds: i32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failed_attempts: 10,
            lockout_seconds: 900,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OrgSettings {
    pub password_policy: PasswordPolicy,
    pub lockout: LockoutPolicy,
    pub require_verified_email: bool,
    pub session_lifetime_seconds: i32,
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            password_policy: PasswordPolicy::default(),
            lockout: LockoutPolicy::default(),
            require_verified_email: false,
            session_lifetime_seconds: 14 * 24 * 3600,
        }
    }
}

/// A partial update: only what is given changes.
#[derive(Clone, Debug, Default)]
pub struct SettingsPatch {
    pub min_length: Option<i32>,
    pub min_strength: Option<i32>,
    pub history_size: Option<i32>,
    pub reject_personal_info: Option<bool>,
    pub max_failed_attempts: Option<i32>,
    pub lockout_seconds: Option<i32>,
    pub require_verified_email: Option<bool>,
    pub session_lifetime_seconds: Option<i32>,
}

fn within(errors: &mut FieldErrors, field: &str, value: Option<i32>, low: i32, high: i32) {
    if let Some(value) = value {
        if !(low..=high).contains(&value) {
            errors.add(field, format!("must be between {low} and {high}"));
        }
    }
}

impl OrgSettings {
    /// Settings as stored; a document that does not parse falls back to the defaults field by
    /// field rather than locking everyone out.
    pub fn from_json(value: &serde_json::Value) -> Self {
        serde_json::from_value(value.clone()).unwrap_or_default()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("settings serialize")
    }

    /// Applies a patch after checking every field; bad input changes nothing.
    pub fn apply(&mut self, patch: &SettingsPatch, errors: &mut FieldErrors) {
        within(errors, "settings.passwordPolicy.minLength", patch.min_length, 8, 128);
        within(errors, "settings.passwordPolicy.minStrength", patch.min_strength, 0, 4);
        within(errors, "settings.passwordPolicy.historySize", patch.history_size, 0, 24);
        within(
            errors,
            "settings.lockout.maxFailedAttempts",
            patch.max_failed_attempts,
            1,
            1000,
        );
        within(
            errors,
            "settings.lockout.lockoutSeconds",
            patch.lockout_seconds,
            0,
            30 * 24 * 3600,
        );
        within(
            errors,
            "settings.sessionLifetimeSeconds",
            patch.session_lifetime_seconds,
            300,
            365 * 24 * 3600,
        );
        let policy = &mut self.password_policy;
        policy.min_length = patch.min_length.unwrap_or(policy.min_length);
        policy.min_strength = patch.min_strength.unwrap_or(policy.min_strength);
        policy.history_size = patch.history_size.unwrap_or(policy.history_size);
        policy.reject_personal_info = patch.reject_personal_info.unwrap_or(policy.reject_personal_info);
        self.lockout.max_failed_attempts = patch.max_failed_attempts.unwrap_or(self.lockout.max_failed_attempts);
        self.lockout.lockout_seconds = patch.lockout_seconds.unwrap_or(self.lockout.lockout_seconds);
        self.require_verified_email = patch.require_verified_email.unwrap_or(self.require_verified_email);
        self.session_lifetime_seconds = patch.session_lifetime_seconds.unwrap_or(self.session_lifetime_seconds);
    }
}
