//! `autosync play FILE...`: replays scenario files headless and says whether every expectation
//! held. Exit 0: all held; 1: one failed (named with its step, what was expected and what
//! happened); 2: a malformed file (file, line, column, what is wrong).

use std::io::Write;

use futures_util::StreamExt;
use std::path::PathBuf;
use std::time::Instant;

use crate::app::App;
use crate::scenario::{self, LoadedScenario, RunError, RunOptions, Summary, TimelineEntry};
use crate::settings::{BackgroundBehavior, ConflictStrategy};
use crate::timeline::{Timeline, svg};
use crate::tui::render_text;

#[derive(Debug, Clone, clap::Args)]
pub struct PlayArgs {
    /// Scenario files (TOML; see docs/SCENARIOS.md)
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print the timeline as JSON lines
    #[arg(long)]
    pub json: bool,
    /// Print the rendered screen (80×24) after steps marked `screen = true`
    #[arg(long)]
    pub screens: bool,
    /// Run each scenario under every Background sync behavior (`--matrix`), under every On
    /// Conflict strategy (`--matrix conflicts`), or with every fault at every request of its
    /// syncs (`--matrix faults`), and print one comparison table
    #[arg(long, num_args = 0..=1, default_missing_value = "behaviors", value_name = "KIND")]
    pub matrix: Option<String>,
    /// Draw each scenario run's timeline (sync phases, saves, server, findings) into one SVG
    /// file
    #[arg(long, value_name = "FILE.svg", conflicts_with = "matrix")]
    pub svg: Option<PathBuf>,
    /// Play up to N scenarios at once, each with its own server, profile and clock; each one's
    /// output is printed whole, in the order of the files. Scenarios that hold a phase with a
    /// latency fault may then miss it on a busy machine
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
}

/// What the matrix varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatrixKind {
    Behaviors,
    Conflicts,
    /// Every fault kind at every request of the scenario's syncs.
    Faults,
}

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_BAD_FILE: u8 = 2;

/// Prints a line; a closed pipe (`autosync play … | head`) ends output quietly instead of
/// panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Writes a line into a scenario's kept output (see [`run_one`]).
macro_rules! kept {
    ($text:expr, $($arg:tt)*) => {{
        let _ = writeln!($text.borrow_mut(), $($arg)*);
    }};
}

/// Runs `autosync play`; returns the exit code.
pub async fn run(args: &PlayArgs) -> u8 {
    let mut files = args.files.clone();
    let matrix = match args.matrix.as_deref() {
        None => None,
        Some("behaviors") => Some(MatrixKind::Behaviors),
        Some("conflicts") => Some(MatrixKind::Conflicts),
        Some("faults") => Some(MatrixKind::Faults),
        // `--matrix FILE`: the optional value was the first file.
        Some(file) => {
            files.insert(0, PathBuf::from(file));
            Some(MatrixKind::Behaviors)
        }
    };
    if files.is_empty() {
        eprintln!("autosync: play needs at least one scenario FILE (e.g. assets/scenarios/*.toml)");
        return EXIT_BAD_FILE;
    }
    let mut loaded = Vec::new();
    for file in &files {
        match scenario::load(file) {
            Ok(l) => loaded.push(l),
            Err(e) => {
                eprintln!("autosync: {e}");
                return EXIT_BAD_FILE;
            }
        }
    }
    let mut code = EXIT_OK;
    let mut pictures = Vec::new();
    match matrix {
        None => {
            // Up to `--jobs` side by side; each one's output printed whole, in order.
            let played = loaded.iter().map(|s| run_one(s, args));
            in_order(played, usize::from(args.jobs), |(result, text, picture)| {
                let _ = std::io::stdout().lock().write_all(&text);
                code = code.max(result);
                pictures.extend(picture);
            })
            .await;
        }
        Some(kind) => {
            for scenario in &loaded {
                code = code.max(run_matrix(scenario, kind, args).await);
            }
        }
    }
    if let Some(path) = &args.svg {
        code = code.max(write_svg(path, &pictures, args.json));
    }
    code
}

/// Runs up to `jobs` of `futures` at a time and hands their outputs to `emit` in the order of
/// `futures`. Not `StreamExt::buffered`: there a finished future waiting behind a long one to be
/// handed on still takes one of the `jobs` places, so the next one cannot start.
async fn in_order<T>(
    futures: impl IntoIterator<Item = impl Future<Output = T>>,
    jobs: usize,
    mut emit: impl FnMut(T),
) {
    let mut running = futures_util::stream::iter(
        futures
            .into_iter()
            .enumerate()
            .map(|(i, f)| async move { (i, f.await) }),
    )
    .buffer_unordered(jobs);
    let mut finished = std::collections::BTreeMap::new();
    let mut next = 0;
    while let Some((i, output)) = running.next().await {
        finished.insert(i, output);
        while let Some(output) = finished.remove(&next) {
            emit(output);
            next += 1;
        }
    }
}

