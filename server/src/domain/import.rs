//! Streaming imports: a file of users (Auth0's NDJSON, or CSV with the same columns) read and
//! written a batch at a time, so that memory stays flat however long the file is.
//!
//! Each batch is one transaction, and that transaction also moves the run's checkpoint (the byte
//! offset and line where the next batch starts, and the counts so far) in `import_runs`. A run
//! cut off at any moment — `kill -9` included — has committed whole batches and their checkpoint,
//! or neither; started again with the same file, options and organization (the same command), it
//! finds its run by the file's fingerprint and goes on from the checkpoint. So no user is written
//! twice, none half, and nothing is counted twice. Two processes resuming one run cannot both
//! commit a batch: the checkpoint moves only from where the batch began.
//!
//! Lines that are not applied are reported with their number: `REJECTED` when the line is not a
//! valid record (or its username is taken, or it breaks a metadata schema), `SKIPPED` when it is
//! valid but the import may not apply it (an existing account without upsert; a superadmin; an
//! account that also belongs to other organizations, unless `update_shared` says so).
//!
//! What a streaming import does not see: an address given twice in the file more than a batch
//! apart. The later line finds the account the earlier one created, and is skipped (or, with
//! upsert, updates it), as it would be in a second import. A dry run checks the whole file,
//! repeated addresses included, and writes nothing.

use chrono::{DateTime, Utc};
use sea_orm::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::audit::{self, Event};
use super::authz::{Actor, Operator, Scope};
use super::members::role_names;
use super::state::AppState;
use super::transfer::{self, Checked, Format, ImportReport, Record};
use crate::error::{Error, Result};
use steward_entity::{
    credential, import_problem, import_run, membership, organization, password_history, user, ImportRunId, OrgId,
};

/// Records read and written per transaction.
pub const BATCH: usize = 1000;
/// The longest line (or CSV row) read as a record; a longer one is rejected unread.
const MAX_RECORD: usize = 1 << 20;
/// How many skipped and rejected lines a run keeps, with their reasons; the counts go on.
const PROBLEMS_KEPT: u64 = 10_000;
/// Rows per insert statement: within every backend's limit on bound values.
const ROWS_PER_INSERT: usize = 500;

pub const RUNNING: &str = "RUNNING";
pub const SUCCEEDED: &str = "SUCCEEDED";
pub const FAILED: &str = "FAILED";
pub const SKIPPED: &str = "SKIPPED";
pub const REJECTED: &str = "REJECTED";

/// How a streaming import treats what it finds.
#[derive(Clone, Copy, Debug, Default)]
pub struct StreamOptions {
    /// Update accounts whose address already exists, instead of skipping them.
    pub upsert: bool,
    /// With `upsert`, also update accounts that belong to other organizations too.
    pub update_shared: bool,
    /// Check the whole file and count what would happen, writing nothing.
    pub dry_run: bool,
    /// Import a file again although a run of the same command has finished.
    pub again: bool,
    /// Records per transaction; [`BATCH`] when not given.
    pub batch_size: Option<usize>,
}

impl StreamOptions {
    fn batch(&self) -> usize {
        self.batch_size.unwrap_or(BATCH).clamp(1, 10 * BATCH)
    }
}

/// How far a run has come.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub file_bytes: u64,
    pub byte_offset: u64,
    /// Lines of the file read so far.
    pub line: u64,
    pub created: u64,
    pub updated: u64,
    pub skipped: u64,
    pub rejected: u64,
}

impl Progress {
    fn of(run: &import_run::Model) -> Self {
        let count = |value: i64| u64::try_from(value).unwrap_or(0);
        Self {
            file_bytes: count(run.file_bytes),
            byte_offset: count(run.byte_offset),
            line: count(run.line),
            created: count(run.created),
            updated: count(run.updated),
            skipped: count(run.skipped),
            rejected: count(run.rejected),
        }
    }
}

/// A line that was not applied, and why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub line: u64,
    /// `SKIPPED` or `REJECTED`.
    pub outcome: &'static str,
    pub message: String,
}

/// What a run did, in the end.
#[derive(Debug)]
pub struct Finished {
    /// The run; none for a dry run.
    pub run: Option<ImportRunId>,
    pub progress: Progress,
    /// The first skipped and rejected lines, in the order of the file.
    pub problems: Vec<Problem>,
    /// Where this run took up an earlier one that was cut off: the line it went on after.
    pub resumed_after_line: Option<u64>,
    /// When this command already ran to its end before (and nothing was done now).
    pub finished_before: Option<DateTime<Utc>>,
}

/// Imports `path` into the organization `org_slug` from the command line. See the module's
/// documentation for how a cut-off run continues; `on_progress` hears after every batch.
pub async fn import_file(
    scope: &Operator<'_>,
    org_slug: &str,
    path: &Path,
    format: Format,
    options: StreamOptions,
    on_progress: impl FnMut(&Progress),
) -> Result<Finished> {
    let app = scope.app();
    let org = organization::Entity::find()
        .filter(organization::Column::Slug.eq(org_slug.trim().to_lowercase()))
        .one(app.database.reader())
        .await?
        .ok_or_else(|| Error::invalid("org", "no organization has this slug"))?;
    let job = Job {
        app: app.clone(),
        actor: scope.actor(),
        org_id: org.id,
        path: path.to_owned(),
        format,
        options,
        source: "CLI",
    };
    job.run(on_progress).await
}

