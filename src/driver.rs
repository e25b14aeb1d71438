//! The one driver of the App core: it performs the [`Effect`]s `App::update` returns — against
//! the device's engine, the profile and the demo server's control API — and answers each with
//! the [`Action`] that reports it; it feeds the engine's events and status back as actions.
//!
//! The TUI loop spawns the effects that wait on the world ([`Driver::spawn`]); the scenario
//! runner and the tests await them inline ([`Driver::act`]).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tokio::sync::mpsc;

use crate::app::{Action, App, Effect, EffectResult, GateView, Start};
use crate::clock::Clock;
use crate::control::Control;
use crate::engine::{Command, EngineEvent, EngineHandle, SyncStatus};
use crate::rules::Trigger;

use crate::device::Device;

mod reads;
mod world;

use reads::{related_records, reload_view};
pub use world::{ControlDone, control_call, export_journal, perform};

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
            Effect::Create { entity, id, values } => {
                let outcome = match id {
                    Some(id) => device.create_with_id(&entity, &id, &values),
                    None => device.create(&entity, &values),
                }
                .map_err(|e| e.to_string());
                EffectResult::Created {
                    entity,
                    values,
                    outcome,
                }
            }
            Effect::Delete { entity, id } => {
                let outcome = device.delete(&entity, &id).map_err(|e| e.to_string());
                EffectResult::Deleted {
                    entity,
                    id,
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
            Effect::AdvanceClock { by } => {
                self.context.clock.advance(by);
                self.device.engine().send(Command::Tick);
                EffectResult::ClockAdvanced { by }
            }
            Effect::Quit => EffectResult::Nothing,
            waits => unreachable!("{waits:?} waits on the world: `perform` runs it"),
        };
        Action::EffectDone(result)
    }
}

/// Waits (up to `limit`) until the engine has processed every command sent before.
pub async fn barrier(engine: &EngineHandle, n: u64, limit: Duration) {
    engine.send(Command::Barrier(n));
    let _ = tokio::time::timeout(limit, engine.wait_for(|s| s.barrier >= n)).await;
}
