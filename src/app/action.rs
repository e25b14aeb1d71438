//! Everything that can happen to the App core, as data: what the user does (keys become these),
//! what a scenario step does, what the demo controls do, and what comes in from outside (the
//! engine's status and events, the results of effects, the clock's tick).

use std::path::PathBuf;

use crossterm::event::KeyEvent;

use super::effect::EffectResult;
use crate::engine::{EngineEvent, SyncStatus};
use crate::rules::SwitchChoice;
use crate::settings::SettingChange;
use crate::store::{JournalKind, UserResolution};
use crate::wire::{FaultRule, Fields};

/// One thing that happens to the App. `App::update` applies it.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    // --- navigation -------------------------------------------------------------------------
    /// Back to Home (closing every open form; asks first if one has unsaved edits).
    OpenHome,
    OpenSetup,
    /// The list of an entity's records.
    OpenList {
        entity: String,
    },
    /// The form of one record.
    OpenRecord {
        entity: String,
        id: String,
    },
    /// Sync Errors: the unresolved conflicts.
    OpenSyncErrors,
    /// The detail of one conflict (device and server side by side, the actions).
    OpenConflict {
        conflict_id: i64,
    },
    /// The timeline.
    OpenLog,
    /// One line of the timeline in full, with its data.
    OpenLogEntry {
        seq: i64,
    },
    /// The demo controls.
    OpenServerPanel,
    /// Woodford: the project as published, and a draft of its Configuration to publish.
    OpenWoodford,
    /// Leave the current screen (asks first if a form with unsaved edits would close).
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    /// The selection to the first item (Home, `g`).
    First,
    /// The selection to the last item (End, `G`).
    Last,
    /// The mouse wheel: the selection moves by this many rows.
    Scroll(i64),
    /// Activate the selected item of the current screen.
    Select,
    /// A click on item `index` of the current screen (its index as the arrows count): the
    /// selection moves there, then it is Enter.
    Pick(usize),
    NextField,
    PrevField,
    /// Show or hide the help overlay.
    Help,
    /// Quit (asks first if a form has unsaved edits).
    Quit,

    // --- text input -------------------------------------------------------------------------
    /// A key for the focused text input (tui-input).
    Input(KeyEvent),
    /// Start editing the selected text (form field, Setup text, list search).
    BeginEdit,
    /// Stop editing, keeping what was typed.
    EndEdit,
    /// Sets the list's search text directly (scenarios).
    Search(String),
    /// Text pasted into the focused input (bracketed paste): one edit at the cursor.
    Paste(String),

    // --- forms ------------------------------------------------------------------------------
    /// Sets a field of the open form directly (scenarios): the form becomes dirty.
    EditField {
        field: String,
        value: String,
    },
    Save,
    /// Discards the form's unsaved edits (the form stays open).
    CancelForm,
    /// The form's custom command: edits the related records one per second under a UI
    /// transaction (`tryEnterUiTransaction` … `leaveUiTransaction`).
    RunCustomCommand,
    /// `EntityForm.tryEnterUiTransaction()` by hand.
    EnterUiTransaction,
    /// `EntityForm.leaveUiTransaction()` by hand.
    LeaveUiTransaction,

    // --- sync -------------------------------------------------------------------------------
    PressSync,
    /// The down-arrow button that replaces Sync when a project update waits.
    PressDownArrow,
    CancelSync,
    /// Home: expand or collapse the "why did (or didn't) auto sync run?" checklist.
    ToggleWhy,

    // --- settings ---------------------------------------------------------------------------
    ChangeSetting(SettingChange),
    /// The password typed on the sync screen.
    EnterPassword(String),

    // --- online / offline -------------------------------------------------------------------
    /// Ask to switch between offline and online mode (the Sync-before setting decides).
    SwitchMode,
    /// A button of the Sync-before dialog.
    AnswerDialog(SwitchChoice),
    /// "Discard changes?" → yes.
    ConfirmDiscard,
    /// A list: open the entity's form empty, as a new record.
    NewRecord,
    /// A form: ask whether to delete its record.
    DeleteRecord,
    /// "Delete the record?" → yes.
    ConfirmDelete,
    /// A new record with this id and these values, through the save gate (no form).
    CreateRecord {
        entity: String,
        id: String,
        fields: Fields,
    },
    /// Deletes this record on the device, through the save gate (no dialog).
    Delete {
        entity: String,
        id: String,
    },
    /// "Discard changes?" (or "Delete the record?") → no.
    KeepEditing,

    // --- conflicts --------------------------------------------------------------------------
    Resolve {
        conflict_id: i64,
        resolution: UserResolution,
    },
    /// Conflict detail: start (or leave) picking each conflicting field from device or server.
    ToggleMerge,
    /// Conflict detail: the "what if" view of every On Conflict strategy.
    ToggleWhatIf,

    // --- Woodford ---------------------------------------------------------------------------
    /// The selected row's previous (`delta` -1) or next (+1) value in the draft.
    DraftStep {
        delta: i64,
    },
    /// The selected setting's Lock in the draft.
    ToggleLock,
    /// The draft becomes the next project version on the server.
    PublishDraft,
    /// The draft goes back to what is published.
    DiscardDraft,
    /// Read the published project again.
    ReadPublished,

    // --- log --------------------------------------------------------------------------------
    FilterLog(Option<JournalKind>),
    /// The journal as a picture (sync phases, saves, server, findings).
    OpenTimeline,
    /// Timeline: move the cursor this many columns.
    TimelineScroll {
        columns: i64,
    },
    /// Timeline: this many zoom steps closer (negative: wider).
    TimelineZoom {
        step: i64,
    },
    /// Writes the timeline on screen as an SVG picture.
    ExportTimeline {
        path: PathBuf,
    },
    /// Writes the whole journal as JSON lines.
    ExportLog {
        path: PathBuf,
    },

    // --- demo controls ----------------------------------------------------------------------
    ToggleNetwork,
    AdvanceClock {
        by: chrono::Duration,
    },
    SendToBackground,
    Resume,
    PublishV2,
    ServerEditOpenRecord,
    ServerDeleteOpenRecord,
    /// Edit a given record on the server as backoffice (scenarios; what `--record` keeps of
    /// `ServerEditOpenRecord`).
    ServerEdit {
        entity: String,
        id: String,
        fields: crate::wire::Fields,
    },
    /// Delete a given record on the server as backoffice.
    ServerDelete {
        entity: String,
        id: String,
    },
    SetServerDelay {
        entity: String,
        ms: u64,
    },
    InjectFault(FaultRule),

    // --- from outside -----------------------------------------------------------------------
    Status(SyncStatus),
    Engine(EngineEvent),
    EffectDone(EffectResult),
    Tick,
    /// The terminal's size: below [`super::MIN_WIDTH`]×[`super::MIN_HEIGHT`] only quitting works.
    Resize {
        width: u16,
        height: u16,
    },
}

