//! Import jobs: files of users uploaded to `POST /users/import`, written in the background a
//! batch at a time, with their progress and the lines they did not apply.

use async_graphql::{ComplexObject, Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::ids::{parse, to_id};
use crate::domain::import;
use crate::error::Error;
use steward_entity::{import_run, ImportRunId, OrgId};

type GqlResult<T> = async_graphql::Result<T>;

/// The most jobs or problem lines one answer lists.
const MAX_LISTED: i32 = 500;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportStatus {
    /// Being written (or cut off: an upload of the same file goes on from its last batch).
    Running,
    /// Every line was read; see the counts for what was done.
    Succeeded,
    /// Stopped on an error (`failure`); what was written before stays, and an upload of the same
    /// file goes on from there.
    Failed,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A valid record the import may not apply: an existing account without `upsert`, a
    /// superadmin, an account other organizations share.
    Skipped,
    /// Not a valid record, or one that breaks a rule (a taken username, a metadata schema).
    Rejected,
}

/// A line of the file that was not applied.
#[derive(SimpleObject)]
pub struct ImportProblem {
    /// The line's number in the file (1 is the first; a CSV file's header is line 1).
    pub line: i32,
    pub outcome: ImportOutcome,
    pub message: String,
}

/// An import of a file of users into an organization.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ImportJob {
    pub id: ID,
    pub org_id: ID,
    pub status: ImportStatus,
    /// `API` (uploaded) or `CLI` (`steward import-users`).
    pub source: String,
    /// `NDJSON` or `CSV`.
    pub format: String,
    pub upsert: bool,
    pub update_shared: bool,
    /// The file's length, and how much of it is written: the job's progress.
    pub file_bytes: f64,
    pub bytes_done: f64,
    /// Lines read so far.
    pub lines_done: i32,
    pub created_count: i32,
    pub updated_count: i32,
    pub skipped_count: i32,
    pub rejected_count: i32,
    /// Why a `FAILED` job stopped.
    pub failure: Option<String>,
    pub started_at: DateTime<Utc>,
    /// When its last batch was written.
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    run_id: ImportRunId,
    #[graphql(skip)]
    org: OrgId,
}

#[ComplexObject]
impl ImportJob {
    /// The lines that were not applied, in the order of the file: `first` after line
    /// `afterLine`. The first 10 000 of a job are kept.
    async fn problems(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: i32,
        after_line: Option<i32>,
    ) -> GqlResult<Vec<ImportProblem>> {
        let first = listed(first)?;
        let caller = super::acting::caller(ctx);
        let scope = caller.org_admin(self.org)?;
        let after = after_line.map(|line| line.max(0) as u64);
        let found = import::job_problems(&scope, self.run_id, first, after).await?;
        Ok(found
            .into_iter()
            .map(|problem| ImportProblem {
                line: i32::try_from(problem.line).unwrap_or(i32::MAX),
                outcome: match problem.outcome {
                    import::SKIPPED => ImportOutcome::Skipped,
                    _ => ImportOutcome::Rejected,
                },
                message: problem.message,
            })
            .collect())
    }
}

fn listed(first: i32) -> GqlResult<u64> {
    if !(0..=MAX_LISTED).contains(&first) {
        return Err(Error::invalid("first", format!("must be 0 to {MAX_LISTED}")).into());
    }
    Ok(first as u64)
}

pub fn job_of(run: import_run::Model) -> ImportJob {
    let count = |value: i64| i32::try_from(value).unwrap_or(i32::MAX);
    ImportJob {
        id: to_id(run.id),
        org_id: to_id(run.org_id),
        status: match run.status.as_str() {
            import::SUCCEEDED => ImportStatus::Succeeded,
            import::FAILED => ImportStatus::Failed,
            _ => ImportStatus::Running,
        },
        source: run.source,
        format: run.format,
        upsert: run.upsert,
        update_shared: run.update_shared,
        file_bytes: run.file_bytes as f64,
        bytes_done: run.byte_offset as f64,
        lines_done: count(run.line),
        created_count: count(run.created),
        updated_count: count(run.updated),
        skipped_count: count(run.skipped),
        rejected_count: count(run.rejected),
        failure: run.failure,
        started_at: run.started_at,
        updated_at: run.updated_at,
        finished_at: run.finished_at,
        run_id: run.id,
        org: run.org_id,
    }
}

#[derive(Default)]
pub struct ImportQuery;

#[Object]
impl ImportQuery {
    /// An import, with its progress; null when there is none with this id within the caller's
    /// reach (and for anyone not signed in). Start one by uploading a file to `POST /users/import?orgId=…`.
    ///
    /// **Permissions**: the organization's ADMIN, or a superadmin.
    async fn import_job(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Option<ImportJob>> {
        let caller = super::acting::caller(ctx);
        let Ok(id) = parse::<ImportRunId>(&id) else {
            return Ok(None);
        };
        Ok(import::job_by_id(&caller.public(), id).await?.map(job_of))
    }

    /// An organization's latest imports, newest first (from the API and the command line).
    ///
    /// **Permissions**: the organization's ADMIN, or a superadmin.
    async fn import_jobs(
        &self,
        ctx: &Context<'_>,
        org_id: ID,
        #[graphql(default = 20)] first: i32,
    ) -> GqlResult<Vec<ImportJob>> {
        let first = listed(first)?;
        let caller = super::acting::caller(ctx);
        let scope = caller.org_admin(parse(&org_id)?)?;
        Ok(import::jobs(&scope, first).await?.into_iter().map(job_of).collect())
    }
}
