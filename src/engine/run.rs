//! One synchronization, phase by phase: Connect → Customization → Upload → Download →
//! Attachments → Cloud documents → Emails. Runs in its own task with its own database
//! connection; every database write is a short transaction, never held across a network await.

mod download;
mod progress;
mod request;
mod upload;

use progress::{Meter, Tally, Wake};
use request::Ahead;

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::{broadcast, watch};

use super::progress::{PhaseProgress, PhaseState};
use super::status::{EngineEvent, SyncStatus, UiGate};
use crate::clock::Clock;
use crate::project::Project;
use crate::remote::{ProjectFetch, Remote, RemoteError};
use crate::rules::{
    self, ApplyGate, ConflictResolution, DeleteConflict, EntityPhaseGate, Network, Phase,
    SyncActivity, SyncMode, Trigger, UpdateAction,
};
use crate::settings::BackgroundBehavior;
use crate::store::{
    ConflictKind, FailureCause, JournalData, JournalEntry, JournalKind, LastSync, PageEnd,
    PendingKind, PendingOp, ProjectStep, ReconcileStep, Resolved, Store, SyncEnd, SyncFlags,
};
use crate::wire::{
    BatchOperation, BatchResponse, BatchResult, DownloadPage, FileKind, MAX_BATCH_OPERATIONS,
    PageRecord, Record,
};

/// Records applied per write transaction: small enough that a user's save waits only
/// milliseconds for the download's write lock.
const APPLY_CHUNK: usize = 250;
/// The longest the sync waits between two of its transactions for a waiting save to take the
/// lock; a save sleeps at most 100 ms between its tries (SQLite's busy handler).
const STEP_ASIDE: Duration = Duration::from_millis(100);
/// How often an upload recounts the pending records and conflicts for the status.
const RECOUNT_EVERY: Duration = Duration::from_millis(100);
/// Tries of one request before the sync gives up on it.
const MAX_ATTEMPTS: u32 = 4;
/// Rounds of upload in one sync: Device Wins re-uploads against the server's current version.
const MAX_UPLOAD_ROUNDS: usize = 3;

pub(super) struct Job {
    pub mode: SyncMode,
    pub trigger: Trigger,
    pub behavior: BackgroundBehavior,
    pub background_sync: bool,
    pub auto_sync_enabled: bool,
    pub background_download: bool,
    pub user: String,
    /// The engine's connection to the server, built once and shared by its syncs (see
    /// `Engine::remote_for`), or why it could not be built.
    pub remote: Result<Remote, String>,
}

pub(super) struct Context {
    pub store_path: PathBuf,
    /// The sync's own database connection, kept by the engine between syncs: opening one
    /// (schema check, pragmas, a cold statement cache) is a large part of a sync with nothing
    /// to do. Taken when a sync starts, given back when it ends.
    pub connection: Arc<Mutex<Option<Store>>>,
    pub clock: Clock,
    pub status: Arc<watch::Sender<SyncStatus>>,
    pub events: broadcast::Sender<EngineEvent>,
    pub ui: watch::Receiver<UiGate>,
    pub network: watch::Receiver<Network>,
    pub cancel: watch::Receiver<bool>,
    pub page_limit: u32,
}

/// Why the sync stopped early.
enum Stop {
    Remote(RemoteError),
    Cancelled,
    Local(String),
}

impl From<RemoteError> for Stop {
    fn from(e: RemoteError) -> Self {
        Stop::Remote(e)
    }
}

impl From<crate::store::StoreError> for Stop {
    fn from(e: crate::store::StoreError) -> Self {
        Stop::Local(e.to_string())
    }
}

struct SyncRun {
    ctx: Context,
    job: Job,
    store: Store,
    remote: Remote,
    mode: SyncMode,
    flags: SyncFlags,
    snapshot: Option<i64>,
    started: DateTime<Utc>,
    meter: Meter,
}

