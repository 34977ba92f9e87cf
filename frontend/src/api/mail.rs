//! The outbox, for superadmins.

use graphql_client::GraphQLQuery;

use super::client::{execute, Session};
use super::error::ApiError;
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::{DateTime, MailStatus};

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/mail.graphql",
    response_derives = "Debug, Clone, PartialEq",
    extern_enums("MailStatus")
)]
pub struct Mails;

/// One page of the outbox, and how the server delivers mail.
pub type MailPage = mails::ResponseData;
pub type Mail = mails::MailsMailsEdgesNode;

/// How many messages one page shows.
pub const PAGE_SIZE: i64 = 50;

/// One page of the outbox, newest first; `status` `None` for every status.
pub async fn load_mails(
    session: Session,
    after: Option<String>,
    status: Option<MailStatus>,
) -> Result<MailPage, ApiError> {
    let variables = mails::Variables {
        first: PAGE_SIZE,
        after,
        status,
    };
    execute::<Mails>(session, variables).await
}
