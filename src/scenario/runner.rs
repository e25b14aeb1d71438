//! Runs one scenario headless: a fresh embedded server and device profile in a temporary
//! directory, one frozen virtual clock, the App core driven by the steps, effects awaited
//! inline, and each step's expectations checked against the App, the device and the server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::DateTime;
use serde::Serialize;
use tokio::sync::broadcast;

mod end;
mod step;

use super::describe::{actor_of, describe, phase_of};
use super::expect::{self, Failure, StepObservation};
use super::format::{LoadedScenario, ResolveChoice, Setup, Step, StepAction, WaitFor};
use crate::app::{Action, App};
use crate::clock::Clock;
use crate::control::Control;
use crate::device::{Device, init_profile};
use crate::driver::Driver;
use crate::engine::{Command, EngineEvent};
use crate::project::Project;
use crate::rules::{Decision, Network, Phase, StartGate, SyncActivity, Trigger};
use crate::server::{EmbeddedServer, start_embedded};
use crate::settings::{BackgroundBehavior, ConflictStrategy, SettingChange};
use crate::store::{JournalData, JournalKind, Resolved, Store, UserResolution};

/// How long any wait may take in real time before the scenario fails instead of hanging.
const WAIT_LIMIT: Duration = Duration::from_secs(30);
const DEFAULT_CLOCK: &str = "2026-11-26T09:00:00Z";

/// Options of one run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Render the screen after steps marked `screen = true`.
    pub screens: bool,
    /// Replace the Background sync behavior (the matrix).
    pub behavior: Option<BackgroundBehavior>,
    /// Replace every entity's On Conflict strategy (the conflicts matrix).
    pub on_conflict: Option<ConflictStrategy>,
    /// Check expectations (the matrix only reports).
    pub check: bool,
    /// A fault for one request of the device API (the fault matrix).
    pub inject: Option<Injection>,
}

/// The fault matrix's fault: the device-API request after `after` others, counted from the
/// app's start (after the setup's first sync), gets `fault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    pub after: u32,
    pub fault: crate::wire::Fault,
}

/// One line of the timeline: an [`Event`](crate::event::Event), the schema `--json` prints.
pub use crate::event::Event as TimelineEntry;

/// What a run measured, for the matrix.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub saves_refused: usize,
    pub saves_waited: usize,
    pub waited_ms: u64,
    pub syncs_deferred: usize,
    pub conflicts: usize,
    pub lost_edits: usize,
    /// `entity/id/field` → (device value, server value) for every field the scenario touched.
    pub final_values: BTreeMap<String, (Option<String>, Option<String>)>,
    /// How the run ended, beyond the touched fields (see [`super::measure`]).
    pub end: super::measure::EndState,
}

/// The result of a run.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub failures: Vec<Failure>,
    pub summary: Summary,
    /// The device-API requests the run made from the app's start, oldest first.
    pub requests: Vec<crate::wire::RequestLogEntry>,
    /// The journal from the app's start, oldest first: what the timeline draws.
    pub journal: Vec<crate::store::JournalEntry>,
}

/// Why a run could not even start: a problem in the scenario's setup (a file error) or in
/// the machine (a server that would not start).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    BadFile(#[from] crate::file_error::FileError),
    #[error("{path}: {message}")]
    Setup { path: PathBuf, message: String },
}

struct Runner<'a> {
    loaded: &'a LoadedScenario,
    _dir: tempfile::TempDir,
    server: EmbeddedServer,
    control: Control,
    clock: Clock,
    profile: PathBuf,
    app: Option<App>,
    driver: Option<Driver>,
    barrier: u64,
    journal_seq: i64,
    syncs_since_start: usize,
    emit: &'a mut dyn FnMut(&TimelineEntry),
    summary: Summary,
    touched: Vec<String>,
    screens: &'a mut dyn FnMut(usize, &App),
    /// The device-API requests the server logged, read at the end of the run.
    requests: Vec<crate::wire::RequestLogEntry>,
}

