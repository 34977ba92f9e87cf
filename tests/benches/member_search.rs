//! How fast is a page of 50 members with a text filter, at scale?
//!
//! Seeds N users spread over N/1000 organizations straight into the database, then asks the real
//! server over HTTP — GraphQL, authorization and all — for pages of members, and prints the
//! latency percentiles and their ratio to the 10 ms p95 target.
//!
//! ```sh
//! cargo bench -p steward-tests --bench member_search -- [--users N] [--backend sqlite|postgres|mariadb]
//! ```

use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;
use std::time::{Duration, Instant};
use steward_entity::{membership, organization, user, OrgId, UserId};
use steward_tests::{Backend, TestServer};

const TARGET_P95: Duration = Duration::from_millis(10);
const SAMPLES: usize = 300;
const WORDS: [&str; 16] = [
    "amber", "birch", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper", "kestrel", "lumen",
    "maple", "nectar", "onyx", "pine",
];

struct Args {
    users: usize,
    backend: Backend,
}

fn args() -> Args {
    let mut args = Args {
        users: 1_000_000,
        backend: Backend::Sqlite,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--users" => args.users = iter.next().and_then(|n| n.parse().ok()).expect("--users N"),
            "--backend" => {
                args.backend = match iter.next().as_deref() {
                    Some("sqlite") => Backend::Sqlite,
                    Some("postgres") => Backend::Postgres,
                    Some("mariadb") => Backend::MariaDb,
                    other => panic!("unknown backend {other:?}"),
                }
            }
            _ => {}
        }
    }
    args
}

/// A deterministic pseudo-random sequence, so every run seeds the same data.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

async fn seed(server: &TestServer, users: usize) -> Vec<OrgId> {
    let orgs_count = (users / 1000).max(1);
    let now = Utc::now();
    let transaction = sea_orm::TransactionTrait::begin(server.database())
        .await
        .expect("transaction");
    let mut orgs = Vec::with_capacity(orgs_count);
    for index in 0..orgs_count {
        let org = organization::ActiveModel {
            id: Set(OrgId::new()),
            slug: Set(format!("org-{index}")),
            name: Set(format!("Org {index}")),
            search_text: Set(format!("org-{index}\norg {index}")),
            display_name: Set(None),
            logo_url: Set(None),
            primary_color: Set(None),
            metadata: Set(json!({})),
            settings: Set(json!({})),
            revision: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&transaction)
        .await
        .expect("insert org");
        orgs.push(org.id);
    }
    let mut sequence = Sequence(0x9e3779b97f4a7c15);
    let chunk = 500;
    for start in (0..users).step_by(chunk) {
        let end = (start + chunk).min(users);
        let mut user_rows = Vec::with_capacity(end - start);
        let mut member_rows = Vec::with_capacity(end - start);
        for index in start..end {
            let first = WORDS[(sequence.next() % 16) as usize];
            let last = WORDS[(sequence.next() % 16) as usize];
            let email = format!("{first}.{last}.{index}@example.com");
            let name = format!("{first} {last} {index}");
            let id = UserId::new();
            let (email_copy, name_copy) = (email.clone(), name.clone());
            user_rows.push(user::ActiveModel {
                id: Set(id),
                email: Set(email.clone()),
                email_verified: Set(index % 3 == 0),
                username: Set(None),
                name: Set(Some(name.clone())),
                given_name: Set(None),
                family_name: Set(None),
                nickname: Set(None),
                picture: Set(None),
                phone_number: Set(None),
                locale: Set(None),
                user_metadata: Set(json!({})),
                app_metadata: Set(json!({ "plan": if index % 2 == 0 { "pro" } else { "free" } })),
                blocked: Set(false),
                blocked_reason: Set(None),
                is_superadmin: Set(false),
                password_change_required: Set(false),
                last_login_at: Set(None),
                logins_count: Set(0),
                search_text: Set(format!("{email}\n{name}\n")),
                name_sort: Set(name),
                last_login_sort: Set(0),
                revision: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
            });
            member_rows.push(membership::ActiveModel {
                org_id: Set(orgs[index % orgs.len()]),
                user_id: Set(id),
                role_admin: Set(false),
                role_user_manager: Set(false),
                role_auditor: Set(false),
                role_member: Set(true),
                status: Set("ACTIVE".into()),
                suspended_reason: Set(None),
                metadata: Set(json!({})),
                revision: Set(0),
                created_at: Set(now),
                user_search_text: Set(format!("{email_copy}\n{name_copy}\n")),
                user_email: Set(email_copy),
                user_name_sort: Set(name_copy),
                user_created_at: Set(now),
                user_last_login_sort: Set(0),
            });
        }
        user::Entity::insert_many(user_rows)
            .exec(&transaction)
            .await
            .expect("insert users");
        membership::Entity::insert_many(member_rows)
            .exec(&transaction)
            .await
            .expect("insert memberships");
        if end % 100_000 == 0 {
            eprintln!("  seeded {end} users");
        }
    }
    transaction.commit().await.expect("commit");
    // A database in service has planner statistics; a freshly bulk-loaded one has none yet.
    use sea_orm::ConnectionTrait;
    let analyze = if args_backend_is_mysql(server) {
        "ANALYZE TABLE users, memberships"
    } else if sea_orm::ConnectionTrait::get_database_backend(server.database()) == sea_orm::DatabaseBackend::Postgres {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    };
    server.database().execute_unprepared(analyze).await.expect("analyze");
    orgs
}

