//! How fast does `steward import-users` write, and does its memory stay flat as the file grows?
//!
//! Generates NDJSON files of users with pre-hashed passwords (argon2id, as a migration from
//! another provider brings them), then:
//! - imports `--users` of them (100 000 by default) into a fresh database of the backend, in this
//!   process, and prints users per second against the 10 000 users/s target;
//! - with `--memory`, runs the release binary on SQLite on 100 000 and on 1 000 000 lines and
//!   prints each run's peak resident memory (as the process reports it) and their ratio against
//!   the 1.3 target.
//!
//! ```sh
//! cargo bench -p steward-tests --bench import -- --backend sqlite
//! cargo bench -p steward-tests --bench import -- --backend postgres
//! cargo build --release --bin steward && cargo bench -p steward-tests --bench import -- --memory
//! ```

use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use steward_server::domain::authz::CommandLine;
use steward_server::domain::import::{self, StreamOptions};
use steward_server::domain::transfer::Format;
use steward_tests::{workspace_root, Backend, TestServer};

const TARGET_USERS_PER_SECOND: f64 = 10_000.0;
const TARGET_MEMORY_RATIO: f64 = 1.3;

fn argument(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| arg == name)
        .and_then(|index| args.get(index + 1))
        .cloned()
}

/// A file of `count` users of acme, each with an argon2id hash (the same one: hashing is not what
/// is measured), a name and a little metadata.
fn write_users(path: &Path, count: usize) {
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$LhDO2hP3jFhb3V4W4fBO0l9Fo8o7vW4f8s0pV9jQYxw";
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("a file"));
    for n in 0..count {
        let user = json!({
            "email": format!("user{n:07}@acme.test"),
            "email_verified": n % 3 == 0,
            "name": format!("User {n}"),
            "user_metadata": { "team": n % 50, "locale": "en" },
            "app_metadata": { "plan": "pro" },
            "password_hash": hash,
        });
        writeln!(out, "{user}").expect("write");
    }
    out.flush().expect("flush");
}

fn scratch(name: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!("steward-import-bench-{}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("a directory");
    directory.join(name)
}

async fn speed(backend: Backend, users: usize) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    server.create_org(&root, "acme").await;
    let path = scratch("speed.ndjson");
    write_users(&path, users);
    let caller = CommandLine::new(server.state.clone());
    let started = Instant::now();
    let finished = import::import_file(
        &caller.operator(),
        "acme",
        &path,
        Format::Ndjson,
        StreamOptions::default(),
        |_| {},
    )
    .await
    .expect("the import runs");
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        finished.progress.created,
        users as u64,
        "{:?}",
        finished.problems.first()
    );
    let rate = users as f64 / seconds;
    println!(
        "import of {users} users with argon2id hashes on {backend:?}, batches of {}",
        import::BATCH
    );
    println!("| backend | users | seconds | users/s | users/s / {TARGET_USERS_PER_SECOND} target |");
    println!("|---|---|---|---|---|");
    println!(
        "| {backend:?} | {users} | {seconds:.2} | {rate:.0} | {:.2} |",
        rate / TARGET_USERS_PER_SECOND
    );
}

/// Runs the release binary's import of `lines` users into a fresh SQLite database; answers its
/// peak memory (KiB) and seconds.
async fn binary_run(lines: usize) -> (i64, f64) {
    let binary = workspace_root().join("target/release/steward");
    assert!(binary.exists(), "build it first: cargo build --release --bin steward");
    let server = TestServer::start(Backend::Sqlite).await;
    let root = server.superadmin().await;
    server.create_org(&root, "acme").await;
    let file = scratch(&format!("memory-{lines}.ndjson"));
    write_users(&file, lines);
    let config = &server.state.config;
    let started = Instant::now();
    let mut child = std::process::Command::new(&binary)
        .args(["import-users", "--org", "acme", &file.to_string_lossy()])
        .env("STEWARD_DATABASE_URL", &config.database_url)
        .env("STEWARD_SECRET_KEY", &config.secret_key.as_ref().expect("a key").0)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run steward");
    // With `--trace`, the resident memory every 5 s, and whenever its peak grows, to see how it
    // grows.
    if std::env::args().any(|arg| arg == "--trace") {
        let status = format!("/proc/{}/status", child.id());
        let mut shown = std::time::Instant::now();
        let mut high = 0u64;
        while child.try_wait().expect("the child").is_none() {
            if let Ok(text) = std::fs::read_to_string(&status) {
                let field = |name: &str| {
                    text.lines()
                        .find(|line| line.starts_with(name))
                        .unwrap_or_default()
                        .to_owned()
                };
                let rss = format!("{} {}", field("VmRSS"), field("VmHWM"));
                let kib: u64 = field("VmRSS")
                    .split_whitespace()
                    .nth(1)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let hwm: u64 = field("VmHWM")
                    .split_whitespace()
                    .nth(1)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let grew = hwm > high + 2048;
                high = high.max(hwm);
                if grew || shown.elapsed().as_secs() >= 5 {
                    let database = config.database_url.trim_start_matches("sqlite://");
                    let database = database.split('?').next().unwrap_or_default();
                    let wal = std::fs::metadata(format!("{database}-wal")).map_or(0, |meta| meta.len());
                    eprintln!("{:>7.1} s {rss} WAL {} MiB", started.elapsed().as_secs_f64(), wal >> 20);
                    shown = std::time::Instant::now();
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    let output = child.wait_with_output().expect("run steward");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "steward import-users: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The process says its own peak (VmHWM). A parent's `getrusage(RUSAGE_CHILDREN)` would also
    // count the copy of the parent's memory the child held between fork and exec.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let peak = stdout
        .lines()
        .find_map(|line| line.strip_prefix("Peak memory: "))
        .and_then(|text| text.trim_end_matches(" MiB").parse::<f64>().ok())
        .map(|mib| (mib * 1024.0) as i64)
        .unwrap_or_else(|| panic!("no peak in: {stdout}"));
    let _ = std::fs::remove_file(&file);
    (peak, seconds)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if std::env::args().any(|arg| arg == "--memory") {
        println!("peak resident memory of `steward import-users` (release build, SQLite)");
        println!("| lines | seconds | users/s | peak RSS |");
        println!("|---|---|---|---|");
        let (small, seconds) = binary_run(100_000).await;
        println!(
            "| 100 000 | {seconds:.1} | {:.0} | {:.1} MiB |",
            100_000.0 / seconds,
            small as f64 / 1024.0
        );
        let (large, seconds) = binary_run(1_000_000).await;
        println!(
            "| 1 000 000 | {seconds:.1} | {:.0} | {:.1} MiB |",
            1_000_000.0 / seconds,
            large as f64 / 1024.0
        );
        let ratio = large as f64 / small as f64;
        println!(
            "peak at 1 000 000 / peak at 100 000: {ratio:.2} (target ≤ {TARGET_MEMORY_RATIO}: {:.2} of it)",
            ratio / TARGET_MEMORY_RATIO
        );
        return;
    }
    let backend = Backend::from_args();
    let users = argument("--users").map_or(100_000, |value| value.parse().expect("a number"));
    speed(backend, users).await;
}
