//! Synchronization as the user drives and sees it: the Sync and down-arrow buttons, the sync
//! screen (password, foreground progress), online/offline switching with its dialogs, and the
//! engine's status and events coming in.

use super::App;
use super::effect::{By, Effect, EffectResult};
use super::state::*;
use crate::device::{AppMode, OnlineSave, SwitchRequest};
use crate::engine::{Command, EngineEvent, SyncStatus};
use crate::rules::{
    self, KeepPassword, LoginReason, SignIn, SwitchChoice, SwitchOutcome, SyncMode, Trigger,
};
use crate::settings::SettingChange;

impl App {
    /// How the sync the user asks for now would sign in: the sign-in rule, on what the App knows
    /// of the saved password and of one typed this session.
    fn sign_in(&self) -> SignIn {
        let effective = self.effective.as_ref();
        let require_sync_login = effective.is_some_and(|e| e.require_sync_login);
        let credentials = rules::credentials(
            effective.is_some_and(|e| e.save_password),
            self.password_saved,
        );
        rules::sign_in(
            require_sync_login,
            credentials,
            rules::typed_password(self.typed_password, require_sync_login),
            self.password_rejected,
        )
    }

    /// Asks the engine for the sync; one that signs in with the typed password takes it, and a
    /// password typed for one sync only is gone after it.
    fn start_sync(&mut self, trigger: Trigger, sign_in: SignIn) {
        if sign_in == SignIn::TypedPassword {
            self.typed_password = self.typed_password.and_then(KeepPassword::after_sign_in);
        }
        self.emit(Effect::Engine(Command::Trigger(trigger)));
    }

    pub(super) fn press_sync(&mut self, trigger: Trigger) {
        if let Some(mode) = self.status.activity.mode() {
            let activity = self.status.activity;
            self.warn(format!("A {mode} sync is already running ({activity})"));
            return;
        }
        let sign_in = self.sign_in();
        if let SignIn::Ask { reason } = sign_in {
            let (url, user) = self
                .settings
                .as_ref()
                .map(|s| (s.server_url.as_str(), s.user_name.as_str()))
                .unwrap_or_default();
            self.overlays.open_sync(SyncScreen::Login {
                trigger,
                fields: Box::new(LoginFields::new(url, user)),
                reason,
            });
            self.info(match reason {
                LoginReason::SyncLoginRequired => {
                    "Sync login is required (Require Sync Login): enter the password for this sync"
                }
                LoginReason::PasswordNotSaved => {
                    "The password is not saved: enter it to synchronize"
                }
                LoginReason::PasswordRejected => {
                    "The server rejected the password: enter it to synchronize"
                }
            });
            return;
        }
        self.start_sync(trigger, sign_in);
        self.info(match trigger {
            Trigger::ProjectUpdate => "Applying the project update (foreground sync)…",
            _ => "Synchronizing…",
        });
    }

    pub(super) fn press_down_arrow(&mut self) {
        if self.status.update_available.is_none() {
            self.warn("No project update is waiting (the down arrow shows when a background sync finds one)");
            return;
        }
        self.press_sync(Trigger::ProjectUpdate);
    }

    pub(super) fn cancel_sync(&mut self) {
        if let Some(SyncScreen::Login { .. }) = self.overlays.sync_screen() {
            self.overlays.close_sync();
            self.info("Sync cancelled");
            return;
        }
        if self.status.activity.is_running() {
            self.emit(Effect::Engine(Command::Cancel));
            self.info("Cancelling the sync at the next safe point…");
        } else {
            self.info("No sync is running");
        }
    }

    /// Enter on the sync screen: a changed URL or user name is checked and saved to the profile
    /// (the next sync signs in with it), then the password goes the way the password rules say.
    /// A URL that does not parse, or no user name, saves nothing and keeps the screen.
    pub(super) fn sign_in_from_screen(&mut self) {
        let Some(SyncScreen::Login { fields, .. }) = self.overlays.sync_screen() else {
            return;
        };
        let url = fields.url.value().trim().to_string();
        let user = fields.user.value().trim().to_string();
        let password = fields.password.value().to_string();
        if let Err(e) = rules::check_server_url(&url).and(rules::check_user_name(&user)) {
            self.error(e.to_string());
            return;
        }
        if password.is_empty() {
            self.warn("Enter the password");
            return;
        }
        let (old_url, old_user) = self
            .settings
            .as_ref()
            .map(|s| (s.server_url.clone(), s.user_name.clone()))
            .unwrap_or_default();
        if url != old_url {
            self.change_setting(SettingChange::ServerUrl(url));
        }
        if user != old_user {
            self.change_setting(SettingChange::UserName(user));
        }
        self.enter_password(&password);
    }

    pub(super) fn enter_password(&mut self, password: &str) {
        if password.is_empty() {
            self.warn("Enter the password");
            return;
        }
        self.emit(Effect::EnterPassword(password.to_string()));
    }

