//! The App core's screen and form state (its dialogs: `dialog.rs`). Renderers read these
//! through `&App`; only `App::update` changes them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use tui_input::Input;

pub use super::dialog::{AfterDiscard, Dialog, DialogButton, DialogKind};
pub use super::search::Search;
use crate::project::FieldKind;
use crate::rules::{LoginReason, Trigger};
use crate::store::{JournalEntry, JournalKind};

/// One screen on the navigation stack. Home is always at the bottom.
#[derive(Debug, Clone)]
pub enum Screen {
    Home(HomeState),
    Setup(SetupState),
    List(EntityList),
    Form(Box<FormState>),
    SyncErrors(SyncErrorsState),
    Conflict(ConflictState),
    Log(LogState),
    LogEntry(Box<LogEntryState>),
    Server(ServerState),
    Timeline(Box<super::timeline::TimelineState>),
    Woodford(Box<super::woodford::WoodfordState>),
}

/// Which screen, without its state: what the key map and the bottom bar look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScreenKind {
    Home,
    Setup,
    List,
    Form,
    SyncErrors,
    Conflict,
    Log,
    LogEntry,
    Server,
    Timeline,
    Woodford,
}

impl Screen {
    pub fn kind(&self) -> ScreenKind {
        match self {
            Screen::Home(_) => ScreenKind::Home,
            Screen::Setup(_) => ScreenKind::Setup,
            Screen::List(_) => ScreenKind::List,
            Screen::Form(_) => ScreenKind::Form,
            Screen::SyncErrors(_) => ScreenKind::SyncErrors,
            Screen::Conflict(_) => ScreenKind::Conflict,
            Screen::Log(_) => ScreenKind::Log,
            Screen::LogEntry(_) => ScreenKind::LogEntry,
            Screen::Server(_) => ScreenKind::Server,
            Screen::Timeline(_) => ScreenKind::Timeline,
            Screen::Woodford(_) => ScreenKind::Woodford,
        }
    }
}

impl ScreenKind {
    pub fn title(self) -> &'static str {
        match self {
            ScreenKind::Home => "Home",
            ScreenKind::Setup => "Setup",
            ScreenKind::List => "List",
            ScreenKind::Form => "Form",
            ScreenKind::SyncErrors => "Sync Errors",
            ScreenKind::Conflict => "Sync Error",
            ScreenKind::Log => "Log",
            ScreenKind::LogEntry => "Log line",
            ScreenKind::Server => "Server panel",
            ScreenKind::Timeline => "Timeline",
            ScreenKind::Woodford => "Woodford",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct HomeState {
    pub selected: usize,
}

/// One item of Home's menu, in the order shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HomeItem {
    /// First, whenever there are unresolved conflicts.
    SyncErrors {
        count: usize,
    },
    /// Next, whenever the auditor has found lost edits: opens the Log, which lists them.
    LostEdits {
        count: usize,
    },
    Entity {
        name: String,
        label: String,
        count: usize,
    },
    Setup,
    Log,
    Server,
}

/// The changeable rows of Setup's Synchronization block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetupRow {
    AutoSync,
    BackgroundSync,
    SavePassword,
    ServerUrl,
    UserName,
}

impl SetupRow {
    pub const ALL: [SetupRow; 5] = [
        SetupRow::AutoSync,
        SetupRow::BackgroundSync,
        SetupRow::SavePassword,
        SetupRow::ServerUrl,
        SetupRow::UserName,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SetupRow::AutoSync => "Auto Sync",
            SetupRow::BackgroundSync => "Background sync",
            SetupRow::SavePassword => "Save password",
            SetupRow::ServerUrl => "Server URL",
            SetupRow::UserName => "User name",
        }
    }

    pub fn is_text(self) -> bool {
        matches!(self, SetupRow::ServerUrl | SetupRow::UserName)
    }
}

#[derive(Debug, Clone, Default)]
pub struct SetupState {
    pub selected: usize,
    /// The text being typed into Server URL or User name.
    pub editing: Option<Input>,
}

/// One row of an entity list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub id: String,
    pub primary: String,
    pub secondary: String,
}

