//! The database handle: connecting, migrating, and write transactions.
//!
//! Anyone may hold a [`Database`] (the application state carries one), but only `domain` can
//! send it a statement: [`Database::reader`] and [`Database::write`] are visible inside `domain`
//! alone, and domain functions reach the database only through the capability (`authz`) they are
//! given. So a resolver, a route or the command line that wants data has to ask `authz` first;
//! reaching around it does not compile.

use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction};
use sea_orm::{SqlxSqliteConnector, TransactionTrait};
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Mutex, OwnedMutexGuard};

use crate::error::Result;
use steward_migration::{Migrator, MigratorTrait};

/// The connection pool. On SQLite, write transactions also take a process-wide lock: SQLite has
/// one writer at a time anyway, and waiting here avoids the busy errors of two transactions that
/// both read and then try to write.
#[derive(Clone)]
pub struct Database {
    connection: DatabaseConnection,
    sqlite_writer: Option<Arc<Mutex<()>>>,
    statements: Arc<AtomicU64>,
    /// Counts this instance's committed write transactions, for those who follow new rows (the
    /// live audit log) to wake at each commit instead of polling hard.
    commits: Arc<watch::Sender<u64>>,
}

/// A transaction that holds the SQLite writer lock, where there is one, until it ends.
pub struct WriteTransaction {
    transaction: DatabaseTransaction,
    _writer: Option<OwnedMutexGuard<()>>,
    commits: Arc<watch::Sender<u64>>,
}

impl Deref for WriteTransaction {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.transaction
    }
}

impl WriteTransaction {
    pub(in crate::domain) async fn commit(self) -> Result<()> {
        self.transaction.commit().await?;
        self.commits.send_modify(|count| *count = count.wrapping_add(1));
        Ok(())
    }
}

impl Database {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let mut connection = if url.starts_with("sqlite:") {
            Self::connect_sqlite(url).await?
        } else {
            let mut options = ConnectOptions::new(url.to_owned());
            options
                .max_connections(20)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .sqlx_logging(false);
            sea_orm::Database::connect(options).await?
        };
        let sqlite_writer =
            (connection.get_database_backend() == DatabaseBackend::Sqlite).then(|| Arc::new(Mutex::new(())));
        let statements = Arc::new(AtomicU64::new(0));
        let counted = statements.clone();
        connection.set_metric_callback(move |_| {
            counted.fetch_add(1, Ordering::Relaxed);
            crate::counters::database_statement();
        });
        Ok(Self {
            connection,
            sqlite_writer,
            statements,
            commits: Arc::new(watch::channel(0).0),
        })
    }

    /// How many statements this instance has sent so far. `/metrics` has the process's total;
    /// this count is per instance, so that a test, which runs many instances in one process, can
    /// pin how many statements a request costs.
    pub fn statements_sent(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    async fn connect_sqlite(url: &str) -> anyhow::Result<DatabaseConnection> {
        use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
        use std::str::FromStr;
        let options = SqliteConnectOptions::from_str(url)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.connection, None).await?;
        Ok(())
    }

    /// Whether this instance can serve: the database answers (within 3 s) and every migration
    /// this build knows has been applied; otherwise why not. A database that comes back is
    /// ready again at once: the pool opens new connections as old ones fail.
    pub async fn readiness(&self) -> std::result::Result<(), &'static str> {
        let check = Migrator::get_pending_migrations(&self.connection);
        match tokio::time::timeout(Duration::from_secs(3), check).await {
            Err(_) | Ok(Err(_)) => Err("database unreachable"),
            Ok(Ok(pending)) if !pending.is_empty() => Err("database migrations pending"),
            Ok(Ok(_)) => Ok(()),
        }
    }

    pub(in crate::domain) fn backend(&self) -> DatabaseBackend {
        self.connection.get_database_backend()
    }

    /// Wakes at every write transaction this instance commits (not other instances').
    pub(in crate::domain) fn commits(&self) -> watch::Receiver<u64> {
        self.commits.subscribe()
    }

    /// For reads. Writes go through [`Database::write`].
    pub(in crate::domain) fn reader(&self) -> &DatabaseConnection {
        &self.connection
    }

    /// Begins a write transaction.
    pub(in crate::domain) async fn write(&self) -> Result<WriteTransaction> {
        let writer = match &self.sqlite_writer {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let transaction = self.connection.begin().await?;
        if writer.is_some() {
            // SQLite begins a transaction deferred: its first read takes a snapshot, and a write
            // after it fails at once ("database is locked") if another process wrote meanwhile,
            // whatever the busy timeout. A write that changes nothing, first, takes the write lock
            // up front and waits for it (BEGIN IMMEDIATE, which the driver cannot send), so a
            // transaction that reads before it writes is safe beside another instance too.
            transaction
                .execute_unprepared("UPDATE seaql_migrations SET version = version WHERE 0")
                .await?;
        }
        Ok(WriteTransaction {
            transaction,
            _writer: writer,
            commits: self.commits.clone(),
        })
    }
}
