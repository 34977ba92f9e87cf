//! The one error type every request returns, built from the `extensions` the server attaches to each
//! GraphQL error, so that pages can react to the machine-readable code and show people a sentence.

use std::collections::HashMap;
use std::fmt;

/// The `extensions.code` values of the API contract, plus the two failures that never reach the
/// server's error mapping: the network itself, and an answer the portal cannot read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    InvalidCredentials,
    UserBlocked,
    LockedOut,
    EmailNotVerified,
    PasswordPolicy,
    TokenInvalid,
    RateLimited,
    Internal,
    /// The request never got an answer (offline, server down, blocked by the browser).
    Network,
    /// The server answered with something that is not a GraphQL response the portal understands.
    UnexpectedResponse,
    /// A code this version of the portal does not know yet; kept so it can still be shown.
    Other(String),
}

impl ErrorCode {
    /// Reads the wire form (`SCREAMING_CASE`) of a code.
    pub fn parse(code: &str) -> Self {
        match code {
            "UNAUTHENTICATED" => Self::Unauthenticated,
            "FORBIDDEN" => Self::Forbidden,
            "NOT_FOUND" => Self::NotFound,
            "BAD_USER_INPUT" => Self::BadUserInput,
            "CONFLICT" => Self::Conflict,
            "INVALID_CREDENTIALS" => Self::InvalidCredentials,
            "USER_BLOCKED" => Self::UserBlocked,
            "LOCKED_OUT" => Self::LockedOut,
            "EMAIL_NOT_VERIFIED" => Self::EmailNotVerified,
            "PASSWORD_POLICY" => Self::PasswordPolicy,
            "TOKEN_INVALID" => Self::TokenInvalid,
            "RATE_LIMITED" => Self::RateLimited,
            "INTERNAL" => Self::Internal,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Failures that say nothing about the session itself: a refresh that fails this way must not
    /// sign the administrator out.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Network | Self::UnexpectedResponse | Self::RateLimited | Self::Internal
        )
    }
}

/// A failed request, with everything the server said that a form can show next to its inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    /// The server's own message (already free of internals, per the contract).
    pub message: String,
    /// `extensions.fields` of a `BAD_USER_INPUT` error: input name → what is wrong with it.
    pub fields: Vec<(String, String)>,
    /// `extensions.reasons` of a `PASSWORD_POLICY` error: each rule the password broke.
    pub reasons: Vec<String>,
}

impl ApiError {
    /// An error the portal itself detects (transport, parsing), with no field details.
    pub fn local(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
            reasons: Vec::new(),
        }
    }

    /// A form-level check done before anything is sent (e.g. two password entries that differ),
    /// shaped like the server's own `BAD_USER_INPUT` so the same display code shows it.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            code: ErrorCode::BadUserInput,
            message: message.clone(),
            fields: vec![(field.to_owned(), message)],
            reasons: Vec::new(),
        }
    }

    /// Builds the error from one entry of a GraphQL response's `errors` list.
    pub fn from_graphql(error: &graphql_client::Error) -> Self {
        let extensions = error.extensions.as_ref();
        let code = extensions
            .and_then(|extensions| extensions.get("code"))
            .and_then(|code| code.as_str())
            .map(ErrorCode::parse)
            .unwrap_or_else(|| ErrorCode::Other(String::new()));
        Self {
            code,
            message: error.message.clone(),
            fields: extensions.map(read_fields).unwrap_or_default(),
            reasons: extensions.map(read_reasons).unwrap_or_default(),
        }
    }

    /// One sentence for people, chosen by code so that it reads the same across the portal
    /// whatever wording the server uses.
    pub fn headline(&self) -> String {
        let fixed = match &self.code {
            ErrorCode::Unauthenticated => "Your session has ended. Please sign in again.",
            ErrorCode::Forbidden => "You do not have permission to do that.",
            ErrorCode::NotFound => "That could not be found, or it is outside your reach.",
            ErrorCode::BadUserInput if !self.fields.is_empty() => "Please correct the fields below.",
            ErrorCode::InvalidCredentials => "The email address or the password is not correct.",
            ErrorCode::UserBlocked => "This account is blocked. Contact an administrator.",
            ErrorCode::LockedOut => {
                "Too many failed attempts: this account is locked for now. \
                 Try again later or reset the password."
            }
            ErrorCode::EmailNotVerified => "This email address has not been verified yet.",
            ErrorCode::PasswordPolicy => "The password does not meet the password policy.",
            ErrorCode::TokenInvalid => "This link is invalid, was already used, or has expired.",
            ErrorCode::RateLimited => "Too many requests. Please wait a moment and try again.",
            ErrorCode::Internal => "Something went wrong on the server. Please try again.",
            ErrorCode::Network => "The server cannot be reached. Check the connection and try again.",
            ErrorCode::UnexpectedResponse => "The server sent an answer the portal cannot read.",
            ErrorCode::BadUserInput | ErrorCode::Conflict | ErrorCode::Other(_) => "",
        };
        if !fixed.is_empty() {
            fixed.to_owned()
        } else if !self.message.is_empty() {
            self.message.clone()
        } else {
            "The request failed.".to_owned()
        }
    }

    /// The server's own explanation, as a sentence, where the headline is a fixed one that would
    /// hide it: a refusal says *why* (e.g. the user also belongs to an organization the caller
    /// does not manage), which is what an administrator needs to know next.
    pub fn explanation(&self) -> Option<String> {
        if self.code != ErrorCode::Forbidden {
            return None;
        }
        let message = self.message.trim().trim_end_matches('.');
        let mut characters = message.chars();
        let first = characters.next()?;
        Some(format!("{}{}.", first.to_uppercase(), characters.as_str()))
    }

    /// The server's message for `input` (matched on the last dotted segment too, so `email` finds
    /// `input.email`), for showing right under that input.
    pub fn field_message(&self, input: &str) -> Option<String> {
        let whole = self
            .fields
            .iter()
            .find(|(field, _)| field == input || field.rsplit('.').next() == Some(input))
            .map(|(_, message)| message.clone());
        // A list's items are reported as `input.0`, `input.1`, …: told by their place in it.
        whole.or_else(|| {
            self.fields.iter().find_map(|(field, message)| {
                let index: usize = field.strip_prefix(input)?.strip_prefix('.')?.parse().ok()?;
                Some(format!("item {}: {message}", index + 1))
            })
        })
    }

    pub fn is(&self, code: &ErrorCode) -> bool {
        &self.code == code
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.headline())
    }
}

fn read_fields(extensions: &HashMap<String, serde_json::Value>) -> Vec<(String, String)> {
    let Some(serde_json::Value::Object(fields)) = extensions.get("fields") else {
        return Vec::new();
    };
    fields
        .iter()
        .map(|(field, message)| {
            let message = match message {
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned).unwrap_or_else(|| item.to_string()))
                    .collect::<Vec<_>>()
                    .join(" "),
                other => other.to_string(),
            };
            (field.clone(), message)
        })
        .collect()
}

fn read_reasons(extensions: &HashMap<String, serde_json::Value>) -> Vec<String> {
    let Some(serde_json::Value::Array(reasons)) = extensions.get("reasons") else {
        return Vec::new();
    };
    reasons
        .iter()
        .map(|reason| reason.as_str().map(str::to_owned).unwrap_or_else(|| reason.to_string()))
        .collect()
}