/// The List screen: one entity's records, a page at a time, with its search.
#[derive(Debug, Clone)]
pub struct EntityList {
    pub entity: String,
    pub label: String,
    pub primary_field: String,
    pub secondary_label: Option<String>,
    pub secondary_field: Option<String>,
    /// The page loaded: at most [`LIST_LIMIT`] rows, the first being number `offset` of `total`.
    pub rows: Vec<ListRow>,
    pub offset: usize,
    /// Records matching the search, over the whole entity (SQLite counts them).
    pub total: usize,
    /// Index among all `total` records; the page holding it is the one loaded.
    pub selected: usize,
    pub search: Search,
}

impl EntityList {
    /// The selected row, when it is on the loaded page.
    pub fn selected_row(&self) -> Option<&ListRow> {
        self.rows.get(self.selected.checked_sub(self.offset)?)
    }
}

/// Most rows a list loads at once: moving past them loads the next page.
pub const LIST_LIMIT: usize = 1000;

/// The smallest terminal the screens are laid out for.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 18;

/// Whether the terminal is large enough to show the screens (headless: always).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    #[default]
    Fits,
    /// Smaller than [`MIN_WIDTH`]×[`MIN_HEIGHT`]: only quitting works until it grows.
    TooSmall { width: u16, height: u16 },
}

/// One field of a form, laid out by the project's form definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    pub name: String,
    pub label: String,
    pub section: String,
    pub kind: FieldKind,
    /// Computed by the server (business logic) or a lookup: shown, not edited here.
    pub read_only: bool,
    /// The value stored on the device.
    pub stored: String,
    /// The value in the form (differs from `stored` when edited and not saved).
    pub value: String,
}

impl FormField {
    pub fn is_dirty(&self) -> bool {
        self.value != self.stored
    }
}

/// A line under the form: what the last save (or command) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct FormState {
    pub entity: String,
    pub entity_label: String,
    pub id: String,
    pub title: String,
    pub fields: Vec<FormField>,
    pub selected: usize,
    pub editing: Option<Input>,
    pub notice: Option<Notice>,
    /// An online save is on its way to the server.
    pub saving_online: bool,
    /// The record is no longer on the device (deleted by a sync).
    pub gone: bool,
    /// A stored record's form, or a new record's before its first save.
    pub origin: FormOrigin,
}

/// Whose form it is: a record the device has, or a new one not saved yet (its `id` is empty
/// until the device gives it one on the first save).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormOrigin {
    Stored,
    New,
}

impl FormState {
    pub fn is_dirty(&self) -> bool {
        self.fields.iter().any(FormField::is_dirty)
            || self.editing.as_ref().is_some_and(|i| {
                self.fields
                    .get(self.selected)
                    .is_some_and(|f| f.value != i.value())
            })
    }

    pub fn field(&self, name: &str) -> Option<&FormField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone, Default)]
pub struct SyncErrorsState {
    pub selected: usize,
}

/// Which side a merged field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Device,
    Server,
}

#[derive(Debug, Clone)]
pub struct ConflictState {
    pub conflict_id: i64,
    pub selected: usize,
    pub view: ConflictView,
}

/// What the conflict screen shows: one view at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictView {
    /// Both sides, field by field.
    Table,
    /// Merge mode: the side picked for each conflicting field.
    Merge(BTreeMap<String, Side>),
    /// What each On Conflict strategy would have produced.
    WhatIf,
}