fn args_backend_is_mysql(server: &TestServer) -> bool {
    sea_orm::ConnectionTrait::get_database_backend(server.database()) == sea_orm::DatabaseBackend::MySql
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * fraction).round() as usize]
}

async fn measure(server: &TestServer, token: &str, label: &str, mut variables: impl FnMut(usize) -> serde_json::Value) {
    let query = "query($id: ID!, $filter: UserFilter, $after: String) { organization(id: $id) { members(first: 50, filter: $filter, after: $after) { edges { cursor node { roles user { id email name } } } pageInfo { hasNextPage endCursor } } } }";
    let mut timings = Vec::with_capacity(SAMPLES);
    for sample in 0..SAMPLES + 20 {
        let variables = variables(sample);
        let started = Instant::now();
        let response = server.gql(Some(token), query, variables).await;
        let elapsed = started.elapsed();
        response.ok();
        if sample >= 20 {
            timings.push(elapsed);
        }
    }
    timings.sort();
    let p95 = percentile(&timings, 0.95);
    println!(
        "{label:<40} p50 {:>7.2} ms   p95 {:>7.2} ms   p99 {:>7.2} ms   p95/target {:.2}",
        percentile(&timings, 0.50).as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        percentile(&timings, 0.99).as_secs_f64() * 1e3,
        p95.as_secs_f64() / TARGET_P95.as_secs_f64(),
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args = args();
    println!(
        "member search: {} users in {} organizations on {:?}",
        args.users,
        (args.users / 1000).max(1),
        args.backend
    );
    let server = TestServer::start(args.backend).await;
    let admin = server.superadmin().await;
    let started = Instant::now();
    let orgs = seed(&server, args.users).await;
    println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    let token = admin.access_token.clone();
    let org = |sample: usize| orgs[(sample * 7919) % orgs.len()].to_string();

    measure(
        &server,
        &token,
        "first page, no filter",
        |sample| json!({ "id": org(sample) }),
    )
    .await;
    measure(
        &server,
        &token,
        "first page, text filter",
        |sample| json!({ "id": org(sample), "filter": { "query": WORDS[sample % 16] } }),
    )
    .await;
    measure(&server, &token, "first page, text + metadata filter", |sample| {
        json!({ "id": org(sample), "filter": { "query": WORDS[sample % 16], "metadata": [{ "path": "appMetadata.plan", "equals": "pro" }] } })
    })
    .await;
    // Deep pages cost the same as the first: fetch page 2 after a real cursor.
    let first = server
        .gql(
            Some(&token),
            "query($id: ID!) { organization(id: $id) { members(first: 50, filter: { query: \"a\" }) { pageInfo { endCursor } } } }",
            json!({ "id": org(0) }),
        )
        .await;
    let cursor = first.ok()["organization"]["members"]["pageInfo"]["endCursor"].clone();
    measure(
        &server,
        &token,
        "second page, text filter",
        |_| json!({ "id": org(0), "filter": { "query": "a" }, "after": cursor }),
    )
    .await;
}
