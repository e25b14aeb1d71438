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

use crate::app::{Action, App, ControlCall, Effect, EffectResult};
use crate::clock::Clock;
use crate::control::Control;
use crate::engine::{Command, EngineEvent, EngineHandle, SyncStatus};
use crate::store::Store;
use crate::wire::Fields;

use super::OnlineSave;

/// What effects need from the world: the control API (absent with an external server), the
/// profile (online saves and exports open their own connection to it) and the clock.
#[derive(Debug, Clone)]
pub struct EffectContext {
    pub control: Option<Control>,
    pub profile: PathBuf,
    pub clock: Clock,
}

/// Runs effects for one App and hands it what the engine says.
pub struct Driver {
    context: EffectContext,
    engine: EngineHandle,
    events: Option<broadcast::Receiver<EngineEvent>>,
    finished: usize,
}

impl Driver {
    /// The driver of `app`: it takes the App's engine event stream (subscribed before the
    /// on-start trigger, so nothing is missed).
    pub fn new(app: &mut App) -> Driver {
        Driver {
            context: app.effect_context(),
            engine: app.client().engine().clone(),
            events: app.take_engine_events(),
            finished: 0,
        }
    }

    pub fn engine(&self) -> &EngineHandle {
        &self.engine
    }

    /// Syncs that ended (engine `Finished` events handed to the App) since the driver started.
    pub fn finished(&self) -> usize {
        self.finished
    }

    /// Applies `action` and runs every effect it leads to, inline, to the end.
    pub async fn act(&mut self, app: &mut App, action: Action) {
        let mut queue: VecDeque<Effect> = app.update(action).into();
        while let Some(effect) = queue.pop_front() {
            let done = perform(effect, &self.context).await;
            queue.extend(app.update(done));
        }
    }

    /// Runs one effect to its end and returns its answer (for tests that hold effects back).
    pub async fn perform(&self, effect: Effect) -> Action {
        perform(effect, &self.context).await
    }

    /// Applies `action` and spawns its effects; each answer comes back on `answers` (the TUI).
    pub fn spawn(&self, app: &mut App, action: Action, answers: &mpsc::UnboundedSender<Action>) {
        for effect in app.update(action) {
            let (tx, ctx) = (answers.clone(), self.context.clone());
            tokio::spawn(async move {
                let _ = tx.send(perform(effect, &ctx).await);
            });
        }
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
        self.engine.status()
    }
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
        Effect::Quit => EffectResult::Nothing,
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
