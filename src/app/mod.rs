//! The App core: every screen, form and dialog, and `update(Action) → effects`. The TUI maps
//! keys to [`Action`]s and renders from `&App`; the scenario runner maps steps to the same
//! actions; tests call [`App::update`] directly. Nothing here touches the terminal, the store,
//! the engine or the network.
//!
//! Everything a screen shows (counts, list rows, the form's values, conflicts, the log, the
//! on-start checklist) is the App's view of the device: `update` asks for what it needs as
//! [`Effect`]s, and the driver ([`crate::driver`]) answers with `Action::EffectDone`.

pub mod action;
mod conflicts;
mod custom;
mod demo;
mod dialog;
pub mod effect;
mod focus;
mod forms;
mod lists;
mod log;
mod navigation;
mod overlay;
mod records;
mod refusal;
mod reload;
mod search;
mod setup;
pub mod state;
mod sync;
mod timeline;
mod view;
mod woodford;

pub use action::Action;
pub use conflicts::{ConflictRow, WhatIfRow};
pub use demo::{NO_ADMIN_TOKEN, describe_fault, fault_for, server_item_label, signed_duration};
pub use effect::{
    By, ControlCall, DeviceSettings, Effect, EffectResult, GateView, ListPage, ListQuery, Reload,
    Reloaded, SaveBy,
};
pub use focus::{Focus, Layer};
pub use log::MAX_LINES as MAX_LOG_LINES;
pub use refusal::Refusal;
pub use setup::cycle;
pub use state::*;
pub use timeline::{TimelineState, ZOOMS};
pub use woodford::{ServerProject, WoodfordState};

use navigation::{cycle_index, step};
use overlay::{Overlay, Overlays};

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::auditor::LostEdit;
use crate::clock::Clock;
use crate::device::AppMode;
use crate::engine::{Command, SyncStatus};
use crate::project::Project;
use crate::rules::{Network, OnStartCheck, SyncMode, Trigger};
use crate::settings::{EffectiveSettings, UserSettings};
use crate::store::{Conflict, SyncState};

/// The custom command's pace: "edits several related records, one per second".
pub const CUSTOM_STEP: Duration = Duration::from_secs(1);

/// One action as `--record` keeps it: what it meant, when (virtual time), and what the sync was
/// doing as the user saw it then — so a replay can wait for the same moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub at: DateTime<Utc>,
    pub action: Action,
    pub seen: crate::rules::SyncActivity,
}

/// What the App starts from: the engine's status and the device's mode now, whether the demo
/// server's control API is there, where the profile is, and the clock.
#[derive(Debug, Clone)]
pub struct Start {
    pub status: SyncStatus,
    pub mode: AppMode,
    pub has_control: bool,
    pub profile: std::path::PathBuf,
    pub clock: Clock,
}

/// The whole app: a view of the device, the demo controls, and what the screens show. It does
/// no I/O: what it needs from the device it asks for as [`Effect`]s, and the answers come back
/// as actions (`Action::EffectDone`).
#[derive(Clone)]
pub struct App {
    has_control: bool,
    profile: std::path::PathBuf,
    clock: Clock,

    // The view of the device, filled by the driver's answers.
    status: SyncStatus,
    network: Network,
    mode: AppMode,
    settings: Option<UserSettings>,
    effective: Option<EffectiveSettings>,
    project: Option<Project>,
    password_saved: bool,
    counts: Vec<EntityCount>,
    checklist: Vec<OnStartCheck>,
    conflicts: Vec<Conflict>,
    /// The sync state and unresolved count the checklist was last built from.
    rule_state: Option<(SyncState, usize)>,
    log: Vec<LogLine>,
    journal_seq: i64,
    lost: Vec<LostEdit>,
    gate_view: GateView,

    // What `update` asks of the driver: effects in order, then one reload.
    out: Vec<Effect>,
    want: Reload,
    want_screens: bool,
    /// A click picked a row of a page being loaded: Enter follows the page.
    select_when_loaded: bool,

    // Screens, dialogs, overlays.
    stack: Vec<Screen>,
    /// Dialog, background, sync screen and help, in the order they stack.
    overlays: Overlays,
    why_expanded: bool,
    message: Option<Message>,
    fit: Fit,

