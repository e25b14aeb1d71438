//! The App core's work on the world, as data: reading and writing the device (its store, its
//! forms and UI transactions, its settings and mode), engine commands, control-API calls,
//! online saves, the custom command's timer, quitting. `App::update` returns effects; the
//! driver ([`crate::driver`]) performs them and answers each with an
//! [`EffectResult`], fed back as `Action::EffectDone`.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::auditor::LostEdit;
use crate::device::{AppMode, OnlineSave, SaveOutcome, SwitchRequest};
use crate::engine::Command;
use crate::project::Project;
use crate::rules::{LeaveOutcome, SwitchChoice, SwitchOutcome, UiTransactionRefused};
use crate::settings::{EffectiveSettings, SettingChange, UserSettings};
use crate::store::{
    Conflict, JournalData, JournalEntry, JournalKind, LocalRecord, ServerStep, SyncState,
    UserResolution,
};
use crate::wire::{FaultRule, Fields, Published};

use super::state::EntityCount;

/// Work for the driver.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Read again what [`Reload`] names; answered by [`EffectResult::Reloaded`].
    Reload(Box<Reload>),
    /// The record a form opens; answered by [`EffectResult::RecordLoaded`].
    LoadRecord {
        entity: String,
        id: String,
    },
    /// The records the custom command edits; answered by [`EffectResult::RelatedLoaded`].
    LoadRelated {
        entity: String,
        id: String,
    },
    /// A save through the save gate; answered by [`EffectResult::Saved`].
    Save {
        entity: String,
        id: String,
        values: Fields,
        by: SaveBy,
    },
    /// A new record through the save gate (with `id`, or one the device generates); answered
    /// by [`EffectResult::Created`].
    Create {
        entity: String,
        id: Option<String>,
        values: Fields,
    },
    /// A delete through the save gate; answered by [`EffectResult::Deleted`].
    Delete {
        entity: String,
        id: String,
    },
    /// A Setup change through the lock rule; answered by [`EffectResult::SettingChanged`].
    ChangeSetting(SettingChange),
    /// The password typed on the sync screen; answered by [`EffectResult::PasswordEntered`].
    EnterPassword(String),
    /// A form opened or closed (the sync's UI gate counts them); answered by
    /// [`EffectResult::Gate`].
    OpenForm,
    CloseForm,
    /// `tryEnterUiTransaction`; answered by [`EffectResult::UiTransactionEntered`].
    EnterUiTransaction(By),
    /// `leaveUiTransaction`; answered by [`EffectResult::UiTransactionLeft`].
    LeaveUiTransaction(By),
    /// The user asks to switch mode; answered by [`EffectResult::ModeSwitchRequested`].
    RequestModeSwitch,
    /// A button of the Sync-before dialog; answered by [`EffectResult::ModeSwitchAnswered`].
    AnswerModeSwitch(SwitchChoice),
    /// The sync before a switch ended; answered by [`EffectResult::ModeSwitchFinished`].
    FinishModeSwitch {
        succeeded: bool,
    },
    /// A Sync Errors action; answered by [`EffectResult::Resolved`].
    Resolve {
        conflict_id: i64,
        resolution: UserResolution,
    },
    /// A line for the timeline (a demo control's outcome).
    AppendJournal(Box<JournalEntry>),
    /// A command for the sync engine.
    Engine(Command),
    /// The demo clock moves on (and the engine is told); answered by
    /// [`EffectResult::ClockAdvanced`].
    AdvanceClock {
        by: chrono::Duration,
    },
    /// Write the journal as JSON lines beside `path` (never over an earlier export).
    ExportLog {
        path: PathBuf,
    },
    /// Write the timeline as an SVG picture beside `path` (never over an earlier export).
    ExportTimeline {
        path: PathBuf,
        timeline: crate::timeline::Timeline,
    },
    /// A call to the demo server's control API.
    Control(ControlCall),
    /// The project as the server publishes it now (control API); answered by
    /// [`EffectResult::ProjectRead`].
    ReadProject,
    /// Online mode: save the form's changed fields straight to the server (`If-Match`).
    SaveOnline {
        entity: String,
        id: String,
        values: Fields,
    },
    /// Wake the custom command for its next record after `after_ms` milliseconds.
    CustomStep {
        run: u64,
        after_ms: u64,
    },
    /// The user quit: the driver stops (the App has already shut its engine down).
    Quit,
}

