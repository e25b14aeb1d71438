//! Setup: the selectors (Auto Sync, Background sync, Save password) step back and forward and
//! go round, the texts (server URL, user name) are typed; every change goes through the lock
//! rule.

use super::App;
use super::action::Action;
use super::effect::Effect;
use crate::settings::{AutoSync, SettingChange};

use super::state::{Screen, SetupRow};

/// The value `delta` steps away from `current` among `values`, going round at either end: what
/// ← and → do on a selector.
pub fn cycle<T: Copy + PartialEq>(values: &[T], current: T, delta: i64) -> T {
    let index = values.iter().position(|v| *v == current).unwrap_or(0);
    values[super::cycle_index(index, delta, values.len())]
}

impl App {
    /// Enter on a Setup row: a selector's next value, or typing a text.
    pub(super) fn setup_select_action(&self, selected: usize) -> Option<Action> {
        match SetupRow::ALL.get(selected)? {
            row if row.is_text() => self.settings.as_ref().map(|_| Action::BeginEdit),
            _ => self.setup_value(selected, 1),
        }
    }

    pub(super) fn change_setting(&mut self, change: SettingChange) {
        self.emit(Effect::ChangeSetting(change));
    }

    /// The lock rule's answer: saved, or refused with the reason.
    pub(super) fn setting_changed(&mut self, change: SettingChange, outcome: Result<(), String>) {
        let label = match &change {
            SettingChange::AutoSync(v) => format!("Auto Sync: {v}"),
            SettingChange::BackgroundSync(v) => format!("Background sync: {}", on_off(*v)),
            SettingChange::SavePassword(v) => format!("Save password: {}", on_off(*v)),
            SettingChange::ServerUrl(v) => format!("Server URL: {v}"),
            SettingChange::UserName(v) => format!("User name: {v}"),
        };
        match outcome {
            Ok(()) => self.success(format!("{label} (saved)")),
            Err(e) => self.error(e),
        }
        self.refresh_settings();
        self.refresh_checklist();
        self.refresh_journal();
    }

    /// ← (`delta` -1) or → (+1) on the selected Setup row: the selector's previous or next
    /// value; texts have none.
    pub fn setup_step_action(&self, delta: i64) -> Option<Action> {
        match self.screen() {
            Screen::Setup(s) if self.overlays.dialog().is_none() => {
                self.setup_value(s.selected, delta)
            }
            _ => None,
        }
    }

    fn setup_value(&self, selected: usize, delta: i64) -> Option<Action> {
        let settings = self.settings.as_ref()?;
        let effective = self.effective.as_ref();
        let flip = |on: bool| cycle(&[false, true], on, delta);
        Some(Action::ChangeSetting(
            match SetupRow::ALL.get(selected)? {
                SetupRow::AutoSync => SettingChange::AutoSync(cycle(
                    &AutoSync::ALL,
                    effective.map(|e| e.auto_sync).unwrap_or(settings.auto_sync),
                    delta,
                )),
                SetupRow::BackgroundSync => SettingChange::BackgroundSync(flip(
                    effective
                        .map(|e| e.background_sync)
                        .unwrap_or(settings.background_sync),
                )),
                SetupRow::SavePassword => SettingChange::SavePassword(flip(
                    effective
                        .map(|e| e.save_password)
                        .unwrap_or(settings.save_password),
                )),
                SetupRow::ServerUrl | SetupRow::UserName => return None,
            },
        ))
    }
}

pub(super) fn on_off(value: bool) -> &'static str {
    if value { "On" } else { "Off" }
}
