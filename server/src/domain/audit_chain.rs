//! The hash chain through the audit log. Each organization's events form one chain, and the
//! events of no organization (sign-ins, profile and password changes) the `identity` chain.
//! Every event stores its place in its chain, the SHA-256 of its canonical form and the hash of
//! the event before it; `audit_chains` holds each chain's head. An event changed, removed or
//! inserted directly in the database breaks a link, and [`verify`] names the first such event.
//!
//! Appenders to one chain take turns: the head row is locked (`FOR UPDATE`) until the change's
//! transaction ends, and `(chain, sequence)` is unique besides.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::Value;

use super::authz::{Operator, Scope};
use crate::crypto::sha256_hex;
use crate::error::Result;
use steward_entity::{audit_chain, audit_event, organization, OrgId};

/// The chain of the events of no organization.
pub const IDENTITY: &str = "identity";
/// The pseudo-chain that counts the events from before the chains began.
const LEGACY: &str = "legacy";
/// How many events a verification reads at a time.
const BATCH: u64 = 1000;

fn chain_of(organization: Option<OrgId>) -> String {
    organization.map_or_else(|| IDENTITY.to_owned(), |org| org.to_string())
}

/// JSON with every object's keys in order, so that the same document always reads the same.
fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|key| format!("{}:{}", Value::from(key.as_str()), canonical_json(&map[key])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(canonical_json).collect::<Vec<_>>().join(",")),
        scalar => scalar.to_string(),
    }
}

/// What an event's hash covers: every column but the hash itself, the link included.
fn canonical_form(event: &audit_event::Model) -> String {
    let optional = |value: Option<String>| value.map_or(Value::Null, Value::from);
    let form = serde_json::json!([
        "steward-audit-v1",
        event.chain,
        event.sequence,
        event.id.0.to_string(),
        event.event_type,
        event.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        optional(event.actor_user_id.map(|id| id.to_string())),
        optional(event.actor_api_client_id.map(|id| id.to_string())),
        optional(event.target_user_id.map(|id| id.to_string())),
        optional(event.organization_id.map(|id| id.to_string())),
        event.ip,
        event.user_agent,
        canonical_json(&event.details),
        event.previous_hash,
    ]);
    form.to_string()
}

fn hash_of(event: &audit_event::Model) -> String {
    sha256_hex(canonical_form(event).as_bytes())
}

/// Writes `event` at the end of its chain, inside `connection`'s transaction. The event's time is
/// kept to the microsecond, as every database stores it.
pub(super) async fn append(connection: &impl ConnectionTrait, mut event: audit_event::Model) -> Result<()> {
    use chrono::SubsecRound;
    let chain = chain_of(event.organization_id);
    let head = locked_head(connection, &chain).await?;
    event.at = event.at.trunc_subsecs(6);
    event.chain = Some(chain.clone());
    event.sequence = Some(head.sequence + 1);
    event.previous_hash = (head.sequence > 0).then_some(head.head_hash);
    let hash = hash_of(&event);
    event.hash = Some(hash.clone());
    let sequence = head.sequence + 1;
    audit_event::Entity::insert(row_of(event))
        .exec_without_returning(connection)
        .await?;
    audit_chain::Entity::update_many()
        .col_expr(audit_chain::Column::Sequence, sea_orm::sea_query::Expr::value(sequence))
        .col_expr(audit_chain::Column::HeadHash, sea_orm::sea_query::Expr::value(hash))
        .filter(audit_chain::Column::Chain.eq(chain))
        .exec(connection)
        .await?;
    Ok(())
}

/// The head of `chain`, created when it has none yet, locked until the transaction ends.
async fn locked_head(connection: &impl ConnectionTrait, chain: &str) -> Result<audit_chain::Model> {
    audit_chain::Entity::insert(audit_chain::ActiveModel {
        chain: Set(chain.to_owned()),
        sequence: Set(0),
        head_hash: Set(String::new()),
        cut_sequence: Set(0),
        cut_hash: Set(None),
    })
    // "Nothing to do when it exists", said in the one way every database understands.
    .on_conflict(
        OnConflict::column(audit_chain::Column::Chain)
            .update_column(audit_chain::Column::Chain)
            .to_owned(),
    )
    .exec_without_returning(connection)
    .await?;
    audit_chain::Entity::find_by_id(chain.to_owned())
        .lock_exclusive()
        .one(connection)
        .await?
        .ok_or_else(|| crate::error::Error::internal(anyhow::anyhow!("the audit chain {chain} has no head")))
}