    /// The device kept the password (or refused to): the sync waiting for it starts.
    fn password_entered(&mut self, outcome: Result<(), String>) {
        if let Err(e) = outcome {
            self.error(e);
            return;
        }
        let effective = self.effective.as_ref();
        self.typed_password = Some(rules::keep_typed_password(
            effective.is_some_and(|e| e.save_password),
            effective.is_some_and(|e| e.require_sync_login),
        ));
        self.password_rejected = false;
        self.refresh_settings();
        self.refresh_checklist();
        let trigger = match self.overlays.sync_screen() {
            Some(SyncScreen::Login { trigger, .. }) => Some(*trigger),
            _ => None,
        };
        if trigger.is_some() {
            self.overlays.close_sync();
        }
        match trigger {
            Some(trigger) => {
                self.start_sync(trigger, SignIn::TypedPassword);
                self.info("Synchronizing…");
            }
            None => self.success("Password entered"),
        }
    }

    // --- online / offline -------------------------------------------------------------------

    pub(super) fn switch_mode(&mut self) {
        if self.switch_pending {
            self.warn("A mode switch is waiting for its sync");
            return;
        }
        self.emit(Effect::RequestModeSwitch);
    }

    pub(super) fn answer_dialog(&mut self, choice: SwitchChoice) {
        let Some(Dialog::ModeSwitch { .. }) = self.overlays.dialog() else {
            self.warn("No dialog is waiting for an answer");
            return;
        };
        self.emit(Effect::AnswerModeSwitch(choice));
    }

    fn switch_answered(&mut self, answer: Result<SwitchRequest, String>) {
        match answer {
            Err(refusal) => {
                if let Some(Dialog::ModeSwitch { refusal: r, .. }) = self.overlays.dialog_mut() {
                    *r = Some(refusal.clone());
                }
                self.warn(refusal);
            }
            Ok(request) => {
                self.overlays.close_dialog();
                self.after_switch_request(Ok(request));
            }
        }
        self.refresh_journal();
    }

    fn after_switch_request(&mut self, request: Result<SwitchRequest, String>) {
        match request {
            Ok(SwitchRequest::Switched(mode)) => {
                self.mode = mode;
                self.success(format!("Now in {} mode", mode_name(mode)));
            }
            Ok(SwitchRequest::Ask { direction, choices }) => {
                self.overlays.open_dialog(Dialog::ModeSwitch {
                    direction,
                    choices,
                    selected: 0,
                    refusal: None,
                });
            }
            Ok(SwitchRequest::Syncing(direction)) => {
                self.switch_pending = true;
                self.info(format!(
                    "Synchronizing before {direction}; the mode changes if the sync succeeds"
                ));
            }
            Ok(SwitchRequest::Stayed) => {
                self.info(format!("Stayed in {} mode", mode_name(self.mode)))
            }
            Err(e) => self.error(e),
        }
    }

    // --- from the engine --------------------------------------------------------------------

    pub(super) fn on_status(&mut self, status: SyncStatus) {
        let before = std::mem::replace(&mut self.status, status);
        let foreground = self.foreground_sync_running();
        match (self.overlays.sync_screen(), foreground) {
            (None | Some(SyncScreen::Login { .. }), true) => {
                self.overlays.open_sync(SyncScreen::Running)
            }
            (Some(SyncScreen::Running), false) => {
                self.overlays.close_sync();
                if self.status.activity.mode() == Some(SyncMode::Background) {
                    self.info("The project update is applied: the sync continues in the background, and you can work");
                }
            }
            _ => {}
        }
        let s = &self.status;
        let conflicts_changed = before.unresolved_conflicts != s.unresolved_conflicts;
        let rule_state_changed = before.last != s.last
            || conflicts_changed
            || before.update_available != s.update_available;
        let pending_changed = before.pending_uploads != s.pending_uploads;
        // A sync applied a new project while it runs: forms opened from now on, Home's entities
        // and Setup's locks are the new project's.
        if before.project_version != s.project_version {
            self.refresh_settings();
            self.refresh_counts();
            self.refresh_checklist();
        }
        if conflicts_changed {
            self.refresh_conflicts();
        }
        if rule_state_changed {
            self.refresh_checklist();
        }
        if pending_changed {
            self.refresh_counts();
        }
    }

    pub(super) fn on_engine(&mut self, event: EngineEvent) {
        match event {
            EngineEvent::Journal(_) => self.refresh_journal(),
            EngineEvent::Finished(last) => {
                // A rejected password (saved or typed) is asked for again at the next Sync,
                // instead of being sent again and again.
                if last.cause == Some(crate::store::FailureCause::PasswordRejected) {
                    self.password_rejected = true;
                }
                if last.trigger == Trigger::ModeSwitch {
                    self.switch_pending = false;
                    self.emit(Effect::FinishModeSwitch {
                        succeeded: last.flags.succeeded(),
                    });
                } else if let Some(error) = &last.error {
                    self.error(format!("Sync ({}) failed: {error}", last.trigger));
                } else if !last.trigger.is_automatic() {
                    let errors = if last.flags.data_errors {
                        " with data errors (see Sync Errors and the log)"
                    } else {
                        ""
                    };
                    self.success(format!("Sync ({}) finished{errors}", last.trigger));
                }
                self.refresh_all();
                self.refresh_screens();
            }
        }
    }

