//! Every shipped scenario (`assets/scenarios/*.toml`) replays through the library, with its
//! expectations checked, exactly as `autosync play` runs it, and every journal row it wrote
//! carries typed data. The scenarios are split by file-name prefix into groups, one test each,
//! so the groups run in parallel; a last test makes sure every file in the directory belongs to
//! a group.

use std::path::{Path, PathBuf};

use autosync::app::App;
use autosync::scenario::{self, RunOptions, TimelineEntry};

/// "each on-start blocker": password, sync login, 15 minutes, network, conflicts.
const ON_START: &[&str] = &["on-start-"];
/// Each Auto Sync option, the return from the background, the interval, Require Sync Login,
/// Background sync off.
const AUTO_SYNC: &[&str] = &[
    "auto-sync-",
    "interval-",
    "require-sync-login-",
    "background-sync-",
];
/// Each Sync-before value, both ways; setting locks.
const MODES_AND_LOCKS: &[&str] = &["mode-switch-", "setting-lock-"];
/// The project update flow.
const PROJECT_UPDATE: &[&str] = &["project-update-"];
/// Each save behavior against each phase; "don't start sync while form is opened".
const SAVES: &[&str] = &["save-"];
/// UI transactions; the data-loss race under each behavior.
const UI_AND_RACES: &[&str] = &["ui-transaction-", "race-"];
/// Each On Conflict strategy, edit versus delete, the idempotent create.
const CONFLICTS: &[&str] = &["conflict-", "idempotent-"];
/// New and Delete under each behavior; a device delete against a server edit per strategy.
const RECORDS: &[&str] = &["record-"];
/// The scenario checker itself: what a check reads and leaves alone.
const CHECKER: &[&str] = &["checker-"];

const GROUPS: &[&[&str]] = &[
    ON_START,
    AUTO_SYNC,
    MODES_AND_LOCKS,
    PROJECT_UPDATE,
    SAVES,
    UI_AND_RACES,
    CONFLICTS,
    RECORDS,
    CHECKER,
];

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join("scenarios")
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Every `*.toml` in `assets/scenarios/`, sorted.
fn shipped() -> Vec<PathBuf> {
    let dir = scenarios_dir();
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn in_group(path: &Path, prefixes: &[&str]) -> bool {
    let name = file_name(path);
    prefixes.iter().any(|p| name.starts_with(p))
}

/// Runs one scenario; on failure, says which, every expectation that failed, and the timeline.
async fn run_one(file: &Path) -> Result<(), String> {
    let loaded = scenario::load(file).map_err(|e| format!("MALFORMED {}: {e}", file.display()))?;
    let mut timeline = Vec::new();
    let mut emit = |e: &TimelineEntry| {
        timeline.push(format!(
            "{}  {:<9} {}",
            e.at.format("%H:%M:%S"),
            e.actor,
            e.text
        ))
    };
    let mut screen = |_: usize, _: &App| {};
    let options = RunOptions {
        check: true,
        ..Default::default()
    };
    let outcome = scenario::run(&loaded, &options, &mut emit, &mut screen)
        .await
        .map_err(|e| format!("NOT RUN {} ({}): {e}", loaded.scenario.name, file.display()))?;
    // Every row the run wrote carries its typed data: nobody reads a row of today by its words.
    let untyped: Vec<String> = outcome
        .journal
        .iter()
        .filter(|e| e.data.is_none())
        .map(|e| format!("\n  #{} {:?} {}: {}", e.seq, e.kind, e.actor, e.detail))
        .collect();
    if !untyped.is_empty() {
        return Err(format!(
            "UNTYPED {} ({}): rows written without typed data:{}",
            loaded.scenario.name,
            file.display(),
            untyped.concat()
        ));
    }
    if outcome.failures.is_empty() {
        return Ok(());
    }
    let mut text = format!("FAIL {} ({})", loaded.scenario.name, file.display());
    for f in &outcome.failures {
        text.push_str(&format!(
            "\n  step {} (line {}): {}: expected {}, got {}",
            f.step, f.line, f.what, f.expected, f.actual
        ));
    }
    text.push_str("\n  timeline:");
    for line in &timeline {
        text.push_str("\n    ");
        text.push_str(line);
    }
    Err(text)
}

/// Runs every shipped scenario of a group, one after the other, and fails naming each one
/// that did not hold.
async fn run_group(prefixes: &[&str]) {
    let files: Vec<PathBuf> = shipped()
        .into_iter()
        .filter(|p| in_group(p, prefixes))
        .collect();
    assert!(
        !files.is_empty(),
        "no shipped scenario starts with any of {prefixes:?}"
    );
    let mut failed = Vec::new();
    for file in &files {
        if let Err(report) = run_one(file).await {
            failed.push(report);
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} scenario(s) failed:\n\n{}",
        failed.len(),
        files.len(),
        failed.join("\n\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_start_blockers() {
    run_group(ON_START).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_sync_options_interval_login_and_foreground() {
    run_group(AUTO_SYNC).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_before_switching_modes_and_locks() {
    run_group(MODES_AND_LOCKS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_update_flow() {
    run_group(PROJECT_UPDATE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_behaviors_in_every_phase() {
    run_group(SAVES).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_transactions_and_the_data_loss_race() {
    run_group(UI_AND_RACES).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflict_strategies_and_idempotent_create() {
    run_group(CONFLICTS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_and_delete_under_each_behavior_and_strategy() {
    run_group(RECORDS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checker_itself() {
    run_group(CHECKER).await;
}

#[test]
fn every_shipped_scenario_is_run_by_a_test() {
    let files = shipped();
    assert!(
        !files.is_empty(),
        "no scenario in {}",
        scenarios_dir().display()
    );
    let orphans: Vec<String> = files
        .iter()
        .filter(|f| !GROUPS.iter().any(|g| in_group(f, g)))
        .map(|f| file_name(f))
        .collect();
    assert!(
        orphans.is_empty(),
        "these scenarios match no test's prefixes (add them to a group in {}): {orphans:?}",
        file!()
    );
    let twice: Vec<String> = files
        .iter()
        .filter(|f| GROUPS.iter().filter(|g| in_group(f, g)).count() > 1)
        .map(|f| file_name(f))
        .collect();
    assert!(
        twice.is_empty(),
        "these scenarios would run in more than one test: {twice:?}"
    );
    for file in &files {
        let name = file_name(file);
        let stem = name.trim_end_matches(".toml");
        let kebab = !stem.is_empty()
            && stem
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !stem.starts_with('-')
            && !stem.ends_with('-')
            && !stem.contains("--");
        assert!(kebab, "{name}: scenario file names are kebab-case");
        let loaded = scenario::load(file).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !loaded.scenario.name.trim().is_empty(),
            "{name}: needs a name"
        );
        assert!(
            !loaded.scenario.description.trim().is_empty(),
            "{name}: needs a description quoting the behavior it pins"
        );
        assert!(
            loaded.scenario.steps.iter().any(|s| s.expect.is_some()),
            "{name}: a scenario without expectations proves nothing"
        );
    }
}