fn row_of(event: audit_event::Model) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        id: Set(event.id),
        event_type: Set(event.event_type),
        at: Set(event.at),
        actor_user_id: Set(event.actor_user_id),
        actor_api_client_id: Set(event.actor_api_client_id),
        target_user_id: Set(event.target_user_id),
        organization_id: Set(event.organization_id),
        ip: Set(event.ip),
        user_agent: Set(event.user_agent),
        details: Set(event.details),
        chain: Set(event.chain),
        sequence: Set(event.sequence),
        hash: Set(event.hash),
        previous_hash: Set(event.previous_hash),
    }
}

/// Writes `events`, in order, at the end of their chains inside `connection`'s transaction: what
/// [`append`] does for one, with one lock of each chain's head and multi-row inserts, for writers
/// that record many events in one change (an import's batch).
pub(super) async fn append_many(connection: &impl ConnectionTrait, events: Vec<audit_event::Model>) -> Result<()> {
    use chrono::SubsecRound;
    let mut chains: Vec<(String, Vec<audit_event::Model>)> = Vec::new();
    for event in events {
        let chain = chain_of(event.organization_id);
        match chains.iter_mut().find(|(name, _)| *name == chain) {
            Some((_, list)) => list.push(event),
            None => chains.push((chain, vec![event])),
        }
    }
    for (chain, events) in chains {
        let head = locked_head(connection, &chain).await?;
        let mut sequence = head.sequence;
        let mut previous = (head.sequence > 0).then_some(head.head_hash);
        let mut rows = Vec::with_capacity(events.len());
        for mut event in events {
            sequence += 1;
            event.at = event.at.trunc_subsecs(6);
            event.chain = Some(chain.clone());
            event.sequence = Some(sequence);
            event.previous_hash = previous.take();
            let hash = hash_of(&event);
            event.hash = Some(hash.clone());
            previous = Some(hash);
            rows.push(row_of(event));
        }
        // Within every backend's limit on bound values per statement.
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(500));
            audit_event::Entity::insert_many(std::mem::replace(&mut rows, rest))
                .exec_without_returning(connection)
                .await?;
        }
        audit_chain::Entity::update_many()
            .col_expr(audit_chain::Column::Sequence, sea_orm::sea_query::Expr::value(sequence))
            .col_expr(
                audit_chain::Column::HeadHash,
                sea_orm::sea_query::Expr::value(previous.unwrap_or_default()),
            )
            .filter(audit_chain::Column::Chain.eq(chain))
            .exec(connection)
            .await?;
    }
    Ok(())
}

/// What a verification found in one chain.
#[derive(Debug)]
pub struct ChainReport {
    /// The organization's id, `identity`, or `legacy` (the events from before the chains).
    pub chain: String,
    pub events: u64,
    /// The first event that was changed, removed or inserted, described; `None` when the chain
    /// holds.
    pub problem: Option<String>,
}

/// Walks the chains (one organization's, or all) and names the first event in each that was
/// changed, removed or inserted. `steward verify-audit` runs it.
pub async fn verify(scope: &Operator<'_>, org_slug: Option<&str>) -> Result<Vec<ChainReport>> {
    let connection = scope.database().reader();
    let org = match org_slug {
        Some(slug) => Some(
            organization::Entity::find()
                .filter(organization::Column::Slug.eq(slug.trim().to_lowercase()))
                .one(connection)
                .await?
                .ok_or(crate::error::Error::NotFound)?
                .id,
        ),
        None => None,
    };
    let chains: Vec<String> = match org {
        Some(org) => vec![chain_of(Some(org))],
        None => {
            let mut chains: Vec<String> = audit_event::Entity::find()
                .select_only()
                .column(audit_event::Column::Chain)
                .filter(audit_event::Column::Chain.is_not_null())
                .distinct()
                .into_tuple::<String>()
                .all(connection)
                .await?;
            for head in audit_chain::Entity::find().all(connection).await? {
                if head.chain != LEGACY && !chains.contains(&head.chain) {
                    chains.push(head.chain);
                }
            }
            chains.sort();
            chains
        }
    };
    let mut reports = Vec::new();
    for chain in chains {
        reports.push(verify_chain(connection, chain).await?);
    }
    if org.is_none() {
        reports.push(verify_unchained(connection).await?);
    }
    Ok(reports)
}

