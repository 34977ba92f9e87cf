//! What `steward import-users` shows while it works: a progress bar with the rate and the time
//! left on a terminal, plain lines every few seconds otherwise (a log, a CI job); and the summary
//! at the end.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use steward_server::domain::import::{Finished, Progress, SKIPPED};

/// How often a line is written when standard error is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub struct Display {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Option<Instant>,
    /// Users written before this process began (a resumed run), left out of its rate.
    first: Option<u64>,
    dry_run: bool,
}

impl Display {
    pub fn new(dry_run: bool) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {percent:>3}% {msg} · {eta} left")
                    .expect("a valid template")
                    .progress_chars("█▉▊▋▌▍▎▏ "),
            );
            bar
        });
        Self {
            bar,
            started: Instant::now(),
            last_line: None,
            first: None,
            dry_run,
        }
    }

    /// After each batch.
    pub fn show(&mut self, progress: &Progress) {
        let done = progress.created + progress.updated + progress.skipped + progress.rejected;
        let first = *self.first.get_or_insert(done);
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = (done - first) as f64 / seconds;
        let verb = if self.dry_run { "checked" } else { "done" };
        let message = format!("line {} · {done} users {verb} · {rate:.0} users/s", progress.line);
        match &self.bar {
            Some(bar) => {
                bar.set_length(progress.file_bytes);
                bar.set_position(progress.byte_offset);
                bar.set_message(message);
            }
            None => {
                let due = self.last_line.is_none_or(|last| last.elapsed() >= PLAIN_EVERY);
                let end = progress.byte_offset >= progress.file_bytes;
                if due || end {
                    let percent = match progress.file_bytes {
                        0 => 100,
                        total => progress.byte_offset * 100 / total,
                    };
                    eprintln!("import: {percent}% · {message}");
                    self.last_line = Some(Instant::now());
                }
            }
        }
    }

    /// Whether a run had begun (its first progress was shown).
    pub fn began(&self) -> bool {
        self.first.is_some()
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Prints what the run did, and the lines it did not apply. Fails (exit status 1) when a line
/// was rejected.
pub fn summary(file: &str, dry_run: bool, finished: &Finished) -> anyhow::Result<()> {
    let progress = &finished.progress;
    if let Some(at) = finished.finished_before {
        println!(
            "{file} was already imported by this command, which finished at {}; nothing was done now (--again imports it once more).",
            at.to_rfc3339()
        );
    }
    if let Some(line) = finished.resumed_after_line {
        println!("Went on from line {line}, where an earlier run of this command stopped.");
    }
    let would = if dry_run { "would be " } else { "" };
    println!(
        "{} line(s): {} {would}created, {} {would}updated, {} skipped, {} rejected",
        progress.line, progress.created, progress.updated, progress.skipped, progress.rejected
    );
    for problem in &finished.problems {
        let outcome = if problem.outcome == SKIPPED {
            "skipped"
        } else {
            "rejected"
        };
        println!("{file}:{}: {outcome}: {}", problem.line, problem.message);
    }
    let listed = finished.problems.len() as u64;
    if progress.skipped + progress.rejected > listed {
        println!("… and {} more", progress.skipped + progress.rejected - listed);
    }
    if let Some(peak) = peak_memory_kib() {
        println!("Peak memory: {:.1} MiB", peak as f64 / 1024.0);
    }
    if progress.rejected > 0 {
        anyhow::bail!("{} line(s) rejected", progress.rejected);
    }
    Ok(())
}

/// This process's peak resident memory, where the system tells it (Linux).
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
