//! The `steward` command line.

mod import_progress;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

use steward_server::clock::SystemClock;
use steward_server::domain::authz::CommandLine;
use steward_server::{domain, AppState, Config};

#[derive(Parser)]
#[command(name = "steward", version, about = "Multi-tenant user profile management")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database if needed, then serve the API and the portal (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Create or promote a superadmin. Without --password it prints a one-time set-password link.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Print the GraphQL schema (what schema.graphql holds).
    ExportSchema,
    /// Walk the audit log's hash chains (one organization's, or all) and name the first event in
    /// each that was changed, removed or inserted. Exits with status 1 when one was.
    VerifyAudit {
        /// The organization's slug; without it, every chain.
        #[arg(long)]
        org: Option<String>,
    },
    /// Make a new signing key. It is published at once and signs on every instance a few
    /// minutes later; the old key stays published until the tokens it signed have expired.
    RotateKeys,
    /// Import users into an organization from NDJSON (Auth0's user format) or CSV (by the file's
    /// extension). The file is read and written a batch at a time; a run that is cut off (even by
    /// kill -9) goes on from its last batch when the same command is run again. Lines that are
    /// not applied are listed with their numbers; the exit status is 1 when any was rejected.
    ImportUsers {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// The file to read; `.csv` is read as CSV, anything else as NDJSON.
        file: String,
        /// Check the whole file and report what would happen, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// Update users whose address already has an account, instead of skipping them.
        #[arg(long)]
        upsert: bool,
        /// With --upsert, also update accounts that belong to other organizations too (without
        /// it they are skipped and named).
        #[arg(long, requires = "upsert")]
        update_shared: bool,
        /// Check everything first and write all of it in one transaction, or nothing if any line
        /// is wrong; the whole file is held in memory, so this is for small files.
        #[arg(long, conflicts_with = "again")]
        all_or_nothing: bool,
        /// Import the file once more although the same command already ran to its end.
        #[arg(long)]
        again: bool,
        /// Records written per transaction (1 to 10 000): what a cut-off run may have to redo.
        #[arg(long, default_value_t = domain::import::BATCH as u64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        batch_size: u64,
    },
    /// Write an organization's users to standard output (password hashes are never exported).
    ExportUsers {
        #[arg(long)]
        org: String,
        #[arg(long, value_enum, default_value = "ndjson")]
        format: ExportFormat,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Ndjson,
    Csv,
}

/// The import of a small file in one transaction: every line is checked first, and any problem
/// means nothing is written.
async fn import_all_or_nothing(
    caller: &CommandLine,
    org: &str,
    file: &str,
    format: domain::transfer::Format,
    dry_run: bool,
    upsert: bool,
    update_shared: bool,
) -> anyhow::Result<()> {
    let input = std::fs::read_to_string(file).map_err(|error| anyhow::anyhow!("cannot read {file}: {error}"))?;
    let options = domain::transfer::ImportOptions {
        dry_run,
        upsert,
        update_shared,
    };
    let report = domain::transfer::import(&caller.operator(), org, &input, format, options)
        .await
        .map_err(|error| anyhow::anyhow!("{error}{}", describe_fields(&error)))?;
    if !report.errors.is_empty() {
        for (line, problem) in &report.errors {
            eprintln!("{file}:{line}: {problem}");
        }
        anyhow::bail!("{} problem(s) found; nothing was imported", report.errors.len());
    }
    let verb = if dry_run { "would create" } else { "created" };
    let updated = if dry_run { "would update" } else { "updated" };
    println!("{verb} {} user(s), {updated} {}", report.created, report.updated);
    Ok(())
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // Logs go to standard error, so that what a command prints (an export) stays clean.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::ExportSchema) = cli.command {
        print!("{}", steward_server::graphql::sdl());
        return Ok(());
    }
    let config = Config::load()?;
    init_logging(&config);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            AppState::start(config, Arc::new(SystemClock)).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::VerifyAudit { org } => {
            let state = AppState::start(config, Arc::new(SystemClock)).await?;
            let caller = CommandLine::new(state);
            let reports = domain::audit_chain::verify(&caller.operator(), org.as_deref())
                .await
                .map_err(|error| match error {
                    steward_server::error::Error::NotFound => anyhow::anyhow!("no organization has that slug"),
                    other => anyhow::anyhow!("{other}"),
                })?;
            let mut broken = false;
            for report in &reports {
                match &report.problem {
                    None => println!("{}: {} events, intact", report.chain, report.events),
                    Some(problem) => {
                        broken = true;
                        println!("{}: BROKEN: {problem}", report.chain);
                    }
                }
            }
            if broken {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::RotateKeys => {
            let state = AppState::start(config, Arc::new(SystemClock)).await?;
            let caller = CommandLine::new(state);
            let kid = domain::setup::rotate_signing_key(&caller.operator()).await?;
            println!(
                "New signing key {kid}: published now, signing on every instance within {} minutes.",
                steward_server::domain::authz::keys::PUBLISHED_BEFORE_SIGNING.num_minutes()
            );
            Ok(())
        }
        Command::CreateAdmin { email, password } => {
            let state = AppState::start(config, Arc::new(SystemClock)).await?;
            let caller = CommandLine::new(state);
            let outcome = domain::setup::create_admin(&caller.operator(), &email, password.as_deref())
                .await
                .map_err(|error| anyhow::anyhow!("{error}{}", describe_fields(&error)))?;
            let verb = if outcome.created { "created" } else { "promoted" };
            println!("Superadmin {email} {verb}.");
            if let Some(link) = outcome.link {
                println!("Set the password within 24 hours at:\n  {link}");
            }
            Ok(())
        }
        Command::ImportUsers {
            org,
            file,
            dry_run,
            upsert,
            update_shared,
            all_or_nothing,
            again,
            batch_size,
        } => {
            let state = AppState::start(config, Arc::new(SystemClock)).await?;
            let caller = CommandLine::new(state);
            let format = domain::transfer::Format::of_path(&file);
            if all_or_nothing {
                return import_all_or_nothing(&caller, &org, &file, format, dry_run, upsert, update_shared).await;
            }
            let options = domain::import::StreamOptions {
                upsert,
                update_shared,
                dry_run,
                again,
                batch_size: Some(batch_size as usize),
            };
            let mut progress = import_progress::Display::new(dry_run);
            let finished = domain::import::import_file(
                &caller.operator(),
                &org,
                std::path::Path::new(&file),
                format,
                options,
                |now| progress.show(now),
            )
            .await;
            progress.finish();
            let began = progress.began() && !dry_run;
            let finished = finished.map_err(|error| {
                let hint = match began {
                    true => "\nEvery batch before the failure is written; the same command goes on from there.",
                    false => "",
                };
                anyhow::anyhow!("{error}{}{hint}", describe_fields(&error))
            })?;
            import_progress::summary(&file, dry_run, &finished)
        }
        Command::ExportUsers { org, format } => {
            let state = AppState::start(config, Arc::new(SystemClock)).await?;
            let caller = CommandLine::new(state);
            let format = match format {
                ExportFormat::Ndjson => domain::transfer::Format::Ndjson,
                ExportFormat::Csv => domain::transfer::Format::Csv,
            };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let written = domain::transfer::export(&caller.operator(), &org, format, &mut out)
                .await
                .map_err(|error| anyhow::anyhow!("{error}{}", describe_fields(&error)))?;
            drop(out);
            tracing::info!(users = written, "exported");
            Ok(())
        }
        Command::ExportSchema => unreachable!("handled above"),
    }
}

