//! `steward import-users` as a stream: a batch per transaction, each with its checkpoint, so that
//! a run killed at any moment goes on from its last batch when the same command runs again — no
//! user written twice, none half, nothing counted twice; and every line it does not apply reported
//! with its number, as skipped or rejected.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

use steward_entity::{audit_event, credential, import_problem, import_run, membership, OrgId};
use steward_server::domain::authz::CommandLine;
use steward_server::domain::import::{self, Finished, StreamOptions, REJECTED, SKIPPED};
use steward_server::domain::transfer::Format;
use steward_tests::process::Site;
use steward_tests::{backend_tests, Backend, TestServer, PASSWORD};

/// `count` users of acme, every tenth with a bcrypt hash of `PASSWORD`; line 7 is not JSON and
/// line 12 repeats line 3's address.
fn users_file(count: usize) -> String {
    let hash = bcrypt::hash(PASSWORD, 4).expect("bcrypt");
    let mut lines: Vec<String> = (1..=count)
        .map(|n| {
            let mut user = json!({
                "email": format!("user{n:05}@acme.test"),
                "name": format!("User {n}"),
                "user_metadata": { "n": n },
            });
            if n % 10 == 0 {
                user["password_hash"] = json!(hash);
            }
            user.to_string()
        })
        .collect();
    lines[6] = "{not json".into();
    lines[11] = json!({ "email": "user00003@acme.test" }).to_string();
    lines.join("\n") + "\n"
}

async fn org_id(server: &TestServer, root: &steward_tests::Session) -> OrgId {
    server.create_org(root, "acme").await.parse().expect("an id")
}

async fn members(server: &TestServer, org: OrgId) -> u64 {
    membership::Entity::find()
        .filter(membership::Column::OrgId.eq(org))
        .count(server.database())
        .await
        .unwrap()
}

async fn the_run(server: &TestServer) -> Option<import_run::Model> {
    import_run::Entity::find().one(server.database()).await.unwrap()
}

async fn a_killed_import_goes_on_from_its_last_batch(backend: Backend) {
    const USERS: usize = 3000;
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = org_id(&server, &root).await;
    let config = &server.state.config;
    let key = config.secret_key.as_ref().expect("a key").0.clone();
    let site = Site::instance(&config.database_url, &[("STEWARD_SECRET_KEY", key.as_str())]).await;
    let file = site.path("users.ndjson");
    std::fs::write(&file, users_file(USERS)).unwrap();
    let file = file.to_string_lossy().into_owned();
    let args = ["import-users", "--org", "acme", &file, "--batch-size", "20"];

    let mut child = site
        .command()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(site.path("import.log")).unwrap())
        .spawn()
        .expect("start the import");
    // The first batch commits...
    let started = Instant::now();
    let run = loop {
        if let Some(run) = the_run(&server).await.filter(|run| run.line > 0) {
            break run;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no batch committed: {}",
            site.log("import.log")
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    // ...then the run's row is held, so that no batch can commit any more, and the process is
    // killed wherever it is (in the middle of a batch's transaction, as likely as not).
    let hold = server.database().begin().await.unwrap();
    import_run::Entity::update_many()
        .col_expr(
            import_run::Column::Failure,
            Expr::col(import_run::Column::Failure).into(),
        )
        .filter(import_run::Column::Id.eq(run.id))
        .exec(&hold)
        .await
        .unwrap();
    child.kill().expect("kill -9");
    child.wait().unwrap();
    hold.rollback().await.unwrap();

    let killed = the_run(&server).await.unwrap();
    assert_eq!(killed.status, import::RUNNING);
    assert!(
        killed.line > 0 && killed.line < USERS as i64,
        "cut off midway: {killed:?}"
    );
    assert_eq!(
        members(&server, org).await,
        killed.created as u64,
        "what was written is exactly what the checkpoint counts"
    );

    // The same command again goes on to the end.
    let output = site.command().args(args).output().expect("run the import again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "two lines are rejected: {stdout}");
    assert!(
        stdout.contains(&format!("Went on from line {}", killed.line)),
        "{stdout}"
    );
    assert!(stdout.contains(":7: rejected: not a user record"), "{stdout}");
    assert!(
        stdout.contains(":12: rejected: email: user00003@acme.test is also on line 3"),
        "{stdout}"
    );

    let done = the_run(&server).await.unwrap();
    let imported = (USERS - 2) as i64;
    assert_eq!(done.status, import::SUCCEEDED);
    assert_eq!(
        (done.created, done.updated, done.skipped, done.rejected),
        (imported, 0, 0, 2),
        "nothing counted twice"
    );
    assert_eq!(
        members(&server, org).await,
        imported as u64,
        "no user twice, none missing"
    );
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq("USER_IMPORTED"))
        .filter(audit_event::Column::OrganizationId.eq(org))
        .count(server.database())
        .await
        .unwrap();
    assert_eq!(events, imported as u64, "one audit event per user");
    let hashes = credential::Entity::find().count(server.database()).await.unwrap();
    assert_eq!(
        hashes,
        (USERS / 10) as u64 + 1,
        "every tenth user's hash, and the superadmin's"
    );
    let problems = import_problem::Entity::find().all(server.database()).await.unwrap();
    let lines: Vec<i64> = problems.iter().map(|problem| problem.line).collect();
    assert_eq!(lines, [7, 12]);
    assert!(!server.sign_in("user02990@acme.test", PASSWORD).await.user_id.is_empty());
    let caller = CommandLine::new(server.state.clone());
    let chains = steward_server::domain::audit_chain::verify(&caller.operator(), None)
        .await
        .unwrap();
    let broken: Vec<_> = chains.iter().filter_map(|chain| chain.problem.clone()).collect();
    assert!(broken.is_empty(), "the audit chain holds: {broken:?}");

    // Once more: the command already ran to its end, and nothing is done.
    let output = site.command().args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("was already imported by this command"), "{stdout}");
    assert_eq!(members(&server, org).await, imported as u64);
}