/// Runs `loaded`, calling `emit` for each timeline line and `screen` for each requested screen.
pub async fn run(
    loaded: &LoadedScenario,
    options: &RunOptions,
    emit: &mut dyn FnMut(&TimelineEntry),
    screen: &mut dyn FnMut(usize, &App),
) -> Result<Outcome, RunError> {
    let setup_err = |message: String| RunError::Setup {
        path: loaded.path.clone(),
        message,
    };
    let setup = &loaded.scenario.setup;
    let start = setup
        .clock
        .clone()
        .unwrap_or_else(|| DEFAULT_CLOCK.to_string());
    let clock = Clock::frozen(
        DateTime::parse_from_rfc3339(&start)
            .map_err(|e| setup_err(e.to_string()))?
            .to_utc(),
    );
    let dir = tempfile::tempdir()
        .map_err(|e| setup_err(format!("cannot make a temporary directory: {e}")))?;
    let server = start_embedded(&dir.path().join("server"), clock.clone(), None)
        .await
        .map_err(|e| setup_err(e.to_string()))?;
    let control = Control::new(server.url(), server.admin_token());
    if let Some(toml) = project_toml(&loaded.path, setup, options)? {
        control
            .publish_toml(&toml)
            .await
            .map_err(|e| setup_err(e.to_string()))?;
    }
    for (entity, ms) in &setup.delays {
        control
            .set_delay(entity, *ms)
            .await
            .map_err(|e| setup_err(e.to_string()))?;
    }
    let profile = dir.path().join("client.db");
    let mut runner = Runner {
        loaded,
        _dir: dir,
        server,
        control,
        clock,
        profile,
        app: None,
        driver: None,
        barrier: 0,
        journal_seq: 0,
        syncs_since_start: 0,
        emit,
        summary: Summary::default(),
        touched: Vec::new(),
        screens: screen,
        requests: Vec::new(),
    };
    runner.prepare_device().await.map_err(setup_err)?;
    let journal_start = runner.journal_seq;
    super::server_journal::record_setup(&runner.profile, runner.clock.now(), &setup.delays)
        .map_err(setup_err)?;
    // Requests from here on are the scenario's: the fault matrix counts and targets them.
    let setup_requests = super::measure::device_requests(&runner.control).await.len();
    if let Some(inject) = &options.inject {
        runner
            .control
            .fault_after(Some("/api/v1/"), inject.after, inject.fault.clone())
            .await
            .map_err(|e| setup_err(e.to_string()))?;
    }
    let network = if setup.network == Some(false) {
        Network::Disconnected
    } else {
        Network::Connected
    };
    runner.start_app(network).await.map_err(setup_err)?;
    runner.settle().await;
    let mut failures = Vec::new();
    for (index, step) in loaded.scenario.steps.iter().enumerate() {
        let observation = runner.step(step).await;
        let observation = match observation {
            Ok(o) => o,
            Err(message) => {
                failures.push(Failure {
                    step: index + 1,
                    line: step.line,
                    what: "step".into(),
                    expected: "the step to run".into(),
                    actual: message,
                });
                break;
            }
        };
        if options.check
            && let Some(expect) = &step.expect
        {
            let app = runner.app.as_ref().expect("the app runs between steps");
            let found = expect::check(expect, &observation, app, &runner.control).await;
            for mut failure in found {
                failure.step = index + 1;
                failure.line = step.line;
                runner.say(
                    "check",
                    format!(
                        "FAILED: {}: expected {}, got {}",
                        failure.what, failure.expected, failure.actual
                    ),
                );
                failures.push(failure);
            }
        }
        if options.screens && step.screen {
            (runner.screens)(index + 1, runner.app.as_ref().expect("running"));
        }
    }
    let journal = runner.finish(journal_start).await;
    let requests = std::mem::take(&mut runner.requests)
        .into_iter()
        .skip(setup_requests)
        .collect();
    Ok(Outcome {
        failures,
        summary: runner.summary,
        requests,
        journal,
    })
}