    // Flows in progress.
    /// A password the user typed this session, kept where the keeping rule said
    /// ([`crate::rules::keep_typed_password`]); gone once a sync it served only took it.
    typed_password: Option<crate::rules::KeepPassword>,
    /// The server rejected the password of the last sync: Sync asks for it again.
    password_rejected: bool,
    switch_pending: bool,
    custom: Option<CustomRun>,
    custom_log: Vec<String>,
    custom_step: Duration,
    next_run: u64,
    last_record: Option<(String, String)>,
    delays: BTreeMap<String, u64>,
    quitting: bool,

    recorded: Vec<Recorded>,
}

impl App {
    /// The App before the device has been read: [`App::start`] asks for that.
    pub fn new(start: Start) -> App {
        // A foreground sync that runs already owns the app, as `on_status` keeps it.
        let mut overlays = Overlays::default();
        if start.status.activity.mode() == Some(SyncMode::Foreground) {
            overlays.open(Overlay::Sync(SyncScreen::Running));
        }
        App {
            network: start.status.network,
            status: start.status,
            mode: start.mode,
            has_control: start.has_control,
            profile: start.profile,
            clock: start.clock,
            settings: None,
            effective: None,
            project: None,
            password_saved: false,
            counts: Vec::new(),
            checklist: Vec::new(),
            conflicts: Vec::new(),
            rule_state: None,
            log: Vec::new(),
            journal_seq: 0,
            lost: Vec::new(),
            gate_view: GateView::default(),
            out: Vec::new(),
            want: Reload::default(),
            want_screens: false,
            select_when_loaded: false,
            stack: vec![Screen::Home(HomeState::default())],
            overlays,
            why_expanded: false,
            message: None,
            fit: Fit::Fits,
            typed_password: None,
            password_rejected: false,
            switch_pending: false,
            custom: None,
            custom_log: Vec::new(),
            custom_step: CUSTOM_STEP,
            next_run: 0,
            last_record: None,
            delays: BTreeMap::new(),
            quitting: false,
            recorded: Vec::new(),
        }
    }

    /// What the App reads of the device before the first frame.
    pub fn start(&mut self) -> Vec<Effect> {
        self.refresh_all();
        self.take_effects(Vec::new())
    }

    /// The custom command's pace (tests shorten it).
    pub fn set_custom_step(&mut self, step: Duration) {
        self.custom_step = step;
    }

    // --- update -----------------------------------------------------------------------------

