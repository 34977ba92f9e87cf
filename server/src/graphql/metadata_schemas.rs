//! Typed metadata: the JSON Schemas documents must satisfy, with their dry runs.

use async_graphql::types::Json;
use async_graphql::{Context, Enum, Object, SimpleObject, ID};

use super::ids::{parse, to_id};
use crate::domain::metadata_schemas::{self, Report, Target};
use crate::error::Error;
use steward_entity::{OrgId, UserId};

type GqlResult<T> = async_graphql::Result<T>;

/// The most failing documents one answer lists.
const MAX_FAILING: i32 = 200;

/// The kind of metadata document a schema governs.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataTarget {
    /// `User.userMetadata`: every schema of every organization of the user applies.
    UserMetadata,
    /// `User.appMetadata`: as `userMetadata`.
    AppMetadata,
    /// `Membership.metadata`: the organization's schema (and the platform's).
    MembershipMetadata,
}

impl From<MetadataTarget> for Target {
    fn from(target: MetadataTarget) -> Self {
        match target {
            MetadataTarget::UserMetadata => Target::UserMetadata,
            MetadataTarget::AppMetadata => Target::AppMetadata,
            MetadataTarget::MembershipMetadata => Target::MembershipMetadata,
        }
    }
}

/// What a form for a metadata document needs.
#[derive(SimpleObject)]
pub struct MetadataForm {
    /// The schemas the caller may see that the document answers to, the platform's first. A
    /// property in several is described by each; the document must satisfy all of them.
    pub schemas: Vec<Json<serde_json::Value>>,
    /// JSON Pointers of the properties the caller may not change (`x-steward-write`).
    pub read_only: Vec<String>,
}

/// Where a document fails a schema.
#[derive(SimpleObject)]
pub struct MetadataSchemaViolation {
    /// A JSON Pointer into the document (`""` for the document itself).
    pub path: String,
    pub message: String,
}

/// A user whose document fails the schema.
#[derive(SimpleObject)]
pub struct MetadataSchemaFailure {
    pub user_id: ID,
    pub email: String,
    pub violations: Vec<MetadataSchemaViolation>,
}

/// What a schema makes of the documents it governs, and whether it was applied.
#[derive(SimpleObject)]
pub struct MetadataSchemaReport {
    /// False for a dry run (no `confirm`): nothing was written.
    pub applied: bool,
    /// Documents checked.
    pub checked_count: i32,
    /// Documents that fail the schema. They are kept as they are; each later write to one must
    /// make it pass.
    pub failing_count: i32,
    /// The failing documents, in user id order, `first` at most, after `after`.
    pub failing: Vec<MetadataSchemaFailure>,
    /// More failing documents follow: ask `checkMetadataSchema` with `after` set to the last
    /// `userId` listed.
    pub has_more: bool,
}

fn report(applied: bool, report: Report) -> MetadataSchemaReport {
    let count = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
    MetadataSchemaReport {
        applied,
        checked_count: count(report.checked),
        failing_count: count(report.failing_count),
        failing: report
            .failing
            .into_iter()
            .map(|failure| MetadataSchemaFailure {
                user_id: to_id(failure.user_id),
                email: failure.email,
                violations: failure
                    .violations
                    .into_iter()
                    .map(|violation| MetadataSchemaViolation {
                        path: metadata_schemas::pointer(&violation.path),
                        message: violation.message,
                    })
                    .collect(),
            })
            .collect(),
        has_more: report.has_more,
    }
}

fn page_size(first: Option<i32>) -> async_graphql::Result<usize> {
    let first = first.unwrap_or(50);
    if !(0..=MAX_FAILING).contains(&first) {
        return Err(Error::invalid("first", format!("must be 0 to {MAX_FAILING}")).into());
    }
    Ok(first as usize)
}

#[derive(Default)]
pub struct MetadataSchemaQuery;

