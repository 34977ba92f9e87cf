//! The one error type. Every failure a client can see is one of these; `graphql::errors` turns it
//! into `extensions.code`, and `Internal` never shows its cause to the client.

use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("sign-in required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Invalid { fields: BTreeMap<String, String> },
    #[error("{0}")]
    Conflict(String),
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("the user is blocked")]
    UserBlocked,
    #[error("too many failed sign-in attempts; try again later")]
    LockedOut,
    #[error("the email address is not verified")]
    EmailNotVerified,
    #[error("the password does not meet the password policy")]
    PasswordPolicy { reasons: Vec<String> },
    #[error("the link or token is invalid or has expired")]
    TokenInvalid,
    #[error("too many requests; try again later")]
    RateLimited,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The `extensions.code` of the contract.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated => "UNAUTHENTICATED",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::NotFound => "NOT_FOUND",
            Error::Invalid { .. } => "BAD_USER_INPUT",
            Error::Conflict(_) => "CONFLICT",
            Error::InvalidCredentials => "INVALID_CREDENTIALS",
            Error::UserBlocked => "USER_BLOCKED",
            Error::LockedOut => "LOCKED_OUT",
            Error::EmailNotVerified => "EMAIL_NOT_VERIFIED",
            Error::PasswordPolicy { .. } => "PASSWORD_POLICY",
            Error::TokenInvalid => "TOKEN_INVALID",
            Error::RateLimited => "RATE_LIMITED",
            Error::Internal(_) => "INTERNAL",
        }
    }

    /// A `BAD_USER_INPUT` about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::Invalid {
            fields: BTreeMap::from([(field.to_string(), message.into())]),
        }
    }

    /// The per-field messages of a `BAD_USER_INPUT`.
    pub fn fields(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            Error::Invalid { fields } => Some(fields),
            _ => None,
        }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Error::Internal(error.into())
    }
}

/// A constraint the database enforced is the client's doing, never an internal error: a row that
/// refers to something missing (a foreign key) reads as `NOT_FOUND`, a duplicate as `CONFLICT`.
/// Call sites that know better name the duplicate with [`conflict_on_unique`].
impl From<sea_orm::DbErr> for Error {
    fn from(error: sea_orm::DbErr) -> Self {
        if refused_text(&error) {
            return Error::invalid("input", "must not contain NUL characters");
        }
        // Every foreign key cascades on delete, so a violation only means that a row refers to
        // one that does not exist (an id nobody checked, or one deleted meanwhile).
        match error.sql_err() {
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => Error::NotFound,
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Error::Conflict("it already exists".into()),
            _ => Error::Internal(error.into()),
        }
    }
}

/// PostgreSQL refuses a NUL character in text (SQLSTATE 22021) and in `jsonb` (22P05). Only a
/// client's input can bring one, so where a check upstream did not catch it, that is still the
/// client's input and not the server's fault.
fn refused_text(error: &sea_orm::DbErr) -> bool {
    use sea_orm::{sqlx, DbErr, RuntimeErr};
    let (DbErr::Query(RuntimeErr::SqlxError(sqlx::Error::Database(database)))
    | DbErr::Exec(RuntimeErr::SqlxError(sqlx::Error::Database(database)))) = error
    else {
        return false;
    };
    matches!(database.code().as_deref(), Some("22021" | "22P05"))
}

/// Collects field errors so that a form learns of every bad field at once.
#[derive(Default)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_string()).or_insert_with(|| message.into());
    }

    pub fn check(&mut self, field: &str, result: Result<(), String>) {
        if let Err(message) = result {
            self.add(field, message);
        }
    }

    pub fn into_result(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid { fields: self.0 })
        }
    }
}

/// Maps a unique-constraint violation to `Conflict` with the given message; any other database
/// error stays internal.
pub fn conflict_on_unique(error: sea_orm::DbErr, message: &str) -> Error {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Error::Conflict(message.to_string()),
        _ => Error::from(error),
    }
}