/// Where a run stands when a command starts.
enum Start {
    /// To be written from its checkpoint (the start of the file, for a new run).
    Go {
        run: import_run::Model,
        resumed_after_line: Option<u64>,
    },
    /// This command already ran to its end.
    Finished(import_run::Model),
    /// Another job is writing it now.
    Busy(import_run::Model),
}

/// What an import job through the API may ask.
#[derive(Clone, Copy, Debug, Default)]
pub struct JobOptions {
    pub upsert: bool,
    /// Superadmins only: an organization's ADMIN never rewrites an account that other
    /// organizations share.
    pub update_shared: bool,
    pub again: bool,
}

/// How long a job's run may go without a committed batch before an upload of the same file takes
/// it over (its server stopped).
const JOB_STALLED_AFTER_MINUTES: i64 = 2;

/// Starts an import of the uploaded file at `upload` into the scope's organization, in the
/// background, and answers its run at once (its progress is the run's counts). The upload is
/// removed when the job ends. An upload of a file whose run was cut off goes on with that run; of
/// a file whose run finished, answers that run (unless `again`); of a file being imported now,
/// answers the run in progress.
pub async fn start_job(
    scope: &super::authz::OrgAdmin<'_>,
    upload: PathBuf,
    format: Format,
    options: JobOptions,
) -> Result<import_run::Model> {
    if options.update_shared {
        scope.caller().superadmin()?;
    }
    let job = Job {
        app: scope.app().clone(),
        actor: scope.actor(),
        org_id: scope.org_id(),
        path: upload,
        format,
        options: StreamOptions {
            upsert: options.upsert,
            update_shared: options.update_shared,
            dry_run: false,
            again: options.again,
            batch_size: None,
        },
        source: "API",
    };
    let started = job
        .start(Some(chrono::Duration::minutes(JOB_STALLED_AFTER_MINUTES)))
        .await;
    match started {
        Ok(Start::Go {
            run,
            resumed_after_line,
        }) => {
            let answer = run.clone();
            let background = job.app.background.clone();
            background.spawn(async move {
                if let Err(error) = job.go(run, resumed_after_line, |_| {}).await {
                    tracing::warn!(%error, "an import job stopped");
                }
                let _ = std::fs::remove_file(&job.path);
            });
            Ok(answer)
        }
        Ok(Start::Finished(run) | Start::Busy(run)) => {
            let _ = std::fs::remove_file(&job.path);
            Ok(run)
        }
        Err(error) => {
            let _ = std::fs::remove_file(&job.path);
            Err(error)
        }
    }
}

/// One of the organization's imports (from the API or the command line).
pub async fn job(scope: &super::authz::OrgAdmin<'_>, id: ImportRunId) -> Result<import_run::Model> {
    import_run::Entity::find_by_id(id)
        .filter(import_run::Column::OrgId.eq(scope.org_id()))
        .one(scope.app().database.reader())
        .await?
        .ok_or(Error::NotFound)
}

/// An import by its id alone, for its organization's ADMIN or a superadmin: `None` for anyone
/// else, as for an id that names none.
pub async fn job_by_id(scope: &super::authz::Public<'_>, id: ImportRunId) -> Result<Option<import_run::Model>> {
    let found = import_run::Entity::find_by_id(id)
        .one(scope.app().database.reader())
        .await?;
    Ok(found.filter(|run| scope.caller().org_admin(run.org_id).is_ok()))
}

/// The organization's latest imports, newest first.
pub async fn jobs(scope: &super::authz::OrgAdmin<'_>, first: u64) -> Result<Vec<import_run::Model>> {
    Ok(import_run::Entity::find()
        .filter(import_run::Column::OrgId.eq(scope.org_id()))
        .order_by_desc(import_run::Column::StartedAt)
        .limit(first)
        .all(scope.app().database.reader())
        .await?)
}

/// A job's skipped and rejected lines, in the order of the file, `first` after line `after`.
pub async fn job_problems(
    scope: &super::authz::OrgAdmin<'_>,
    id: ImportRunId,
    first: u64,
    after: Option<u64>,
) -> Result<Vec<Problem>> {
    let run = job(scope, id).await?;
    let rows = import_problem::Entity::find()
        .filter(import_problem::Column::RunId.eq(run.id))
        .filter(import_problem::Column::Line.gt(after.map_or(0, |line| line as i64)))
        .order_by_asc(import_problem::Column::Line)
        .limit(first)
        .all(scope.app().database.reader())
        .await?;
    Ok(rows.into_iter().map(problem_of).collect())
}