pub(super) async fn run(ctx: Context, job: Job) -> LastSync {
    let started = ctx.clock.now();
    let mode = job.mode;
    ctx.status.send_modify(|s| {
        s.activity = SyncActivity::Running {
            mode,
            phase: Phase::Connect,
        };
        s.trigger = Some(job.trigger);
        s.last_error = None;
        s.phases = pending_phases();
    });
    let flags = SyncFlags::default();
    let connection = ctx.connection.clone();
    let kept = ctx
        .connection
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let setup = kept
        .map_or_else(
            || Store::open(&ctx.store_path).and_then(|s| s.grow_page_cache().map(|()| s)),
            Ok,
        )
        .map_err(|e| e.to_string())
        .and_then(|store| job.remote.clone().map(|remote| (store, remote)));
    let (store, remote) = match setup {
        Ok(v) => v,
        Err(error) => {
            return LastSync {
                started,
                ended: ctx.clock.now(),
                mode,
                trigger: job.trigger,
                flags: SyncFlags {
                    end: SyncEnd::ConnectFailed { web_error: false },
                    ..flags
                },
                error: Some(error),
                cause: None,
            };
        }
    };
    let mut sync = SyncRun {
        ctx,
        job,
        store,
        remote,
        mode,
        flags,
        snapshot: None,
        started,
        meter: Meter::start(),
    };
    // Not "… sync started": the decision line before it says that already.
    let (trigger, mode) = (sync.job.trigger, sync.mode);
    let running = sync
        .sync_line(format!("sync running: {trigger}, {mode}"))
        .with_data(JournalData::SyncRunning { trigger, mode });
    sync.journal_entry(running);
    let result = sync.phases().await;
    let (last, store) = sync.finish(result);
    *connection.lock().unwrap_or_else(PoisonError::into_inner) = Some(store);
    last
}

impl SyncRun {
    fn now(&self) -> DateTime<Utc> {
        self.ctx.clock.now()
    }

    /// A sync line: its words, and what it stands for.
    fn journal(&mut self, detail: String, data: JournalData) {
        let entry = self.sync_line(detail).with_data(data);
        self.journal_entry(entry);
    }

    fn sync_line(&self, detail: String) -> JournalEntry {
        JournalEntry::event(self.now(), JournalKind::Sync, "sync", detail)
    }

    /// "phase Upload": the sync entered `phase`.
    fn journal_phase(&mut self, phase: Phase) {
        let entry = self
            .sync_line(format!("phase {phase}"))
            .with_data(JournalData::Phase(phase));
        self.journal_entry(entry);
    }

    fn journal_entry(&mut self, entry: JournalEntry) {
        // The journal is the user's record; the log file gets the same line for whoever debugs.
        tracing::debug!(
            kind = entry.kind.as_str(),
            entity = entry.entity.as_deref(),
            record = entry.record_id.as_deref(),
            "{}",
            entry.detail
        );
        let _ = self.store.append_journal(std::slice::from_ref(&entry));
        let _ = self.ctx.events.send(EngineEvent::Journal(entry));
    }

    /// Lost or discarded edits were journaled by the store; announce them.
    fn announce(&self, entries: Vec<JournalEntry>) {
        for e in entries {
            let _ = self.ctx.events.send(EngineEvent::Journal(e));
        }
    }

    fn set_phase(&mut self, phase: Phase) {
        self.close_phase();
        let mode = self.mode;
        self.ctx
            .status
            .send_modify(|s| enter(s, SyncActivity::Running { mode, phase }));
        self.meter = Meter::start();
        self.journal_phase(phase);
    }

    fn refresh_counts(&self) {
        let pending = self.store.pending_count().unwrap_or(0);
        let conflicts = self.store.unresolved_count().unwrap_or(0);
        self.ctx.status.send_modify(|s| {
            s.pending_uploads = pending;
            s.unresolved_conflicts = conflicts;
        });
    }

    fn check(&self) -> Result<(), Stop> {
        if *self.ctx.cancel.borrow() {
            return Err(Stop::Cancelled);
        }
        if *self.ctx.network.borrow() == Network::Disconnected {
            return Err(Stop::Remote(RemoteError::Offline));
        }
        Ok(())
    }