/// Writes the runs' timelines to `path`.
fn write_svg(path: &std::path::Path, pictures: &[(String, Timeline)], json: bool) -> u8 {
    let runs: Vec<svg::Run> = pictures
        .iter()
        .map(|(title, timeline)| svg::Run { title, timeline })
        .collect();
    match svg::write(path, &runs) {
        Ok(()) => {
            let line = format!(
                "wrote the timeline of {} run(s) to {}",
                runs.len(),
                path.display()
            );
            // `--json` keeps standard output to JSON lines.
            if json {
                eprintln!("autosync: {line}");
            } else {
                out!("{line}");
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!("autosync: cannot write {}: {e}", path.display());
            EXIT_FAILED
        }
    }
}

fn print_entry(out: &mut impl Write, scenario: &str, entry: &TimelineEntry, json: bool) {
    if json {
        let event = TimelineEntry {
            scenario: Some(scenario.to_string()),
            ..entry.clone()
        };
        if let Ok(line) = serde_json::to_string(&event) {
            let _ = writeln!(out, "{line}");
        }
    } else {
        let _ = writeln!(
            out,
            "{}  {:<9} {}",
            entry.at.format("%H:%M:%S"),
            entry.actor,
            entry.text
        );
    }
}

/// Plays one scenario; its exit code, what it printed (kept, for [`run`] to print whole) and
/// its timeline, for `--svg`.
async fn run_one(
    loaded: &LoadedScenario,
    args: &PlayArgs,
) -> (u8, Vec<u8>, Option<(String, Timeline)>) {
    let text = std::cell::RefCell::new(Vec::new());
    let mut picture = None;
    let code = play_one(loaded, args, &text, &mut picture).await;
    (code, text.into_inner(), picture)
}

async fn play_one(
    loaded: &LoadedScenario,
    args: &PlayArgs,
    text: &std::cell::RefCell<Vec<u8>>,
    picture: &mut Option<(String, Timeline)>,
) -> u8 {
    let name = loaded.scenario.name.clone();
    let started = Instant::now();
    if !args.json {
        kept!(text, "== {} ({})", name, loaded.path.display());
    }
    let options = RunOptions {
        screens: args.screens,
        check: true,
        ..RunOptions::default()
    };
    let json = args.json;
    let mut emit = |e: &TimelineEntry| print_entry(&mut *text.borrow_mut(), &name, e, json);
    let mut screen = |step: usize, app: &App| {
        kept!(text, "-- screen after step {step} --");
        let _ = write!(text.borrow_mut(), "{}", render_text(app, 80, 24));
    };
    let result = scenario::run(loaded, &options, &mut emit, &mut screen).await;
    // The picture is drawn only when one is asked for.
    if let (Ok(outcome), Some(_)) = (&result, &args.svg) {
        *picture = Some((name.clone(), Timeline::build(&outcome.journal)));
    }
    match result {
        Err(e) => refused(&e),
        Ok(outcome) if outcome.failures.is_empty() => {
            if json {
                kept!(
                    text,
                    "{}",
                    serde_json::json!({"kind": "result", "scenario": name, "result": "pass", "steps": loaded.scenario.steps.len()})
                );
            } else {
                kept!(
                    text,
                    "PASS {name}: {} steps, every expectation held ({:.1} s)",
                    loaded.scenario.steps.len(),
                    started.elapsed().as_secs_f64()
                );
            }
            EXIT_OK
        }
        Ok(outcome) => {
            for f in &outcome.failures {
                let line = format!(
                    "FAIL {name} ({}), step {} (line {}): {}: expected {}, got {}",
                    loaded.path.display(),
                    f.step,
                    f.line,
                    f.what,
                    f.expected,
                    f.actual
                );
                if json {
                    kept!(
                        text,
                        "{}",
                        serde_json::json!({"kind": "result", "scenario": name, "result": "fail", "step": f.step, "line": f.line, "what": f.what, "expected": f.expected, "actual": f.actual})
                    );
                } else {
                    kept!(text, "{line}");
                }
                eprintln!("{line}");
            }
            EXIT_FAILED
        }
    }
}

/// A run that could not be played: said on stderr; exit 2 for a malformed file, else 1.
fn refused(e: &RunError) -> u8 {
    eprintln!("autosync: {e}");
    match e {
        RunError::BadFile(_) => EXIT_BAD_FILE,
        _ => EXIT_FAILED,
    }
}

/// One scenario with every fault at every request: what each changed.
async fn run_fault_matrix(loaded: &LoadedScenario, args: &PlayArgs) -> u8 {
    let started = Instant::now();
    let matrix = match scenario::fault_matrix::run_matrix(loaded).await {
        Ok(m) => m,
        Err(e) => return refused(&e),
    };
    if args.json {
        for row in &matrix.rows {
            out!(
                "{}",
                serde_json::json!({"kind": "fault_run", "scenario": matrix.scenario, "fault": row.fault, "at": row.at, "hit": row.hit, "changes": row.changes, "summary": row.summary})
            );
        }
        out!(
            "{}",
            serde_json::json!({"kind": "fault_matrix", "scenario": matrix.scenario, "baseline": matrix.baseline, "runs": matrix.rows.len(), "possible": matrix.possible, "no_effect": matrix.without_effect(), "seconds": started.elapsed().as_secs_f64()})
        );
        return EXIT_OK;
    }
    let _ = write!(
        std::io::stdout().lock(),
        "{}",
        scenario::fault_matrix::table(&matrix)
    );
    out!("({:.1} s)", started.elapsed().as_secs_f64());
    EXIT_OK
}

/// One scenario under every behavior (or strategy): the reference's trade-off, measured.
async fn run_matrix(loaded: &LoadedScenario, kind: MatrixKind, args: &PlayArgs) -> u8 {
    let variants: Vec<(String, RunOptions)> = match kind {
        MatrixKind::Behaviors => BackgroundBehavior::ALL
            .into_iter()
            .map(|b| {
                (
                    format!("{b}"),
                    RunOptions {
                        behavior: Some(b),
                        ..RunOptions::default()
                    },
                )
            })
            .collect(),
        MatrixKind::Faults => return run_fault_matrix(loaded, args).await,
        MatrixKind::Conflicts => ConflictStrategy::ALL
            .into_iter()
            .map(|s| {
                (
                    format!("{s}"),
                    RunOptions {
                        on_conflict: Some(s),
                        ..RunOptions::default()
                    },
                )
            })
            .collect(),
    };
    let name = loaded.scenario.name.clone();
    let mut rows: Vec<(String, Summary)> = Vec::new();
    for (label, options) in variants {
        let json = args.json;
        let mut emit = |e: &TimelineEntry| {
            if json {
                print_entry(
                    &mut std::io::stdout().lock(),
                    &format!("{name} [{label}]"),
                    e,
                    true,
                );
            }
        };
        let mut screen = |_: usize, _: &App| {};
        match scenario::run(loaded, &options, &mut emit, &mut screen).await {
            Ok(outcome) => rows.push((label, outcome.summary)),
            Err(e) => return refused(&e),
        }
    }
    if args.json {
        for (label, s) in &rows {
            out!(
                "{}",
                serde_json::json!({"kind": "matrix", "scenario": name, "variant": label, "summary": s})
            );
        }
        return EXIT_OK;
    }
    let _ = write!(
        std::io::stdout().lock(),
        "{}",
        matrix_table(&name, kind, &rows)
    );
    EXIT_OK
}

/// The comparison table.
pub fn matrix_table(name: &str, kind: MatrixKind, rows: &[(String, Summary)]) -> String {
    let mut out = String::new();
    let what = match kind {
        MatrixKind::Behaviors => "Background sync behavior",
        MatrixKind::Conflicts => "On Conflict strategy",
        MatrixKind::Faults => "fault",
    };
    out.push_str(&format!("{name}: one scenario under every {what}\n\n"));
    let width = rows
        .iter()
        .map(|(l, _)| l.len())
        .max()
        .unwrap_or(10)
        .max(what.len())
        .min(64);
    out.push_str(&format!(
        "{:<width$}  {:>7}  {:>12}  {:>8}  {:>9}  {:>4}\n",
        what, "refused", "waited (ms)", "deferred", "conflicts", "lost"
    ));
    for (label, s) in rows {
        let label: String = label.chars().take(width).collect();
        out.push_str(&format!(
            "{:<width$}  {:>7}  {:>12}  {:>8}  {:>9}  {:>4}\n",
            label,
            s.saves_refused,
            format!("{} ({})", s.saves_waited, s.waited_ms),
            s.syncs_deferred,
            s.conflicts,
            s.lost_edits
        ));
    }
    let fields: Vec<&String> = rows
        .first()
        .map(|(_, s)| s.final_values.keys().collect())
        .unwrap_or_default();
    if !fields.is_empty() {
        out.push_str("\nfinal values (device | server)\n");
        for field in fields {
            out.push_str(&format!("  {field}\n"));
            for (label, s) in rows {
                let (device, server) = s.final_values.get(field).cloned().unwrap_or_default();
                let label: String = label.chars().take(width).collect();
                out.push_str(&format!(
                    "    {:<width$}  {} | {}\n",
                    label,
                    device.unwrap_or_else(|| "—".into()),
                    server.unwrap_or_else(|| "—".into())
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::in_order;
    use std::time::Duration;
    use tokio::sync::watch;

    /// The first of three waits until the third has started: with two places, that needs the
    /// second's place back as soon as it finished, though it is handed on only after the first.
    #[tokio::test]
    async fn a_finished_job_frees_its_place_before_the_jobs_ahead_of_it_finish() {
        let (started, third_started) = watch::channel(false);
        let mut third_started = Some(third_started);
        let started = &started;
        let jobs = (0..3).map(|i| {
            let mut wait = (i == 0).then(|| third_started.take().expect("once"));
            async move {
                if let Some(rx) = wait.as_mut() {
                    rx.wait_for(|s| *s).await.expect("the sender lives");
                }
                if i == 2 {
                    started.send_replace(true);
                }
                i
            }
        });
        let mut emitted = Vec::new();
        tokio::time::timeout(
            Duration::from_secs(10),
            in_order(jobs, 2, |i| emitted.push(i)),
        )
        .await
        .expect("the third job started while the first still waited");
        assert_eq!(emitted, [0, 1, 2], "handed on in the order given");
    }
}