fn problem_of(row: import_problem::Model) -> Problem {
    Problem {
        line: u64::try_from(row.line).unwrap_or(0),
        outcome: if row.outcome == SKIPPED { SKIPPED } else { REJECTED },
        message: row.message,
    }
}

/// One import's inputs.
struct Job {
    app: AppState,
    actor: Actor,
    org_id: OrgId,
    path: PathBuf,
    format: Format,
    options: StreamOptions,
    /// `CLI` or `API`.
    source: &'static str,
}

impl Job {
    async fn run(self, on_progress: impl FnMut(&Progress)) -> Result<Finished> {
        if self.options.dry_run {
            let file_bytes = std::fs::metadata(&self.path).map_err(unreadable)?.len();
            return self.dry_run(file_bytes, on_progress).await;
        }
        match self.start(None).await? {
            Start::Go {
                run,
                resumed_after_line,
            } => self.go(run, resumed_after_line, on_progress).await,
            Start::Finished(run) | Start::Busy(run) => Ok(Finished {
                run: Some(run.id),
                progress: Progress::of(&run),
                problems: problems_of(&self.app, run.id, 1000).await?,
                resumed_after_line: None,
                finished_before: run.finished_at,
            }),
        }
    }

    /// Finds this command's run: one cut off goes on, one finished is left as it is (unless
    /// `again`), and a new one is made otherwise. A run that moved within `busy` is left to
    /// whoever is running it.
    async fn start(&self, busy: Option<chrono::Duration>) -> Result<Start> {
        let (key, file_bytes) = fingerprint(&self.path, self.org_id, self.format, self.options).await?;
        match self.find_run(&key).await? {
            Some(run) if run.status == SUCCEEDED && !self.options.again => Ok(Start::Finished(run)),
            Some(run)
                if run.status == RUNNING && busy.is_some_and(|busy| run.updated_at > self.app.clock.now() - busy) =>
            {
                Ok(Start::Busy(run))
            }
            Some(run) if run.status != SUCCEEDED => {
                let line = u64::try_from(run.line).unwrap_or(0);
                Ok(Start::Go {
                    run: self.set_status(run, RUNNING, None).await?,
                    resumed_after_line: (line > 0).then_some(line),
                })
            }
            _ => Ok(Start::Go {
                run: self.new_run(key, file_bytes).await?,
                resumed_after_line: None,
            }),
        }
    }

    /// Writes the run to its end, and records how it ended.
    async fn go(
        &self,
        run: import_run::Model,
        resumed_after_line: Option<u64>,
        mut on_progress: impl FnMut(&Progress),
    ) -> Result<Finished> {
        let id = run.id;
        match self.batches(run, &mut on_progress).await {
            Ok(run) => {
                let run = self.set_status(run, SUCCEEDED, None).await?;
                Ok(Finished {
                    run: Some(id),
                    progress: Progress::of(&run),
                    problems: problems_of(&self.app, id, 1000).await?,
                    resumed_after_line,
                    finished_before: None,
                })
            }
            Err(error) => {
                // Kept as the run's failure, so that a job's owner reads why it stopped; the
                // next run of the same command goes on from the last committed batch.
                if let Ok(Some(run)) = import_run::Entity::find_by_id(id).one(self.app.database.reader()).await {
                    let _ = self.set_status(run, FAILED, Some(error.to_string())).await;
                }
                Err(error)
            }
        }
    }

    /// The newest run of this command.
    async fn find_run(&self, key: &str) -> Result<Option<import_run::Model>> {
        Ok(import_run::Entity::find()
            .filter(import_run::Column::Key.eq(key))
            .order_by_desc(import_run::Column::StartedAt)
            .one(self.app.database.reader())
            .await?)
    }

    async fn new_run(&self, key: String, file_bytes: u64) -> Result<import_run::Model> {
        let now = self.app.clock.now();
        let run = import_run::Model {
            id: ImportRunId::new(),
            key,
            org_id: self.org_id,
            actor_user_id: self.actor.user_id,
            source: self.source.to_owned(),
            format: format_name(self.format).to_owned(),
            upsert: self.options.upsert,
            update_shared: self.options.update_shared,
            status: RUNNING.to_owned(),
            file_bytes: i64::try_from(file_bytes).unwrap_or(i64::MAX),
            byte_offset: 0,
            line: 0,
            created: 0,
            updated: 0,
            skipped: 0,
            rejected: 0,
            failure: None,
            started_at: now,
            updated_at: now,
            finished_at: None,
        };
        let transaction = self.app.database.write().await?;
        let run = import_run::ActiveModel::from(run)
            .reset_all()
            .insert(&*transaction)
            .await?;
        transaction.commit().await?;
        Ok(run)
    }

    async fn set_status(
        &self,
        run: import_run::Model,
        status: &str,
        failure: Option<String>,
    ) -> Result<import_run::Model> {
        let now = self.app.clock.now();
        let transaction = self.app.database.write().await?;
        let mut active: import_run::ActiveModel = run.into();
        active.status = Set(status.to_owned());
        active.failure = Set(failure);
        active.updated_at = Set(now);
        active.finished_at = Set((status != RUNNING).then_some(now));
        let run = active.update(&*transaction).await?;
        transaction.commit().await?;
        Ok(run)
    }