impl Effect {
    /// Waits on the world (the network, a timer, a file): the TUI runs it in a task. Every
    /// other effect is a quick step on the device, performed before the next frame.
    pub fn waits(&self) -> bool {
        matches!(
            self,
            Effect::ExportLog { .. }
                | Effect::ExportTimeline { .. }
                | Effect::Control(_)
                | Effect::ReadProject
                | Effect::SaveOnline { .. }
                | Effect::CustomStep { .. }
        )
    }
}

/// Who saves: the Save button, or the custom command (run `run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveBy {
    Form,
    Custom { run: u64 },
}

impl SaveBy {
    /// The save path the journal names.
    pub fn path(self) -> &'static str {
        match self {
            SaveBy::Form => "Save button",
            SaveBy::Custom { .. } => "custom command (JSBridge)",
        }
    }
}

/// Who enters or leaves a UI transaction: the user by hand, or the custom command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Hand,
    Custom,
}

/// What to read again from the device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reload {
    /// Settings, effective settings, project, password saved, mode.
    pub settings: bool,
    /// Each entity's record count.
    pub counts: bool,
    pub conflicts: bool,
    /// Journal lines after this sequence number (0: the newest lines).
    pub journal_after: Option<i64>,
    /// The sync state and unresolved count the on-start checklist is built from.
    pub checklist: bool,
    /// The auditor's lost edits.
    pub lost: bool,
    /// The records of these open forms.
    pub forms: Vec<(String, String)>,
    /// Pages of these open lists.
    pub lists: Vec<ListQuery>,
}

/// A page of an entity list: the records matching `search`, the page holding `selected`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// The list's place on the screen stack.
    pub at: usize,
    pub entity: String,
    pub primary_field: String,
    pub search: String,
    pub selected: usize,
    /// Count the matches again (a new search or data); otherwise `total` is kept.
    pub count: bool,
    pub total: usize,
}

/// A list page as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    pub query: ListQuery,
    pub total: usize,
    pub offset: usize,
    pub records: Vec<LocalRecord>,
}

/// What a [`Reload`] read: the App's view of the device, part by part.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reloaded {
    pub settings: Option<DeviceSettings>,
    pub counts: Option<Vec<EntityCount>>,
    pub conflicts: Option<Result<Vec<Conflict>, String>>,
    pub journal: Option<Result<Vec<JournalEntry>, String>>,
    pub checklist: Option<(SyncState, usize)>,
    pub lost: Option<Vec<LostEdit>>,
    pub forms: Vec<((String, String), Option<LocalRecord>)>,
    pub lists: Vec<ListPage>,
}

/// The device's settings as the App shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSettings {
    pub settings: Option<UserSettings>,
    pub effective: Option<EffectiveSettings>,
    pub project: Option<Project>,
    pub password_saved: bool,
    pub mode: AppMode,
}

/// The sync's UI gate as the device holds it: open forms and UI transactions held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GateView {
    pub open_forms: usize,
    pub held: u32,
}

/// A demo control that the server carries out: the Server panel's and a scenario's server
/// steps alike.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlCall {
    /// Publish a project shipped in `assets/` (`v1`, `v2`) as the next version.
    PublishAsset(String),
    /// The Woodford screen's draft, as the next project version.
    Publish(Box<Project>),
    /// Edit a record on the server as another user (`backoffice` unless named).
    Edit {
        entity: String,
        id: String,
        fields: Fields,
        as_user: Option<String>,
    },
    /// Delete a record on the server as another user.
    Delete {
        entity: String,
        id: String,
    },
    SetDelay {
        entity: String,
        ms: u64,
    },
    Fault(FaultRule),
}

impl ControlCall {
    /// What the call made the server do, as its journal row's data.
    pub fn server_step(&self) -> ServerStep {
        match self {
            ControlCall::PublishAsset(_) | ControlCall::Publish(_) => ServerStep::Published,
            ControlCall::Edit { .. } => ServerStep::BackofficeEdit,
            ControlCall::Delete { .. } => ServerStep::BackofficeDelete,
            ControlCall::SetDelay { entity, ms } => ServerStep::Delay {
                entity: entity.clone(),
                ms: *ms,
            },
            ControlCall::Fault(_) => ServerStep::Fault,
        }
    }

