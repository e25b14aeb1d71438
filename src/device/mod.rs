//! The device as the user drives it: saves through the save gate, forms and UI transactions,
//! settings through the lock rule — all decided by the rules core, all journaled — on top of
//! the local store, with the sync engine running beside it.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::engine::{self, Command, EngineConfig, EngineHandle, UiGate};
use crate::rules::{
    self, SaveDecision, SaveRefusal, Trigger, UiTransactionRefused, UiTransactions, UploadsWith,
};
use crate::settings::{
    EffectiveSettings, ProjectConfig, SettingChange, SettingError, UserSettings,
};
use crate::store::{
    JournalData, JournalEntry, JournalKind, ModeSwitchStep, RecordChange, SaveReport,
    SettingOutcome, Store, StoreError, UiTransactionCall, UserResolution,
};
use crate::wire::Fields;

mod changes;
mod online;
mod profile;

pub use online::{OnlineSave, save_online_in};
pub use profile::{profile_path, remove_profile};

/// A save that took longer than this to get the write lock is reported as having waited.
const NOTICEABLE_WAIT: Duration = Duration::from_millis(5);

/// What happened to a save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    /// The rules refused it; the form keeps the edits.
    Refused(SaveRefusal),
    /// Saved. `decision` says under which rule, `report.waited` how long it waited for the sync,
    /// `uploads` which sync carries it.
    Saved {
        decision: SaveDecision,
        report: SaveReport,
        uploads: UploadsWith,
    },
    /// Nothing differed from the stored record.
    Unchanged,
}

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Setting(#[from] SettingError),
}

/// "Online mode reads and writes directly on the server (server logic runs at once); offline
/// mode works on the local database and changes wait for synchronization."
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum AppMode {
    Offline,
    Online,
}

/// Where a request to switch between online and offline mode stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwitchRequest {
    /// Switched; the app is now in this mode.
    Switched(AppMode),
    /// The dialog asks the user (AskUserToSync, WarnUserMustSync).
    Ask {
        direction: rules::ModeSwitch,
        choices: Vec<rules::SwitchChoice>,
    },
    /// A sync runs first; the switch follows if it succeeds.
    Syncing(rules::ModeSwitch),
    /// The user cancelled; nothing changed.
    Stayed,
}

/// One device: its store connection for the UI, its engine, its forms.
pub struct Device {
    store: Store,
    engine: EngineHandle,
    clock: Clock,
    ui_transactions: UiTransactions,
    open_forms: usize,
    /// A mode switch waiting for the dialog's answer or for its sync.
    pending_switch: Option<(rules::ModeSwitch, crate::settings::SyncBeforeSwitch)>,
}

/// Creates the profile's settings on first use: the server, the user and (when given) the
/// saved password, with the project's published defaults for everything else.
pub fn init_profile(
    store: &mut Store,
    server_url: &str,
    user: &str,
    password: Option<&str>,
) -> Result<(), StoreError> {
    if store.settings()?.is_none() {
        let config = store
            .project()?
            .map(|p| p.configuration)
            .unwrap_or_default();
        store.set_settings(&UserSettings::from_project(&config, server_url, user))?;
        store.set_password(password)?;
    }
    Ok(())
}

impl Device {
    /// Opens the profile at `path` and starts its engine on the current tokio runtime.
    pub fn start(
        path: &Path,
        clock: Clock,
        tune: impl FnOnce(&mut EngineConfig),
    ) -> Result<Device, StoreError> {
        let store = Store::open(path)?;
        let mut config = EngineConfig::new(path, clock.clone());
        tune(&mut config);
        let (engine, _task) = engine::start(config)?;
        Ok(Device {
            store,
            engine,
            clock,
            ui_transactions: UiTransactions::default(),
            open_forms: 0,
            pending_switch: None,
        })
    }

