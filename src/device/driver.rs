//! The one driver of the App core: it performs the [`Effect`]s `App::update` returns — against
//! the device's engine, the profile and the demo server's control API — and answers each with
//! the [`Action`] that reports it; it feeds the engine's events and status back as actions.
//!
//! The TUI loop spawns the effects that wait on the world ([`Driver::spawn`]); the scenario
//! runner and the tests await them inline ([`Driver::act`]).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio::sync::mpsc;

use crate::app::{
    Action, App, ControlCall, DeviceSettings, Effect, EffectResult, EntityCount, GateView,
    LIST_LIMIT, ListPage, Reload, Reloaded, Start,
};
use crate::clock::Clock;
use crate::control::Control;
use crate::engine::{Command, EngineEvent, EngineHandle, SyncStatus};
use crate::rules::Trigger;
use crate::store::Store;
use crate::wire::Fields;

use super::{Device, OnlineSave};

/// What the effects that wait on the world need: the control API (absent with an external
/// server), the profile (online saves and exports open their own connection to it) and the
/// clock.
#[derive(Debug, Clone)]
pub struct EffectContext {
    pub control: Option<Control>,
    pub profile: PathBuf,
    pub clock: Clock,
}

/// The device and everything that reaches the App from the world.
pub struct Driver {
    device: Device,
    context: EffectContext,
    events: Option<broadcast::Receiver<EngineEvent>>,
    finished: usize,
}

