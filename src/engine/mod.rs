//! The sync engine: one tokio task per client. Commands come in over mpsc; the latest status
//! goes out over a `watch`, events over a broadcast. The task asks the rules core whether and
//! how to sync (on start, on return from the background, on change, on the interval, manual),
//! and runs each sync as its own task with its own database connection, so the engine keeps
//! answering commands while a sync runs and never blocks its caller.

pub mod progress;
mod run;
mod start;
mod status;

pub use progress::{ItemProgress, PhaseProgress, PhaseState, Unit};
pub use status::{EngineEvent, SyncStatus, UiGate};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::rules::{
    self, Credentials, Decision, Network, OnStartDecision, OnStartState, SettingsWrite,
    SyncActivity, SyncMode, Trigger,
};
use crate::settings::EffectiveSettings;
use crate::store::{
    JournalData, JournalEntry, JournalKind, LastSync, ProjectStep, Store, StoreError,
};

/// What the engine is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Something that may start a sync; the rules decide.
    Trigger(Trigger),
    /// Time may have passed (virtual clock): check the Auto Sync Interval.
    Tick,
    SetNetwork(Network),
    /// A password typed on the sync screen, kept in memory only (Save password off).
    SessionPassword(Option<String>),
    /// The device's data changed outside a sync (a save, a resolved conflict): recount.
    Refresh,
    /// Echoed in `SyncStatus::barrier` once every command before it, and any form-gate change,
    /// has been handled, so a headless driver knows the engine has caught up (commands run in
    /// order).
    Barrier(u64),
    /// Stop the running sync at the next safe point.
    Cancel,
    Shutdown,
}

/// How the engine is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub store_path: PathBuf,
    pub clock: Clock,
    /// Records per download page.
    pub page_limit: u32,
    /// How often the engine checks the interval on its own.
    pub tick: Duration,
    /// How long one request may take before it counts as stalled and is retried
    /// ([`crate::remote::REQUEST_TIMEOUT`]; tests of the stall fault shorten it so a stall costs
    /// them a second, not ten).
    pub request_timeout: Duration,
}

impl EngineConfig {
    pub fn new(store_path: &Path, clock: Clock) -> Self {
        EngineConfig {
            store_path: store_path.to_path_buf(),
            clock,
            page_limit: 1000,
            tick: Duration::from_secs(1),
            request_timeout: crate::remote::REQUEST_TIMEOUT,
        }
    }
}

/// The caller's side of the engine.
#[derive(Clone)]
pub struct EngineHandle {
    commands: mpsc::UnboundedSender<Command>,
    status: watch::Receiver<SyncStatus>,
    events: broadcast::Sender<EngineEvent>,
    ui: Arc<watch::Sender<UiGate>>,
}