    pub fn engine(&self) -> &EngineHandle {
        &self.engine
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn config(&self) -> Result<ProjectConfig, StoreError> {
        Ok(self
            .store
            .project()?
            .map(|p| p.configuration)
            .unwrap_or_default())
    }

    pub fn settings(&self) -> Result<UserSettings, StoreError> {
        self.store
            .settings()?
            .ok_or_else(|| StoreError::Invalid("this profile has no settings".into()))
    }

    pub fn effective(&self) -> Result<EffectiveSettings, StoreError> {
        Ok(EffectiveSettings::resolve(
            &self.settings()?,
            &self.config()?,
        ))
    }

    fn journal(&mut self, entry: JournalEntry) {
        let _ = self.store.append_journal(std::slice::from_ref(&entry));
    }

    fn actor(&self) -> String {
        self.settings()
            .map(|s| s.user_name)
            .unwrap_or_else(|_| "user".into())
    }

    /// A Setup-screen change; a locked setting is refused and nothing changes.
    pub fn change_setting(&mut self, change: SettingChange) -> Result<(), DeviceError> {
        let label = format!("{change:?}");
        // Decided on the settings read, written only over those: the engine may replace them
        // meanwhile (a first project's defaults), and then the change is decided again.
        for _ in 0..3 {
            let settings = self.settings()?;
            match rules::setting_write(&settings, &self.config()?, change.clone()) {
                Ok(write) => {
                    if !self.store.write_settings_over(&settings, &write)? {
                        continue;
                    }
                    self.journal_setting(
                        SettingOutcome::Changed,
                        format!("setting changed: {label}"),
                    );
                    return Ok(());
                }
                Err(e) => {
                    self.journal_setting(SettingOutcome::Refused, format!("setting refused: {e}"));
                    return Err(e.into());
                }
            }
        }
        Err(DeviceError::Store(StoreError::Invalid(
            "the settings kept changing while this change was written; try again".into(),
        )))
    }

    fn journal_setting(&mut self, outcome: SettingOutcome, detail: String) {
        let entry = JournalEntry::event(self.now(), JournalKind::App, &self.actor(), detail)
            .with_data(JournalData::Setting(outcome));
        self.journal(entry);
    }

    /// Saves the password on the device (Save password on) or keeps it for this session only.
    pub fn enter_password(&mut self, password: &str) -> Result<(), StoreError> {
        let effective = self.effective()?;
        match rules::keep_typed_password(effective.save_password, effective.require_sync_login) {
            rules::KeepPassword::OnDevice => self.store.set_password(Some(password))?,
            rules::KeepPassword::ThisSession | rules::KeepPassword::ThisSync => self
                .engine
                .send(Command::SessionPassword(Some(password.to_string()))),
        }
        Ok(())
    }

    fn push_gate(&self) {
        self.engine.set_ui_gate(UiGate {
            open_forms: self.open_forms,
            clearances: self.ui_transactions.held(),
        });
    }

    pub fn open_form(&mut self) {
        self.open_forms += 1;
        self.push_gate();
    }

    /// Closing a form releases its UI transactions; with the last form closed, a deferred sync
    /// may start.
    pub fn close_form(&mut self) {
        self.open_forms = self.open_forms.saturating_sub(1);
        if self.open_forms == 0 {
            while let rules::LeaveOutcome::Released { .. } = self.ui_transactions.leave() {}
        }
        self.push_gate();
    }

    pub fn open_forms(&self) -> usize {
        self.open_forms
    }

    /// `EntityForm.tryEnterUiTransaction()`: decided on the sync's activity and the clearance
    /// taken in one step, so no sync enters an entity phase in between.
    pub fn try_enter_ui_transaction(&mut self) -> Result<u32, UiTransactionRefused> {
        let behavior = self
            .effective()
            .map(|e| e.background_sync_behavior)
            .unwrap_or_default();
        let (mut held, open_forms) = (self.ui_transactions, self.open_forms);
        let result = self.engine.update_ui_gate(|activity| {
            let result = held.try_enter(behavior, activity);
            let gate = UiGate {
                open_forms,
                clearances: held.held(),
            };
            (gate, result)
        });
        self.ui_transactions = held;
        let (detail, call) = match &result {
            Ok(depth) => (
                format!("tryEnterUiTransaction → true (held: {depth})"),
                UiTransactionCall::Entered { held: *depth },
            ),
            Err(refused) => (refused.to_string(), UiTransactionCall::Refused),
        };
        self.journal_ui_transaction(detail, call);
        result
    }

    fn journal_ui_transaction(&mut self, detail: String, call: UiTransactionCall) {
        let entry = JournalEntry::event(
            self.now(),
            JournalKind::UiTransaction,
            &self.actor(),
            detail,
        )
        .with_data(JournalData::UiTransaction(call));
        self.journal(entry);
    }

    /// `EntityForm.leaveUiTransaction()`.
    pub fn leave_ui_transaction(&mut self) -> rules::LeaveOutcome {
        let outcome = self.ui_transactions.leave();
        let (detail, call) = match outcome {
            rules::LeaveOutcome::Released { still_held } => (
                format!("leaveUiTransaction (still held: {still_held})"),
                UiTransactionCall::Left { still_held },
            ),
            rules::LeaveOutcome::NoneHeld => (
                "leaveUiTransaction with none held (harmless)".to_string(),
                UiTransactionCall::LeftNoneHeld,
            ),
        };
        self.journal_ui_transaction(detail, call);
        self.push_gate();
        outcome
    }

    pub fn mode(&self) -> AppMode {
        self.store
            .meta::<AppMode>("mode")
            .ok()
            .flatten()
            .unwrap_or(AppMode::Offline)
    }

    /// The switch to the other mode and what the Sync-before setting makes of it.
    pub fn plan_mode_switch(&self) -> Result<(rules::ModeSwitch, rules::SwitchPlan), StoreError> {
        let effective = self.effective()?;
        Ok(match self.mode() {
            AppMode::Offline => (
                rules::ModeSwitch::GoOnline,
                rules::plan_switch(effective.sync_before_online),
            ),
            AppMode::Online => (
                rules::ModeSwitch::GoOffline,
                rules::plan_switch(effective.sync_before_offline),
            ),
        })
    }

    /// The user asks to go online (or offline): "Sync before going Online / Sync before going
    /// Offline" decides through the rules core.
    pub fn request_mode_switch(&mut self) -> Result<SwitchRequest, StoreError> {
        let effective = self.effective()?;
        let (direction, plan) = self.plan_mode_switch()?;
        let setting = match direction {
            rules::ModeSwitch::GoOnline => effective.sync_before_online,
            rules::ModeSwitch::GoOffline => effective.sync_before_offline,
        };
        let entry = JournalEntry::event(
            self.now(),
            JournalKind::App,
            &self.actor(),
            format!("{direction} requested (Sync before: {setting})"),
        )
        .with_data(JournalData::ModeSwitch(ModeSwitchStep::Requested {
            direction,
            setting,
        }));
        self.journal(entry);
        Ok(match plan {
            rules::SwitchPlan::SwitchNow => SwitchRequest::Switched(self.switch_mode()?),
            rules::SwitchPlan::Ask { choices } => {
                self.pending_switch = Some((direction, setting));
                SwitchRequest::Ask { direction, choices }
            }
            rules::SwitchPlan::SyncThenSwitch => {
                self.pending_switch = Some((direction, setting));
                self.engine.send(Command::Trigger(Trigger::ModeSwitch));
                SwitchRequest::Syncing(direction)
            }
        })
    }

    /// The user's answer to the Sync-before dialog. A button the dialog does not offer is
    /// refused with the reason, and the dialog stays.
    pub fn answer_mode_switch(
        &mut self,
        choice: rules::SwitchChoice,
    ) -> Result<SwitchRequest, String> {
        let Some((direction, setting)) = self.pending_switch else {
            return Err("no mode switch is waiting for an answer".into());
        };
        match rules::choose(setting, choice)? {
            rules::SwitchStep::Switch => {
                self.pending_switch = None;
                self.switch_mode()
                    .map(SwitchRequest::Switched)
                    .map_err(|e| e.to_string())
            }
            rules::SwitchStep::SyncThenSwitch => {
                self.engine.send(Command::Trigger(Trigger::ModeSwitch));
                Ok(SwitchRequest::Syncing(direction))
            }
            rules::SwitchStep::Stay => {
                self.pending_switch = None;
                Ok(SwitchRequest::Stayed)
            }
        }
    }

    /// The sync before a switch ended: switch if it succeeded, otherwise stay and say why.
    pub fn mode_switch_sync_finished(
        &mut self,
        sync_succeeded: bool,
    ) -> Option<rules::SwitchOutcome> {
        let (direction, setting) = self.pending_switch.take()?;
        let outcome = rules::after_sync(setting, direction, sync_succeeded);
        match &outcome {
            rules::SwitchOutcome::Switch => {
                let _ = self.switch_mode();
            }
            rules::SwitchOutcome::Stay { reason } => {
                let entry = JournalEntry::event(
                    self.now(),
                    JournalKind::App,
                    &self.actor(),
                    reason.clone(),
                )
                .with_data(JournalData::ModeSwitch(ModeSwitchStep::Stayed {
                    direction,
                }));
                self.journal(entry);
            }
        }
        Some(outcome)
    }

    /// Switches to the other mode now (the caller has applied the Sync-before rule).
    pub fn switch_mode(&mut self) -> Result<AppMode, StoreError> {
        let (next, direction) = match self.mode() {
            AppMode::Offline => (AppMode::Online, rules::ModeSwitch::GoOnline),
            AppMode::Online => (AppMode::Offline, rules::ModeSwitch::GoOffline),
        };
        self.store.set_meta("mode", &next)?;
        let entry = JournalEntry::event(
            self.now(),
            JournalKind::App,
            &self.actor(),
            format!("switched to {next:?} mode"),
        )
        .with_data(JournalData::ModeSwitch(ModeSwitchStep::Switched {
            direction,
        }));
        self.journal(entry);
        Ok(next)
    }

    /// A connection to the server with the profile's credentials, for online mode.
    pub fn remote(&self) -> Result<crate::remote::Remote, String> {
        let settings = self.settings().map_err(|e| e.to_string())?;
        let password = self
            .store
            .password()
            .map_err(|e| e.to_string())?
            .ok_or("password is not saved")?;
        crate::remote::Remote::new(&settings.server_url, &settings.user_name, &password)
            .map_err(|e| e.to_string())
    }

    /// Online mode: the form saves straight to the server with `If-Match`; a `412` is a conflict
    /// shown at once. On success the device keeps the server's version.
    pub async fn save_online(
        &mut self,
        entity: &str,
        id: &str,
        values: &Fields,
    ) -> Result<OnlineSave, DeviceError> {
        let now = self.now();
        save_online_in(&mut self.store, now, entity, id, values)
            .await
            .map_err(DeviceError::Store)
    }

    pub fn ui_transactions_held(&self) -> u32 {
        self.ui_transactions.held()
    }

    /// Every save path (Save button, form rules, custom commands) comes here: the save gate
    /// decides, the store writes record + outbox + journal at once, and a saved change may
    /// trigger an on-change sync.
    pub fn save(
        &mut self,
        entity: &str,
        id: &str,
        values: &Fields,
        path: &str,
    ) -> Result<SaveOutcome, DeviceError> {
        let (decision, uploads) = match self.gate(entity, id, RecordChange::Edit, path)? {
            changes::Gate::Refused(reason) => return Ok(SaveOutcome::Refused(reason)),
            changes::Gate::Open { decision, uploads } => (decision, uploads),
        };
        let actor = self.actor();
        let report = self
            .store
            .save_edit(entity, id, values, &actor, self.now())?;
        if report.outbox_seq.is_none() {
            return Ok(SaveOutcome::Unchanged);
        }
        self.after_save(entity, id, decision, &report, RecordChange::Edit, path);
        Ok(SaveOutcome::Saved {
            decision,
            report,
            uploads,
        })
    }

    fn after_save(
        &mut self,
        entity: &str,
        id: &str,
        decision: SaveDecision,
        report: &SaveReport,
        change: RecordChange,
        path: &str,
    ) {
        let actor = self.actor();
        let waited_ms =
            (report.waited >= NOTICEABLE_WAIT).then_some(report.waited.as_millis() as u64);
        let waited = waited_ms
            .map(|ms| format!("; waited {ms} ms for the sync's write"))
            .unwrap_or_default();
        let mut entry = JournalEntry::event(
            self.now(),
            JournalKind::Save,
            &actor,
            format!("{path}: {decision}{waited}"),
        )
        .with_data(JournalData::Save {
            decision,
            waited_ms,
            change: Some(change),
        });
        entry.entity = Some(entity.into());
        entry.record_id = Some(id.into());
        self.journal(entry);
        self.engine.send(Command::Refresh);
        self.engine.send(Command::Trigger(Trigger::OnChange));
    }

    /// A Sync Errors action on one conflict.
    pub fn resolve(
        &mut self,
        conflict_id: i64,
        resolution: &UserResolution,
    ) -> Result<(), DeviceError> {
        let actor = self.actor();
        self.store
            .resolve(conflict_id, resolution, &actor, self.now())?;
        self.engine.send(Command::Refresh);
        Ok(())
    }
}