impl ConflictState {
    /// The picks, in merge mode.
    pub fn merge(&self) -> Option<&BTreeMap<String, Side>> {
        match &self.view {
            ConflictView::Merge(picks) => Some(picks),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LogState {
    pub filter: Option<JournalKind>,
    /// Index into the filtered lines; `None` follows the newest line.
    pub selected: Option<usize>,
}

/// One log line opened in full.
#[derive(Debug, Clone)]
pub struct LogEntryState {
    pub line: LogLine,
}

/// The kinds the log's filter cycles through (`None`: everything).
pub const LOG_FILTERS: [Option<JournalKind>; 10] = [
    None,
    Some(JournalKind::Sync),
    Some(JournalKind::Save),
    Some(JournalKind::Edit),
    Some(JournalKind::Uploaded),
    Some(JournalKind::Conflict),
    Some(JournalKind::Overwritten),
    Some(JournalKind::ServerWins),
    Some(JournalKind::UiTransaction),
    Some(JournalKind::App),
];

#[derive(Debug, Clone, Default)]
pub struct ServerState {
    pub selected: usize,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub kind: JournalKind,
    pub actor: String,
    pub text: String,
    /// For a sync phase: how long it ran (until the next phase or the end), once known.
    pub duration: Option<chrono::Duration>,
    /// The journal row the line was made from, for the line's detail view.
    pub entry: JournalEntry,
}

/// The sync screen: it takes over while it shows.
#[derive(Debug, Clone)]
pub enum SyncScreen {
    /// The password is needed first, for `reason`: "you enter URL, name, and password".
    Login {
        trigger: Trigger,
        fields: Box<LoginFields>,
        reason: LoginReason,
    },
    /// A foreground synchronization runs; nothing else can be done.
    Running,
}

/// The sync screen's three inputs, and which has the keys (the password, when it opens).
#[derive(Debug, Clone, Default)]
pub struct LoginFields {
    pub url: Input,
    pub user: Input,
    pub password: Input,
    pub focus: LoginField,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoginField {
    Url,
    UserName,
    #[default]
    Password,
}

impl LoginField {
    pub const ALL: [LoginField; 3] = [LoginField::Url, LoginField::UserName, LoginField::Password];
}

impl LoginFields {
    /// The profile's URL and user name to edit, an empty password, the password focused.
    pub fn new(url: &str, user: &str) -> Self {
        LoginFields {
            url: Input::new(url.to_string()),
            user: Input::new(user.to_string()),
            ..LoginFields::default()
        }
    }

    pub fn input(&self, field: LoginField) -> &Input {
        match field {
            LoginField::Url => &self.url,
            LoginField::UserName => &self.user,
            LoginField::Password => &self.password,
        }
    }

    pub fn focused(&self) -> &Input {
        self.input(self.focus)
    }

    pub fn focused_mut(&mut self) -> &mut Input {
        match self.focus {
            LoginField::Url => &mut self.url,
            LoginField::UserName => &mut self.user,
            LoginField::Password => &mut self.password,
        }
    }

    /// Tab / Shift-Tab: the next or previous input, round.
    pub fn move_focus(&mut self, delta: i64) {
        let at = LoginField::ALL
            .iter()
            .position(|f| *f == self.focus)
            .unwrap_or(2) as i64;
        let n = LoginField::ALL.len() as i64;
        self.focus = LoginField::ALL[(at + delta).rem_euclid(n) as usize];
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Info,
    Success,
    Warning,
    Error,
}

/// The status line's message: the answer to the last thing the user did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub level: Level,
    pub text: String,
    /// What it answers, for the App to know again without reading the words.
    pub answers: Answers,
}

/// What a message answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Answers {
    /// The last action.
    #[default]
    Action,
    /// An action refused because the terminal is too small (gone once it is large enough).
    TooSmall,
}

/// An entity's tile on Home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityCount {
    pub name: String,
    pub label: String,
    pub count: usize,
}

/// The form's custom command while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomRun {
    pub run: u64,
    pub entity: String,
    pub id: String,
    pub targets: Vec<(String, String)>,
    pub next: usize,
}

/// The items of the Server panel, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerItem {
    Network,
    Mode,
    Clock1,
    Clock5,
    Clock16,
    Background,
    PublishV2,
    Woodford,
    EditRecord,
    DeleteRecord,
    DelayAccount,
    DelayContact,
    FaultBusy,
    FaultLostAnswer,
    FaultSlow,
    FaultError,
}

impl ServerItem {
    pub const ALL: [ServerItem; 16] = [
        ServerItem::Network,
        ServerItem::Mode,
        ServerItem::Clock1,
        ServerItem::Clock5,
        ServerItem::Clock16,
        ServerItem::Background,
        ServerItem::PublishV2,
        ServerItem::Woodford,
        ServerItem::EditRecord,
        ServerItem::DeleteRecord,
        ServerItem::DelayAccount,
        ServerItem::DelayContact,
        ServerItem::FaultBusy,
        ServerItem::FaultLostAnswer,
        ServerItem::FaultSlow,
        ServerItem::FaultError,
    ];

    /// Needs the server's control API (not available with an external `--server`).
    pub fn needs_control(self) -> bool {
        matches!(
            self,
            ServerItem::PublishV2
                | ServerItem::EditRecord
                | ServerItem::DeleteRecord
                | ServerItem::DelayAccount
                | ServerItem::DelayContact
                | ServerItem::FaultBusy
                | ServerItem::FaultLostAnswer
                | ServerItem::FaultSlow
                | ServerItem::FaultError
        )
    }
}

/// Business-logic delays the Server panel cycles through, in milliseconds.
pub const DELAY_STEPS: [u64; 4] = [0, 2000, 5000, 10000];