/// Removes the events older than the retention period (`audit_retention_days`; 0 keeps every
/// event), chain by chain, keeping at each chain's cut the number and hash of the last event
/// removed, so that what remains still verifies. Returns how many events were removed.
pub async fn prune(scope: &Operator<'_>) -> Result<u64> {
    let app = scope.app();
    let days = app.config.audit_retention_days;
    if days == 0 {
        return Ok(0);
    }
    let cutoff = app.clock.now() - chrono::Duration::days(days.into());
    let chains: Vec<String> = audit_chain::Entity::find()
        .filter(audit_chain::Column::Chain.ne(LEGACY))
        .select_only()
        .column(audit_chain::Column::Chain)
        .into_tuple()
        .all(app.database.reader())
        .await?;
    let mut removed = 0;
    for chain in chains {
        let transaction = app.database.write().await?;
        // The head is locked, so no event joins the chain while it is cut.
        let head = audit_chain::Entity::find_by_id(chain.clone())
            .lock_exclusive()
            .one(&*transaction)
            .await?;
        let last_old = audit_event::Entity::find()
            .filter(audit_event::Column::Chain.eq(chain.clone()))
            .filter(audit_event::Column::At.lt(cutoff))
            .order_by_desc(audit_event::Column::Sequence)
            .one(&*transaction)
            .await?;
        let (Some(_), Some(last_old)) = (head, last_old) else {
            continue;
        };
        let sequence = last_old.sequence.unwrap_or_default();
        let gone = audit_event::Entity::delete_many()
            .filter(audit_event::Column::Chain.eq(chain.clone()))
            .filter(audit_event::Column::Sequence.lte(sequence))
            .exec(&*transaction)
            .await?;
        audit_chain::Entity::update_many()
            .col_expr(
                audit_chain::Column::CutSequence,
                sea_orm::sea_query::Expr::value(sequence),
            )
            .col_expr(
                audit_chain::Column::CutHash,
                sea_orm::sea_query::Expr::value(last_old.hash),
            )
            .filter(audit_chain::Column::Chain.eq(chain))
            .exec(&*transaction)
            .await?;
        transaction.commit().await?;
        removed += gone.rows_affected;
    }
    // The events from before the chains: removed as they age, and no longer counted.
    let transaction = app.database.write().await?;
    let gone = audit_event::Entity::delete_many()
        .filter(audit_event::Column::Chain.is_null())
        .filter(audit_event::Column::At.lt(cutoff))
        .exec(&*transaction)
        .await?;
    if gone.rows_affected > 0 {
        audit_chain::Entity::update_many()
            .col_expr(
                audit_chain::Column::Sequence,
                sea_orm::sea_query::Expr::col(audit_chain::Column::Sequence).sub(gone.rows_affected as i64),
            )
            .filter(audit_chain::Column::Chain.eq(LEGACY))
            .exec(&*transaction)
            .await?;
    }
    transaction.commit().await?;
    removed += gone.rows_affected;
    if removed > 0 {
        tracing::info!(
            events = removed,
            days,
            "removed audit events older than the retention period"
        );
    }
    Ok(removed)
}