impl Driver {
    /// Takes the started device, builds its App from what the device holds, and sends the
    /// on-start trigger: "the first start syncs on start". `control` is the demo server's
    /// control API (absent with `--server`). The engine's events are subscribed before the
    /// trigger, so nothing is missed.
    pub fn start(device: Device, control: Option<Control>, clock: Clock) -> (Driver, App) {
        let events = device.engine().subscribe();
        let status = device.engine().status();
        let context = EffectContext {
            control,
            profile: device.store().path().to_path_buf(),
            clock: clock.clone(),
        };
        let mut app = App::new(Start {
            status,
            mode: device.mode(),
            has_control: context.control.is_some(),
            profile: context.profile.clone(),
            clock,
        });
        let mut driver = Driver {
            device,
            context,
            events: Some(events),
            finished: 0,
        };
        let effects = app.start();
        let waiting = driver.run_local(&mut app, effects);
        debug_assert!(
            waiting.is_empty(),
            "the start waits on nothing: {waiting:?}"
        );
        driver
            .device
            .engine()
            .send(Command::Trigger(Trigger::OnStart));
        (driver, app)
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn engine(&self) -> &EngineHandle {
        self.device.engine()
    }

    /// Syncs that ended (engine `Finished` events handed to the App) since the driver started.
    pub fn finished(&self) -> usize {
        self.finished
    }

    /// Applies `action` and runs every effect it leads to, inline, to the end.
    pub async fn act(&mut self, app: &mut App, action: Action) {
        let mut queue: VecDeque<Effect> = app.update(action).into();
        while let Some(effect) = queue.pop_front() {
            let done = if effect.waits() {
                perform(effect, &self.context).await
            } else {
                self.perform_local(effect)
            };
            queue.extend(app.update(done));
        }
    }

    /// Runs one effect to its end and returns its answer (for tests that hold effects back).
    pub async fn perform(&mut self, effect: Effect) -> Action {
        if effect.waits() {
            perform(effect, &self.context).await
        } else {
            self.perform_local(effect)
        }
    }

    /// Applies `action`: its steps on the device run now, before the next frame; what waits
    /// on the world runs in a task whose answer comes back on `answers` (the TUI).
    pub fn spawn(
        &mut self,
        app: &mut App,
        action: Action,
        answers: &mpsc::UnboundedSender<Action>,
    ) {
        for effect in self.apply_local(app, action) {
            if effect == Effect::Quit {
                continue;
            }
            let (tx, ctx) = (answers.clone(), self.context.clone());
            tokio::spawn(async move {
                let _ = tx.send(perform(effect, &ctx).await);
            });
        }
    }

    /// Applies `action` and its steps on the device; returns the effects that wait on the
    /// world, and `Quit`, not run.
    pub fn apply_local(&mut self, app: &mut App, action: Action) -> Vec<Effect> {
        let effects = app.update(action);
        self.run_local(app, effects)
    }

    /// Runs the steps on the device among `effects` and those their answers lead to; returns
    /// the effects that wait on the world, and `Quit`, in order.
    fn run_local(&mut self, app: &mut App, effects: Vec<Effect>) -> Vec<Effect> {
        let mut waiting = Vec::new();
        let mut queue: VecDeque<Effect> = effects.into();
        while let Some(effect) = queue.pop_front() {
            if effect.waits() || effect == Effect::Quit {
                waiting.push(effect);
                continue;
            }
            let done = self.perform_local(effect);
            queue.extend(app.update(done));
        }
        waiting
    }

    /// The engine's next event, as the action that hands it to the App (`None` once the
    /// engine is gone; a lagging receiver is told as a tick, the App then re-reads).
    pub async fn next_event(&mut self) -> Option<Action> {
        let Some(rx) = self.events.as_mut() else {
            return std::future::pending().await;
        };
        match rx.recv().await {
            Ok(event) => Some(self.engine_action(event)),
            Err(RecvError::Lagged(_)) => Some(Action::Tick),
            Err(RecvError::Closed) => {
                self.events = None;
                None
            }
        }
    }

    fn engine_action(&mut self, event: EngineEvent) -> Action {
        if let EngineEvent::Finished(_) = &event {
            self.finished += 1;
        }
        Action::Engine(event)
    }

    /// Hands the App every engine event so far, then the engine's latest status.
    pub async fn pump(&mut self, app: &mut App) {
        let mut events = Vec::new();
        if let Some(rx) = self.events.as_mut() {
            loop {
                match rx.try_recv() {
                    Ok(e) => events.push(e),
                    Err(TryRecvError::Lagged(_)) => continue,
                    Err(_) => break,
                }
            }
        }
        for event in events {
            let action = self.engine_action(event);
            self.act(app, action).await;
        }
        let status = self.status();
        self.act(app, Action::Status(status)).await;
    }

    pub fn status(&self) -> SyncStatus {
        self.device.engine().status()
    }

    /// Stops the engine (the App has quit, or the run ends).
    pub fn shutdown(&self) {
        self.device.engine().send(Command::Shutdown);
    }

    fn gate(&self) -> GateView {
        GateView {
            open_forms: self.device.open_forms(),
            held: self.device.ui_transactions_held(),
        }
    }

    /// One step on the device, answered at once.
    fn perform_local(&mut self, effect: Effect) -> Action {
        let device = &mut self.device;
        let result = match effect {
            Effect::Reload(reload) => {
                EffectResult::Reloaded(Box::new(reload_view(device, &reload)))
            }
            Effect::LoadRecord { entity, id } => {
                let record = device
                    .store()
                    .record(&entity, &id)
                    .map_err(|e| e.to_string());
                EffectResult::RecordLoaded { entity, id, record }
            }
            Effect::LoadRelated { entity, id } => {
                let targets = related_records(device.store(), &entity, &id);
                EffectResult::RelatedLoaded {
                    entity,
                    id,
                    targets,
                }
            }
            Effect::Save {
                entity,
                id,
                values,
                by,
            } => {
                let outcome = device
                    .save(&entity, &id, &values, by.path())
                    .map_err(|e| e.to_string());
                EffectResult::Saved {
                    entity,
                    id,
                    values,
                    by,
                    outcome,
                }
            }
            Effect::ChangeSetting(change) => {
                let outcome = device
                    .change_setting(change.clone())
                    .map_err(|e| e.to_string());
                EffectResult::SettingChanged { change, outcome }
            }
            Effect::EnterPassword(password) => EffectResult::PasswordEntered(
                device.enter_password(&password).map_err(|e| e.to_string()),
            ),
            Effect::OpenForm => {
                device.open_form();
                EffectResult::Gate(self.gate())
            }
            Effect::CloseForm => {
                device.close_form();
                EffectResult::Gate(self.gate())
            }
            Effect::EnterUiTransaction(by) => {
                let result = device.try_enter_ui_transaction();
                EffectResult::UiTransactionEntered {
                    by,
                    result,
                    gate: self.gate(),
                }
            }
            Effect::LeaveUiTransaction(by) => {
                let outcome = device.leave_ui_transaction();
                EffectResult::UiTransactionLeft {
                    by,
                    outcome,
                    gate: self.gate(),
                }
            }
            Effect::RequestModeSwitch => EffectResult::ModeSwitchRequested(
                device.request_mode_switch().map_err(|e| e.to_string()),
            ),
            Effect::AnswerModeSwitch(choice) => {
                EffectResult::ModeSwitchAnswered(device.answer_mode_switch(choice))
            }
            Effect::FinishModeSwitch { succeeded } => {
                let outcome = device.mode_switch_sync_finished(succeeded);
                EffectResult::ModeSwitchFinished {
                    outcome,
                    mode: device.mode(),
                }
            }
            Effect::Resolve {
                conflict_id,
                resolution,
            } => {
                let outcome = device
                    .resolve(conflict_id, &resolution)
                    .map_err(|e| e.to_string());
                EffectResult::Resolved {
                    resolution,
                    outcome,
                }
            }
            Effect::AppendJournal(entry) => {
                let _ = device.store_mut().append_journal(&[*entry]);
                EffectResult::Nothing
            }
            Effect::Engine(command) => {
                device.engine().send(command);
                EffectResult::Nothing
            }
            Effect::AdvanceClock { minutes } => {
                self.context
                    .clock
                    .advance(chrono::Duration::minutes(minutes));
                self.device.engine().send(Command::Tick);
                EffectResult::ClockAdvanced { minutes }
            }
            Effect::Quit => EffectResult::Nothing,
            waits => unreachable!("{waits:?} waits on the world: `perform` runs it"),
        };
        Action::EffectDone(result)
    }
}

/// Reads what `reload` names.
fn reload_view(device: &Device, reload: &Reload) -> Reloaded {
    let store = device.store();
    let mut view = Reloaded::default();
    if reload.settings {
        view.settings = Some(DeviceSettings {
            settings: store.settings().ok().flatten(),
            effective: device.effective().ok(),
            project: store.project().ok().flatten(),
            password_saved: store.password().ok().flatten().is_some(),
            mode: device.mode(),
        });
    }
    if reload.counts {
        let project = store.project().ok().flatten();
        view.counts = Some(
            project
                .iter()
                .flat_map(|p| p.entities.iter())
                .map(|e| EntityCount {
                    name: e.name.clone(),
                    label: e.label.clone(),
                    count: store.count(&e.name).unwrap_or(0),
                })
                .collect(),
        );
    }
    if reload.conflicts {
        view.conflicts = Some(store.unresolved_conflicts().map_err(|e| e.to_string()));
    }
    if let Some(after) = reload.journal_after {
        view.journal = Some(journal_after(store, after));
    }
    if reload.checklist {
        view.checklist = Some((
            store.sync_state().unwrap_or_default(),
            store.unresolved_count().unwrap_or(0),
        ));
    }
    if reload.lost {
        view.lost = Some(crate::auditor::audit(store, |_, _| None).unwrap_or_default());
    }
    view.forms = reload
        .forms
        .iter()
        .map(|(entity, id)| {
            let record = store.record(entity, id).ok().flatten();
            ((entity.clone(), id.clone()), record)
        })
        .collect();
    view.lists = reload
        .lists
        .iter()
        .map(|query| {
            let total = if query.count {
                store
                    .count_matching(&query.entity, &query.primary_field, &query.search)
                    .unwrap_or(0)
            } else {
                query.total
            };
            let selected = query.selected.min(total.saturating_sub(1));
            let offset = selected / LIST_LIMIT * LIST_LIMIT;
            let records = store
                .list(
                    &query.entity,
                    &query.primary_field,
                    &query.search,
                    LIST_LIMIT,
                    offset,
                )
                .unwrap_or_default();
            ListPage {
                query: query.clone(),
                total,
                offset,
                records,
            }
        })
        .collect();
    view
}

/// The journal after `after`; from the start (0), only the newest lines the log keeps — a
/// long-lived profile's journal is long.
fn journal_after(store: &Store, after: i64) -> Result<Vec<crate::store::JournalEntry>, String> {
    let mut after = if after == 0 {
        (last_seq(store) - crate::app::MAX_LOG_LINES as i64).max(0)
    } else {
        after
    };
    let mut lines = Vec::new();
    loop {
        let batch = store.journal(after, 1000).map_err(|e| e.to_string())?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        let full = batch.len() == 1000;
        lines.extend(batch);
        if !full {
            break;
        }
    }
    Ok(lines)
}

/// The journal's newest sequence number, found in O(log n) primary-key lookups.
fn last_seq(store: &Store) -> i64 {
    let exists_after = |seq: i64| store.journal(seq, 1).is_ok_and(|e| !e.is_empty());
    if !exists_after(0) {
        return 0;
    }
    // The smallest `after` with nothing after it is the newest seq.
    let (mut low, mut high) = (0i64, 1i64);
    while exists_after(high) {
        low = high;
        high = high.saturating_mul(2);
    }
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if exists_after(mid) {
            low = mid
        } else {
            high = mid
        }
    }
    high
}