fn describe_fields(error: &steward_server::error::Error) -> String {
    match error {
        steward_server::error::Error::Invalid { fields } => fields
            .iter()
            .map(|(field, message)| format!(": {field} {message}"))
            .collect(),
        steward_server::error::Error::PasswordPolicy { reasons } => format!(": the password {}", reasons.join("; ")),
        _ => String::new(),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let bind: SocketAddr = config
        .bind
        .parse()
        .map_err(|_| anyhow::anyhow!("invalid STEWARD_BIND: {}", config.bind))?;
    let state = AppState::start(config, Arc::new(SystemClock)).await?;
    if let Some(link) = steward_server::announce_setup_link(&state).await? {
        tracing::warn!("no superadmin exists yet");
        println!("\n  Steward has no superadmin yet. Open this one-time link (valid 24 hours) to create one:\n\n    {link}\n");
    }
    if !std::path::Path::new(&state.config.portal_dir)
        .join("index.html")
        .exists()
    {
        tracing::warn!(portal_dir = %state.config.portal_dir, "the portal is not built; only the API is served");
    }
    if !state.mailer.delivers() {
        tracing::warn!(
            "STEWARD_SMTP_URL is not set: mail is not sent, but logged and kept in the outbox (the portal's Mail page)"
        );
    }
    let (stop_mail, stopping) = tokio::sync::watch::channel(false);
    let mail_worker = steward_server::domain::delivery::spawn_until(state.clone(), stopping);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    tracing::info!(address = %bind, public_url = %state.config.public_url, "Steward is listening");
    let background = state.background.clone();
    let app = steward_server::app(state);
    // On SIGTERM (or Ctrl-C): stop accepting, let the requests in flight and the work they
    // started finish, then let the mail worker finish the message it is sending, and exit.
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    if background.running() > 0 {
        tracing::info!(
            tasks = background.running(),
            "waiting for the work requests started to finish"
        );
        if tokio::time::timeout(std::time::Duration::from_secs(30), background.idle())
            .await
            .is_err()
        {
            tracing::warn!(
                tasks = background.running(),
                "work requests started did not finish within 30 s"
            );
        }
    }
    tracing::info!("no request is in flight; stopping the mail worker");
    let _ = stop_mail.send(true);
    if tokio::time::timeout(std::time::Duration::from_secs(60), mail_worker)
        .await
        .is_err()
    {
        tracing::warn!("the mail worker did not stop within 60 s; its lease lets another instance retry");
    }
    tracing::info!("Steward stopped");
    Ok(())
}

/// SIGTERM (what service managers and orchestrators send) or Ctrl-C.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down: no new connections; finishing the requests in flight");
}