async fn verify_chain(connection: &impl ConnectionTrait, chain: String) -> Result<ChainReport> {
    let mut report = ChainReport {
        chain: chain.clone(),
        events: 0,
        problem: None,
    };
    // Where the retention period cut the chain, if it did: the first event kept links to the last
    // one removed.
    let head = audit_chain::Entity::find_by_id(chain.clone()).one(connection).await?;
    let (mut expected, mut previous) = match &head {
        Some(head) if head.cut_sequence > 0 => (head.cut_sequence + 1, head.cut_hash.clone()),
        _ => (1, None),
    };
    let mut last_id: Option<String> = None;
    loop {
        let batch = audit_event::Entity::find()
            .filter(audit_event::Column::Chain.eq(chain.clone()))
            .filter(audit_event::Column::Sequence.gte(expected))
            .order_by_asc(audit_event::Column::Sequence)
            .limit(BATCH)
            .all(connection)
            .await?;
        let done = (batch.len() as u64) < BATCH;
        for event in batch {
            report.events += 1;
            let sequence = event.sequence.unwrap_or_default();
            let id = event.id.0;
            let problem = if sequence > expected {
                Some(format!(
                    "the events {expected} to {} before event {id} were removed",
                    sequence - 1
                ))
            } else if event.previous_hash != previous {
                Some(format!(
                    "event {id} (number {sequence}) does not link to the event before it: one was inserted or removed there"
                ))
            } else if event.hash.as_deref() != Some(hash_of(&event).as_str()) {
                Some(format!("event {id} (number {sequence}) was changed"))
            } else {
                None
            };
            if problem.is_some() {
                report.problem = problem;
                return Ok(report);
            }
            previous = event.hash.clone();
            last_id = Some(id.to_string());
            expected = sequence + 1;
        }
        if done {
            break;
        }
    }
    // Events the chain's column says belong to it but that sit outside it were inserted.
    let outside = audit_event::Entity::find()
        .filter(audit_event::Column::Chain.eq(chain.clone()))
        .filter(audit_event::Column::Sequence.is_null())
        .one(connection)
        .await?;
    if let Some(event) = outside {
        report.problem = Some(format!(
            "event {} was inserted: it has no place in the chain",
            event.id.0
        ));
        return Ok(report);
    }
    let (head_sequence, head_hash) = head.map_or((0, None), |head| (head.sequence, Some(head.head_hash)));
    if head_sequence != expected - 1 || (head_sequence > 0 && head_hash != previous) {
        let after = last_id.map_or_else(|| "the start".to_owned(), |id| format!("event {id}"));
        report.problem = Some(format!(
            "the newest events after {after} were removed: the chain's head is at number {head_sequence}"
        ));
    }
    Ok(report)
}

/// Events outside every chain: only those from before the chains began, as many as there were.
async fn verify_unchained(connection: &impl ConnectionTrait) -> Result<ChainReport> {
    let unchained = audit_event::Entity::find()
        .filter(audit_event::Column::Chain.is_null())
        .count(connection)
        .await?;
    let recorded = audit_chain::Entity::find_by_id(LEGACY.to_owned())
        .one(connection)
        .await?
        .map_or(0, |legacy| legacy.sequence.max(0) as u64);
    let problem = match unchained.cmp(&recorded) {
        std::cmp::Ordering::Equal => None,
        std::cmp::Ordering::Less => Some(format!(
            "{} of the {recorded} events from before the chains began were removed",
            recorded - unchained
        )),
        std::cmp::Ordering::Greater => {
            let inserted = audit_event::Entity::find()
                .filter(audit_event::Column::Chain.is_null())
                .order_by_desc(audit_event::Column::At)
                .one(connection)
                .await?
                .map(|event| event.id.0.to_string())
                .unwrap_or_default();
            Some(format!(
                "{} events outside every chain were inserted (the newest: {inserted})",
                unchained - recorded
            ))
        }
    };
    Ok(ChainReport {
        chain: LEGACY.to_owned(),
        events: unchained,
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::canonical_json;
    use serde_json::json;

    #[test]
    fn canonical_json_orders_keys_at_every_depth() {
        let one = json!({ "b": 1, "a": { "d": [true, null], "c": "x" } });
        let other = json!({ "a": { "c": "x", "d": [true, null] }, "b": 1 });
        assert_eq!(canonical_json(&one), canonical_json(&other));
        assert_eq!(canonical_json(&one), r#"{"a":{"c":"x","d":[true,null]},"b":1}"#);
    }
}