    /// Reads and writes the file from the run's checkpoint to its end. On PostgreSQL and MariaDB
    /// two batches are written at once (each database connection works on one core); they still
    /// commit in the order of the file, since a batch's checkpoint moves only from where the
    /// batch before it ended. On any failure the import goes back to its last committed
    /// checkpoint and writes the next batch alone; a second failure there ends the run.
    async fn batches(
        &self,
        mut run: import_run::Model,
        on_progress: &mut impl FnMut(&Progress),
    ) -> Result<import_run::Model> {
        use futures::stream::{FuturesOrdered, StreamExt};
        let at = |value: i64| u64::try_from(value).unwrap_or(0);
        let parallel = match self.app.database.reader().get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => 1,
            _ => 2,
        };
        let mut source =
            Source::open(&self.path, self.format, at(run.byte_offset), at(run.line)).map_err(unreadable)?;
        on_progress(&Progress::of(&run));
        let mut in_flight = FuturesOrdered::new();
        let mut read_to_end = false;
        // Where the next batch begins, as the checkpoint says it (a CSV file's header is before
        // the first batch, and in none).
        let mut dispatched_to = run.byte_offset;
        // The checkpoint where a batch failed, and the batch was then written alone.
        let mut retried_at: Option<i64> = None;
        loop {
            let alone = retried_at == Some(run.byte_offset);
            while !read_to_end && in_flight.len() < if alone { 1 } else { parallel } {
                let start = source.offset;
                let lines = source.next_batch(self.options.batch()).map_err(unreadable)?;
                if lines.is_empty() && source.offset == start {
                    read_to_end = true;
                    break;
                }
                let batch = BatchAt {
                    start: dispatched_to,
                    end: source.offset as i64,
                    end_line: source.line as i64,
                };
                dispatched_to = batch.end;
                let kept = at(run.skipped + run.rejected);
                in_flight.push_back(async move { (batch, self.write_batch(run.id, batch, kept, lines).await) });
            }
            let Some((batch, written)) = in_flight.next().await else {
                return Ok(run);
            };
            match written {
                Ok(counts) => {
                    run.byte_offset = batch.end;
                    run.line = batch.end_line;
                    run.created += counts.created;
                    run.updated += counts.updated;
                    run.skipped += counts.skipped;
                    run.rejected += counts.rejected;
                    run.updated_at = self.app.clock.now();
                    on_progress(&Progress::of(&run));
                }
                Err(error) if retried_at == Some(run.byte_offset) => return Err(error),
                Err(error) => {
                    tracing::info!(%error, line = run.line, "an import batch failed; writing it again alone");
                    // The batches after it cannot commit before it; let them end, and read again
                    // from the last checkpoint.
                    while in_flight.next().await.is_some() {}
                    retried_at = Some(run.byte_offset);
                    read_to_end = false;
                    dispatched_to = run.byte_offset;
                    source =
                        Source::open(&self.path, self.format, at(run.byte_offset), at(run.line)).map_err(unreadable)?;
                }
            }
        }
    }

    /// One batch, in one transaction that moves the checkpoint from `batch.start` to its end.
    /// `kept` is how many problems the run holds already.
    async fn write_batch(
        &self,
        run_id: ImportRunId,
        batch: BatchAt,
        kept: u64,
        lines: Vec<(u64, std::result::Result<Record, String>)>,
    ) -> Result<Counts> {
        let now = self.app.clock.now();
        let transaction = self.app.database.write().await?;
        if transaction.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            // The batch's lookups send hundreds of addresses as parameters of a prepared
            // statement. Once PostgreSQL switches such a statement to a generic plan, it tests
            // each row against the list one value at a time, and a table an import is filling
            // fast still has the statistics of a small one, so that plan scans it: 0.5 s a
            // lookup at 30 000 users. Planned with the values, the list is hashed.
            transaction
                .execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
                .await?;
        }
        let plan = plan(&*transaction, self.org_id, self.options, lines, None).await?;
        if transaction.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            // The inserts are the same statements every batch: their plans are worth keeping.
            transaction
                .execute_unprepared("SET LOCAL plan_cache_mode = auto")
                .await?;
        }
        let Plan {
            records,
            mut existing,
            problems,
        } = plan;
        let (mut created, mut updated) = (0i64, 0i64);
        let mut events = Vec::with_capacity(records.len());
        let mut new_users = Vec::new();
        let mut new_members = Vec::new();
        let mut credentials = Vec::new();
        let mut history = Vec::new();
        for record in records {
            match existing.remove(&record.email) {
                Some(current) => {
                    let line = record.line;
                    let (user, roles) = transfer::write_record(&transaction, self.org_id, record, Some(current), now)
                        .await
                        .map_err(|error| Error::invalid(&format!("line {line}"), transfer::describe(error)))?;
                    updated += 1;
                    events.push((user.id, false, roles));
                }
                None => {
                    let user = transfer::new_user(&record, now)?;
                    let roles = record.roles.unwrap_or_else(crate::domain::authz::default_roles);
                    new_members.push(super::members::membership_row(self.org_id, &user, roles, now));
                    if let Some(hash) = &record.password_hash {
                        credentials.push(credential::ActiveModel {
                            user_id: Set(user.id),
                            password_hash: Set(hash.clone()),
                            updated_at: Set(now),
                        });
                        history.push(password_history::ActiveModel {
                            id: Set(uuid::Uuid::now_v7()),
                            user_id: Set(user.id),
                            password_hash: Set(hash.clone()),
                            created_at: Set(now),
                        });
                    }
                    created += 1;
                    events.push((user.id, true, roles));
                    new_users.push(user::ActiveModel::from(user).reset_all());
                }
            }
        }
        insert_all(&*transaction, new_users).await?;
        insert_all(&*transaction, new_members).await?;
        insert_all(&*transaction, credentials).await?;
        insert_all(&*transaction, history).await?;
        let skipped = problems.iter().filter(|problem| problem.outcome == SKIPPED).count() as i64;
        let rejected = problems.len() as i64 - skipped;
        let rows = problems
            .into_iter()
            .take(PROBLEMS_KEPT.saturating_sub(kept) as usize)
            .map(|problem| import_problem::ActiveModel {
                run_id: Set(run_id),
                line: Set(i64::try_from(problem.line).unwrap_or(i64::MAX)),
                outcome: Set(problem.outcome.to_owned()),
                message: Set(problem.message),
            })
            .collect();
        insert_all(&*transaction, rows).await?;
        // Last, what serializes batches: the audit chain's head, then the checkpoint.
        let events = events
            .into_iter()
            .map(|(user_id, created, roles)| {
                Event::new("USER_IMPORTED").user(user_id).org(self.org_id).details(
                    json!({ "created": created, "roles": role_names(&roles), "importRun": run_id.to_string() }),
                )
            })
            .collect();
        audit::record_many(&*transaction, &self.actor, now, events).await?;
        // The checkpoint moves only from where this batch began: batches commit in the order of
        // the file, and a second process resuming the same run commits nothing twice.
        use sea_orm::sea_query::Expr;
        let add = |column: import_run::Column, count: i64| Expr::col(column).add(count);
        let moved = import_run::Entity::update_many()
            .col_expr(import_run::Column::ByteOffset, Expr::value(batch.end))
            .col_expr(import_run::Column::Line, Expr::value(batch.end_line))
            .col_expr(import_run::Column::Created, add(import_run::Column::Created, created))
            .col_expr(import_run::Column::Updated, add(import_run::Column::Updated, updated))
            .col_expr(import_run::Column::Skipped, add(import_run::Column::Skipped, skipped))
            .col_expr(
                import_run::Column::Rejected,
                add(import_run::Column::Rejected, rejected),
            )
            .col_expr(import_run::Column::UpdatedAt, Expr::value(now))
            .filter(import_run::Column::Id.eq(run_id))
            .filter(import_run::Column::ByteOffset.eq(batch.start))
            .exec(&*transaction)
            .await?;
        if moved.rows_affected != 1 {
            return Err(Error::Conflict(
                "the import's checkpoint moved: another process is running this import".into(),
            ));
        }
        transaction.commit().await?;
        Ok(Counts {
            created,
            updated,
            skipped,
            rejected,
        })
    }

    /// Checks the whole file and counts what an import would do, writing nothing; repeated
    /// addresses are found however far apart they are.
    async fn dry_run(&self, file_bytes: u64, mut on_progress: impl FnMut(&Progress)) -> Result<Finished> {
        let mut source = Source::open(&self.path, self.format, 0, 0).map_err(unreadable)?;
        let mut progress = Progress {
            file_bytes,
            ..Progress::default()
        };
        let mut seen = HashMap::new();
        let mut problems = Vec::new();
        let database = self.app.database.reader();
        loop {
            let lines = source.next_batch(self.options.batch()).map_err(unreadable)?;
            if lines.is_empty() && source.offset == progress.byte_offset {
                break;
            }
            let plan = plan(database, self.org_id, self.options, lines, Some(&mut seen)).await?;
            let updated = plan
                .records
                .iter()
                .filter(|record| plan.existing.contains_key(&record.email))
                .count() as u64;
            progress.updated += updated;
            progress.created += plan.records.len() as u64 - updated;
            for problem in plan.problems {
                match problem.outcome {
                    SKIPPED => progress.skipped += 1,
                    _ => progress.rejected += 1,
                }
                if problems.len() < 1000 {
                    problems.push(problem);
                }
            }
            progress.byte_offset = source.offset;
            progress.line = source.line;
            on_progress(&progress);
        }
        Ok(Finished {
            run: None,
            progress,
            problems,
            resumed_after_line: None,
            finished_before: None,
        })
    }
}

