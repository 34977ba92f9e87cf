//! A fresh database per test, dropped when the test ends.

use sea_orm::{ConnectionTrait, Database};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MariaDb,
}

impl Backend {
    /// The backend a benchmark's `--backend sqlite|postgres|mariadb` names (SQLite without one).
    pub fn from_args() -> Self {
        let args: Vec<String> = std::env::args().collect();
        match args
            .iter()
            .position(|arg| arg == "--backend")
            .and_then(|index| args.get(index + 1))
            .map(String::as_str)
        {
            None | Some("sqlite") => Backend::Sqlite,
            Some("postgres") => Backend::Postgres,
            Some("mariadb") => Backend::MariaDb,
            Some(other) => panic!("unknown backend {other}"),
        }
    }
}

/// A database made for one test, dropped with it.
pub struct FreshDatabase {
    pub url: String,
    backend: Backend,
    name: String,
    _directory: Option<TempDirectory>,
}

struct TempDirectory(std::path::PathBuf);

impl Drop for TempDirectory {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn server_url(backend: Backend) -> String {
    match backend {
        Backend::Postgres => {
            std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
        }
        Backend::MariaDb => std::env::var("TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into()),
        Backend::Sqlite => unreachable!("SQLite needs no server"),
    }
}

fn admin_url(backend: Backend) -> String {
    match backend {
        Backend::Postgres => format!("{}/postgres", server_url(backend)),
        _ => server_url(backend),
    }
}

impl FreshDatabase {
    pub async fn create(backend: Backend) -> Self {
        let name = format!("steward_test_{}", uuid::Uuid::new_v4().simple());
        if backend == Backend::Sqlite {
            let directory = std::env::temp_dir().join(&name);
            std::fs::create_dir_all(&directory).expect("temp directory");
            let url = format!("sqlite://{}?mode=rwc", directory.join("steward.db").display());
            return Self {
                url,
                backend,
                name,
                _directory: Some(TempDirectory(directory)),
            };
        }
        let admin = Database::connect(admin_url(backend))
            .await
            .unwrap_or_else(|error| panic!("cannot reach the {backend:?} server for tests ({error}); is it running?"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        let _ = admin.close().await;
        let url = format!("{}/{name}", server_url(backend));
        Self {
            url,
            backend,
            name,
            _directory: None,
        }
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if self.backend == Backend::Sqlite {
            return;
        }
        let (backend, name) = (self.backend, self.name.clone());
        // Drop runs outside any runtime guarantee: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                if let Ok(admin) = Database::connect(admin_url(backend)).await {
                    if backend == Backend::MariaDb {
                        // A connection left inside a transaction (a task aborted mid-way) holds
                        // locks that DROP DATABASE would wait for without end: end them first.
                        let sessions = format!(
                            "SELECT id FROM information_schema.processlist WHERE db = '{name}' AND id <> CONNECTION_ID()"
                        );
                        let backend_kind = admin.get_database_backend();
                        let rows = admin
                            .query_all(sea_orm::Statement::from_string(backend_kind, sessions))
                            .await
                            .unwrap_or_default();
                        for row in rows {
                            if let Ok(id) = row.try_get_by_index::<u64>(0) {
                                let _ = admin.execute_unprepared(&format!("KILL CONNECTION {id}")).await;
                            }
                        }
                    }
                    let statement = match backend {
                        Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                        _ => format!("DROP DATABASE IF EXISTS {name}"),
                    };
                    let _ = admin.execute_unprepared(&statement).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}