async fn import_file(server: &TestServer, path: &Path, format: Format, options: StreamOptions) -> Finished {
    let caller = CommandLine::new(server.state.clone());
    import::import_file(&caller.operator(), "acme", path, format, options, |_| {})
        .await
        .expect("the import runs")
}

fn problems(finished: &Finished) -> Vec<(u64, &'static str)> {
    finished
        .problems
        .iter()
        .map(|problem| (problem.line, problem.outcome))
        .collect()
}

async fn lines_not_applied_are_skipped_or_rejected_with_their_numbers(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let acme = server.create_org(&root, "acme").await;
    let globex = server.create_org(&root, "globex").await;
    server.create_user(&root, &acme, "solo@acme.test", &["MEMBER"]).await;
    let shared = server.create_user(&root, &acme, "shared@acme.test", &["MEMBER"]).await;
    server.add_member(&root, &globex, &shared).await;
    let superadmin_email = root.email.clone();
    let site = Site::new().await;
    let path = site.path("users.ndjson");
    let text = [
        json!({ "email": "new1@acme.test", "name": "New One" }).to_string(),
        json!({ "email": "not an address" }).to_string(),
        json!({ "email": "solo@acme.test", "name": "Solo Renamed" }).to_string(),
        json!({ "email": "shared@acme.test", "name": "Shared Renamed" }).to_string(),
        json!({ "email": superadmin_email, "name": "Root" }).to_string(),
        String::new(),
        json!({ "email": "new2@acme.test", "roles": ["OWNER"] }).to_string(),
        json!({ "email": "New1@acme.test" }).to_string(),
        json!({ "email": "new3@acme.test", "password_hash": "plain-text" }).to_string(),
    ]
    .join("\n");
    std::fs::write(&path, text).unwrap();

    // A dry run sees a repeated address however far apart (batches of 2 here), and writes nothing.
    let dry = StreamOptions {
        dry_run: true,
        batch_size: Some(2),
        ..StreamOptions::default()
    };
    let finished = import_file(&server, &path, Format::Ndjson, dry).await;
    assert_eq!(
        problems(&finished),
        [
            (2, REJECTED),
            (3, SKIPPED),
            (4, SKIPPED),
            (5, SKIPPED),
            (7, REJECTED),
            (8, REJECTED),
            (9, REJECTED)
        ]
    );
    assert_eq!(finished.progress.created, 1);
    assert!(finished.run.is_none());
    assert!(the_run(&server).await.is_none(), "a dry run writes nothing");

    // With upsert, the account of acme alone is updated; the one globex shares and the
    // superadmin are skipped, and named.
    let upsert = StreamOptions {
        upsert: true,
        ..StreamOptions::default()
    };
    let finished = import_file(&server, &path, Format::Ndjson, upsert).await;
    let progress = &finished.progress;
    assert_eq!(
        (progress.created, progress.updated, progress.skipped, progress.rejected),
        (1, 1, 2, 4)
    );
    assert_eq!(progress.line, 9);
    let messages: Vec<String> = finished
        .problems
        .iter()
        .map(|problem| format!("{}: {}", problem.line, problem.message))
        .collect();
    assert!(messages[0].starts_with("2: email:"), "{messages:?}");
    assert!(
        messages[1].contains("also belongs to other organizations"),
        "{messages:?}"
    );
    assert!(messages[2].contains("superadmin"), "{messages:?}");
    assert!(messages[3].contains("unknown role `OWNER`"), "{messages:?}");
    assert!(messages[4].contains("is also on line 1"), "{messages:?}");
    assert!(messages[5].contains("password_hash"), "{messages:?}");
    let names = server
        .as_(
            &root,
            "{ users(first: 20) { edges { node { email name } } } }",
            json!({}),
        )
        .await;
    let names = names.ok()["users"]["edges"].to_string();
    assert!(names.contains("Solo Renamed"), "{names}");
    assert!(!names.contains("Shared Renamed"), "{names}");

    // The same command again does nothing; `again` runs it once more.
    let finished = import_file(&server, &path, Format::Ndjson, upsert).await;
    assert!(finished.finished_before.is_some());
    assert_eq!(finished.progress.created, 1);
    let again = StreamOptions { again: true, ..upsert };
    let finished = import_file(&server, &path, Format::Ndjson, again).await;
    assert!(finished.finished_before.is_none());
    assert_eq!((finished.progress.created, finished.progress.updated), (0, 2));
}