#[Object]
impl MetadataSchemaQuery {
    /// The schema an organization (or, without `orgId`, the platform) holds for one kind of
    /// metadata; null when there is none, or the organization is out of reach.
    ///
    /// **Permissions**: for an organization, whoever may read its members (ADMIN, USER_MANAGER,
    /// AUDITOR, an API client with `users:read`) and superadmins; the platform's, anyone signed in.
    async fn metadata_schema(
        &self,
        ctx: &Context<'_>,
        org_id: Option<ID>,
        target: MetadataTarget,
    ) -> GqlResult<Option<Json<serde_json::Value>>> {
        let caller = super::acting::caller(ctx);
        let org_id = match org_id {
            Some(id) => {
                // Like `organization(id)`: null for an organization out of reach.
                let Ok(org_id) = parse::<OrgId>(&id) else {
                    return Ok(None);
                };
                match caller.org_reader(org_id) {
                    Ok(_) => Some(org_id),
                    Err(Error::NotFound) => return Ok(None),
                    Err(refusal) => return Err(refusal.into()),
                }
            }
            None => {
                caller.authenticated()?;
                None
            }
        };
        let stored = metadata_schemas::read(&caller, org_id, target.into()).await?;
        Ok(stored.map(|row| Json(row.schema)))
    }

    /// Tries a schema on the documents it would govern, without writing anything: how many
    /// fail, and a page of them with where and why.
    ///
    /// **Permissions**: as `setMetadataSchema`.
    #[graphql(complexity = "super::cost::BULK + child_complexity")]
    async fn check_metadata_schema(
        &self,
        ctx: &Context<'_>,
        org_id: Option<ID>,
        target: MetadataTarget,
        schema: Json<serde_json::Value>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<ID>,
    ) -> GqlResult<MetadataSchemaReport> {
        let caller = super::acting::caller(ctx);
        let first = page_size(first)?;
        let after: Option<UserId> = after.map(|id| parse(&id)).transpose()?;
        let found = match org_id {
            Some(id) => {
                let scope = caller.org_admin(parse(&id)?)?;
                metadata_schemas::check_for_org(&scope, target.into(), &schema.0, first, after).await?
            }
            None => {
                let scope = caller.superadmin()?;
                metadata_schemas::check_for_platform(&scope, target.into(), &schema.0, first, after).await?
            }
        };
        Ok(report(false, found))
    }
}

#[derive(Default)]
pub struct MetadataSchemaMutation;

#[Object]
impl MetadataSchemaMutation {
    /// Sets an organization's schema for one kind of metadata (without `orgId`, the platform's,
    /// which every organization's documents must satisfy too); `schema: null` removes it.
    ///
    /// A JSON Schema, draft 2020-12, with no reference outside itself. A property may say who reads
    /// and writes it with `"x-steward-read"` and `"x-steward-write"`: lists of `SELF`, `MEMBER`,
    /// `AUDITOR`, `USER_MANAGER`, `ADMIN` (a role admits the roles above it) and
    /// `scope:<API client scope>`.
    ///
    /// Without `confirm: true` this is a dry run: nothing is written, and the answer tells how
    /// many existing documents would fail the schema. With it, the schema is applied; documents
    /// that fail it are never rewritten, but each later write to one must make it pass.
    ///
    /// **Permissions**: the organization's ADMIN or a superadmin; the platform's, superadmins.
    #[graphql(complexity = "super::cost::BULK + child_complexity")]
    async fn set_metadata_schema(
        &self,
        ctx: &Context<'_>,
        org_id: Option<ID>,
        target: MetadataTarget,
        schema: Option<Json<serde_json::Value>>,
        #[graphql(default_with = "Some(false)")] confirm: Option<bool>,
        #[graphql(default = 50)] first: Option<i32>,
    ) -> GqlResult<MetadataSchemaReport> {
        let caller = super::acting::caller(ctx);
        let first = page_size(first)?;
        let confirm = confirm.unwrap_or(false);
        let schema = schema.map(|schema| schema.0);
        let (applied, found) = match org_id {
            Some(id) => {
                let scope = caller.org_admin(parse(&id)?)?;
                metadata_schemas::set_for_org(&scope, target.into(), schema, confirm, first).await?
            }
            None => {
                let scope = caller.superadmin()?;
                metadata_schemas::set_for_platform(&scope, target.into(), schema, confirm, first).await?
            }
        };
        Ok(report(applied, found))
    }
}