/// Inserts `rows`, a few hundred to a statement: within every backend's limit on bound values.
async fn insert_all<A>(connection: &impl ConnectionTrait, mut rows: Vec<A>) -> Result<()>
where
    A: sea_orm::ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(ROWS_PER_INSERT));
        let chunk = std::mem::replace(&mut rows, rest);
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(connection)
            .await?;
    }
    Ok(())
}

/// Where a batch lies in the file: from `start` to `end` (bytes), ending at line `end_line`.
#[derive(Clone, Copy, Debug)]
struct BatchAt {
    start: i64,
    end: i64,
    end_line: i64,
}

/// What a batch did.
struct Counts {
    created: i64,
    updated: i64,
    skipped: i64,
    rejected: i64,
}

/// What a batch will do: the records to write (each existing account in `existing`, by address),
/// and the lines it will not apply.
struct Plan {
    records: Vec<Checked>,
    existing: HashMap<String, user::Model>,
    problems: Vec<Problem>,
}

/// Checks a batch's lines against each other and the database. `seen` (a dry run's) holds the
/// addresses of earlier batches and their lines.
async fn plan(
    connection: &impl ConnectionTrait,
    org_id: OrgId,
    options: StreamOptions,
    lines: Vec<(u64, std::result::Result<Record, String>)>,
    mut seen: Option<&mut HashMap<String, u64>>,
) -> Result<Plan> {
    let mut problems = Vec::new();
    let reject = |problems: &mut Vec<Problem>, line: u64, message: String| {
        problems.push(Problem {
            line,
            outcome: REJECTED,
            message,
        })
    };
    let mut here: HashMap<String, u64> = HashMap::new();
    let mut checked = Vec::new();
    for (line, record) in lines {
        match record.and_then(|record| transfer::check_record(line as usize, record)) {
            Ok(record) => {
                let earlier = here
                    .get(&record.email)
                    .or_else(|| seen.as_deref().and_then(|seen| seen.get(&record.email)));
                if let Some(first) = earlier {
                    let message = format!("email: {} is also on line {first}", record.email);
                    reject(&mut problems, line, message);
                    continue;
                }
                here.insert(record.email.clone(), line);
                checked.push(record);
            }
            Err(message) => reject(&mut problems, line, message),
        }
    }
    if let Some(seen) = seen.as_deref_mut() {
        seen.extend(here);
    }
    let mut existing: HashMap<String, user::Model> = HashMap::new();
    let emails: Vec<String> = checked.iter().map(|record| record.email.clone()).collect();
    for chunk in emails.chunks(ROWS_PER_INSERT) {
        for found in user::Entity::find()
            .filter(user::Column::Email.is_in(chunk.to_vec()))
            .all(connection)
            .await?
        {
            existing.insert(found.email.clone(), found);
        }
    }
    let shared = match options.upsert && !options.update_shared && !existing.is_empty() {
        true => shared_elsewhere(connection, org_id, existing.values().map(|user| user.id).collect()).await?,
        false => HashSet::new(),
    };
    let mut records = Vec::with_capacity(checked.len());
    for record in checked {
        let line = record.line as u64;
        let skip = match existing.get(&record.email) {
            None => None,
            Some(_) if !options.upsert => Some(format!(
                "email: {} already has an account (upsert updates it)",
                record.email
            )),
            Some(found) if found.is_superadmin => Some("email: a superadmin is not changed by an import".to_owned()),
            Some(found) if shared.contains(&found.id) => Some(format!(
                "email: {} also belongs to other organizations; an import changes such an account only when told to update shared accounts",
                record.email
            )),
            Some(_) => None,
        };
        match skip {
            Some(message) => problems.push(Problem {
                line,
                outcome: SKIPPED,
                message,
            }),
            None => records.push(record),
        }
    }
    let mut report = ImportReport::default();
    transfer::check_usernames(connection, &records, &mut report).await?;
    transfer::check_metadata_schemas(connection, org_id, &records, &existing, &mut report).await?;
    let refused: HashSet<usize> = report.errors.iter().map(|(line, _)| *line).collect();
    for (line, message) in report.errors {
        reject(&mut problems, line as u64, message);
    }
    records.retain(|record| !refused.contains(&record.line));
    let kept: HashSet<&str> = records.iter().map(|record| record.email.as_str()).collect();
    existing.retain(|email, _| kept.contains(email.as_str()));
    problems.sort();
    problems.dedup_by_key(|problem| problem.line);
    Ok(Plan {
        records,
        existing,
        problems,
    })
}

