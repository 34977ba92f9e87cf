//! A picture of every table, to prove that a refused request changed nothing.
//!
//! Columns that legitimately move without any request's doing are left out: a session's and an
//! API client's `last_used_at` (touched by authentication), and the outbox's delivery state (the
//! mail worker's). A failed sign-in writes an audit event and counts a failure; cases that sign
//! in name those tables in `except`.

use sea_orm::{EntityTrait, QueryOrder};
use std::collections::BTreeMap;
use std::fmt::Debug;

use crate::TestServer;
use steward_entity::{
    address_login_failure, api_client, audit_event, credential, login_failure, membership, metadata_schema,
    one_time_token, organization, organization_domain, outbox_mail, password_history, refresh_token, session,
    signing_key, user,
};

/// The tables a failed sign-in may write to: its audit event and the lockout counters (of an
/// account, or of an address without one).
pub const SIGN_IN_TRACES: &[&str] = &["audit_events", "login_failures", "address_login_failures"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    tables: BTreeMap<&'static str, Vec<String>>,
}

fn rows<T: Debug>(models: Vec<T>) -> Vec<String> {
    let mut rows: Vec<String> = models.iter().map(|model| format!("{model:?}")).collect();
    rows.sort();
    rows
}

impl Snapshot {
    pub async fn take(server: &TestServer) -> Self {
        let database = server.database();
        let mut tables = BTreeMap::new();
        macro_rules! table {
            ($name:literal, $entity:path) => {
                tables.insert(
                    $name,
                    rows(
                        <$entity>::find()
                            .all(database)
                            .await
                            .expect(concat!("read ", $name)),
                    ),
                )
            };
        }
        table!("users", user::Entity);
        table!("memberships", membership::Entity);
        table!("organizations", organization::Entity);
        table!("organization_domains", organization_domain::Entity);
        table!("metadata_schemas", metadata_schema::Entity);
        table!("credentials", credential::Entity);
        table!("password_history", password_history::Entity);
        table!("refresh_tokens", refresh_token::Entity);
        table!("one_time_tokens", one_time_token::Entity);
        table!("login_failures", login_failure::Entity);
        table!("address_login_failures", address_login_failure::Entity);
        table!("signing_keys", signing_key::Entity);
        let sessions = session::Entity::find().all(database).await.expect("read sessions");
        tables.insert(
            "sessions",
            rows(
                sessions
                    .into_iter()
                    .map(|session| session::Model {
                        last_used_at: session.created_at,
                        ..session
                    })
                    .collect(),
            ),
        );
        let clients = api_client::Entity::find()
            .all(database)
            .await
            .expect("read api clients");
        tables.insert(
            "api_clients",
            rows(
                clients
                    .into_iter()
                    .map(|client| api_client::Model {
                        last_used_at: None,
                        ..client
                    })
                    .collect(),
            ),
        );
        let mails = outbox_mail::Entity::find()
            .all(database)
            .await
            .expect("read the outbox");
        tables.insert(
            "mail_outbox",
            rows(
                mails
                    .into_iter()
                    .map(|mail| (mail.id, mail.kind, mail.recipient, mail.subject, mail.created_at))
                    .collect(),
            ),
        );
        let events = audit_event::Entity::find()
            .order_by_asc(audit_event::Column::Id)
            .all(database)
            .await
            .expect("read audit events");
        tables.insert("audit_events", rows(events));
        Self { tables }
    }

    /// The tables that differ from `before`, leaving out those in `except`.
    pub fn changed_since(&self, before: &Snapshot, except: &[&str]) -> Vec<String> {
        self.tables
            .iter()
            .filter(|(name, _)| !except.contains(name))
            .filter(|(name, rows)| before.tables.get(*name) != Some(*rows))
            .map(|(name, rows)| {
                let old = &before.tables[name];
                let added: Vec<&String> = rows.iter().filter(|row| !old.contains(row)).collect();
                let removed: Vec<&String> = old.iter().filter(|row| !rows.contains(row)).collect();
                format!("{name}: added {added:#?}, removed {removed:#?}")
            })
            .collect()
    }
}

impl TestServer {
    /// Every table as it is now; see [`Snapshot`].
    pub async fn snapshot(&self) -> Snapshot {
        Snapshot::take(self).await
    }
}