/// The project the server publishes before the device's first sync: the named one with the
/// scenario's overrides, or none when the seeded v1 is meant as it is.
fn project_toml(
    scenario_path: &Path,
    setup: &Setup,
    options: &RunOptions,
) -> Result<Option<String>, RunError> {
    let name = setup.project.clone().unwrap_or_else(|| "v1".into());
    let (path, text) = match name.as_str() {
        "v1" => (
            PathBuf::from(crate::assets::PROJECT_V1.0),
            crate::assets::PROJECT_V1.1.to_string(),
        ),
        "v2" => (
            PathBuf::from(crate::assets::PROJECT_V2.0),
            crate::assets::PROJECT_V2.1.to_string(),
        ),
        file => {
            let path = scenario_path.parent().unwrap_or(Path::new(".")).join(file);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| crate::file_error::FileError::unreadable(&path, &e))?;
            (path, text)
        }
    };
    let overrides = !setup.configuration.is_empty()
        || !setup.on_conflict.is_empty()
        || options.behavior.is_some()
        || options.on_conflict.is_some();
    Project::parse(&path, &text)?;
    if name == "v1" && !overrides {
        return Ok(None);
    }
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| RunError::Setup {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let config = table
        .entry("configuration")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(config) = config {
        for (k, v) in &setup.configuration {
            config.insert(k.clone(), v.clone());
        }
        if let Some(b) = options.behavior {
            config.insert(
                "background_sync_behavior".into(),
                toml::Value::String(format!("{b:?}")),
            );
        }
    }
    if let Some(toml::Value::Array(entities)) = table.get_mut("entity") {
        for entity in entities.iter_mut().filter_map(toml::Value::as_table_mut) {
            let name = entity
                .get("name")
                .and_then(toml::Value::as_str)
                .unwrap_or_default()
                .to_string();
            let strategy = options
                .on_conflict
                .or_else(|| setup.on_conflict.get(&name).copied());
            if let Some(s) = strategy {
                entity.insert("on_conflict".into(), toml::Value::String(format!("{s:?}")));
            }
        }
    }
    let merged = toml::to_string(&table).map_err(|e| RunError::Setup {
        path: path.clone(),
        message: e.to_string(),
    })?;
    // The overrides must make a valid project; say where they are wrong.
    Project::parse(&scenario_path.join("[setup]"), &merged).map_err(|mut e| {
        e.path = scenario_path.to_path_buf();
        e.line = 0;
        e.message = format!("[setup] makes an invalid project: {}", e.message);
        e
    })?;
    Ok(Some(merged))
}

