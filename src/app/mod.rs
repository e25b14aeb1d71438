//! The App core: every screen, form and dialog, and `update(Action) → effects`. The TUI maps
//! keys to [`Action`]s and renders from `&App`; the scenario runner maps steps to the same
//! actions; tests call [`App::update`] directly. Nothing here touches the terminal.
//!
//! Rendering never queries the store: everything a screen shows (counts, list rows, the form's
//! values, conflicts, the log, the on-start checklist) is cached here and refreshed in `update`.

pub mod action;
mod conflicts;
mod custom;
mod demo;
pub mod effect;
mod forms;
mod log;
mod refusal;
mod setup;
pub mod state;
mod sync;

pub use action::Action;
pub use conflicts::{ConflictRow, WhatIfRow};
pub use demo::{describe_fault, fault_for, server_item_label};
pub use effect::{ControlCall, Effect, EffectContext, EffectResult, run_effect};
pub use refusal::Refusal;
pub use setup::cycle;
pub use state::*;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;

use crate::auditor::LostEdit;
use crate::client::{AppMode, Client};
use crate::clock::Clock;
use crate::control::Control;
use crate::engine::{Command, EngineEvent, SyncStatus};
use crate::project::Project;
use crate::rules::{Network, OnStartCheck, SyncMode, Trigger};
use crate::settings::{EffectiveSettings, UserSettings};
use crate::store::Conflict;

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

/// The whole app: the device (its `Client`), the demo controls, and what the screens show.
pub struct App {
    client: Client,
    control: Option<Control>,
    clock: Clock,
    events: Option<broadcast::Receiver<EngineEvent>>,

    // Cached for rendering; refreshed in `update`.
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
    log: Vec<LogLine>,
    journal_seq: i64,
    lost: Vec<LostEdit>,

    // Screens, dialogs, overlays.
    stack: Vec<Screen>,
    dialog: Option<Dialog>,
    sync_screen: Option<SyncScreen>,
    help: bool,
    why_expanded: bool,
    background: bool,
    message: Option<Message>,

    // Flows in progress.
    session_password: bool,
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
    /// Builds the App around a started `Client` and sends the on-start trigger: "the first start
    /// syncs on start". `control` is the demo server's control API (absent with `--server`).
    pub fn new(client: Client, control: Option<Control>, clock: Clock) -> App {
        let events = client.engine().subscribe();
        let status = client.engine().status();
        let mut app = App {
            network: status.network,
            status,
            mode: client.mode(),
            client,
            control,
            clock,
            events: Some(events),
            settings: None,
            effective: None,
            project: None,
            password_saved: false,
            counts: Vec::new(),
            checklist: Vec::new(),
            conflicts: Vec::new(),
            log: Vec::new(),
            journal_seq: 0,
            lost: Vec::new(),
            stack: vec![Screen::Home(HomeState::default())],
            dialog: None,
            sync_screen: None,
            help: false,
            why_expanded: false,
            background: false,
            message: None,
            session_password: false,
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
        };
        app.refresh_all();
        app.client.engine().send(Command::Trigger(Trigger::OnStart));
        app
    }

    /// The engine's event stream, subscribed before the on-start trigger so nothing is missed.
    /// The driver takes it once and feeds each event back as `Action::Engine`.
    pub fn take_engine_events(&mut self) -> Option<broadcast::Receiver<EngineEvent>> {
        self.events.take()
    }

    /// What effects need (control API, profile, clock).
    pub fn effect_context(&self) -> EffectContext {
        EffectContext {
            control: self.control.clone(),
            profile: self.client.store().path().to_path_buf(),
            clock: self.clock.clone(),
        }
    }

    /// The custom command's pace (tests shorten it).
    pub fn set_custom_step(&mut self, step: Duration) {
        self.custom_step = step;
    }

    // --- read-only accessors for rendering -------------------------------------------------

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// How far the demo clock has been advanced (running clock only).
    pub fn clock_offset(&self) -> Option<chrono::Duration> {
        self.clock.offset()
    }

    pub fn status(&self) -> &SyncStatus {
        &self.status
    }