    /// What the server did, in the words its journal row, the Server panel and a scenario's
    /// log say: `published` is the server's answer to a publish.
    pub fn describe(&self, published: Option<&Published>) -> String {
        let version = |p: Option<&Published>| match p {
            Some(p) => format!("project version {} ({})", p.version, p.name),
            None => "project".to_string(),
        };
        match self {
            ControlCall::PublishAsset(_) => format!(
                "published {}; a device learns of it with a sync",
                version(published)
            ),
            ControlCall::Publish(project) => format!(
                "published {} from Woodford: {}; a device learns of it with a sync",
                version(published),
                crate::woodford::describe(project)
            ),
            ControlCall::Edit {
                entity,
                id,
                fields,
                as_user,
            } => {
                let values = fields
                    .iter()
                    .map(|(k, v)| format!("{k} = \"{v}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                let who = as_user.as_deref().unwrap_or("backoffice");
                format!("{who} edited {entity} {id} on the server: {values}")
            }
            ControlCall::Delete { entity, id } => {
                format!("backoffice deleted {entity} {id} on the server")
            }
            ControlCall::SetDelay { entity, ms } => {
                format!("business-logic delay on {entity} writes: {ms} ms")
            }
            ControlCall::Fault(rule) => format!("fault injected: {}", super::describe_fault(rule)),
        }
    }

    /// The journal row of the call done, written by `actor`: `text` ([`ControlCall::describe`]),
    /// the step as its data, and the record it was about.
    pub fn journal_entry(&self, at: DateTime<Utc>, actor: &str, text: String) -> JournalEntry {
        let entry = JournalEntry::event(at, JournalKind::App, actor, text)
            .with_data(JournalData::Server(self.server_step()));
        match self {
            ControlCall::Edit { entity, id, .. } | ControlCall::Delete { entity, id } => {
                entry.about(entity, id)
            }
            _ => entry,
        }
    }
}

/// What an effect did, fed back as `Action::EffectDone`.
#[derive(Debug, Clone, PartialEq)]
pub enum EffectResult {
    Reloaded(Box<Reloaded>),
    RecordLoaded {
        entity: String,
        id: String,
        record: Result<Option<LocalRecord>, String>,
    },
    RelatedLoaded {
        entity: String,
        id: String,
        targets: Vec<(String, String)>,
    },
    Saved {
        entity: String,
        id: String,
        values: Fields,
        by: SaveBy,
        outcome: Result<SaveOutcome, String>,
    },
    Created {
        entity: String,
        values: Fields,
        /// The new record's id and what the gate and the store did.
        outcome: Result<(String, SaveOutcome), String>,
    },
    Deleted {
        entity: String,
        id: String,
        outcome: Result<SaveOutcome, String>,
    },
    SettingChanged {
        change: SettingChange,
        outcome: Result<(), String>,
    },
    PasswordEntered(Result<(), String>),
    Gate(GateView),
    UiTransactionEntered {
        by: By,
        result: Result<u32, UiTransactionRefused>,
        gate: GateView,
    },
    UiTransactionLeft {
        by: By,
        outcome: LeaveOutcome,
        gate: GateView,
    },
    ModeSwitchRequested(Result<SwitchRequest, String>),
    /// A refused answer keeps the dialog, with the reason.
    ModeSwitchAnswered(Result<SwitchRequest, String>),
    ModeSwitchFinished {
        outcome: Option<SwitchOutcome>,
        mode: AppMode,
    },
    Resolved {
        resolution: UserResolution,
        outcome: Result<(), String>,
    },
    ClockAdvanced {
        by: chrono::Duration,
    },
    /// The export ended: how many entries, and the file they went to.
    Exported {
        path: PathBuf,
        outcome: Result<(usize, PathBuf), String>,
    },
    /// The timeline's export ended: the file it went to.
    TimelineExported {
        path: PathBuf,
        outcome: Result<PathBuf, String>,
    },
    /// A control-API call ended: what the server did, or why it could not.
    Control {
        call: ControlCall,
        outcome: Result<String, String>,
    },
    /// The published project as read, or why it could not be.
    ProjectRead(Result<Box<Project>, String>),
    /// An online save ended.
    OnlineSaved {
        entity: String,
        id: String,
        outcome: OnlineSave,
    },
    /// Time for the custom command's next record.
    CustomStepDue {
        run: u64,
    },
    /// Nothing to report (quit).
    Nothing,
}