/// The records the custom command edits: an account's contacts; for a contact, the other
/// contacts of its account.
fn related_records(store: &Store, entity: &str, id: &str) -> Vec<(String, String)> {
    let account = match entity {
        "account" => Some(id.to_string()),
        "contact" => store
            .record("contact", id)
            .ok()
            .flatten()
            .and_then(|r| r.fields.get("account_id").cloned()),
        _ => None,
    };
    let Some(account) = account else {
        return Vec::new();
    };
    store
        .list("contact", "account_id", &account, 50, 0)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            r.fields.get("account_id") == Some(&account) && !(entity == "contact" && r.id == id)
        })
        .map(|r| ("contact".to_string(), r.id))
        .collect()
}

/// Runs one effect to its end and returns the action that reports it.
pub async fn perform(effect: Effect, ctx: &EffectContext) -> Action {
    let result = match effect {
        Effect::ExportLog { path } => {
            let outcome = export_journal(&ctx.profile, &path);
            EffectResult::Exported { path, outcome }
        }
        Effect::Control(call) => {
            let outcome = match &ctx.control {
                Some(control) => control_call(control, &call).await,
                None => Err("not available with an external server".to_string()),
            };
            EffectResult::Control { call, outcome }
        }
        Effect::SaveOnline { entity, id, values } => {
            let outcome = save_online(&ctx.profile, &ctx.clock, &entity, &id, &values).await;
            EffectResult::OnlineSaved {
                entity,
                id,
                outcome,
            }
        }
        Effect::CustomStep { run, after_ms } => {
            tokio::time::sleep(Duration::from_millis(after_ms)).await;
            EffectResult::CustomStepDue { run }
        }
        local => unreachable!("{local:?} is a step on the device: `Driver::perform_local` runs it"),
    };
    Action::EffectDone(result)
}