/// Which of `users` belong to an organization other than `org_id`.
async fn shared_elsewhere(
    connection: &impl ConnectionTrait,
    org_id: OrgId,
    users: Vec<steward_entity::UserId>,
) -> Result<HashSet<steward_entity::UserId>> {
    let mut shared = HashSet::new();
    for chunk in users.chunks(ROWS_PER_INSERT) {
        let found: Vec<steward_entity::UserId> = membership::Entity::find()
            .select_only()
            .column(membership::Column::UserId)
            .filter(membership::Column::UserId.is_in(chunk.to_vec()))
            .filter(membership::Column::OrgId.ne(org_id))
            .into_tuple()
            .all(connection)
            .await?;
        shared.extend(found);
    }
    Ok(shared)
}

/// A run's first `limit` skipped and rejected lines, in the order of the file.
async fn problems_of(app: &AppState, run: ImportRunId, limit: u64) -> Result<Vec<Problem>> {
    let rows = import_problem::Entity::find()
        .filter(import_problem::Column::RunId.eq(run))
        .order_by_asc(import_problem::Column::Line)
        .limit(limit)
        .all(app.database.reader())
        .await?;
    Ok(rows.into_iter().map(problem_of).collect())
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Ndjson => "NDJSON",
        Format::Csv => "CSV",
    }
}