impl Action {
    /// Inputs from outside the user's hands: not recorded for `--record`.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            Action::Status(_)
                | Action::Engine(_)
                | Action::EffectDone(_)
                | Action::Tick
                | Action::Resize { .. }
        )
    }

    /// Moves between screens.
    pub fn is_navigation(&self) -> bool {
        matches!(
            self,
            Action::OpenHome
                | Action::OpenSetup
                | Action::OpenList { .. }
                | Action::OpenRecord { .. }
                | Action::OpenSyncErrors
                | Action::OpenConflict { .. }
                | Action::OpenLog
                | Action::OpenLogEntry { .. }
                | Action::OpenTimeline
                | Action::OpenServerPanel
                | Action::OpenWoodford
                | Action::Back
        )
    }

    /// The world's controls (the demo panel): they act on the server, the network, the clock
    /// or the app's lifecycle, never on the app's screens.
    pub fn is_demo_control(&self) -> bool {
        matches!(
            self,
            Action::ToggleNetwork
                | Action::AdvanceClock { .. }
                | Action::PublishV2
                | Action::ServerEditOpenRecord
                | Action::ServerDeleteOpenRecord
                | Action::ServerEdit { .. }
                | Action::ServerDelete { .. }
                | Action::SetServerDelay { .. }
                | Action::InjectFault(_)
        )
    }
}
