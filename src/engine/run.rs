//! One synchronization, phase by phase: Connect → Customization → Upload → Download →
//! Attachments → Cloud documents → Emails. Runs in its own task with its own database
//! connection; every database write is a short transaction, never held across a network await.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::{broadcast, watch};

use super::status::{EngineEvent, PhaseProgress, PhaseState, SyncStatus, UiGate};
use crate::clock::Clock;
use crate::project::Project;
use crate::remote::{ProjectFetch, Remote, RemoteError};
use crate::rules::{
    self, ApplyGate, ConflictResolution, EntityPhaseGate, Network, Phase, SyncActivity, SyncMode,
    Trigger, UpdateAction,
};
use crate::settings::BackgroundBehavior;
use crate::store::{
    ConflictKind, JournalEntry, JournalKind, LastSync, PageEnd, PendingKind, PendingOp, Store,
    SyncFlags,
};
use crate::wire::{
    BatchOperation, BatchResponse, BatchResult, EntityPage, FileKind, MAX_BATCH_OPERATIONS, Record,
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
    pub server_url: String,
    pub user: String,
    pub password: String,
}

pub(super) struct Context {
    pub store_path: PathBuf,
    pub clock: Clock,
    pub status: Arc<watch::Sender<SyncStatus>>,
    pub events: broadcast::Sender<EngineEvent>,
    pub ui: watch::Receiver<UiGate>,
    pub network: watch::Receiver<Network>,
    pub cancel: watch::Receiver<bool>,
    pub page_limit: u32,
    pub request_timeout: Duration,
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

struct Sync {
    ctx: Context,
    job: Job,
    store: Store,
    remote: Remote,
    mode: SyncMode,
    flags: SyncFlags,
    snapshot: Option<i64>,
    started: DateTime<Utc>,
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
        s.waiting = None;
        s.phases = Phase::ALL
            .iter()
            .map(|&phase| PhaseProgress {
                phase,
                state: PhaseState::Pending,
                done: 0,
                total: None,
            })
            .collect();
    });
    let flags = SyncFlags {
        was_background: mode == SyncMode::Background,
        ..SyncFlags::default()
    };
    let setup = Store::open(&ctx.store_path)
        .map_err(|e| e.to_string())
        .and_then(|store| {
            Remote::with_timeout(
                &job.server_url,
                &job.user,
                &job.password,
                ctx.request_timeout,
            )
            .map(|remote| (store, remote))
            .map_err(|e| e.to_string())
        });
    let (store, remote) = match setup {
        Ok(v) => v,
        Err(error) => {
            return LastSync {
                started,
                ended: ctx.clock.now(),
                mode,
                trigger: job.trigger,
                flags: SyncFlags {
                    connect_failed: true,
                    ..flags
                },
                error: Some(error),
            };
        }
    };
    let mut sync = Sync {
        ctx,
        job,
        store,
        remote,
        mode,
        flags,
        snapshot: None,
        started,
    };
    sync.journal(format!("{} sync started ({})", sync.job.trigger, sync.mode));
    let result = sync.phases().await;
    sync.finish(result)
}

impl Sync {
    fn now(&self) -> DateTime<Utc> {
        self.ctx.clock.now()
    }

    fn journal(&mut self, detail: String) {
        self.journal_entry(JournalEntry::event(
            self.now(),
            JournalKind::Sync,
            "sync",
            detail,
        ));
    }

    fn journal_entry(&mut self, entry: JournalEntry) {
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
        let mode = self.mode;
        self.ctx.status.send_modify(|s| {
            for p in &mut s.phases {
                if p.phase < phase && p.state == PhaseState::Running {
                    p.state = PhaseState::Done;
                }
                if p.phase == phase {
                    p.state = PhaseState::Running;
                }
            }
            s.activity = SyncActivity::Running { mode, phase };
        });
        self.journal(format!("phase {phase}"));
    }

