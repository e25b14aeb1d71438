//! Whether an action would do anything now. `update` applies the gates (a dialog, the sync
//! screen, the background); an action past them can still be answered "nothing to do" or "not
//! allowed" (a locked setting, a button the dialog does not offer, a form with nothing to save).
//! The key map lists only the keys whose action meets neither.

use crossterm::event::{Event, KeyEvent};
use tui_input::backend::crossterm::EventHandler;

use super::state::*;
use super::{Action, App, Focus, Layer, step};
use crate::rules::SyncActivity;
use crate::settings::SettingError;

/// Why an action would not do what it says now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `update` stops it and shows this warning.
    Gate(String),
    /// It goes through and is answered that it cannot be done here (by the App or a rule).
    Answered(&'static str),
}

impl App {
    /// Why `action` would be refused now, if it would.
    pub fn refusal(&self, action: &Action) -> Option<Refusal> {
        if let Some(why) = self.gate(action) {
            return Some(Refusal::Gate(why));
        }
        self.answered(action).map(Refusal::Answered)
    }

    /// Why this action cannot be done now, if it cannot: what `update` stops.
    pub(super) fn gate(&self, action: &Action) -> Option<String> {
        if action.is_input() || matches!(action, Action::Quit) {
            return None;
        }
        let layer = match self.focus() {
            Focus::TooSmall { .. } => return Some(too_small_warning()),
            _ if matches!(action, Action::Help) => return None,
            // The help closes on any other action: what is beneath gates it.
            Focus::Help { over } | Focus::On(over) => over,
        };
        let demo = action.is_demo_control();
        match layer {
            Layer::SyncRunning => {
                let allowed = matches!(action, Action::CancelSync | Action::Back) || demo;
                (!allowed).then(|| "A foreground synchronization is running: wait for it to finish, or press Esc to cancel it".to_string())
            }
            Layer::Login => {
                let allowed = matches!(
                    action,
                    Action::Input(_)
                        | Action::Paste(_)
                        | Action::EndEdit
                        | Action::NextField
                        | Action::PrevField
                        | Action::EnterPassword(_)
                        | Action::CancelSync
                        | Action::Back
                ) || demo;
                (!allowed).then(|| {
                    "Enter the password (Tab: URL, user name) and press Enter to sync, or Esc to cancel"
                        .to_string()
                })
            }
            Layer::Background => {
                let allowed = matches!(action, Action::Resume | Action::SendToBackground) || demo;
                (!allowed)
                    .then(|| "The app is in the background: press r to bring it back".to_string())
            }
            Layer::Dialog(_) => {
                let allowed = matches!(
                    action,
                    Action::AnswerDialog(_)
                        | Action::ConfirmDiscard
                        | Action::ConfirmDelete
                        | Action::KeepEditing
                        | Action::Up
                        | Action::Down
                        | Action::NextField
                        | Action::PrevField
                        | Action::Select
                        | Action::Back
                ) || demo;
                (!allowed).then(|| "Answer the dialog first".to_string())
            }
            Layer::Editing | Layer::Screen(_) => None,
        }
    }