    /// Between two of the sync's write transactions: lets a long WAL start over
    /// ([`Store::keep_wal_short`]), lets the runtime run other tasks, and while a user's save
    /// waits for the write lock, waits (up to [`STEP_ASIDE`]) until it has it. SQLite does not
    /// queue writers, and the next page or batch is usually here already, so without this a save
    /// could keep finding the lock taken for as long as the phase lasts.
    async fn step_aside(&mut self) {
        self.store.keep_wal_short();
        tokio::task::yield_now().await;
        let until = tokio::time::Instant::now() + STEP_ASIDE;
        while self.store.save_waiting() && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Enters the entity phase `phase` — "While a clearance is held, the background sync does
    /// not run its entity phases": until every UI transaction is released it waits, in no
    /// phase, so the saves it waits for go ahead. The gate is read and the phase entered under
    /// the UI gate's lock, which `tryEnterUiTransaction` decides under too
    /// ([`super::EngineHandle::update_ui_gate`]): a clearance is taken either before (the sync
    /// waits for it) or after (it sees the entity phase).
    async fn enter_entity_phase(&mut self, phase: Phase) -> Result<(), Stop> {
        self.close_phase();
        let mode = self.mode;
        loop {
            self.check()?;
            let gate = {
                let ui = self.ctx.ui.borrow();
                let gate = rules::may_enter_entity_phase(ui.clearances);
                let activity = match gate {
                    EntityPhaseGate::Go => SyncActivity::Running { mode, phase },
                    EntityPhaseGate::Wait { clearances_held } => {
                        SyncActivity::WaitingForUiTransactions {
                            mode,
                            before: phase,
                            held: clearances_held,
                        }
                    }
                };
                self.ctx.status.send_modify(|s| enter(s, activity));
                gate
            };
            let EntityPhaseGate::Wait {
                clearances_held: held,
            } = gate
            else {
                self.meter = Meter::start();
                self.journal_phase(phase);
                return Ok(());
            };
            let waits = self
                .sync_line(gate.to_string())
                .with_data(JournalData::WaitsForUi {
                    before: phase,
                    held,
                });
            self.journal_entry(waits);
            // Wake on every change of the gate, so the status always says how many are held.
            let mut ui = self.ctx.ui.clone();
            let mut cancel = self.ctx.cancel.clone();
            tokio::select! {
                _ = ui.wait_for(|g| g.clearances != held) => {}
                _ = cancel.wait_for(|c| *c) => return Err(Stop::Cancelled),
            }
        }
    }

    async fn phases(&mut self) -> Result<(), Stop> {
        self.set_phase(Phase::Connect);
        match self
            .call("connect", |r| async move { r.session().await })
            .await
        {
            Ok(_) => {}
            Err(Stop::Remote(e)) => {
                self.flags.end = SyncEnd::ConnectFailed { web_error: false };
                return Err(Stop::Remote(e));
            }
            Err(other) => return Err(other),
        }
        let known = self.store.meta::<String>("project_etag")?;
        self.set_phase(Phase::Customization);
        let fetch = self
            .call("customization check", |r| {
                let known = known.clone();
                async move { r.project(known.as_deref()).await }
            })
            .await?;
        self.customization(fetch).await?;
        if self.snapshot.is_none() {
            self.upload().await?;
        }
        self.download().await?;
        for (phase, kind) in [
            (Phase::Attachments, FileKind::Attachments),
            (Phase::CloudDocuments, FileKind::Documents),
            (Phase::Emails, FileKind::Emails),
        ] {
            self.files(phase, kind).await?;
        }
        Ok(())
    }

    async fn customization(&mut self, fetch: ProjectFetch) -> Result<(), Stop> {
        let ProjectFetch::Changed { project, etag } = fetch else {
            return Ok(());
        };
        let mut state = self.store.sync_state()?;
        if state.applied_version == 0 || self.store.project()?.is_none() {
            // The first sync has no customization to protect: it simply takes the project.
            self.apply_project(&project, etag.as_deref())?;
            return Ok(());
        }
        if project.version <= state.applied_version {
            return Ok(());
        }
        let action = rules::on_newer_project(
            self.mode,
            self.job.auto_sync_enabled,
            self.job.background_download,
        );
        let version = project.version;
        self.journal(
            format!("project version {version} found: {action}"),
            JournalData::Project(ProjectStep::Found { version, action }),
        );
        match action {
            UpdateAction::FlagUpdateAvailable => {
                state.update_available = Some(project.version);
                self.store.set_sync_state(&state)?;
                self.flags.customization_ready = true;
                let v = project.version;
                self.ctx
                    .status
                    .send_modify(|s| s.update_available = Some(v));
            }
            UpdateAction::LeaveForNextForegroundSync => {}
            UpdateAction::ApplyNow => {
                // "all local changes from the device must be uploaded to the server"
                self.upload().await?;
                self.set_phase(Phase::Customization);
                let pending = self.store.pending_count()?;
                match rules::may_apply_update(pending) {
                    ApplyGate::Apply => {
                        self.apply_project(&project, etag.as_deref())?;
                        self.flags.customization_downloaded = true;
                        let next = rules::after_update_applied(self.job.background_sync);
                        if next != self.mode {
                            self.mode = next;
                            self.journal(
                                format!(
                                    "project version {version} applied: the sync continues in the {next}"
                                ),
                                JournalData::Project(ProjectStep::ContinuesIn {
                                    version,
                                    mode: next,
                                }),
                            );
                        }
                    }
                    gate @ ApplyGate::UploadFirst { .. } => {
                        self.flags.data_errors = true;
                        self.journal(
                            format!("project version {version} not applied: {gate}"),
                            JournalData::Project(ProjectStep::NotApplied { version, gate }),
                        );
                    }
                }
            }
        }
        Ok(())
    }

    fn apply_project(&mut self, project: &Project, etag: Option<&str>) -> Result<(), Stop> {
        self.store.set_project(project)?;
        if let Some(etag) = etag {
            self.store.set_meta("project_etag", &etag)?;
        }
        let mut state = self.store.sync_state()?;
        state.applied_version = project.version;
        state.update_available = None;
        self.store.set_sync_state(&state)?;
        let version = project.version;
        self.ctx.status.send_modify(|s| {
            s.update_available = None;
            s.project_version = version;
        });
        self.journal(
            format!("project version {version} applied"),
            JournalData::Project(ProjectStep::Applied { version }),
        );
        Ok(())
    }

    /// Ends the run: its status, journal line and sync state; gives back its connection.
    fn finish(mut self, result: Result<(), Stop>) -> (LastSync, Store) {
        let cause = matches!(result, Err(Stop::Remote(RemoteError::Unauthorized)))
            .then_some(FailureCause::PasswordRejected);
        let error = match result {
            Ok(()) => None,
            Err(Stop::Cancelled) => {
                self.flags.end = SyncEnd::Aborted;
                Some("the sync was cancelled".to_string())
            }
            Err(Stop::Remote(e)) => {
                let web_error = !matches!(
                    e,
                    RemoteError::Offline
                        | RemoteError::Unreachable { .. }
                        | RemoteError::Unauthorized
                );
                // A connect request that failed with a web error is both, as the product says.
                let connecting = matches!(self.flags.end, SyncEnd::ConnectFailed { .. });
                self.flags.end = if connecting || !web_error {
                    SyncEnd::ConnectFailed { web_error }
                } else {
                    SyncEnd::WebError
                };
                Some(e.to_string())
            }
            Err(Stop::Local(e)) => {
                self.flags.end = SyncEnd::Aborted;
                Some(e)
            }
        };
        let ended = self.now();
        let last = LastSync {
            started: self.started,
            ended,
            mode: self.job.mode,
            trigger: self.job.trigger,
            flags: self.flags,
            error: error.clone(),
            cause,
        };
        if let Ok(mut state) = self.store.sync_state() {
            state.last = Some(last.clone());
            if self.flags.succeeded() {
                state.last_successful = Some(last.clone());
            }
            let _ = self.store.set_sync_state(&state);
        }
        let failed = !self.flags.succeeded();
        self.close_phase();
        self.ctx.status.send_modify(|s| {
            for p in &mut s.phases {
                if p.state == PhaseState::Running {
                    p.state = if failed {
                        PhaseState::Failed
                    } else {
                        PhaseState::Done
                    };
                }
            }
        });
        let text = match &error {
            None => format!(
                "sync finished{}",
                if self.flags.data_errors {
                    " with data errors"
                } else {
                    ""
                }
            ),
            Some(e) => format!("sync failed: {e}"),
        };
        let entry = self.sync_line(text).with_data(JournalData::SyncEnded {
            succeeded: error.is_none(),
        });
        self.journal_entry(entry);
        self.refresh_counts();
        (last, self.store)
    }
}

/// Every phase pending: a sync about to start.
pub(super) fn pending_phases() -> Vec<PhaseProgress> {
    Phase::ALL
        .iter()
        .map(|&p| PhaseProgress::pending(p))
        .collect()
}

/// The status as the sync enters `activity`: the phases before it are done, its own runs.
fn enter(s: &mut SyncStatus, activity: SyncActivity) {
    let (phase, entered) = match activity {
        SyncActivity::Running { phase, .. } => (phase, true),
        SyncActivity::WaitingForUiTransactions { before, .. } => (before, false),
        SyncActivity::Idle => return,
    };
    for p in &mut s.phases {
        if p.phase < phase && p.state == PhaseState::Running {
            p.state = PhaseState::Done;
        }
        if p.phase == phase && entered {
            p.state = PhaseState::Running;
        }
    }
    s.activity = activity;
}
