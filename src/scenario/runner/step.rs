//! The runner's step dispatch: each scenario step as the App's actions, the world's controls
//! or a wait, and what the step left for its expectations.

use super::*;
use crate::app::ControlCall;
use crate::timeline::SCENARIO_SERVER_ACTOR;
use crate::wire::FaultRule;

impl Runner<'_> {
    /// A `configure` step's project: the published one with the step's changes, as the next
    /// version (the Woodford screen's draft, [`crate::woodford::next_project`]).
    async fn configure(
        &mut self,
        configuration: &toml::Table,
        on_conflict: &BTreeMap<String, crate::settings::ConflictStrategy>,
    ) -> Result<Project, String> {
        use crate::woodford::{Draft, next_project, with_overrides};
        let current = self.control.project().await.map_err(|e| e.to_string())?;
        let mut draft = Draft::of(&current);
        draft.configuration =
            with_overrides(&draft.configuration, configuration).map_err(|e| e.to_string())?;
        draft.on_conflict.extend(on_conflict.clone());
        next_project(&current, &draft).map_err(|e| e.to_string())
    }

    /// A server step, carried out as the Server panel's control ([`crate::driver::control_call`])
    /// and journaled in its words, by the scenario's server.
    async fn control_step(&mut self, call: ControlCall) -> Result<(), String> {
        let done = crate::driver::control_call(&self.control, &call).await?;
        if let Some(published) = &done.published {
            self.say(
                "server",
                format!("published project version {}", published.version),
            );
        }
        let entry = call.journal_entry(self.clock.now(), SCENARIO_SERVER_ACTOR, done.text);
        Store::open(&self.profile)
            .and_then(|mut s| s.append_journal(&[entry]))
            .map_err(|e| format!("cannot journal the server step: {e}"))
    }

    pub(super) async fn step(&mut self, step: &Step) -> Result<StepObservation, String> {
        let before = self.journal_seq;
        self.say(actor_of(&step.action), describe(&step.action));
        self.can_run(&step.action)?;
        match &step.action {
            StepAction::Open { entity, id } => {
                self.apply(Action::OpenRecord {
                    entity: entity.clone(),
                    id: id.clone(),
                })
                .await
            }
            StepAction::Edit { field, value } => {
                if let Some((entity, id)) = self.app().open_record() {
                    self.touched.push(format!("{entity}/{id}/{field}"));
                }
                self.apply(Action::EditField {
                    field: field.clone(),
                    value: value.clone(),
                })
                .await
            }
            StepAction::Save => self.apply(Action::Save).await,
            StepAction::Create { entity, id, fields } => {
                self.touched
                    .extend(fields.keys().map(|f| format!("{entity}/{id}/{f}")));
                self.apply(Action::CreateRecord {
                    entity: entity.clone(),
                    id: id.clone(),
                    fields: fields.clone(),
                })
                .await
            }
            StepAction::Delete {
                entity: Some(entity),
                id: Some(id),
            } => {
                self.apply(Action::Delete {
                    entity: entity.clone(),
                    id: id.clone(),
                })
                .await
            }
            StepAction::Delete { .. } => {
                if self.app().open_record().is_none() {
                    return Err("`delete` without `entity` and `id` needs an open record".into());
                }
                self.apply(Action::DeleteRecord).await;
                self.apply(Action::ConfirmDelete).await
            }
            StepAction::Cancel => self.apply(Action::CancelForm).await,
            StepAction::Close => self.apply(Action::Back).await,
            StepAction::Discard => self.apply(Action::ConfirmDiscard).await,
            StepAction::KeepEditing => self.apply(Action::KeepEditing).await,
            StepAction::CancelSync => self.apply(Action::CancelSync).await,
            StepAction::Sync => self.apply(Action::PressSync).await,
            StepAction::DownArrow => self.apply(Action::PressDownArrow).await,
            StepAction::Setting {
                auto_sync,
                background_sync,
                save_password,
            } => {
                let changes = [
                    auto_sync.map(SettingChange::AutoSync),
                    background_sync.map(SettingChange::BackgroundSync),
                    save_password.map(SettingChange::SavePassword),
                ];
                for change in changes.into_iter().flatten() {
                    self.apply(Action::ChangeSetting(change)).await;
                }
            }
            StepAction::Password { value } => {
                self.apply(Action::EnterPassword(value.clone())).await
            }
            StepAction::SwitchMode => self.apply(Action::SwitchMode).await,
            StepAction::Answer { choice } => self.apply(Action::AnswerDialog(*choice)).await,
            StepAction::EnterUiTransaction => self.apply(Action::EnterUiTransaction).await,
            StepAction::LeaveUiTransaction => self.apply(Action::LeaveUiTransaction).await,
            StepAction::CustomCommand => {
                self.apply(Action::RunCustomCommand).await;
            }
            StepAction::Resolve {
                entity,
                id,
                choice,
                merge,
            } => {
                let conflict = self
                    .driver()
                    .device()
                    .store()
                    .unresolved_conflicts()
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .find(|c| &c.entity == entity && &c.record_id == id)
                    .ok_or_else(|| format!("no unresolved sync error for {entity} {id}"))?;
                let resolution = match choice {
                    ResolveChoice::RetryWithMine => UserResolution::RetryWithMine,
                    ResolveChoice::TakeServer => UserResolution::TakeServer,
                    ResolveChoice::Ignore => UserResolution::Ignore,
                    ResolveChoice::Merge => UserResolution::Merge(merge.clone()),
                };
                self.apply(Action::Resolve {
                    conflict_id: conflict.id,
                    resolution,
                })
                .await
            }
            StepAction::Restart => {
                self.settle().await;
                let network = self.app().network();
                self.app = None;
                if let Some(driver) = self.driver.take() {
                    driver.shutdown();
                }
                // The network is the world's, not the app's: a restart does not reconnect it.
                self.start_app(network).await?;
            }
            StepAction::Background => self.apply(Action::SendToBackground).await,
            StepAction::Resume => self.apply(Action::Resume).await,
            StepAction::Network { connected } => {
                let now = self.app().network() == Network::Connected;
                if now != *connected {
                    self.apply(Action::ToggleNetwork).await;
                }
            }
            StepAction::Publish { asset } => {
                self.control_step(ControlCall::PublishAsset(asset.clone()))
                    .await?
            }
            StepAction::Configure {
                configuration,
                on_conflict,
            } => {
                let next = self.configure(configuration, on_conflict).await?;
                self.control_step(ControlCall::Publish(Box::new(next)))
                    .await?
            }
            StepAction::ServerEdit {
                entity,
                id,
                fields,
                as_user,
            } => {
                for field in fields.keys() {
                    self.touched.push(format!("{entity}/{id}/{field}"));
                }
                self.control_step(ControlCall::Edit {
                    entity: entity.clone(),
                    id: id.clone(),
                    fields: fields.clone(),
                    as_user: as_user.clone(),
                })
                .await?
            }
            StepAction::ServerDelete { entity, id } => {
                self.control_step(ControlCall::Delete {
                    entity: entity.clone(),
                    id: id.clone(),
                })
                .await?
            }
            StepAction::Delay { entity, ms } => {
                self.control_step(ControlCall::SetDelay {
                    entity: entity.clone(),
                    ms: *ms,
                })
                .await?
            }
            StepAction::Fault {
                method,
                path,
                count,
                fault,
            } => {
                self.control_step(ControlCall::Fault(FaultRule {
                    method: method.clone(),
                    path_prefix: path.clone(),
                    count: *count,
                    after: 0,
                    fault: fault.clone(),
                }))
                .await?
            }
            StepAction::Clock(advance) => {
                self.apply(Action::AdvanceClock {
                    by: advance.duration(),
                })
                .await
            }
            StepAction::Wait { until } => self.wait(until).await?,
            StepAction::Check => {}
        }
        self.settle().await;
        let journal = Store::open(&self.profile)
            .and_then(|s| s.journal(before, 100_000))
            .map_err(|e| e.to_string())?;
        Ok(StepObservation {
            journal,
            syncs_since_start: self.syncs_since_start,
            profile: self.profile.clone(),
        })
    }

    async fn wait(&mut self, until: &WaitFor) -> Result<(), String> {
        let engine = self.engine();
        let target = until.clone();
        let mut rx = engine.watch_status();
        let reached = tokio::time::timeout(WAIT_LIMIT, async {
            loop {
                let status = rx.borrow_and_update().clone();
                let done = match &target {
                    // A sync deferred until the last form closes leaves the engine idle.
                    WaitFor::Idle => status.activity == SyncActivity::Idle && !status.follow_up_queued,
                    WaitFor::UiTransactions => matches!(status.activity, SyncActivity::WaitingForUiTransactions { .. }),
                    WaitFor::Upload => {
                        matches!(status.activity, SyncActivity::Running { phase: Phase::Upload, .. }) && status.phase(Phase::Upload).is_some_and(|p| p.total.is_some())
                    }
                    other => matches!(status.activity, SyncActivity::Running { phase, .. } if Some(phase) == phase_of(other)),
                };
                if done {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
        // Idle also means the App has seen the end: hand it the events.
        self.pump().await;
        reached.map_err(|_| {
            format!(
                "waited {} s for {until:?} in real time; the engine is {:?}",
                WAIT_LIMIT.as_secs(),
                self.engine().status().activity
            )
        })
    }
}