fn unreadable(error: std::io::Error) -> Error {
    Error::invalid("file", format!("cannot read the file: {error}"))
}

/// What names one command's run: the file's contents, the organization, the format and the
/// options that change what is written. Answers its SHA-256 (hex) and the file's length.
async fn fingerprint(path: &Path, org_id: OrgId, format: Format, options: StreamOptions) -> Result<(String, u64)> {
    use sha2::{Digest, Sha256};
    let path = path.to_owned();
    let header = format!(
        "steward-import-v1\n{org_id}\n{}\n{}\n{}\n",
        format_name(format),
        options.upsert,
        options.update_shared
    );
    let hashed = tokio::task::spawn_blocking(move || -> std::io::Result<(String, u64)> {
        let mut file = File::open(&path)?;
        let mut hasher = Sha256::new();
        hasher.update(header.as_bytes());
        let mut buffer = vec![0u8; 1 << 16];
        let mut length = 0u64;
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            length += read as u64;
            hasher.update(&buffer[..read]);
        }
        Ok((
            hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect(),
            length,
        ))
    })
    .await
    .map_err(Error::internal)?;
    hashed.map_err(unreadable)
}

/// The file's records, read from a byte offset (a checkpoint) on.
struct Source {
    reader: Reader,
    /// Where the next record starts.
    offset: u64,
    /// Lines read so far.
    line: u64,
}

enum Reader {
    Ndjson(BufReader<File>),
    Csv {
        reader: csv::Reader<File>,
        headers: csv::StringRecord,
        /// Where `reader` began in the file: its positions count from there.
        base_offset: u64,
        base_line: u64,
    },
}

impl Source {
    fn open(path: &Path, format: Format, offset: u64, line: u64) -> std::io::Result<Self> {
        let mut file = File::open(path)?;
        let reader = match format {
            Format::Ndjson => {
                file.seek(SeekFrom::Start(offset))?;
                return Ok(Self {
                    reader: Reader::Ndjson(BufReader::with_capacity(1 << 16, file)),
                    offset,
                    line,
                });
            }
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
                let headers = reader.headers().map_err(std::io::Error::other)?.clone();
                if offset == 0 {
                    let position = reader.position().clone();
                    return Ok(Self {
                        reader: Reader::Csv {
                            reader,
                            headers,
                            base_offset: 0,
                            base_line: 0,
                        },
                        offset: position.byte(),
                        line: position.line().saturating_sub(1),
                    });
                }
                let mut file = reader.into_inner();
                file.seek(SeekFrom::Start(offset))?;
                let reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(file);
                Reader::Csv {
                    reader,
                    headers,
                    base_offset: offset,
                    base_line: line,
                }
            }
        };
        Ok(Self { reader, offset, line })
    }

    /// Up to `max` records, each with its line; none at the end of the file. Blank lines are
    /// passed over.
    fn next_batch(&mut self, max: usize) -> std::io::Result<Vec<(u64, std::result::Result<Record, String>)>> {
        let mut records = Vec::with_capacity(max.min(BATCH));
        match &mut self.reader {
            Reader::Ndjson(reader) => {
                let mut buffer = Vec::new();
                while records.len() < max {
                    buffer.clear();
                    let (read, whole) = read_line(reader, &mut buffer, MAX_RECORD)?;
                    if read == 0 {
                        break;
                    }
                    self.offset += read as u64;
                    self.line += 1;
                    if !whole {
                        records.push((self.line, Err("the line is longer than 1 MiB".to_owned())));
                        continue;
                    }
                    if buffer.trim_ascii().is_empty() {
                        continue;
                    }
                    let record = serde_json::from_slice::<Record>(&buffer)
                        .map_err(|error| format!("not a user record: {error}"));
                    records.push((self.line, record));
                }
            }
            Reader::Csv {
                reader,
                headers,
                base_offset,
                base_line,
            } => {
                let mut row = csv::StringRecord::new();
                while records.len() < max {
                    let before = reader.position().byte();
                    let read = reader.read_record(&mut row);
                    let after = reader.position().clone();
                    let line = *base_line + row.position().map_or(after.line(), |at| at.line());
                    match read {
                        Ok(false) => break,
                        Ok(true) if row.as_slice().len() > MAX_RECORD => {
                            records.push((line, Err("the row is longer than 1 MiB".to_owned())))
                        }
                        Ok(true) if row.len() != headers.len() => records.push((
                            line,
                            Err(format!(
                                "the row has {} fields, the header {}",
                                row.len(),
                                headers.len()
                            )),
                        )),
                        Ok(true) => records.push((line, transfer::csv_record(headers, &row))),
                        Err(error) if after.byte() > before => {
                            let line = *base_line + error.position().map_or(after.line(), |at| at.line());
                            records.push((line, Err(format!("not a CSV row: {error}"))));
                        }
                        Err(error) => return Err(std::io::Error::other(error)),
                    }
                    self.offset = *base_offset + after.byte();
                    self.line = *base_line + after.line().saturating_sub(1);
                }
            }
        }
        Ok(records)
    }
}