async fn a_csv_file_streams_as_ndjson_does(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = org_id(&server, &root).await;
    let site = Site::new().await;
    let path = site.path("users.csv");
    let mut text = String::from("email,name,roles,user_metadata\n");
    for n in 1..=45 {
        text.push_str(&format!(
            "user{n}@acme.test,User {n},\"[\"\"MEMBER\"\"]\",\"{{\n\"\"n\"\":{n}}}\"\n"
        ));
    }
    text.push_str("broken@acme.test,too,many,fields,here\n");
    std::fs::write(&path, text).unwrap();
    let options = StreamOptions {
        batch_size: Some(10),
        ..StreamOptions::default()
    };
    let finished = import_file(&server, &path, Format::Csv, options).await;
    assert_eq!(finished.problems.len(), 1, "{:?}", finished.problems.first());
    assert_eq!((finished.progress.created, finished.progress.rejected), (45, 1));
    assert_eq!(
        problems(&finished),
        [(92, REJECTED)],
        "the line in the file, rows spanning two"
    );
    assert_eq!(members(&server, org).await, 45);
}

/// The same address two batches apart: the later line finds the account the earlier one made (on
/// PostgreSQL and MariaDB, where two batches are written at once, after the later batch fails on
/// the address and is written again alone).
async fn an_address_repeated_batches_apart_is_written_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let root = server.superadmin().await;
    let org = org_id(&server, &root).await;
    let site = Site::new().await;
    let path = site.path("users.ndjson");
    let lines: Vec<String> = ["a", "b", "c", "a", "d", "e", "b"]
        .iter()
        .map(|name| json!({ "email": format!("{name}@acme.test") }).to_string())
        .collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    let options = StreamOptions {
        batch_size: Some(2),
        ..StreamOptions::default()
    };
    let finished = import_file(&server, &path, Format::Ndjson, options).await;
    let progress = &finished.progress;
    assert_eq!((progress.created, progress.skipped, progress.rejected), (5, 2, 0));
    assert_eq!(problems(&finished), [(4, SKIPPED), (7, SKIPPED)]);
    assert_eq!(members(&server, org).await, 5);
}

backend_tests!(
    an_address_repeated_batches_apart_is_written_once,
    a_killed_import_goes_on_from_its_last_batch,
    lines_not_applied_are_skipped_or_rejected_with_their_numbers,
    a_csv_file_streams_as_ndjson_does,
);
