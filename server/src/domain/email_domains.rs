//! The email domains an organization claims. A superadmin claims them; an organization's admins
//! and API clients then create accounts, and change addresses, only inside them, and invite every
//! other address.
//!
//! Why: addresses are unique across tenants, so creating an account for an address that already
//! has one elsewhere must fail, and a failure that differs from success would tell a tenant who
//! has an account in another tenant. Refusing every address outside the organization's own
//! domains, before anything looks the address up, answers alike whether or not it exists. Inside
//! its domains the organization holds the mailboxes anyway (it could reset any of them), so a
//! `CONFLICT` there tells it nothing it could not learn.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use std::collections::BTreeSet;

use super::audit::{self, Event};
use super::validate;
use crate::domain::authz::{Lookups, Scope, Superadmin};
use crate::error::{conflict_on_unique, Error, FieldErrors, Result};
use std::collections::HashMap;
use steward_entity::{organization, organization_domain, OrgId};

/// How many domains one organization may claim.
pub const MAX_DOMAINS: usize = 50;

/// The domains `org_id` claims, in order.
pub async fn of(connection: &impl ConnectionTrait, org_id: OrgId) -> Result<Vec<String>> {
    let rows = organization_domain::Entity::find()
        .filter(organization_domain::Column::OrgId.eq(org_id))
        .order_by_asc(organization_domain::Column::Domain)
        .all(connection)
        .await?;
    Ok(rows.into_iter().map(|row| row.domain).collect())
}

/// The domains each of `org_ids` claims (those in the lookups' reach), in one query.
pub async fn of_many(lookups: &Lookups, org_ids: &[OrgId]) -> Result<HashMap<OrgId, Vec<String>>> {
    let rows = organization_domain::Entity::find()
        .filter(organization_domain::Column::OrgId.is_in(org_ids.to_vec()))
        .filter(
            lookups
                .organizations()
                .organization_condition(organization_domain::Column::OrgId),
        )
        .order_by_asc(organization_domain::Column::Domain)
        .all(lookups.database().reader())
        .await?;
    let mut domains: HashMap<OrgId, Vec<String>> = org_ids.iter().map(|id| (*id, Vec::new())).collect();
    for row in rows {
        domains.entry(row.org_id).or_default().push(row.domain);
    }
    Ok(domains)
}

/// Checks and normalises a list of domains: each valid, none twice, at most [`MAX_DOMAINS`].
pub fn checked(raw: &[String], errors: &mut FieldErrors) -> Vec<String> {
    let mut domains = BTreeSet::new();
    for (index, domain) in raw.iter().enumerate() {
        match validate::domain(domain) {
            Ok(domain) => {
                domains.insert(domain);
            }
            Err(message) => errors.add(&format!("domains.{index}"), message),
        }
    }
    if domains.len() > MAX_DOMAINS {
        errors.add("domains", format!("at most {MAX_DOMAINS} domains"));
    }
    domains.into_iter().collect()
}

/// Writes `domains` as the whole list `org_id` claims, inside the caller's transaction. A domain
/// another organization claims answers `CONFLICT` naming it (only superadmins claim domains).
pub(super) async fn replace(
    connection: &impl ConnectionTrait,
    org_id: OrgId,
    domains: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    organization_domain::Entity::delete_many()
        .filter(organization_domain::Column::OrgId.eq(org_id))
        .exec(connection)
        .await?;
    for domain in domains {
        let taken = organization_domain::Entity::find_by_id(domain.clone())
            .one(connection)
            .await?;
        if taken.is_some() {
            return Err(Error::Conflict(format!("{domain} is claimed by another organization")));
        }
        organization_domain::ActiveModel {
            domain: Set(domain.clone()),
            org_id: Set(org_id),
            created_at: Set(now),
        }
        .insert(connection)
        .await
        .map_err(|error| conflict_on_unique(error, "a domain is claimed by another organization"))?;
    }
    Ok(())
}

/// Replaces the domains an organization claims, and records the change.
pub async fn set(scope: &Superadmin<'_>, org_id: OrgId, domains: &[String]) -> Result<Vec<String>> {
    let mut errors = FieldErrors::default();
    let domains = checked(domains, &mut errors);
    errors.into_result()?;
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    organization::Entity::find_by_id(org_id)
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound)?;
    let before = of(&*transaction, org_id).await?;
    if before == domains {
        return Ok(domains);
    }
    replace(&*transaction, org_id, &domains, now).await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("ORGANIZATION_DOMAINS_SET")
            .org(org_id)
            .details(json!({ "before": before, "after": domains })),
    )
    .await?;
    transaction.commit().await?;
    Ok(domains)
}

/// Whether the caller may give an account the address `email` (already validated) on behalf of
/// `org_ids`: a superadmin or the operator always; anyone else only inside a domain one of those
/// organizations claims. Decided without looking the address up, so the answer is the same
/// whether or not it has an account.
pub(super) async fn check_claimed(scope: &dyn Scope, org_ids: &[OrgId], email: &str) -> Result<()> {
    if scope.caller().sees_every_tenant() {
        return Ok(());
    }
    let domain = validate::domain_of(email);
    let connection = scope.database().reader();
    let claimed = organization_domain::Entity::find_by_id(domain.to_owned())
        .one(connection)
        .await?
        .is_some_and(|row| org_ids.contains(&row.org_id));
    if claimed {
        return Ok(());
    }
    let mut own = BTreeSet::new();
    for org_id in org_ids {
        own.extend(of(connection, *org_id).await?);
    }
    let message = if own.is_empty() {
        "this organization has no email domain of its own, so it invites people rather than creating \
         their accounts: use inviteMember (a platform administrator can claim a domain for it)"
            .to_owned()
    } else {
        let list: Vec<String> = own.into_iter().collect();
        format!(
            "accounts are created here only for addresses at {}; invite anyone else with inviteMember",
            list.join(", ")
        )
    };
    Err(Error::invalid("email", message))
}
