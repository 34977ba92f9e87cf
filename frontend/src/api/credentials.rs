//! What an administrator can do about a user's password and email address, for the user page's
//! "Password and email" panel.

use graphql_client::GraphQLQuery;

use super::client::{execute, Session};
use super::error::ApiError;
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::DateTime;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/credentials.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct SendPasswordResetEmail;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/credentials.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct CreatePasswordChangeTicket;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/credentials.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct SetUserPassword;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/credentials.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct SendVerificationEmail;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/credentials.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct SetEmailVerified;

/// A one-time link that lets the user set a password, to hand over by other means than email.
pub type Ticket = create_password_change_ticket::CreatePasswordChangeTicketCreatePasswordChangeTicket;

pub async fn send_password_reset_email(session: Session, user_id: String) -> Result<(), ApiError> {
    execute::<SendPasswordResetEmail>(session, send_password_reset_email::Variables { user_id }).await?;
    Ok(())
}

/// `ttl_seconds` `None` leaves the lifetime to the server (one day).
pub async fn create_password_change_ticket(
    session: Session,
    user_id: String,
    ttl_seconds: Option<i64>,
    mark_email_as_verified: bool,
) -> Result<Ticket, ApiError> {
    let variables = create_password_change_ticket::Variables {
        user_id,
        ttl_seconds,
        mark_email_as_verified,
    };
    Ok(execute::<CreatePasswordChangeTicket>(session, variables)
        .await?
        .create_password_change_ticket)
}

pub async fn set_user_password(
    session: Session,
    user_id: String,
    password: String,
    require_change_at_next_login: bool,
) -> Result<(), ApiError> {
    let variables = set_user_password::Variables {
        user_id,
        password,
        require_change_at_next_login,
    };
    execute::<SetUserPassword>(session, variables).await?;
    Ok(())
}

pub async fn send_verification_email(session: Session, user_id: String) -> Result<(), ApiError> {
    execute::<SendVerificationEmail>(session, send_verification_email::Variables { user_id }).await?;
    Ok(())
}

pub async fn set_email_verified(session: Session, user_id: String, verified: bool) -> Result<(), ApiError> {
    execute::<SetEmailVerified>(session, set_email_verified::Variables { user_id, verified }).await?;
    Ok(())
}
