//! What a journal row stands for, typed, beside its words: the data every reader (timeline,
//! auditor, scenario checks, JSON export) acts on. Every row written today carries one; rows
//! of journals written before a variant existed have none and are read by their words, by
//! the few readers that still know those words.

use serde::{Deserialize, Serialize};

use crate::rules::{
    ApplyGate, ConflictResolution, Decision, DeleteConflict, ModeSwitch, Network, Phase,
    SaveDecision, SyncMode, Trigger, UpdateAction,
};
use crate::settings::SyncBeforeSwitch;

/// What a journal row stands for, as typed data beside its words: what a reader acts on, so
/// that nobody parses the words back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalData {
    /// Why (or why not) a sync runs.
    Decision(Decision),
    /// A save under the save gate, and how long it waited for the sync's write lock when that
    /// was long enough to tell the user.
    Save {
        decision: SaveDecision,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        waited_ms: Option<u64>,
        /// Which change it was; `None` only in rows written before saves said so.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        change: Option<RecordChange>,
    },
    /// A sync began to run (the decision line before it says why).
    SyncRunning { trigger: Trigger, mode: SyncMode },
    /// The sync holds before its entity phase `before` while `held` UI transactions are held.
    WaitsForUi { before: Phase, held: u32 },
    /// A sync entered a phase.
    Phase(Phase),
    /// A sync ended.
    SyncEnded { succeeded: bool },
    /// `tryEnterUiTransaction` / `leaveUiTransaction`, and what it answered.
    UiTransaction(UiTransactionCall),
    /// A Setup change, and whether the lock rule (or a check of its value) let it through.
    Setting(SettingOutcome),
    /// A conflict the sync keeps for the user under Sync Errors: a second line about a conflict
    /// whose strategy line (or server refusal) was written already.
    KeptForUser,
    /// What the server was made to do: a Server panel control or a scenario's server step.
    Server(ServerStep),
    /// A user's edit row: a field edit, one field of a record created (one row per field), or
    /// a record deleted on the device.
    Record(RecordChange),
    /// A device change the server acknowledged.
    Acknowledged(Acknowledged),
    /// A device change the sync lost; the row's kind says which rule lost it (No action's
    /// overwrite, or Server Wins). `server_deleted`: the server had deleted the record.
    Lost {
        change: RecordChange,
        server_deleted: bool,
    },
    /// How a conflict was settled: by the entity's On Conflict strategy, or by the user.
    Resolved(Resolved),
    /// The server refused an upload for a reason a retry cannot fix, with this status.
    UploadRefused { status: u16 },
    /// A request failed for a reason a retry may fix: attempt `attempt` of `of` follows after
    /// `wait_ms`.
    Retrying { attempt: u32, of: u32, wait_ms: u64 },
    /// What the sync did with a project version.
    Project(ProjectStep),
    /// A delta token expired (`410 Gone`) and the full download that replaces it.
    Reconcile(ReconcileStep),
    /// The device's network came or went.
    Network(Network),
    /// A switch between offline and online mode.
    ModeSwitch(ModeSwitchStep),
    /// An online save, sent straight to the server.
    OnlineSave(OnlineSaveOutcome),
}

/// A device change the server acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acknowledged {
    /// One uploaded field value, now at the server's `etag`.
    Value { etag: String },
    /// A delete settled by the server's answer: `204` (deleted), or `404` / `410` (it had no
    /// such record).
    Delete { status: u16 },
    /// A delete the server had made too: the device's delete is settled by a download.
    DeletedOnBothSides,
}

/// Who settled a conflict, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolved {
    /// The On Conflict strategy, for an edit the server changed (`412`) or deleted (`404`).
    Strategy(ConflictResolution),
    /// The On Conflict strategy, for a device delete the server edited.
    DeleteStrategy(DeleteConflict),
    /// The user, under Sync Errors.
    User(UserChoice),
}

/// A Sync Errors action the user took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserChoice {
    RetryWithMine,
    TakeServer,
    Merge,
    Ignore,
}

/// What the sync did with a project version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStep {
    /// A version newer than the applied one, and what the rules do about it.
    Found { version: u32, action: UpdateAction },
    /// The version is now the device's customization.
    Applied { version: u32 },
    /// Applied by a foreground sync that now goes on in `mode`.
    ContinuesIn { version: u32, mode: SyncMode },
    /// Not applied: the gate says what must happen first.
    NotApplied { version: u32, gate: ApplyGate },
    /// The first project's defaults became the settings (the user had not chosen them).
    DefaultsAdopted { version: u32 },
}

/// The reconcile after an expired delta token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReconcileStep {
    /// `410 Gone`: `entity`'s download starts again from its first page.
    Restarted { entity: String },
    /// The full download removed `removed` records the server deleted meanwhile.
    Removed { entity: String, removed: usize },
}

/// A mode switch, step by step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeSwitchStep {
    /// The user asked; `setting` is the Sync-before setting that decides.
    Requested {
        direction: ModeSwitch,
        setting: SyncBeforeSwitch,
    },
    /// The sync before the switch failed, and the device stays in its mode.
    Stayed { direction: ModeSwitch },
    /// The device switched.
    Switched { direction: ModeSwitch },
}

/// What an online save got from the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnlineSaveOutcome {
    /// Stored on the server at `etag`.
    Saved { etag: String },
    /// `412`: the record changed on the server; nothing was written.
    Conflict,
    /// The request failed; nothing was written.
    Failed,
}

/// Which change of a record a save made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordChange {
    Edit,
    Create,
    Delete,
}

/// A server-side event as journaled, from the control call that made it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerStep {
    /// A project version published (an asset, or the Woodford screen's draft).
    Published,
    /// A record edited on the server by another user.
    BackofficeEdit,
    /// A record deleted on the server by another user.
    BackofficeDelete,
    /// The business-logic delay of `entity`'s writes set to `ms`.
    Delay { entity: String, ms: u64 },
    /// A fault rule injected.
    Fault,
}

/// A UI-transaction call as journaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UiTransactionCall {
    /// `tryEnterUiTransaction()` returned true; `held` clearances now.
    Entered { held: u32 },
    /// `tryEnterUiTransaction()` returned false.
    Refused,
    /// `leaveUiTransaction()` released one; `still_held` remain.
    Left { still_held: u32 },
    /// `leaveUiTransaction()` with none held (harmless).
    LeftNoneHeld,
}

/// What became of a Setup change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingOutcome {
    Changed,
    Refused,
}