    pub fn network(&self) -> Network {
        self.network
    }

    pub fn mode(&self) -> AppMode {
        self.mode
    }

    pub fn settings(&self) -> Option<&UserSettings> {
        self.settings.as_ref()
    }

    pub fn effective(&self) -> Option<&EffectiveSettings> {
        self.effective.as_ref()
    }

    pub fn project(&self) -> Option<&Project> {
        self.project.as_ref()
    }

    pub fn password_saved(&self) -> bool {
        self.password_saved
    }

    pub fn counts(&self) -> &[EntityCount] {
        &self.counts
    }

    /// Every on-start rule with its state now (Home's expanded "why").
    pub fn checklist(&self) -> &[OnStartCheck] {
        &self.checklist
    }

    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    pub fn log_lines(&self) -> &[LogLine] {
        &self.log
    }

    /// Edits the auditor found lost (refreshed after each sync and when the log opens).
    pub fn lost_edits(&self) -> &[LostEdit] {
        &self.lost
    }

    pub fn screen(&self) -> &Screen {
        self.stack.last().expect("Home is always on the stack")
    }

    pub fn screen_kind(&self) -> ScreenKind {
        self.screen().kind()
    }

    pub fn stack(&self) -> &[Screen] {
        &self.stack
    }

    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }

    pub fn sync_screen(&self) -> Option<&SyncScreen> {
        self.sync_screen.as_ref()
    }

    pub fn help_shown(&self) -> bool {
        self.help
    }

    pub fn why_expanded(&self) -> bool {
        self.why_expanded
    }

    pub fn in_background(&self) -> bool {
        self.background
    }

    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
    }

    pub fn custom_run(&self) -> Option<&CustomRun> {
        self.custom.as_ref()
    }

    /// What the last custom command did, step by step.
    pub fn custom_log(&self) -> &[String] {
        &self.custom_log
    }

    pub fn has_control(&self) -> bool {
        self.control.is_some()
    }

    /// The business-logic delay set from the Server panel, per entity.
    pub fn delay(&self, entity: &str) -> u64 {
        self.delays.get(entity).copied().unwrap_or(0)
    }

    /// The record the server-side demo controls act on: the open form, else the last one opened.
    pub fn open_record(&self) -> Option<(String, String)> {
        self.top_form()
            .map(|f| (f.entity.clone(), f.id.clone()))
            .or_else(|| self.last_record.clone())
    }

    pub fn is_quitting(&self) -> bool {
        self.quitting
    }

    /// A mode switch waits for its sync.
    pub fn switch_pending(&self) -> bool {
        self.switch_pending
    }

    /// Every user and demo action applied, with the virtual time it was applied at (for
    /// `--record`). Engine status, engine events, effect results and ticks are not in it.
    pub fn recorded(&self) -> &[Recorded] {
        &self.recorded
    }

    /// The form on top of the stack, if the current screen is a form.
    pub fn top_form(&self) -> Option<&FormState> {
        match self.stack.last() {
            Some(Screen::Form(f)) => Some(f),
            _ => None,
        }
    }

    /// Home's menu, in order: Sync Errors first whenever there are any.
    pub fn home_items(&self) -> Vec<HomeItem> {
        let mut items = Vec::new();
        let unresolved = self.conflicts.len().max(self.status.unresolved_conflicts);
        if unresolved > 0 {
            items.push(HomeItem::SyncErrors { count: unresolved });
        }
        items.extend(self.counts.iter().map(|c| HomeItem::Entity {
            name: c.name.clone(),
            label: c.label.clone(),
            count: c.count,
        }));
        items.extend([HomeItem::Setup, HomeItem::Log, HomeItem::Server]);
        items
    }

    /// A foreground synchronization runs: the sync screen owns the app.
    pub fn foreground_sync_running(&self) -> bool {
        self.status.activity.mode() == Some(SyncMode::Foreground)
    }

    /// A text input has the keys (form field, Setup text, list search, password).
    pub fn text_input_focused(&self) -> bool {
        if self.dialog.is_some() || self.help {
            return false;
        }
        if let Some(SyncScreen::Login { .. }) = &self.sync_screen {
            return true;
        }
        if self.sync_screen.is_some() || self.background {
            return false;
        }
        match self.screen() {
            Screen::Form(f) => f.editing.is_some(),
            Screen::Setup(s) => s.editing.is_some(),
            Screen::List(l) => l.searching,
            _ => false,
        }
    }

    /// The focused text input, for drawing its cursor.
    pub fn focused_input(&self) -> Option<&tui_input::Input> {
        if let Some(SyncScreen::Login { password, .. }) = &self.sync_screen {
            return Some(password);
        }
        match self.screen() {
            Screen::Form(f) => f.editing.as_ref(),
            Screen::Setup(s) => s.editing.as_ref(),
            Screen::List(l) => l.searching.then_some(&l.search),
            _ => None,
        }
    }

    /// Where `ExportLog` writes by default: beside the profile, named for the moment, so a
    /// second export does not replace the first.
    pub fn default_export_path(&self) -> std::path::PathBuf {
        let dir = self
            .client
            .store()
            .path()
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        dir.join(format!(
            "autosync-log-{}.jsonl",
            self.clock.now().format("%Y%m%dT%H%M%SZ")
        ))
    }

    // --- update -----------------------------------------------------------------------------

    /// Applies one action and returns the asynchronous work it needs.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let semantic = self.semantic(&action);
        let at = self.clock.now();
        if self.quitting {
            return Vec::new();
        }
        if !action.is_input() && !matches!(action, Action::Help) {
            self.help = false;
        }
        if action.is_navigation() {
            // The last message answered something on the screen being left.
            self.message = None;
        }
        if let Some(refusal) = self.gate(&action) {
            self.warn(refusal);
            return Vec::new();
        }
        let effects = self.apply(action);
        if let Some(semantic) = semantic {
            // A server edit of "the open record" is kept as the concrete edit it made.
            let concrete = effects.iter().find_map(|e| match e {
                Effect::Control(ControlCall::Edit { entity, id, fields }) => {
                    Some(Action::ServerEdit {
                        entity: entity.clone(),
                        id: id.clone(),
                        fields: fields.clone(),
                    })
                }
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
            | Action::Resolve { .. }
            | Action::ToggleNetwork
            | Action::AdvanceClock { .. }
            | Action::SendToBackground
            | Action::Resume
            | Action::PublishV2
            | Action::ServerEditOpenRecord
            | Action::ServerDeleteOpenRecord
            | Action::ServerEdit { .. }
            | Action::ServerDelete { .. }
            | Action::SetServerDelay { .. }
            | Action::InjectFault(_) => Some(action.clone()),
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
            Action::OpenServerPanel => self.push(Screen::Server(ServerState::default())),
            Action::Back => return self.back(),
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-10),
            Action::PageDown => self.move_selection(10),
            Action::Select => return self.select(),
            Action::NextField => self.next_field(1),
            Action::PrevField => self.next_field(-1),
            Action::Help => self.help = !self.help,
            Action::Quit => return self.quit(),

            Action::Input(key) => self.input(key),
            Action::BeginEdit => self.begin_edit(),
            Action::EndEdit => return self.end_edit(),
            Action::Search(text) => self.search(text),

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
                if let Some(Dialog::Discard { .. }) = self.dialog {
                    self.dialog = None;
                }
            }

            Action::Resolve {
                conflict_id,
                resolution,
            } => self.resolve(conflict_id, &resolution),
            Action::ToggleMerge => self.toggle_merge(),
            Action::ToggleWhatIf => self.toggle_what_if(),

            Action::FilterLog(filter) => self.filter_log(filter),
            Action::ExportLog { path } => self.export_log(&path),

            Action::ToggleNetwork => self.toggle_network(),
            Action::AdvanceClock { minutes } => self.advance_clock(minutes),
            Action::SendToBackground => self.send_to_background(),
            Action::Resume => self.resume(),
            Action::PublishV2 => {
                return self.control_effect(ControlCall::PublishV2, "Publish project v2");
            }
            Action::ServerEditOpenRecord => return self.server_edit_open_record(),
            Action::ServerDeleteOpenRecord => return self.server_delete_open_record(),
            Action::ServerEdit { entity, id, fields } => {
                return self.control_effect(
                    ControlCall::Edit { entity, id, fields },
                    "Edit on the server",
                );
            }
            Action::ServerDelete { entity, id } => {
                return self
                    .control_effect(ControlCall::Delete { entity, id }, "Delete on the server");
            }
            Action::SetServerDelay { entity, ms } => return self.set_server_delay(entity, ms),
            Action::InjectFault(rule) => {
                return self.control_effect(ControlCall::Fault(rule), "Inject a fault");
            }

            Action::Status(status) => self.on_status(status),
            Action::Engine(event) => self.on_engine(event),
            Action::EffectDone(result) => return self.on_effect_done(result),
            Action::Tick => self.on_tick(),
        }
        Vec::new()
    }

    // --- messages ---------------------------------------------------------------------------

    fn say(&mut self, level: Level, text: impl Into<String>) {
        self.message = Some(Message {
            level,
            text: text.into(),
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

    // --- refresh ----------------------------------------------------------------------------

    fn refresh_all(&mut self) {
        self.refresh_settings();
        self.refresh_counts();
        self.refresh_conflicts();
        self.refresh_journal();
        self.refresh_checklist();
    }

    fn refresh_settings(&mut self) {
        let store = self.client.store();
        self.settings = store.settings().ok().flatten();
        self.project = store.project().ok().flatten();
        self.effective = self.client.effective().ok();
        self.password_saved = store.password().ok().flatten().is_some();
        self.mode = self.client.mode();
    }

    fn refresh_counts(&mut self) {
        let store = self.client.store();
        self.counts = self
            .project
            .iter()
            .flat_map(|p| p.entities.iter())
            .map(|e| EntityCount {
                name: e.name.clone(),
                label: e.label.clone(),
                count: store.count(&e.name).unwrap_or(0),
            })
            .collect();
    }

    fn refresh_conflicts(&mut self) {
        match self.client.store().unresolved_conflicts() {
            Ok(c) => self.conflicts = c,
            Err(e) => self.error(e.to_string()),
        }
        // A resolved conflict's detail screen has nothing left to show.
        let ids: Vec<i64> = self.conflicts.iter().map(|c| c.id).collect();
        let count = self.conflicts.len();
        for screen in &mut self.stack {
            if let Screen::SyncErrors(s) = screen {
                s.selected = s.selected.min(count.saturating_sub(1));
            }
        }
        if let Some(Screen::Conflict(c)) = self.stack.last()
            && !ids.contains(&c.conflict_id)
        {
            self.stack.pop();
        }
    }

    /// The on-start checklist, built from the same state the engine decides with.
    fn refresh_checklist(&mut self) {
        let Some(effective) = &self.effective else {
            self.checklist.clear();
            return;
        };
        let state = self.client.store().sync_state().unwrap_or_default();
        let input = crate::rules::OnStartState {
            auto_sync: effective.auto_sync,
            background_sync: effective.background_sync,
            credentials: if effective.save_password && self.password_saved {
                crate::rules::Credentials::Saved
            } else {
                crate::rules::Credentials::PasswordNotSaved
            },
            require_sync_login: effective.require_sync_login,
            last_successful_sync_end: state.last_successful.as_ref().map(|l| l.ended),
            network: self.network,
            unresolved_conflicts: self.client.store().unresolved_count().unwrap_or(0),
            update_pending: state.update_available.is_some(),
        };
        self.checklist = crate::rules::on_start_checklist(self.clock.now(), &input);
    }

    // --- navigation -------------------------------------------------------------------------

    fn push(&mut self, screen: Screen) {
        self.stack.push(screen);
    }

    /// Pops the top screen, closing it if it is a form.
    fn pop(&mut self) {
        if self.stack.len() <= 1 {
            return;
        }
        if let Some(Screen::Form(_)) = self.stack.pop() {
            self.client.close_form();
        }
    }

    fn dirty_form(&self) -> bool {
        self.stack
            .iter()
            .any(|s| matches!(s, Screen::Form(f) if f.is_dirty()))
    }

    fn go_home(&mut self) {
        if self
            .stack
            .iter()
            .skip(1)
            .any(|s| matches!(s, Screen::Form(f) if f.is_dirty()))
        {
            self.dialog = Some(Dialog::Discard {
                then: AfterDiscard::Home,
            });
            return;
        }
        while self.stack.len() > 1 {
            self.pop();
        }
    }

    fn back(&mut self) -> Vec<Effect> {
        if let Some(dialog) = &self.dialog {
            match dialog {
                Dialog::Discard { .. } => self.dialog = None,
                Dialog::ModeSwitch { .. } => self.answer_dialog(crate::rules::SwitchChoice::Cancel),
            }
            return Vec::new();
        }
        if self.sync_screen.is_some() {
            self.cancel_sync();
            return Vec::new();
        }
        match self.stack.last_mut() {
            Some(Screen::Form(f)) => {
                if f.editing.is_some() {
                    return self.end_edit();
                }
                if f.is_dirty() {
                    self.dialog = Some(Dialog::Discard {
                        then: AfterDiscard::Back,
                    });
                    return Vec::new();
                }
            }
            Some(Screen::Setup(s)) if s.editing.is_some() => {
                s.editing = None;
                return Vec::new();
            }
            Some(Screen::List(l)) if l.searching => {
                l.searching = false;
                return Vec::new();
            }
            Some(Screen::Conflict(c)) if c.merge.is_some() || c.what_if => {
                c.merge = None;
                c.what_if = false;
                return Vec::new();
            }
            _ => {}
        }
        self.pop();
        Vec::new()
    }

    fn quit(&mut self) -> Vec<Effect> {
        if self.dirty_form() {
            self.dialog = Some(Dialog::Discard {
                then: AfterDiscard::Quit,
            });
            return Vec::new();
        }
        self.shutdown()
    }

    /// Closes every form, stops the engine and tells the driver to stop.
    fn shutdown(&mut self) -> Vec<Effect> {
        while self.stack.len() > 1 {
            self.pop();
        }
        self.dialog = None;
        self.client.engine().send(Command::Shutdown);
        self.quitting = true;
        vec![Effect::Quit]
    }

    fn confirm_discard(&mut self) -> Vec<Effect> {
        let Some(Dialog::Discard { then }) = self.dialog.take() else {
            return Vec::new();
        };
        for screen in &mut self.stack {
            if let Screen::Form(f) = screen {
                f.editing = None;
                for field in &mut f.fields {
                    field.value = field.stored.clone();
                }
            }
        }
        match then {
            AfterDiscard::Back => self.pop(),
            AfterDiscard::Home => self.go_home(),
            AfterDiscard::Quit => return self.shutdown(),
        }
        self.info("Unsaved edits discarded");
        Vec::new()
    }

    fn move_selection(&mut self, delta: i64) {
        match &mut self.dialog {
            // The buttons go round, as the Setup selectors do.
            Some(Dialog::ModeSwitch {
                choices, selected, ..
            }) => {
                *selected = cycle_index(*selected, delta.signum(), choices.len());
                return;
            }
            Some(Dialog::Discard { .. }) => return,
            None => {}
        }
        let home_len = self.home_items().len();
        let conflicts = self.conflicts.len();
        let log_len = self.filtered_log_len();
        let conflict_rows = match self.stack.last() {
            Some(Screen::Conflict(c)) => self.conflict_rows(c.conflict_id).len(),
            _ => 0,
        };
        match self.stack.last_mut() {
            Some(Screen::Home(h)) => h.selected = step(h.selected, delta, home_len),
            Some(Screen::Setup(s)) => {
                s.editing = None;
                s.selected = step(s.selected, delta, SetupRow::ALL.len());
            }
            Some(Screen::List(l)) => l.selected = step(l.selected, delta, l.rows.len()),
            Some(Screen::Form(_)) => self.next_field(delta),
            Some(Screen::SyncErrors(s)) => s.selected = step(s.selected, delta, conflicts),
            Some(Screen::Conflict(c)) => c.selected = step(c.selected, delta, conflict_rows),
            Some(Screen::Log(l)) => {
                let current = l.selected.unwrap_or(log_len.saturating_sub(1));
                let next = step(current, delta, log_len);
                l.selected = if next + 1 >= log_len {
                    None
                } else {
                    Some(next)
                };
            }
            Some(Screen::Server(s)) => s.selected = step(s.selected, delta, ServerItem::ALL.len()),
            Some(Screen::LogEntry(_)) | None => {}
        }
    }

    /// What Select (Enter) on the current screen means, as a semantic action when it is one.
    pub fn select_action(&self) -> Option<Action> {
        if let Some(dialog) = &self.dialog {
            return Some(match dialog {
                Dialog::ModeSwitch {
                    choices, selected, ..
                } => Action::AnswerDialog(choices[(*selected).min(choices.len() - 1)]),
                // Enter keeps the edits: discarding needs its own key.
                Dialog::Discard { .. } => Action::KeepEditing,
            });
        }
        match self.screen() {
            Screen::Home(h) => Some(match self.home_items().get(h.selected)? {
                HomeItem::SyncErrors { .. } => Action::OpenSyncErrors,
                HomeItem::Entity { name, .. } => Action::OpenList {
                    entity: name.clone(),
                },
                HomeItem::Setup => Action::OpenSetup,
                HomeItem::Log => Action::OpenLog,
                HomeItem::Server => Action::OpenServerPanel,
            }),
            Screen::Setup(s) => self.setup_select_action(s.selected),
            Screen::List(l) => l.rows.get(l.selected).map(|r| Action::OpenRecord {
                entity: l.entity.clone(),
                id: r.id.clone(),
            }),
            Screen::Form(f) => f
                .fields
                .get(f.selected)
                .filter(|field| !field.read_only)
                .map(|_| Action::BeginEdit),
            Screen::SyncErrors(s) => self
                .conflicts
                .get(s.selected)
                .map(|c| Action::OpenConflict { conflict_id: c.id }),
            Screen::Conflict(_) => None,
            Screen::Log(l) => {
                let lines = self.filtered_log();
                let index = l.selected.unwrap_or(lines.len().saturating_sub(1));
                lines
                    .get(index)
                    .map(|line| Action::OpenLogEntry { seq: line.seq })
            }
            Screen::LogEntry(_) => None,
            Screen::Server(s) => {
                self.server_item_action(ServerItem::ALL[s.selected.min(ServerItem::ALL.len() - 1)])
            }
        }
    }

    fn select(&mut self) -> Vec<Effect> {
        if self.dialog.is_none()
            && let Some(Screen::Conflict(c)) = self.stack.last_mut()
        {
            if c.merge.is_some() {
                self.toggle_merge_pick();
            }
            return Vec::new();
        }
        match self.select_action() {
            Some(action) => self.apply(action),
            None => Vec::new(),
        }
    }

    fn next_field(&mut self, delta: i64) {
        if let Some(Dialog::ModeSwitch {
            choices, selected, ..
        }) = &mut self.dialog
        {
            *selected = cycle_index(*selected, delta.signum(), choices.len());
            return;
        }
        match self.stack.last_mut() {
            Some(Screen::Form(f)) => {
                if let Some(input) = f.editing.take()
                    && let Some(field) = f.fields.get_mut(f.selected)
                {
                    field.value = input.value().to_string();
                }
                f.selected = step(f.selected, delta, f.fields.len());
            }
            Some(Screen::Setup(s)) => {
                s.editing = None;
                s.selected = step(s.selected, delta, SetupRow::ALL.len());
            }
            _ => {}
        }
    }
}

/// Moves an index by `delta` within `0..len`, going round at either end.
fn cycle_index(index: usize, delta: i64, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (index as i64 + delta).rem_euclid(len as i64) as usize
}

/// Moves an index by `delta` within `0..len`, clamped.
fn step(index: usize, delta: i64, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let next = index as i64 + delta;
    next.clamp(0, len as i64 - 1) as usize
}