impl Runner<'_> {
    fn app(&mut self) -> &mut App {
        self.app.as_mut().expect("the app runs between steps")
    }

    fn say(&mut self, actor: &str, event: impl Into<String>) {
        let kind = match actor {
            "check" => crate::event::kind::CHECK,
            "auditor" => crate::event::kind::AUDITOR,
            _ => crate::event::kind::STEP,
        };
        let entry = TimelineEntry::plain(self.clock.now(), kind, actor, event);
        (self.emit)(&entry);
    }

    /// The device before the app starts: a profile signed in as demo, synced once (unless the
    /// setup says not), then the setup's settings and network.
    async fn prepare_device(&mut self) -> Result<(), String> {
        let setup = &self.loaded.scenario.setup;
        let mut store = Store::open(&self.profile).map_err(|e| e.to_string())?;
        init_profile(&mut store, self.server.url(), "demo", Some("demo"))
            .map_err(|e| e.to_string())?;
        drop(store);
        if setup.synced.unwrap_or(true) {
            let client = Device::start(&self.profile, self.clock.clone(), |c| {
                c.tick = Duration::from_secs(3600)
            })
            .map_err(|e| e.to_string())?;
            let mut events = client.engine().subscribe();
            client.engine().send(Command::Trigger(Trigger::Manual));
            let finished = tokio::time::timeout(WAIT_LIMIT, async {
                loop {
                    match events.recv().await {
                        Ok(EngineEvent::Finished(last)) => return Some(last),
                        Err(broadcast::error::RecvError::Closed) => return None,
                        _ => {}
                    }
                }
            })
            .await
            .ok()
            .flatten()
            .ok_or("the device's first sync did not finish")?;
            if let Some(e) = finished.error {
                return Err(format!("the device's first sync failed: {e}"));
            }
            client.engine().send(Command::Shutdown);
        }
        let mut store = Store::open(&self.profile).map_err(|e| e.to_string())?;
        let mut settings = store
            .settings()
            .map_err(|e| e.to_string())?
            .ok_or("no settings")?;
        if let Some(v) = setup.settings.auto_sync {
            settings.auto_sync = v;
        }
        if let Some(v) = setup.settings.background_sync {
            settings.background_sync = v;
        }
        if let Some(v) = setup.settings.save_password {
            settings.save_password = v;
            if !v {
                store.set_password(None).map_err(|e| e.to_string())?;
            }
        }
        store.set_settings(&settings).map_err(|e| e.to_string())?;
        self.journal_seq = store
            .journal(0, usize::MAX >> 1)
            .map_err(|e| e.to_string())?
            .last()
            .map_or(0, |e| e.seq);
        Ok(())
    }

    /// Starts (or restarts) the app: a new engine on the profile, and the App core, which
    /// evaluates the on-start rule.
    async fn start_app(&mut self, network: Network) -> Result<(), String> {
        let client = Device::start(&self.profile, self.clock.clone(), |c| {
            c.tick = Duration::from_secs(3600)
        })
        .map_err(|e| e.to_string())?;
        if network == Network::Disconnected {
            // Before the App starts, so its on-start decision and its screens both see it.
            client
                .engine()
                .send(Command::SetNetwork(Network::Disconnected));
            let _ = tokio::time::timeout(
                WAIT_LIMIT,
                client
                    .engine()
                    .wait_for(|s| s.network == Network::Disconnected),
            )
            .await;
        }
        let (driver, mut app) =
            Driver::start(client, Some(self.control.clone()), self.clock.clone());
        app.set_custom_step(Duration::from_millis(50));
        self.driver = Some(driver);
        self.app = Some(app);
        self.syncs_since_start = 0;
        Ok(())
    }

    /// Applies an action and runs its effects to the end.
    async fn apply(&mut self, action: Action) {
        let (Some(app), Some(driver)) = (self.app.as_mut(), self.driver.as_mut()) else {
            panic!("the app runs between steps");
        };
        driver.act(app, action).await;
    }

    /// Lets the engine catch up with every command sent so far, then hands its events and
    /// status to the App and its journal to the timeline.
    async fn settle(&mut self) {
        self.barrier += 1;
        let engine = self.engine();
        crate::driver::barrier(&engine, self.barrier, WAIT_LIMIT).await;
        self.pump().await;
    }

    /// Feeds pending engine events and the latest status into the App; prints new journal lines.
    async fn pump(&mut self) {
        let (Some(app), Some(driver)) = (self.app.as_mut(), self.driver.as_mut()) else {
            panic!("the app runs between steps");
        };
        let before = driver.finished();
        driver.pump(app).await;
        self.syncs_since_start += driver.finished() - before;
        self.print_journal();
    }

    fn driver(&self) -> &Driver {
        self.driver.as_ref().expect("the app runs between steps")
    }

    fn engine(&self) -> crate::engine::EngineHandle {
        self.driver
            .as_ref()
            .expect("the app runs between steps")
            .engine()
            .clone()
    }

    fn print_journal(&mut self) {
        let entries =
            match Store::open(&self.profile).and_then(|s| s.journal(self.journal_seq, 10_000)) {
                Ok(e) => e,
                Err(_) => return,
            };
        for e in entries {
            self.journal_seq = e.seq;
            let actor = match e.kind {
                JournalKind::Edit | JournalKind::Uploaded => continue,
                // The scenario's own server steps (and its setup's delays), journaled for the
                // timeline: the server did them, not the app.
                _ if e.actor == crate::timeline::SCENARIO_SERVER_ACTOR => "server",
                JournalKind::Save | JournalKind::UiTransaction | JournalKind::App => "app",
                _ => "sync",
            };
            let record = match (&e.entity, &e.record_id) {
                (Some(entity), Some(id)) => format!("{entity} {id}: "),
                _ => String::new(),
            };
            let field = match (&e.field, &e.old, &e.new) {
                (Some(f), Some(old), new) => {
                    format!(" [{f}: {old} → {}]", new.as_deref().unwrap_or("(none)"))
                }
                _ => String::new(),
            };
            let entry =
                TimelineEntry::from_journal(&e, actor, format!("{record}{}{field}", e.detail));
            // A save is counted as the timeline and the `save` expectation read it (an online
            // save that conflicted or failed is refused there too); the wait from its data.
            if let Some(crate::timeline::Reading::Save { mark, .. }) = crate::timeline::read(&e) {
                match (mark, &e.data) {
                    (crate::timeline::SaveMark::Refused, _) => self.summary.saves_refused += 1,
                    (
                        _,
                        Some(JournalData::Save {
                            waited_ms: Some(ms),
                            ..
                        }),
                    ) => {
                        self.summary.saves_waited += 1;
                        self.summary.waited_ms += ms;
                    }
                    _ => {}
                }
            }
            match e.kind {
                JournalKind::Sync
                    if matches!(
                        e.data,
                        Some(JournalData::Decision(Decision::StartGate(
                            StartGate::Defer { .. }
                        )))
                    ) =>
                {
                    self.summary.syncs_deferred += 1
                }
                // One line per conflict: the strategy's decision (keeping it for the user adds
                // another, and the user's resolution is not a new conflict).
                JournalKind::Conflict
                    if matches!(
                        e.data,
                        Some(JournalData::Resolved(
                            Resolved::Strategy(_) | Resolved::DeleteStrategy(_)
                        ))
                    ) =>
                {
                    self.summary.conflicts += 1
                }
                _ => {}
            }
            (self.emit)(&entry);
        }
    }
}