    /// What an action past the gates would be answered with instead of doing it.
    pub(super) fn answered(&self, action: &Action) -> Option<&'static str> {
        let running = matches!(self.status.activity, SyncActivity::Running { .. });
        let form = self.top_form().filter(|_| self.overlays.dialog().is_none());
        match action {
            Action::Up => (!self.can_move(-1)).then_some("the selection cannot move up"),
            Action::Down => (!self.can_move(1)).then_some("the selection cannot move down"),
            Action::PageUp => (!self.can_move(-10)).then_some("the selection cannot move up"),
            Action::PageDown => (!self.can_move(10)).then_some("the selection cannot move down"),
            Action::First => (!self.can_move(-1)).then_some("the selection is at the first item"),
            Action::Last => (!self.can_move(1)).then_some("the selection is at the last item"),
            // Moving away would drop what is typed into a Setup text.
            Action::Scroll(_) | Action::Pick(_) if matches!(self.screen(), Screen::Setup(s) if s.editing.is_some()) => {
                Some("Enter or Esc ends the typing first")
            }
            Action::Scroll(rows) => (!self.can_move(*rows)).then_some("the selection cannot move"),
            Action::Pick(index) => self
                .selection()
                .is_none_or(|(_, len, _)| *index >= len)
                .then_some("nothing there to pick"),
            Action::Paste(text) => match self.focused_input() {
                Some(_) if self.text_input_focused() => super::forms::one_line(text)
                    .is_empty()
                    .then_some("nothing to paste"),
                _ => Some("nothing is being typed"),
            },
            Action::NextField | Action::PrevField => {
                let delta = if *action == Action::NextField { 1 } else { -1 };
                let moves = match (self.overlays.dialog(), self.screen()) {
                    _ if matches!(self.overlays.sync_screen(), Some(SyncScreen::Login { .. })) => {
                        true
                    }
                    (Some(_), _) => self.can_move(delta),
                    (None, Screen::Form(f)) => f.editing.is_some() || self.can_move(delta),
                    (None, Screen::Setup(_)) => self.can_move(delta),
                    _ => false,
                };
                (!moves).then_some("there is no next or previous field here")
            }
            Action::Back => (self.overlays.dialog().is_none()
                && self.overlays.sync_screen().is_none()
                && self.stack.len() <= 1)
                .then_some("nothing to go back from"),
            Action::OpenHome => (self.stack.len() <= 1).then_some("already Home"),
            Action::OpenWoodford => {
                (self.screen_kind() == ScreenKind::Woodford).then_some("already on Woodford")
            }
            Action::DraftStep { .. }
            | Action::ToggleLock
            | Action::PublishDraft
            | Action::DiscardDraft
            | Action::ReadPublished => self.woodford_refusal(action),
            Action::BeginEdit if self.screen_kind() == ScreenKind::Woodford => {
                self.woodford_refusal(action)
            }
            Action::OpenServerPanel => {
                (self.screen_kind() == ScreenKind::Server).then_some("already on the Server panel")
            }
            Action::Select => self.select_refusal(),
            Action::OpenTimeline
            | Action::TimelineScroll { .. }
            | Action::TimelineZoom { .. }
            | Action::ExportTimeline { .. } => self.timeline_refusal(action),
            Action::Input(key) => (!self.input_changes(key)).then_some("the key changes no text"),
            Action::BeginEdit => match (form, self.screen()) {
                (Some(f), _) if f.saving_online => Some("a save is on its way to the server"),
                (Some(f), _) => f
                    .fields
                    .get(f.selected)
                    .is_none_or(|field| field.read_only)
                    .then_some("the field cannot be edited here"),
                (None, Screen::Setup(s)) => SetupRow::ALL
                    .get(s.selected)
                    .is_none_or(|row| !row.is_text())
                    .then_some("the row is not a text"),
                (None, Screen::List(_)) => None,
                _ => Some("nothing to type into here"),
            },
            Action::EndEdit => match self.overlays.sync_screen() {
                Some(SyncScreen::Login { fields, .. }) => fields
                    .password
                    .value()
                    .is_empty()
                    .then_some("no password typed yet"),
                _ => (!self.text_input_focused()).then_some("nothing is being typed"),
            },
            Action::Save => match (form, self.screen()) {
                (_, Screen::Conflict(c)) if c.merge().is_some() => None,
                (Some(f), _) if f.saving_online => Some("a save is on its way to the server"),
                (Some(f), _) => (!f.is_dirty()).then_some("nothing changed: nothing to save"),
                _ => Some("nothing to save here"),
            },
            Action::CancelForm => form
                .is_none_or(|f| !f.is_dirty())
                .then_some("no edits to cancel"),
            Action::RunCustomCommand if form.is_some_and(|f| f.origin == FormOrigin::New) => {
                Some("the custom command works on a saved record")
            }
            Action::RunCustomCommand => (form.is_none() || self.custom.is_some())
                .then_some("the custom command runs once at a time, from a form"),
            Action::PressSync => running.then_some("a sync is already running"),
            Action::PressDownArrow => (running || self.status.update_available.is_none())
                .then_some("no project update can be applied now"),
            Action::CancelSync => (!running
                && !matches!(self.overlays.sync_screen(), Some(SyncScreen::Login { .. })))
            .then_some("no sync is running"),
            Action::ChangeSetting(change) => {
                let settings = self.settings.as_ref()?;
                let config = self
                    .project
                    .as_ref()
                    .map(|p| p.configuration.clone())
                    .unwrap_or_default();
                match crate::rules::change_setting(settings, &config, change.clone()) {
                    Ok(_) => None,
                    Err(SettingError::Locked(_)) => {
                        Some("the setting is locked by the administrator")
                    }
                    Err(SettingError::BadServerUrl { .. }) => {
                        Some("that is not a server URL (http:// or https:// and a host)")
                    }
                    Err(SettingError::EmptyUserName) => Some("the user name cannot be empty"),
                }
            }
            Action::SwitchMode => self
                .switch_pending
                .then_some("a mode switch is waiting for its sync"),
            Action::AnswerDialog(choice) => match self.overlays.dialog() {
                Some(Dialog::ModeSwitch { choices, .. }) => {
                    (!choices.contains(choice)).then_some("the dialog does not offer this button")
                }
                _ => Some("no dialog is waiting for an answer"),
            },
            Action::ConfirmDiscard => {
                (!matches!(self.overlays.dialog(), Some(Dialog::Discard { .. })))
                    .then_some("no unsaved edits are waiting for an answer")
            }
            Action::KeepEditing => (!matches!(
                self.overlays.dialog(),
                Some(Dialog::Discard { .. } | Dialog::ConfirmDelete { .. })
            ))
            .then_some("no dialog is waiting for an answer"),
            Action::ConfirmDelete => {
                (!matches!(self.overlays.dialog(), Some(Dialog::ConfirmDelete { .. })))
                    .then_some("no delete is waiting for an answer")
            }
            Action::NewRecord => self.new_record_refusal(),
            Action::CreateRecord { .. } | Action::Delete { .. } => self.named_change_refusal(),
            Action::DeleteRecord => self.delete_record_refusal(),
            Action::ToggleMerge | Action::ToggleWhatIf => {
                (self.screen_kind() != ScreenKind::Conflict).then_some("it works on a sync error")
            }
            Action::FilterLog(_) | Action::OpenLogEntry { .. } => {
                let on_log = self.screen_kind() == ScreenKind::Log;
                // The timeline opens the line under its cursor.
                let on_log = on_log || self.screen_kind() == ScreenKind::Timeline;
                match action {
                    Action::OpenLogEntry { seq } => (!on_log
                        || !self.log.iter().any(|l| l.seq == *seq))
                    .then_some("no such line in the log"),
                    _ => (!on_log).then_some("the filter works on the log"),
                }
            }
            Action::Resume => {
                (!self.overlays.background()).then_some("the app is in the foreground")
            }
            Action::SendToBackground => self
                .overlays
                .background()
                .then_some("the app is already in the background"),
            Action::ServerEditOpenRecord | Action::ServerDeleteOpenRecord
                if self.open_record().is_none() =>
            {
                Some("no record is open")
            }
            Action::PublishV2
            | Action::ServerEditOpenRecord
            | Action::ServerDeleteOpenRecord
            | Action::ServerEdit { .. }
            | Action::ServerDelete { .. }
            | Action::SetServerDelay { .. }
            | Action::InjectFault(_) => (!self.has_control).then_some(super::NO_ADMIN_TOKEN),
            _ => None,
        }
    }

    fn select_refusal(&self) -> Option<&'static str> {
        if self.overlays.dialog().is_none()
            && let Screen::Conflict(c) = self.screen()
        {
            if c.merge().is_none() {
                return Some("nothing to open here");
            }
            let rows = self.conflict_rows(c.conflict_id);
            return rows
                .get(c.selected)
                .is_none_or(|r| r.pick.is_none())
                .then_some("this field is not in conflict");
        }
        match self.select_action() {
            Some(action) => self.answered(&action),
            None => Some("nothing to open here"),
        }
    }

    /// The arrows' selection now: (index, length, whether it wraps around).
    pub(super) fn selection(&self) -> Option<(usize, usize, bool)> {
        match self.overlays.dialog() {
            Some(Dialog::ModeSwitch {
                choices, selected, ..
            }) => return Some((*selected, choices.len(), true)),
            Some(Dialog::Discard { .. } | Dialog::ConfirmDelete { .. }) => return None,
            None => {}
        }
        Some(match self.screen() {
            Screen::Home(h) => (h.selected, self.home_items().len(), false),
            Screen::Setup(s) => (s.selected, SetupRow::ALL.len(), false),
            Screen::List(l) => (l.selected, l.total, false),
            Screen::Form(f) => (f.selected, f.fields.len(), false),
            Screen::SyncErrors(s) => (s.selected, self.conflicts.len(), false),
            // The what-if view shows no selection.
            Screen::Conflict(c) if c.view == ConflictView::WhatIf => return None,
            Screen::Conflict(c) => (c.selected, self.conflict_rows(c.conflict_id).len(), false),
            Screen::Log(l) => {
                let len = self.filtered_log_len();
                (l.selected.unwrap_or(len.saturating_sub(1)), len, false)
            }
            Screen::Server(s) => (s.selected, ServerItem::ALL.len(), false),
            Screen::Timeline(t) => (t.lane_index(), crate::timeline::Lane::ALL.len(), false),
            Screen::Woodford(w) => (w.selected, self.woodford_rows().len(), false),
            Screen::LogEntry(_) => return None,
        })
    }

    /// Whether moving the selection by `delta` would move it.
    pub fn can_move(&self, delta: i64) -> bool {
        match self.selection() {
            Some((_, len, true)) => len > 1,
            Some((index, len, false)) => step(index, delta, len) != index,
            None => false,
        }
    }

    /// Whether a key would change the focused text input (its text or its cursor).
    pub fn input_changes(&self, key: &KeyEvent) -> bool {
        if !self.text_input_focused() {
            return false;
        }
        let Some(input) = self.focused_input() else {
            return false;
        };
        let mut copy = input.clone();
        copy.handle_event(&Event::Key(*key))
            .is_some_and(|changed| changed.value || changed.cursor)
    }
}

/// What a key pressed while the terminal is too small is answered.
pub(super) fn too_small_warning() -> String {
    format!("The terminal is too small: enlarge it to {MIN_WIDTH}×{MIN_HEIGHT}, or press q to quit")
}