    pub(super) fn on_tick(&mut self) {
        self.refresh_checklist();
        if self.status.activity.is_running() {
            self.refresh_counts();
        }
    }

    fn mode_switch_finished(&mut self, outcome: Option<SwitchOutcome>, mode: AppMode) {
        match outcome {
            Some(SwitchOutcome::Switch) => {
                self.mode = mode;
                self.success(format!(
                    "Synchronized; now in {} mode",
                    mode_name(self.mode)
                ));
            }
            Some(SwitchOutcome::Stay { reason }) => self.warn(reason),
            None => {}
        }
    }

    pub(super) fn on_effect_done(&mut self, result: EffectResult) -> Vec<Effect> {
        match result {
            EffectResult::Reloaded(view) => return self.reloaded(*view),
            EffectResult::RecordLoaded { entity, id, record } => {
                self.record_loaded(&entity, &id, record)
            }
            EffectResult::RelatedLoaded {
                entity,
                id,
                targets,
            } => self.related_loaded(entity, id, targets),
            EffectResult::Saved {
                entity,
                id,
                values,
                by,
                outcome,
            } => return self.saved(&entity, &id, &values, by, outcome),
            EffectResult::Created {
                entity,
                values,
                outcome,
            } => self.created(&entity, &values, outcome),
            EffectResult::Deleted {
                entity,
                id,
                outcome,
            } => self.deleted(&entity, &id, outcome),
            EffectResult::SettingChanged { change, outcome } => {
                self.setting_changed(change, outcome)
            }
            EffectResult::PasswordEntered(outcome) => self.password_entered(outcome),
            EffectResult::Gate(gate) => self.gate_view = gate,
            EffectResult::UiTransactionEntered { by, result, gate } => {
                self.gate_view = gate;
                match by {
                    By::Hand => self.entered_by_hand(result),
                    By::Custom => return self.custom_entered(result),
                }
            }
            EffectResult::UiTransactionLeft { by, outcome, gate } => {
                self.gate_view = gate;
                match by {
                    By::Hand => self.left_by_hand(outcome),
                    By::Custom => self.custom_left(outcome),
                }
            }
            EffectResult::ModeSwitchRequested(request) => {
                self.after_switch_request(request);
                self.refresh_journal();
            }
            EffectResult::ModeSwitchAnswered(answer) => self.switch_answered(answer),
            EffectResult::ModeSwitchFinished { outcome, mode } => {
                self.mode_switch_finished(outcome, mode)
            }
            EffectResult::Resolved {
                resolution,
                outcome,
            } => self.resolved(&resolution, outcome),
            EffectResult::ClockAdvanced { by } => self.clock_advanced(by),
            EffectResult::Exported { path, outcome } => self.exported(&path, outcome),
            EffectResult::TimelineExported { path, outcome } => {
                self.timeline_exported(&path, outcome)
            }
            EffectResult::Control { call, outcome } => self.control_done(&call, outcome),
            EffectResult::ProjectRead(result) => self.project_read(result.map(|p| *p)),
            EffectResult::OnlineSaved {
                entity,
                id,
                outcome,
            } => self.online_saved(&entity, &id, outcome),
            EffectResult::CustomStepDue { run } => return self.custom_step(run),
            EffectResult::Nothing => {}
        }
        Vec::new()
    }

    fn online_saved(&mut self, entity: &str, id: &str, outcome: OnlineSave) {
        let notice = match &outcome {
            OnlineSave::Saved(record) => {
                let rating = record
                    .fields
                    .get("rating")
                    .map(|r| format!(" (rating now {r})"))
                    .unwrap_or_default();
                Notice {
                    level: Level::Success,
                    text: format!("Saved on the server; its business logic ran at once{rating}"),
                }
            }
            OnlineSave::Conflict { current } => {
                let who = current
                    .as_ref()
                    .map(|c| format!(" by {}", c.modified_by))
                    .unwrap_or_default();
                Notice {
                    level: Level::Error,
                    text: format!(
                        "Not saved: the record was changed on the server{who} since this form read it (412); your edits are kept"
                    ),
                }
            }
            OnlineSave::Failed(e) => Notice {
                level: Level::Error,
                text: format!("Online save failed: {e}; your edits are kept"),
            },
        };
        for screen in &mut self.stack {
            if let Screen::Form(form) = screen
                && form.entity == entity
                && form.id == id
            {
                form.saving_online = false;
                if let OnlineSave::Saved(record) = &outcome {
                    for field in &mut form.fields {
                        if let Some(v) = record.fields.get(&field.name) {
                            field.stored = v.clone();
                            field.value = v.clone();
                        }
                    }
                }
                form.notice = Some(notice.clone());
            }
        }
        self.say(notice.level, notice.text);
        self.after_local_change();
    }
}

pub(super) fn mode_name(mode: AppMode) -> &'static str {
    match mode {
        AppMode::Offline => "offline",
        AppMode::Online => "online",
    }
}
