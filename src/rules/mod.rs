//! The rules of automatic synchronization, as pure functions over plain data.
//!
//! This module is the reference text (`resco-automatic-synchronization.txt`) made executable:
//! every function quotes the sentence it implements, takes `now` and plain state as
//! parameters, reads no clock, does no I/O, and returns a value that explains itself — a
//! reason the UI can print, never a bare bool. No other module decides these questions.
//!
//! Where the reference is silent, the choice is marked *interpretation* here and in the README.

mod conflict;
mod customization;
mod decision;
mod mode_switch;
mod on_start;
mod requests;
mod save_gate;
mod setting_change;
mod sign_in;
mod triggers;
mod ui_transaction;

pub use conflict::{
    ConcurrentEdit, ConflictResolution, DeleteConflict, concurrent_edit, resolve_conflict,
    resolve_delete_conflict, what_if, what_if_delete,
};
pub use customization::{
    ApplyGate, UpdateAction, after_update_applied, auto_sync_enabled, may_apply_update,
    on_newer_project,
};
pub use decision::{Decision, DecisionOutcome};
pub use mode_switch::{
    ModeSwitch, SwitchChoice, SwitchOutcome, SwitchPlan, SwitchStep, after_sync, choose,
    plan_switch,
};
pub use on_start::{
    ON_START_WINDOW_MINUTES, OnStartCheck, OnStartDecision, OnStartRule, OnStartState, SkipReason,
    on_start, on_start_checklist,
};
pub use requests::{RequestDecision, WhileRunning, requested, while_running};
pub use save_gate::{
    EntityPhaseGate, SaveDecision, SaveRefusal, StartGate, UploadSnapshot, UploadsWith,
    may_enter_entity_phase, may_start_background_sync, save_gate, uploads_with,
};
pub use setting_change::{
    SavedPassword, SettingsOrigin, SettingsWrite, adopt_project_defaults, change_setting,
    check_server_url, check_user_name, is_changeable, setting_write,
};
pub use sign_in::{
    KeepPassword, LoginReason, SignIn, TypedPassword, credentials, keep_typed_password, sign_in,
    typed_password,
};
pub use triggers::{
    AutoSyncBlocker, IntervalDecision, OnChangeDecision, auto_sync_blockers, interval, on_change,
    sync_mode,
};
pub use ui_transaction::{LeaveOutcome, UiTransactionRefused, UiTransactions};

use std::fmt;

use serde::{Deserialize, Serialize};

/// The phases of one synchronization, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Phase {
    Connect,
    Customization,
    Upload,
    Download,
    Attachments,
    CloudDocuments,
    Emails,
}

impl Phase {
    pub const ALL: [Phase; 7] = [
        Phase::Connect,
        Phase::Customization,
        Phase::Upload,
        Phase::Download,
        Phase::Attachments,
        Phase::CloudDocuments,
        Phase::Emails,
    ];

    /// "The restriction only applies to the entity upload and download phase. Other sync phases
    /// such as download of customization, attachments, cloud documents or emails are not
    /// blocking."
    pub fn is_entity_phase(self) -> bool {
        matches!(self, Phase::Upload | Phase::Download)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Connect => "Connect",
            Phase::Customization => "Customization",
            Phase::Upload => "Upload",
            Phase::Download => "Download",
            Phase::Attachments => "Attachments",
            Phase::CloudDocuments => "Cloud documents",
            Phase::Emails => "Emails",
        })
    }
}

/// Background: the user keeps working. Foreground: the sync screen, and the user waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SyncMode {
    Background,
    Foreground,
}

impl fmt::Display for SyncMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyncMode::Background => "background",
            SyncMode::Foreground => "foreground",
        })
    }
}

/// Whether a synchronization is running, and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SyncActivity {
    Idle,
    Running {
        mode: SyncMode,
        phase: Phase,
    },
    /// Running, but held before the entity phase `before` until the forms' UI transactions are
    /// released: it is in no phase yet, so it blocks no save ("While a clearance is held, the
    /// background sync does not run its entity phases").
    WaitingForUiTransactions {
        mode: SyncMode,
        before: Phase,
        held: u32,
    },
}

impl SyncActivity {
    /// A sync runs, in a phase or waiting before one.
    pub fn is_running(self) -> bool {
        self != SyncActivity::Idle
    }

    /// The running sync's mode.
    pub fn mode(self) -> Option<SyncMode> {
        match self {
            SyncActivity::Idle => None,
            SyncActivity::Running { mode, .. }
            | SyncActivity::WaitingForUiTransactions { mode, .. } => Some(mode),
        }
    }
}

impl fmt::Display for SyncActivity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncActivity::Idle => f.write_str("idle"),
            SyncActivity::Running { phase, .. } => write!(f, "{phase}"),
            SyncActivity::WaitingForUiTransactions { held, .. } => {
                write!(f, "waiting for UI transactions ({held} held)")
            }
        }
    }
}

/// What started (or would start) a synchronization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Trigger {
    /// The app started.
    OnStart,
    /// The app returned from the background ("even after it was running in the background").
    Resume,
    /// The user saved a change.
    OnChange,
    /// The Auto Sync Interval elapsed.
    Interval,
    /// The user pressed Sync.
    Manual,
    /// The user pressed the down arrow, or a waiting project update started it at app start.
    ProjectUpdate,
    /// Before switching between online and offline mode.
    ModeSwitch,
}

impl Trigger {
    /// Automatic triggers are the ones the user did not ask for by pressing something.
    pub fn is_automatic(self) -> bool {
        matches!(
            self,
            Trigger::OnStart | Trigger::Resume | Trigger::OnChange | Trigger::Interval
        )
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Trigger::OnStart => "on start",
            Trigger::Resume => "return from background",
            Trigger::OnChange => "on change",
            Trigger::Interval => "interval",
            Trigger::Manual => "manual",
            Trigger::ProjectUpdate => "project update",
            Trigger::ModeSwitch => "mode switch",
        })
    }
}

/// "No network connection is active".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Network {
    Connected,
    Disconnected,
}

/// Whether a password is saved for the sync to sign in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Credentials {
    /// A password is saved on the device (Save password On). Require Sync Login is its own
    /// condition ([`sign_in`]).
    Saved,
    /// "Password is not saved".
    PasswordNotSaved,
}