    fn progress(&self, phase: Phase, done: u64, total: Option<u64>) {
        self.ctx.status.send_modify(|s| {
            if let Some(p) = s.phases.iter_mut().find(|p| p.phase == phase) {
                p.done = done;
                p.total = total;
            }
        });
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

    /// Calls the server, backing off exponentially with jitter on transient failures and
    /// honoring `Retry-After`; stops at once on cancel or loss of network.
    async fn call<T, F, Fut>(&mut self, what: &str, f: F) -> Result<T, Stop>
    where
        F: FnMut(Remote) -> Fut,
        Fut: Future<Output = Result<T, RemoteError>>,
    {
        self.call_from(what, None, f).await
    }

    /// [`Sync::call`] whose first attempt may already have been made ahead of time (`first`):
    /// its outcome counts as that attempt's, after the same cancel and network check.
    async fn call_from<T, F, Fut>(
        &mut self,
        what: &str,
        mut first: Option<Result<T, RemoteError>>,
        mut f: F,
    ) -> Result<T, Stop>
    where
        F: FnMut(Remote) -> Fut,
        Fut: Future<Output = Result<T, RemoteError>>,
    {
        let mut attempt = 0;
        loop {
            self.check()?;
            let outcome = match first.take() {
                Some(outcome) => outcome,
                None => f(self.remote.clone()).await,
            };
            let error = match outcome {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            attempt += 1;
            if !error.is_transient() || attempt >= MAX_ATTEMPTS {
                return Err(Stop::Remote(error));
            }
            let wait = backoff(attempt, &error);
            let message = format!(
                "{what}: {error}; retrying in {:.1} s (attempt {}/{MAX_ATTEMPTS})",
                wait.as_secs_f64(),
                attempt + 1
            );
            self.ctx
                .status
                .send_modify(|s| s.last_error = Some(message.clone()));
            self.journal(message);
            let mut cancel = self.ctx.cancel.clone();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = cancel.wait_for(|c| *c) => return Err(Stop::Cancelled),
            }
        }
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

    /// "While a clearance is held, the background sync does not run its entity phases."
    async fn wait_for_ui_transactions(&mut self) -> Result<(), Stop> {
        loop {
            self.check()?;
            let held = self.ctx.ui.borrow().clearances;
            let gate = rules::may_enter_entity_phase(held);
            let EntityPhaseGate::Wait { .. } = gate else {
                self.ctx.status.send_modify(|s| s.waiting = None);
                return Ok(());
            };
            let text = gate.to_string();
            self.journal(text.clone());
            self.ctx.status.send_modify(|s| s.waiting = Some(text));
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
                self.flags.connect_failed = true;
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
        self.journal(format!(
            "project version {} found: {action}",
            project.version
        ));
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
                            self.journal(format!(
                                "project version {} applied: the sync continues in the {next}",
                                project.version
                            ));
                        }
                    }
                    gate @ ApplyGate::UploadFirst { .. } => {
                        self.flags.data_errors = true;
                        self.journal(format!(
                            "project version {} not applied: {gate}",
                            project.version
                        ));
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
        self.ctx.status.send_modify(|s| s.update_available = None);
        self.journal(format!("project version {} applied", project.version));
        Ok(())
    }

    async fn upload(&mut self) -> Result<(), Stop> {
        self.set_phase(Phase::Upload);
        self.wait_for_ui_transactions().await?;
        let snapshot = self.store.outbox_snapshot()?;
        self.snapshot = Some(snapshot);
        self.progress(Phase::Upload, 0, Some(0));
        let project = self
            .store
            .project()?
            .ok_or_else(|| Stop::Local("no project on this device".into()))?;
        let checkpointer = self.store.start_checkpointer().ok();
        let result = self.upload_rounds(&project, snapshot).await;
        let ended = self.store.end_checkpointer(checkpointer);
        result?;
        Ok(ended?)
    }

    async fn upload_rounds(&mut self, project: &Project, snapshot: i64) -> Result<(), Stop> {
        let mut done = 0u64;
        for _round in 0..MAX_UPLOAD_ROUNDS {
            let ops = self.store.pending_ops(snapshot)?;
            if ops.is_empty() {
                break;
            }
            let total = done + ops.len() as u64;
            // The snapshot is taken: edits saved from now on are "during this sync".
            self.progress(Phase::Upload, done, Some(total));
            let mut retargeted = false;
            let batches: Vec<Vec<BatchOperation>> = ops
                .chunks(MAX_BATCH_OPERATIONS)
                .map(|chunk| chunk.iter().map(to_operation).collect())
                .collect();
            let mut ahead: Option<Ahead<BatchResponse>> = None;
            let mut counted = tokio::time::Instant::now();
            for (i, chunk) in ops.chunks(MAX_BATCH_OPERATIONS).enumerate() {
                let first = match ahead.take() {
                    Some(ahead) => ahead.outcome().await,
                    None => None,
                };
                let operations = &batches[i];
                let response = self
                    .call_from("upload", first, |r| {
                        let operations = operations.clone();
                        async move { r.batch(operations).await }
                    })
                    .await?;
                // Send the next batch now: the server runs it while this one is settled here.
                // Each record is in one operation of the round, so no batch depends on how an
                // earlier one is settled; a batch sent but never settled (the sync stopped) is
                // recognized as our own write when the next sync sends it again.
                if let Some(next) = batches.get(i + 1)
                    && self.check().is_ok()
                {
                    let (remote, next) = (self.remote.clone(), next.clone());
                    ahead = Some(Ahead::spawn(async move { remote.batch(next).await }));
                }
                if response.results.len() != chunk.len() {
                    return Err(Stop::Remote(RemoteError::Broken(format!(
                        "{} results for {} operations",
                        response.results.len(),
                        chunk.len()
                    ))));
                }
                // Acknowledged operations are settled together, one transaction for a run of
                // them; anything else is settled on its own, in order, after the run before it.
                let mut acknowledged: Vec<(&PendingOp, Record)> = Vec::new();
                for (op, result) in chunk.iter().zip(response.results) {
                    match self.acknowledged(op, result) {
                        Answer::Took(record) => acknowledged.push((op, record)),
                        Answer::Other(result) => {
                            self.complete(std::mem::take(&mut acknowledged), snapshot)?;
                            let strategy = project
                                .entity(&op.entity)
                                .map(|e| e.on_conflict)
                                .unwrap_or_default();
                            retargeted |= self.settle(op, *result, strategy, snapshot)?;
                        }
                    }
                }
                self.complete(acknowledged, snapshot)?;
                done += chunk.len() as u64;
                self.progress(Phase::Upload, done, Some(total));
                // Counting what is pending scans the outbox: a few times a second is enough
                // for the status, and once more when the round is done.
                if counted.elapsed() >= RECOUNT_EVERY || i + 1 == batches.len() {
                    self.refresh_counts();
                    counted = tokio::time::Instant::now();
                }
                self.step_aside().await;
            }
            if !retargeted {
                break;
            }
        }
        Ok(())
    }

    /// The server's version of an operation it took: its answer to a `200`/`201`, or the
    /// current version in a `412` when that is our own earlier write whose answer was lost.
    /// Any other result comes back to be settled by [`Sync::settle`].
    fn acknowledged(&self, op: &PendingOp, result: BatchResult) -> Answer {
        match result {
            BatchResult {
                status: 200 | 201,
                record: Some(record),
                ..
            } => Answer::Took(record),
            BatchResult {
                status: 412,
                problem: Some(ref problem),
                ..
            } if problem
                .current
                .as_ref()
                .is_some_and(|c| self.is_own_write(op, c)) =>
            {
                Answer::Took(problem.current.clone().expect("checked"))
            }
            other => Answer::Other(Box::new(other)),
        }
    }

    /// Settles acknowledged operations in one transaction and announces the edits it overwrote.
    fn complete(&mut self, done: Vec<(&PendingOp, Record)>, snapshot: i64) -> Result<(), Stop> {
        let policy = rules::concurrent_edit(self.job.behavior);
        let lost = self
            .store
            .complete_ops(&done, snapshot, policy, self.now())?;
        self.announce(lost);
        Ok(())
    }

    /// Settles the result of an operation the server did not take (see [`Sync::acknowledged`]);
    /// true when it must be uploaded again (Device Wins).
    fn settle(
        &mut self,
        op: &PendingOp,
        result: BatchResult,
        strategy: crate::settings::ConflictStrategy,
        snapshot: i64,
    ) -> Result<bool, Stop> {
        let now = self.now();
        let policy = rules::concurrent_edit(self.job.behavior);
        let current = result.problem.as_ref().and_then(|p| p.current.clone());
        match (result.status, result.record) {
            (412, _) | (404, _) if matches!(op.kind, PendingKind::Update) => {
                let server = if result.status == 412 { current } else { None };
                let device = self
                    .store
                    .record(&op.entity, &op.id)?
                    .map(|r| r.fields)
                    .unwrap_or_default();
                let resolution =
                    rules::resolve_conflict(strategy, &op.fields, &device, server.is_none());
                let mut entry =
                    JournalEntry::event(now, JournalKind::Conflict, "sync", resolution.to_string());
                entry.entity = Some(op.entity.clone());
                entry.record_id = Some(op.id.clone());
                self.journal_entry(entry);
                match resolution {
                    ConflictResolution::TakeServer { .. }
                    | ConflictResolution::DeleteLocally { .. } => {
                        let lost =
                            self.store
                                .discard_op(op, server.as_ref(), snapshot, policy, now)?;
                        self.announce(lost);
                        Ok(false)
                    }
                    ConflictResolution::UploadChangedFields { fields }
                    | ConflictResolution::UploadWholeRecord { fields } => {
                        let etag = server.as_ref().map(|s| s.etag.clone());
                        self.store.retarget_op(op, &fields, etag.as_deref(), now)?;
                        Ok(true)
                    }
                    ConflictResolution::Recreate { fields } => {
                        self.store.retarget_op(op, &fields, None, now)?;
                        Ok(true)
                    }
                    ConflictResolution::KeepForUser => {
                        let kind = if server.is_some() {
                            ConflictKind::ChangedOnBoth
                        } else {
                            ConflictKind::DeletedOnServer
                        };
                        self.store.keep_conflict(op, kind, server.as_ref(), now)?;
                        self.flags.data_errors = true;
                        Ok(false)
                    }
                }
            }
            (status, _) => {
                let detail = result
                    .problem
                    .map(|p| p.detail)
                    .unwrap_or_else(|| "no detail".into());
                let error = format!(
                    "the server refused {} {} ({status}): {detail}",
                    op.entity, op.id
                );
                self.store.reject_op(op, &error)?;
                self.flags.data_errors = true;
                self.journal(error);
                Ok(false)
            }
        }
    }

    /// A `412` whose current version is exactly what we sent, written by us: the answer to an
    /// earlier attempt was lost after the server committed it.
    fn is_own_write(&self, op: &PendingOp, current: &Record) -> bool {
        current.modified_by == self.job.user
            && op
                .fields
                .iter()
                .all(|(f, v)| current.fields.get(f) == Some(v) || is_derived(f))
    }

    async fn download(&mut self) -> Result<(), Stop> {
        self.set_phase(Phase::Download);
        self.wait_for_ui_transactions().await?;
        let snapshot = match self.snapshot {
            Some(s) => s,
            None => self.store.outbox_snapshot()?,
        };
        let policy = rules::concurrent_edit(self.job.behavior);
        let project = self
            .store
            .project()?
            .ok_or_else(|| Stop::Local("no project on this device".into()))?;
        // The WAL is checkpointed beside the download (see `Store::start_checkpointer`); with
        // no thread to be had, the download checkpoints on its own as before.
        let checkpointer = self.store.start_checkpointer().ok();
        let result = self.download_entities(&project, snapshot, policy).await;
        let ended = self.store.end_checkpointer(checkpointer);
        result?;
        ended?;
        self.refresh_counts();
        Ok(())
    }

    async fn download_entities(
        &mut self,
        project: &Project,
        snapshot: i64,
        policy: rules::ConcurrentEdit,
    ) -> Result<(), Stop> {
        let mut done = 0u64;
        for entity in project.entities.iter().map(|e| e.name.clone()) {
            let mut restarted = false;
            let position = self.store.delta_position(&entity)?;
            let (mut since, mut cursor) = (position.token, position.cursor);
            let mut ahead: Option<Ahead<EntityPage>> = None;
            loop {
                let limit = self.ctx.page_limit;
                let first = match ahead.take() {
                    Some(ahead) => ahead.outcome().await,
                    None => None,
                };
                let page = self
                    .call_from("download", first, |r| {
                        let (entity, since, cursor) =
                            (entity.clone(), since.clone(), cursor.clone());
                        async move {
                            r.page(&entity, since.as_deref(), cursor.as_deref(), limit)
                                .await
                        }
                    })
                    .await;
                let page = match page {
                    Err(Stop::Remote(RemoteError::Gone)) if !restarted => {
                        restarted = true;
                        self.journal(format!("{entity}: {}", RemoteError::Gone));
                        self.store.reset_delta(&entity)?;
                        (since, cursor) = (None, None);
                        continue;
                    }
                    other => other?,
                };
                let end = match (&page.next, &page.delta_token) {
                    (Some(next), _) => PageEnd::Next(next.clone()),
                    (None, Some(token)) => PageEnd::Complete(token.clone()),
                    (None, None) => {
                        return Err(Stop::Remote(RemoteError::Broken(
                            "a last page without a delta token".into(),
                        )));
                    }
                };
                // Ask for the next page now: the server reads it, and the answer is parsed,
                // while this one is written to the database.
                if let Some(next) = &page.next
                    && self.check().is_ok()
                {
                    let (remote, entity, next) =
                        (self.remote.clone(), entity.clone(), next.clone());
                    ahead = Some(Ahead::spawn(async move {
                        remote.page(&entity, None, Some(&next), limit).await
                    }));
                }
                let chunks: Vec<&[Record]> = if page.records.is_empty() {
                    vec![&[]]
                } else {
                    page.records.chunks(APPLY_CHUNK).collect()
                };
                let last = chunks.len() - 1;
                for (i, chunk) in chunks.into_iter().enumerate() {
                    let (deleted, chunk_end) = if i == last {
                        (page.deleted.as_slice(), end.clone())
                    } else {
                        (&[][..], PageEnd::Partial)
                    };
                    let report = self.store.apply_chunk(
                        &entity,
                        chunk,
                        deleted,
                        &chunk_end,
                        snapshot,
                        policy,
                        self.now(),
                    )?;
                    self.announce(report.overwritten);
                    done += chunk.len() as u64;
                    self.progress(Phase::Download, done, None);
                    // Let a waiting save take the write lock between chunks.
                    self.step_aside().await;
                }
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        Ok(())
    }

    async fn files(&mut self, phase: Phase, kind: FileKind) -> Result<(), Stop> {
        self.set_phase(phase);
        let since = self.store.file_token(kind.as_str())?;
        let list = self
            .call("file list", |r| {
                let since = since.clone();
                async move { r.files(kind, since.as_deref()).await }
            })
            .await?;
        let total = list.files.len() as u64;
        self.progress(phase, 0, Some(total));
        for (i, file) in list.files.iter().enumerate() {
            if !self.store.has_file(kind.as_str(), &file.id, &file.etag)? {
                let id = file.id.clone();
                let bytes = self
                    .call("file download", |r| {
                        let id = id.clone();
                        async move { r.file(kind, &id).await }
                    })
                    .await?;
                self.store
                    .save_file(kind.as_str(), &file.id, &file.name, &file.etag, &bytes)?;
            }
            self.progress(phase, i as u64 + 1, Some(total));
        }
        self.store
            .set_file_token(kind.as_str(), &list.delta_token)?;
        Ok(())
    }

    fn finish(mut self, result: Result<(), Stop>) -> LastSync {
        let error = match result {
            Ok(()) => None,
            Err(Stop::Cancelled) => {
                self.flags.aborted = true;
                Some("the sync was cancelled".to_string())
            }
            Err(Stop::Remote(e)) => {
                match e {
                    RemoteError::Offline
                    | RemoteError::Unreachable { .. }
                    | RemoteError::Unauthorized => self.flags.connect_failed = true,
                    _ => self.flags.web_error = true,
                }
                Some(e.to_string())
            }
            Err(Stop::Local(e)) => {
                self.flags.aborted = true;
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
        };
        if let Ok(mut state) = self.store.sync_state() {
            state.last = Some(last.clone());
            if self.flags.succeeded() {
                state.last_successful = Some(last.clone());
            }
            let _ = self.store.set_sync_state(&state);
        }
        let failed = !self.flags.succeeded();
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
        self.journal(text);
        self.refresh_counts();
        last
    }
}

/// What the server did with an uploaded operation (see [`Sync::acknowledged`]).
enum Answer {
    /// Took it: its version of the record.
    Took(Record),
    /// Anything else, to be settled by [`Sync::settle`].
    Other(Box<BatchResult>),
}

/// The next request of a download or an upload, made while the answer to the current one is
/// written to the database. Its outcome is the first attempt of [`Sync::call_from`]. Dropped
/// unused (the sync stopped), the request is abandoned.
struct Ahead<T>(Option<tokio::task::JoinHandle<Result<T, RemoteError>>>);

impl<T: Send + 'static> Ahead<T> {
    fn spawn(request: impl Future<Output = Result<T, RemoteError>> + Send + 'static) -> Self {
        Ahead(Some(tokio::spawn(request)))
    }

    /// The request's outcome; `None` if the task itself failed (then the request is made again).
    async fn outcome(mut self) -> Option<Result<T, RemoteError>> {
        self.0.take()?.await.ok()
    }
}

impl<T> Drop for Ahead<T> {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// Fields the server's business logic recomputes: a replayed write may not match them.
fn is_derived(field: &str) -> bool {
    matches!(field, "rating" | "modified_by" | "phone")
}

fn to_operation(op: &PendingOp) -> BatchOperation {
    match &op.kind {
        PendingKind::Create { idempotency_key } => BatchOperation::Create {
            entity: op.entity.clone(),
            id: op.id.clone(),
            idempotency_key: idempotency_key.clone(),
            fields: op.fields.clone(),
        },
        PendingKind::Update => BatchOperation::Update {
            entity: op.entity.clone(),
            id: op.id.clone(),
            if_match: op.base_etag.clone(),
            fields: op.fields.clone(),
        },
    }
}

/// Exponential backoff with jitter, or the server's `Retry-After` when it names one.
fn backoff(attempt: u32, error: &RemoteError) -> Duration {
    if let RemoteError::Transient {
        retry_after: Some(after),
        ..
    } = error
    {
        return (*after).min(Duration::from_secs(60));
    }
    let base = Duration::from_millis(200) * 2u32.pow(attempt.saturating_sub(1).min(6));
    let jitter = rand::rng().random_range(0..=base.as_millis() as u64 / 2);
    base + Duration::from_millis(jitter)
}