    /// Applies one action and returns the asynchronous work it needs.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        if let Action::Pick(index) = action
            && !self.quitting
            && self.gate(&action).is_none()
            && self.select_index(index)
        {
            if !self.want.lists.is_empty() {
                // The row is on a page not loaded yet: Enter once it is.
                self.select_when_loaded = true;
                return self.take_effects(Vec::new());
            }
            // Recorded as what Enter did there.
            return self.update(Action::Select);
        }
        let semantic = self.semantic(&action);
        let at = self.clock.now();
        if self.quitting {
            return Vec::new();
        }
        if !action.is_input() && !matches!(action, Action::Help) {
            self.overlays.close_help();
        }
        if action.is_navigation() {
            // The last message answered something on the screen being left.
            self.message = None;
        }
        if let Some(refusal) = self.gate(&action) {
            let answers = match self.fit {
                Fit::TooSmall { .. } => Answers::TooSmall,
                Fit::Fits => Answers::Action,
            };
            self.message = Some(Message {
                level: Level::Warning,
                text: refusal,
                answers,
            });
            return Vec::new();
        }
        let returned = self.apply(action);
        let effects = self.take_effects(returned);
        if let Some(semantic) = semantic {
            // A server edit of "the open record" is kept as the concrete edit it made.
            let concrete = effects.iter().find_map(|e| match e {
                Effect::Control(ControlCall::Edit {
                    entity, id, fields, ..
                }) => Some(Action::ServerEdit {
                    entity: entity.clone(),
                    id: id.clone(),
                    fields: fields.clone(),
                }),
                Effect::Control(ControlCall::Delete { entity, id }) => Some(Action::ServerDelete {
                    entity: entity.clone(),
                    id: id.clone(),
                }),
                _ => None,
            });
            self.recorded.push(Recorded {
                at,
                action: concrete.unwrap_or(semantic),
                seen: self.status.activity,
            });
        }
        effects
    }

    /// What `--record` keeps of an action: what it means, not the keys that made it — a row
    /// selected with Enter is the record it opened, typing is the value the field got. Pure
    /// navigation is left out; passwords never are kept.
    fn semantic(&self, action: &Action) -> Option<Action> {
        if self.quitting || self.gate(action).is_some() {
            return None;
        }
        // A new record's form is kept as the `create` it ends in, with the id the device gave
        // it (see `created`): what is typed before has no record to name yet. The delete dialog
        // is kept as its answer: a confirmed delete is a `delete` step, a declined one nothing.
        let declined = matches!(action, Action::KeepEditing)
            && matches!(self.overlays.dialog(), Some(Dialog::ConfirmDelete { .. }));
        if matches!(self.stack.last(), Some(Screen::Form(f)) if f.origin == FormOrigin::New)
            || matches!(action, Action::NewRecord | Action::DeleteRecord)
            || declined
        {
            return None;
        }
        match action {
            Action::Select => self.select_action().and_then(|a| self.semantic(&a)),
            Action::EndEdit | Action::NextField | Action::PrevField => match self.stack.last() {
                Some(Screen::Form(f)) => {
                    let input = f.editing.as_ref()?;
                    let field = f.fields.get(f.selected)?;
                    (input.value() != field.value).then(|| Action::EditField {
                        field: field.name.clone(),
                        value: input.value().to_string(),
                    })
                }
                Some(Screen::Setup(s)) if matches!(action, Action::EndEdit) => {
                    let value = s.editing.as_ref()?.value().trim().to_string();
                    Some(Action::ChangeSetting(
                        match SetupRow::ALL[s.selected.min(SetupRow::ALL.len() - 1)] {
                            SetupRow::ServerUrl => crate::settings::SettingChange::ServerUrl(value),
                            _ => crate::settings::SettingChange::UserName(value),
                        },
                    ))
                }
                _ => None,
            },
            Action::Back => {
                matches!(self.stack.last(), Some(Screen::Form(_))).then_some(Action::Back)
            }
            Action::OpenRecord { .. }
            | Action::EditField { .. }
            | Action::Save
            | Action::CancelForm
            | Action::RunCustomCommand
            | Action::EnterUiTransaction
            | Action::LeaveUiTransaction
            | Action::PressSync
            | Action::PressDownArrow
            | Action::CancelSync
            | Action::ChangeSetting(_)
            | Action::SwitchMode
            | Action::AnswerDialog(_)
            | Action::ConfirmDiscard
            | Action::KeepEditing
            | Action::ConfirmDelete
            | Action::CreateRecord { .. }
            | Action::Delete { .. }
            | Action::Resolve { .. }
            | Action::SendToBackground
            | Action::Resume => Some(action.clone()),
            demo if demo.is_demo_control() => Some(demo.clone()),
            _ => None,
        }
    }

    fn apply(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::OpenHome => self.go_home(),
            Action::OpenSetup => self.push(Screen::Setup(SetupState::default())),
            Action::OpenList { entity } => self.open_list(&entity),
            Action::OpenRecord { entity, id } => self.open_record_form(&entity, &id),
            Action::OpenSyncErrors => {
                self.refresh_conflicts();
                self.push(Screen::SyncErrors(SyncErrorsState::default()));
            }
            Action::OpenConflict { conflict_id } => self.open_conflict(conflict_id),
            Action::OpenLog => {
                self.refresh_journal();
                self.refresh_lost();
                self.push(Screen::Log(LogState::default()));
            }
            Action::OpenLogEntry { seq } => self.open_log_entry(seq),
            Action::OpenTimeline => self.open_timeline(),
            Action::TimelineScroll { columns } => self.timeline_scroll(columns),
            Action::TimelineZoom { step } => self.timeline_zoom(step),
            Action::ExportTimeline { path } => return self.export_timeline(path),
            Action::OpenServerPanel => self.push(Screen::Server(ServerState::default())),
            Action::OpenWoodford => self.open_woodford(),
            Action::DraftStep { delta } => self.draft_step(delta),
            Action::ToggleLock => self.toggle_lock(),
            Action::PublishDraft => return self.publish_draft(),
            Action::DiscardDraft => self.discard_draft(),
            Action::ReadPublished => return self.read_published(),
            Action::Back => return self.back(),
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-10),
            Action::PageDown => self.move_selection(10),
            Action::First => self.move_selection(i64::MIN),
            Action::Last => self.move_selection(i64::MAX),
            Action::Scroll(rows) => {
                if self.answered(&Action::Scroll(rows)).is_none() {
                    self.move_selection(rows);
                }
            }
            Action::Select => return self.select(),
            // Applied in `update`; here only when the index is not an item.
            Action::Pick(_) => {}
            Action::NextField => self.next_field(1),
            Action::PrevField => self.next_field(-1),
            Action::Help => self.overlays.toggle_help(),
            Action::Quit => return self.quit(),

            Action::Input(key) => self.input(key),
            Action::BeginEdit => self.begin_edit(),
            Action::EndEdit => return self.end_edit(),
            Action::Search(text) => self.search(text),
            Action::Paste(text) => self.paste(&text),

            Action::EditField { field, value } => self.edit_field(&field, value),
            Action::Save => return self.save(),
            Action::CancelForm => self.cancel_form(),
            Action::RunCustomCommand => return self.run_custom_command(),
            Action::EnterUiTransaction => self.enter_ui_transaction(),
            Action::LeaveUiTransaction => self.leave_ui_transaction(),

            Action::PressSync => self.press_sync(Trigger::Manual),
            Action::PressDownArrow => self.press_down_arrow(),
            Action::CancelSync => self.cancel_sync(),
            Action::ToggleWhy => self.why_expanded = !self.why_expanded,

            Action::ChangeSetting(change) => self.change_setting(change),
            Action::EnterPassword(password) => self.enter_password(&password),

            Action::SwitchMode => self.switch_mode(),
            Action::AnswerDialog(choice) => self.answer_dialog(choice),
            Action::ConfirmDiscard => return self.confirm_discard(),
            Action::KeepEditing => {
                if let Some(Dialog::Discard { .. } | Dialog::ConfirmDelete { .. }) =
                    self.overlays.dialog()
                {
                    self.overlays.close_dialog();
                }
            }
            Action::NewRecord => self.new_record(),
            Action::DeleteRecord => self.ask_delete(),
            Action::ConfirmDelete => self.confirm_delete(),
            Action::CreateRecord { entity, id, fields } => self.create_record(entity, id, fields),
            Action::Delete { entity, id } => self.emit(Effect::Delete { entity, id }),

            Action::Resolve {
                conflict_id,
                resolution,
            } => self.resolve(conflict_id, &resolution),
            Action::ToggleMerge => self.toggle_merge(),
            Action::ToggleWhatIf => self.toggle_what_if(),

            Action::FilterLog(filter) => self.filter_log(filter),
            Action::ExportLog { path } => return vec![Effect::ExportLog { path }],

            Action::ToggleNetwork => self.toggle_network(),
            Action::AdvanceClock { by } => self.advance_clock(by),
            Action::SendToBackground => self.send_to_background(),
            Action::Resume => self.resume(),
            Action::PublishV2 => {
                return self
                    .control_effect(ControlCall::PublishAsset("v2".into()), "Publish project v2");
            }
            Action::ServerEditOpenRecord => return self.server_edit_open_record(),
            Action::ServerDeleteOpenRecord => return self.server_delete_open_record(),
            Action::ServerEdit { entity, id, fields } => {
                return self.server_edit(entity, id, fields);
            }
            Action::ServerDelete { entity, id } => return self.server_delete(entity, id),
            Action::SetServerDelay { entity, ms } => return self.set_server_delay(entity, ms),
            Action::InjectFault(rule) => {
                return self.control_effect(ControlCall::Fault(rule), "Inject a fault");
            }

            Action::Status(status) => self.on_status(status),
            Action::Engine(event) => self.on_engine(event),
            Action::EffectDone(result) => return self.on_effect_done(result),
            Action::Tick => self.on_tick(),
            Action::Resize { width, height } => {
                self.fit = if width < MIN_WIDTH || height < MIN_HEIGHT {
                    Fit::TooSmall { width, height }
                } else {
                    Fit::Fits
                };
                // Large enough again: "too small" answers nothing on the screen now shown.
                if self.fit == Fit::Fits
                    && self
                        .message
                        .as_ref()
                        .is_some_and(|m| m.answers == Answers::TooSmall)
                {
                    self.message = None;
                }
            }
        }
        Vec::new()
    }

    // --- messages ---------------------------------------------------------------------------

    fn say(&mut self, level: Level, text: impl Into<String>) {
        self.message = Some(Message {
            level,
            text: text.into(),
            answers: Answers::Action,
        });
    }

    fn info(&mut self, text: impl Into<String>) {
        self.say(Level::Info, text);
    }

    fn success(&mut self, text: impl Into<String>) {
        self.say(Level::Success, text);
    }

    fn warn(&mut self, text: impl Into<String>) {
        self.say(Level::Warning, text);
    }

    fn error(&mut self, text: impl Into<String>) {
        self.say(Level::Error, text);
    }
}