async fn control_call(control: &Control, call: &ControlCall) -> Result<String, String> {
    let describe = |fields: &Fields| {
        fields
            .iter()
            .map(|(k, v)| format!("{k} = \"{v}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match call {
        ControlCall::PublishV2 => control.publish_asset("v2").await.map(|p| {
            format!(
                "published project version {} ({}); a background sync will show the down arrow",
                p.version, p.name
            )
        }),
        ControlCall::Edit { entity, id, fields } => control
            .edit(entity, id, fields.clone(), None)
            .await
            .map(|_| {
                format!(
                    "backoffice edited {entity} {id} on the server: {}",
                    describe(fields)
                )
            }),
        ControlCall::Delete { entity, id } => control
            .delete(entity, id)
            .await
            .map(|()| format!("backoffice deleted {entity} {id} on the server")),
        ControlCall::SetDelay { entity, ms } => control
            .set_delay(entity, *ms)
            .await
            .map(|()| format!("business-logic delay on {entity} writes: {ms} ms")),
        ControlCall::Fault(rule) => control
            .fault(
                rule.method.as_deref(),
                rule.path_prefix.as_deref(),
                rule.count,
                rule.fault.clone(),
            )
            .await
            .map(|()| format!("fault injected: {}", crate::app::describe_fault(rule))),
    }
    .map_err(|e| e.to_string())
}

/// Online mode's save, on its own connection to the profile: the network wait must not hold
/// the device, which keeps answering keys meanwhile.
async fn save_online(
    profile: &Path,
    clock: &Clock,
    entity: &str,
    id: &str,
    values: &Fields,
) -> OnlineSave {
    let saved = async {
        let mut store = Store::open(profile).map_err(|e| e.to_string())?;
        super::save_online_in(&mut store, clock.now(), entity, id, values)
            .await
            .map_err(|e| e.to_string())
    };
    saved.await.unwrap_or_else(OnlineSave::Failed)
}

/// Writes the journal as JSON lines ([`crate::event::Event`]) to `path`, or, when a file is
/// there already, to `path` with `-2`, `-3`, … before its extension: nothing is replaced.
pub fn export_journal(profile: &Path, path: &Path) -> Result<(usize, PathBuf), String> {
    use std::io::Write;
    let store = Store::open(profile).map_err(|e| e.to_string())?;
    let (file, path) = create_new_beside(path).map_err(|e| e.to_string())?;
    let mut out = std::io::BufWriter::new(file);
    let (mut after, mut count) = (0, 0);
    loop {
        let batch = store.journal(after, 5000).map_err(|e| e.to_string())?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for entry in &batch {
            let event = crate::event::Event::from(entry);
            serde_json::to_writer(&mut out, &event).map_err(|e| e.to_string())?;
            out.write_all(b"\n").map_err(|e| e.to_string())?;
            count += 1;
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok((count, path))
}

/// Creates `path`, or the first free `stem-N.ext` beside it.
fn create_new_beside(path: &Path) -> std::io::Result<(std::fs::File, PathBuf)> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let mut candidate = path.to_path_buf();
    for n in 2..1000 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => return Ok((file, candidate)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                candidate = path.with_file_name(format!("{stem}-{n}{ext}"));
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "999 exports of that name exist already",
    ))
}

/// Waits (up to `limit`) until the engine has processed every command sent before.
pub async fn barrier(engine: &EngineHandle, n: u64, limit: Duration) {
    engine.send(Command::Barrier(n));
    let _ = tokio::time::timeout(limit, engine.wait_for(|s| s.barrier >= n)).await;
}
