use crate::{OrgId, UserId};
use sea_orm::entity::prelude::*;

/// A message in the outbox. The bodies and link hold a one-time token while the message waits;
/// once delivered they are cleared, so the outbox keeps no usable secret.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// What the message is: `PASSWORD_RESET`, `EMAIL_VERIFICATION`, …
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: Option<String>,
    pub html_body: Option<String>,
    /// The one link the message is about, if any.
    pub link: Option<String>,
    pub org_id: Option<OrgId>,
    pub user_id: Option<UserId>,
    /// `PENDING`, `SENT`, `FAILED` (refused for good) or `LOGGED` (no mail server configured).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    pub lease_owner: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