impl EngineHandle {
    /// Sends a command; after shutdown it is dropped (nothing to do).
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    pub fn watch_status(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    /// Tells the engine how many forms are open and how many UI transaction clearances they hold.
    pub fn set_ui_gate(&self, gate: UiGate) {
        self.ui.send_replace(gate);
    }

    /// Sets the UI gate from a decision on the sync's activity, in one step: no sync enters an
    /// entity phase between the two (it does so under the same lock), so a clearance that
    /// `decide` grants always holds the sync.
    pub fn update_ui_gate<R>(&self, decide: impl FnOnce(SyncActivity) -> (UiGate, R)) -> R {
        let mut decided = None;
        self.ui.send_modify(|gate| {
            let (next, result) = decide(self.status.borrow().activity);
            *gate = next;
            decided = Some(result);
        });
        decided.expect("send_modify runs its closure")
    }

    pub fn ui_gate(&self) -> UiGate {
        *self.ui.borrow()
    }

    /// Waits until the status satisfies `predicate` (or the engine stops).
    pub async fn wait_for(&self, predicate: impl Fn(&SyncStatus) -> bool) -> SyncStatus {
        let mut rx = self.status.clone();
        let found = rx.wait_for(|s| predicate(s)).await.map(|s| s.clone());
        found.unwrap_or_else(|_| rx.borrow().clone())
    }
}

/// Starts the engine task on the current tokio runtime.
pub fn start(config: EngineConfig) -> Result<(EngineHandle, JoinHandle<()>), StoreError> {
    let store = Store::open(&config.store_path)?;
    let (commands, rx) = mpsc::unbounded_channel();
    let (events, _) = broadcast::channel(1024);
    let (ui, ui_rx) = watch::channel(UiGate::default());
    let mut initial = SyncStatus::default();
    refresh(&store, &mut initial);
    let status = Arc::new(watch::channel(initial).0);
    let handle = EngineHandle {
        commands,
        status: status.subscribe(),
        events: events.clone(),
        ui: Arc::new(ui),
    };
    let (network, _) = watch::channel(Network::Connected);
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let engine = Engine {
        config,
        store,
        status,
        events,
        ui: ui_rx,
        network: Arc::new(network),
        session_password: None,
        running: None,
        follow_up: false,
        deferred: None,
        cancel: None,
        done_tx,
        done_rx,
        awaiting_first_project: false,
        mode_switch_queued: false,
        remote: None,
        sync_connection: Arc::default(),
    };
    let mut engine = engine;
    engine.awaiting_first_project = engine.store.project().ok().flatten().is_none();
    let task = tokio::spawn(engine.run(rx));
    Ok((handle, task))
}

struct Running {
    task: JoinHandle<()>,
}

struct Engine {
    config: EngineConfig,
    store: Store,
    status: Arc<watch::Sender<SyncStatus>>,
    events: broadcast::Sender<EngineEvent>,
    ui: watch::Receiver<UiGate>,
    network: Arc<watch::Sender<Network>>,
    session_password: Option<String>,
    running: Option<Running>,
    follow_up: bool,
    deferred: Option<Trigger>,
    cancel: Option<watch::Sender<bool>>,
    done_tx: mpsc::UnboundedSender<LastSync>,
    done_rx: mpsc::UnboundedReceiver<LastSync>,
    /// The device has no project yet: the first one's defaults become its settings.
    awaiting_first_project: bool,
    /// A mode switch asked for its sync while another ran.
    mode_switch_queued: bool,
    /// The HTTP client of the last sync, reused by the next one to the same server as the same
    /// user ([`Engine::remote_for`]).
    remote: Option<crate::remote::Remote>,
    /// The syncs' own database connection between two syncs (see `run::Context::connection`).
    sync_connection: Arc<std::sync::Mutex<Option<Store>>>,
}

/// Reloads the persisted parts of the status from the store.
fn refresh(store: &Store, status: &mut SyncStatus) {
    if let Ok(state) = store.sync_state() {
        status.last = state.last;
        status.update_available = state.update_available;
        status.project_version = state.applied_version;
    }
    status.pending_uploads = store.pending_count().unwrap_or(status.pending_uploads);
    status.unresolved_conflicts = store
        .unresolved_count()
        .unwrap_or(status.unresolved_conflicts);
}

impl Engine {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut ticker = tokio::time::interval(self.config.tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    None | Some(Command::Shutdown) => break,
                    Some(command) => self.handle(command),
                },
                _ = ticker.tick() => self.handle(Command::Tick),
                changed = self.ui.changed() => {
                    if changed.is_err() { break; }
                    self.ui_changed();
                }
                Some(last) = self.done_rx.recv() => {
                    self.running = None;
                    self.cancel = None;
                    self.finished(Some(last));
                }
            }
        }
        if let Some(cancel) = &self.cancel {
            let _ = cancel.send(true);
        }
        if let Some(running) = self.running.take() {
            let _ = running.task.await;
        }
    }

    fn journal(&mut self, kind: JournalKind, detail: String, data: JournalData) {
        let entry =
            JournalEntry::event(self.config.clock.now(), kind, "sync", detail).with_data(data);
        self.append(entry);
    }

    fn append(&mut self, entry: JournalEntry) {
        tracing::info!(kind = entry.kind.as_str(), "{}", entry.detail);
        let _ = self.store.append_journal(std::slice::from_ref(&entry));
        let _ = self.events.send(EngineEvent::Journal(entry));
    }

    /// Journals a decision (its words, and itself as the row's data) and shows it as the latest.
    fn decided(&mut self, decision: impl Into<Decision>) {
        let decision = decision.into();
        let entry = JournalEntry::event(
            self.config.clock.now(),
            JournalKind::Sync,
            "sync",
            decision.to_string(),
        )
        .with_data(JournalData::Decision(decision.clone()));
        self.append(entry);
        self.status
            .send_modify(|s| s.last_decision = Some(decision));
    }

    fn activity(&self) -> SyncActivity {
        self.status.borrow().activity
    }

    fn effective(&self) -> Option<EffectiveSettings> {
        let settings = self.store.settings().ok()??;
        let project = self.store.project().ok().flatten();
        let config = project.map(|p| p.configuration).unwrap_or_default();
        Some(EffectiveSettings::resolve(&settings, &config))
    }

    fn credentials(&self, effective: &EffectiveSettings) -> Credentials {
        rules::credentials(
            effective.save_password,
            self.store.password().ok().flatten().is_some(),
        )
    }

    fn network(&self) -> Network {
        *self.network.borrow()
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Trigger(trigger) => self.trigger(trigger),
            Command::Tick => self.tick(),
            Command::SetNetwork(network) => {
                self.network.send_replace(network);
                self.status.send_modify(|s| s.network = network);
                self.journal(
                    JournalKind::App,
                    format!(
                        "network {}",
                        if network == Network::Connected {
                            "connected"
                        } else {
                            "disconnected"
                        }
                    ),
                    JournalData::Network(network),
                );
            }
            Command::SessionPassword(password) => self.session_password = password,
            Command::Refresh => {
                let mut status = self.status.borrow().clone();
                refresh(&self.store, &mut status);
                self.status.send_replace(status);
            }
            Command::Barrier(n) => {
                // The form gate is a watch, not a command: a change made before the barrier
                // was sent is handled first, or the loop's select could take the barrier first.
                if self.ui.has_changed().unwrap_or(false) {
                    self.ui_changed();
                }
                self.status.send_modify(|s| s.barrier = n)
            }
            Command::Cancel => {
                if let Some(cancel) = &self.cancel {
                    let _ = cancel.send(true);
                }
            }
            Command::Shutdown => {}
        }
    }

    fn trigger(&mut self, trigger: Trigger) {
        let Some(effective) = self.effective() else {
            self.decided(Decision::NoSettings { trigger });
            return;
        };
        let now = self.config.clock.now();
        match trigger {
            Trigger::OnStart | Trigger::Resume => {
                let state = self.store.sync_state().unwrap_or_default();
                let input = OnStartState {
                    auto_sync: effective.auto_sync,
                    background_sync: effective.background_sync,
                    credentials: self.credentials(&effective),
                    require_sync_login: effective.require_sync_login,
                    last_successful_sync_end: state.last_successful.as_ref().map(|l| l.ended),
                    network: self.network(),
                    unresolved_conflicts: self.store.unresolved_count().unwrap_or(0),
                    update_pending: state.update_available.is_some(),
                };
                let decision = rules::on_start(now, &input, trigger);
                self.decided(decision.clone());
                if let OnStartDecision::Start { mode, trigger } = decision {
                    self.start_if_idle(mode, trigger, &effective);
                }
            }
            Trigger::OnChange => {
                let blockers = rules::auto_sync_blockers(
                    self.credentials(&effective),
                    effective.require_sync_login,
                    self.network(),
                );
                let decision = rules::on_change(
                    effective.auto_sync,
                    effective.background_sync,
                    blockers,
                    self.activity(),
                    self.follow_up,
                );
                self.decided(decision.clone());
                match decision {
                    rules::OnChangeDecision::StartNow { mode } => {
                        self.start_if_idle(mode, trigger, &effective)
                    }
                    rules::OnChangeDecision::QueueFollowUp => {
                        self.follow_up = true;
                        self.status.send_modify(|s| s.follow_up_queued = true);
                    }
                    _ => {}
                }
            }
            Trigger::Interval => self.tick(),
            Trigger::Manual | Trigger::ProjectUpdate | Trigger::ModeSwitch => {
                let decision = rules::requested(trigger, self.network(), effective.background_sync);
                self.decided(decision);
                match decision {
                    rules::RequestDecision::Start { mode, .. } => {
                        self.start_if_idle(mode, trigger, &effective)
                    }
                    rules::RequestDecision::NoNetwork { mode, .. } => self.finished_without_sync(
                        trigger,
                        mode,
                        &rules::AutoSyncBlocker::NoNetwork.to_string(),
                    ),
                }
            }
        }
    }

    fn tick(&mut self) {
        let Some(effective) = self.effective() else {
            return;
        };
        let state = self.store.sync_state().unwrap_or_default();
        let blockers = rules::auto_sync_blockers(
            self.credentials(&effective),
            effective.require_sync_login,
            self.network(),
        );
        let decision = rules::interval(
            self.config.clock.now(),
            effective.auto_sync_interval,
            state.last.as_ref().map(|l| l.ended),
            self.activity(),
            blockers,
        );
        match decision {
            rules::IntervalDecision::Due => {
                self.decided(decision.clone());
                self.start_if_idle(SyncMode::Background, Trigger::Interval, &effective);
            }
            rules::IntervalDecision::Blocked { .. } => {
                // Said once per blocked period, not every tick.
                let decision = Decision::Interval(decision);
                if self.status.borrow().last_decision.as_ref() != Some(&decision) {
                    self.decided(decision);
                }
            }
            _ => {}
        }
    }

    fn ui_changed(&mut self) {
        let gate = *self.ui.borrow_and_update();
        if gate.open_forms == 0
            && let Some(trigger) = self.deferred.take()
        {
            self.status.send_modify(|s| s.deferred = None);
            if let Some(effective) = self.effective() {
                self.decided(Decision::DeferredStarts { trigger });
                self.start_if_idle(
                    rules::sync_mode(trigger, effective.background_sync),
                    trigger,
                    &effective,
                );
            }
        }
    }

    /// The first project a sync brings: its defaults become the settings unless the user chose
    /// them ([`rules::adopt_project_defaults`]), written with the forgotten password in one
    /// transaction ([`Store::update_settings`]).
    fn adopt_first_project_defaults(&mut self) {
        if !self.awaiting_first_project {
            return;
        }
        let Ok(Some(project)) = self.store.project() else {
            return;
        };
        self.awaiting_first_project = false;
        let config = &project.configuration;
        let adopted = self.store.update_settings(|current, origin| {
            rules::adopt_project_defaults(current, origin, config)
        });
        if let Ok(Some(SettingsWrite { settings, .. })) = adopted {
            let on_off = |on: bool| if on { "On" } else { "Off" };
            self.journal(
                JournalKind::App,
                format!(
                    "settings from project version {}: Auto Sync {}, Background sync {}, Save password {}",
                    project.version,
                    settings.auto_sync,
                    on_off(settings.background_sync),
                    on_off(settings.save_password)
                ),
                JournalData::Project(ProjectStep::DefaultsAdopted {
                    version: project.version,
                }),
            );
        }
    }

    fn finished(&mut self, last: Option<LastSync>) {
        self.adopt_first_project_defaults();
        let mut status = self.status.borrow().clone();
        refresh(&self.store, &mut status);
        status.activity = SyncActivity::Idle;
        status.trigger = None;
        if let Some(last) = &last {
            status.last_error = last.error.clone();
        }
        // Announce the end before showing idle: whoever waits for idle and then starts a new
        // sync must not take this sync's announcement for the new one's.
        if let Some(last) = last {
            let _ = self.events.send(EngineEvent::Finished(last));
        }
        self.status.send_replace(status);
        if self.mode_switch_queued {
            // It uploads whatever the follow-up would have.
            self.mode_switch_queued = false;
            self.follow_up = false;
            if let Some(effective) = self.effective() {
                self.start_if_idle(
                    rules::sync_mode(Trigger::ModeSwitch, effective.background_sync),
                    Trigger::ModeSwitch,
                    &effective,
                );
            }
            return;
        }
        if self.follow_up {
            // start_if_idle clears the flag and marks the sync running in one update, so no
            // watcher sees "idle, nothing queued" between the two syncs.
            self.follow_up = false;
            if let Some(effective) = self.effective() {
                self.decided(Decision::FollowUpStarts);
                self.start_if_idle(
                    rules::sync_mode(Trigger::OnChange, effective.background_sync),
                    Trigger::OnChange,
                    &effective,
                );
            }
        }
    }
}