/// Reads one line (newline included) into `buffer`, keeping at most `limit` bytes of it. Answers
/// the bytes consumed and whether the line was kept whole.
fn read_line(reader: &mut impl BufRead, buffer: &mut Vec<u8>, limit: usize) -> std::io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut whole = true;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok((consumed, whole));
        }
        let (chunk, done) = match available.iter().position(|byte| *byte == b'\n') {
            Some(end) => (&available[..=end], true),
            None => (available, false),
        };
        if whole && buffer.len() + chunk.len() <= limit {
            buffer.extend_from_slice(chunk);
        } else {
            whole = false;
            buffer.clear();
        }
        let length = chunk.len();
        reader.consume(length);
        consumed += length;
        if done {
            return Ok((consumed, whole));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(text: &str) -> tempfile_path::TempPath {
        tempfile_path::TempPath::with(text)
    }

    /// A file under the system's temporary directory, removed when dropped.
    mod tempfile_path {
        pub struct TempPath(pub std::path::PathBuf);
        impl TempPath {
            pub fn with(text: &str) -> Self {
                let path = std::env::temp_dir().join(format!("steward-import-{}", uuid::Uuid::new_v4()));
                std::fs::write(&path, text).expect("a temporary file");
                Self(path)
            }
        }
        impl Drop for TempPath {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }

    fn emails(batch: &[(u64, std::result::Result<Record, String>)]) -> Vec<(u64, String)> {
        batch
            .iter()
            .map(|(line, record)| {
                (
                    *line,
                    match record {
                        Ok(record) => record.email.clone(),
                        Err(message) => format!("error: {message}"),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn ndjson_resumes_at_its_checkpoint_with_line_numbers_kept() {
        let text = "{\"email\":\"a@x.test\"}\n\n{\"email\":\"b@x.test\"}\nnot json\n{\"email\":\"c@x.test\"}";
        let file = file_with(text);
        let mut source = Source::open(&file.0, Format::Ndjson, 0, 0).unwrap();
        let first = source.next_batch(2).unwrap();
        assert_eq!(emails(&first), [(1, "a@x.test".into()), (3, "b@x.test".into())]);
        let (offset, line) = (source.offset, source.line);
        assert_eq!(line, 3);
        let mut again = Source::open(&file.0, Format::Ndjson, offset, line).unwrap();
        let rest = again.next_batch(10).unwrap();
        assert_eq!(rest.len(), 2);
        assert_eq!(rest[0].0, 4);
        assert!(rest[0].1.is_err());
        assert_eq!(emails(&rest[1..]), [(5, "c@x.test".into())]);
        assert_eq!(again.offset, text.len() as u64);
        assert!(again.next_batch(10).unwrap().is_empty());
    }

    #[test]
    fn csv_resumes_at_its_checkpoint_with_line_numbers_kept() {
        let text = "email,name\na@x.test,\"A\nwith a newline\"\nb@x.test,B\nc@x.test\nd@x.test,D\n";
        let file = file_with(text);
        let mut source = Source::open(&file.0, Format::Csv, 0, 0).unwrap();
        let first = source.next_batch(2).unwrap();
        assert_eq!(emails(&first), [(2, "a@x.test".into()), (4, "b@x.test".into())]);
        let (offset, line) = (source.offset, source.line);
        assert_eq!(line, 4);
        let mut again = Source::open(&file.0, Format::Csv, offset, line).unwrap();
        let rest = again.next_batch(10).unwrap();
        assert_eq!(rest[0].0, 5);
        assert!(rest[0].1.as_ref().unwrap_err().contains("fields"));
        assert_eq!(emails(&rest[1..]), [(6, "d@x.test".into())]);
        assert_eq!(again.offset, text.len() as u64);
    }

    #[test]
    fn an_overlong_line_is_rejected_without_being_kept() {
        let mut text = String::from("{\"email\":\"");
        text.push_str(&"a".repeat(MAX_RECORD + 10));
        text.push_str("\"}\n{\"email\":\"b@x.test\"}\n");
        let file = file_with(&text);
        let mut source = Source::open(&file.0, Format::Ndjson, 0, 0).unwrap();
        let batch = source.next_batch(10).unwrap();
        assert!(batch[0].1.as_ref().unwrap_err().contains("longer than 1 MiB"));
        assert_eq!(emails(&batch[1..]), [(2, "b@x.test".into())]);
    }
}
