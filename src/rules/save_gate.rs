//! "Background sync and data consistency": may a form be saved now, may a background sync
//! start now, may it enter its entity phases now.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Phase, SyncActivity, SyncMode, Trigger};
use crate::settings::BackgroundBehavior;

/// Why a save was refused. The form keeps the user's edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SaveRefusal {
    /// A Block behavior and a background sync in an entity phase.
    BlockedByBackgroundSync {
        behavior: BackgroundBehavior,
        phase: Phase,
    },
    /// A foreground sync in an entity phase: the user waits on the sync screen.
    ForegroundSync { phase: Phase },
}

impl fmt::Display for SaveRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaveRefusal::BlockedByBackgroundSync { behavior, phase } => write!(
                f,
                "Save is blocked while the background sync is in its {phase} phase ({behavior}); your edits are kept, save again when it finishes"
            ),
            SaveRefusal::ForegroundSync { phase } => write!(
                f,
                "A foreground synchronization is in its {phase} phase; wait for it to finish"
            ),
        }
    }
}

/// The answer to "may this form be saved now?"
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SaveDecision {
    /// No sync is in an entity phase: save.
    Allow,
    /// No action during an entity phase: the save goes ahead concurrently with the sync. "When
    /// both the user and the synchronization process attempt to write to the database at the
    /// same time, users are notified and have to wait" — and in rare cases data is lost.
    AllowConcurrent {
        phase: Phase,
    },
    /// Rebase (autosync's own behavior): the save goes ahead and is re-applied on top of what
    /// the sync brings back, then uploaded by the next sync.
    AllowRebased {
        phase: Phase,
    },
    Refuse {
        reason: SaveRefusal,
    },
}

impl SaveDecision {
    pub fn is_allowed(self) -> bool {
        !matches!(self, SaveDecision::Refuse { .. })
    }
}

impl fmt::Display for SaveDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaveDecision::Allow => f.write_str("save allowed"),
            SaveDecision::AllowConcurrent { phase } => write!(
                f,
                "save allowed during {phase} (No action): it may wait for the sync's write and, in rare cases, be overwritten"
            ),
            SaveDecision::AllowRebased { phase } => write!(
                f,
                "save allowed during {phase} (Rebase): it will be re-applied after the sync and uploaded next"
            ),
            SaveDecision::Refuse { reason } => write!(f, "save refused: {reason}"),
        }
    }
}

/// The save gate. It applies to every save path: "It applies for Save button click as well as
/// invoking form Save via rules or JSBridge."
///
/// - "Block save during sync - forbids form save while background sync is running."
/// - "Block save during sync, don't start sync while form is opened - ... If sync is already
///   running, Save is forbidden until sync finishes."
/// - "No action - this is the current behavior where concurrent changes in both client and
///   server may (in rare cases) cause data inconsistency or even data loss."
/// - "Even if you block saving during sync, the restriction only applies to the entity upload
///   and download phase. Other sync phases such as download of customization, attachments,
///   cloud documents or emails are not blocking."
///
/// *Interpretation*: a foreground sync shows the sync screen and the user waits, so its entity
/// phases refuse saves under every behavior; its other phases, like a background sync's, never
/// do. A sync waiting for UI transactions is in no phase: the saves it waits for go ahead.
pub fn save_gate(behavior: BackgroundBehavior, activity: SyncActivity) -> SaveDecision {
    let SyncActivity::Running { mode, phase } = activity else {
        return SaveDecision::Allow;
    };
    if !phase.is_entity_phase() {
        return SaveDecision::Allow;
    }
    match (mode, behavior) {
        (SyncMode::Foreground, _) => SaveDecision::Refuse {
            reason: SaveRefusal::ForegroundSync { phase },
        },
        (
            SyncMode::Background,
            BackgroundBehavior::BlockSave | BackgroundBehavior::BlockSaveAndDeferSync,
        ) => SaveDecision::Refuse {
            reason: SaveRefusal::BlockedByBackgroundSync { behavior, phase },
        },
        (SyncMode::Background, BackgroundBehavior::NoAction) => {
            SaveDecision::AllowConcurrent { phase }
        }
        (SyncMode::Background, BackgroundBehavior::Rebase) => SaveDecision::AllowRebased { phase },
    }
}

/// The answer to "may a background sync start now?"
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StartGate {
    Go,
    /// Deferred until the last form closes.
    Defer {
        open_forms: usize,
    },
}

impl fmt::Display for StartGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartGate::Go => f.write_str("sync may start"),
            StartGate::Defer { open_forms } => write!(
                f,
                "sync deferred: {open_forms} form(s) open and the behavior is \"don't start sync while form is opened\"; it starts when the last form closes"
            ),
        }
    }
}

/// "Block save during sync, don't start sync while form is opened - blocks background sync
/// while the form is open. ... This option sacrifices the frequency of background sync,
/// favoring uninterrupted data entry."
///
/// *Interpretation*: only automatic triggers are deferred; a sync the user asks for (Sync
/// button, down arrow, mode switch) starts, since the user is not editing a form then.
pub fn may_start_background_sync(
    behavior: BackgroundBehavior,
    trigger: Trigger,
    open_forms: usize,
) -> StartGate {
    if behavior == BackgroundBehavior::BlockSaveAndDeferSync
        && trigger.is_automatic()
        && open_forms > 0
    {
        StartGate::Defer { open_forms }
    } else {
        StartGate::Go
    }
}

/// The answer to "may the sync enter its Upload or Download phase now?"
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityPhaseGate {
    Go,
    /// Waits until every UI transaction clearance is released.
    Wait {
        clearances_held: u32,
    },
}

impl fmt::Display for EntityPhaseGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntityPhaseGate::Go => f.write_str("entity phases may run"),
            EntityPhaseGate::Wait { clearances_held } => write!(
                f,
                "sync waits before its entity phases: {clearances_held} UI transaction(s) held by a form"
            ),
        }
    }
}

/// UI transactions: "you can block sync while custom code invoked from a custom button click is
/// modifying and saving related records." While any clearance is held, the sync does not run
/// its entity phases; it waits.
pub fn may_enter_entity_phase(clearances_held: u32) -> EntityPhaseGate {
    if clearances_held == 0 {
        EntityPhaseGate::Go
    } else {
        EntityPhaseGate::Wait { clearances_held }
    }
}

/// Whether the running sync has taken the snapshot of the outbox its Upload sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UploadSnapshot {
    NotTaken,
    Taken,
}

/// Which synchronization uploads a change saved now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UploadsWith {
    RunningSync,
    NextSync,
}

impl fmt::Display for UploadsWith {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UploadsWith::RunningSync => "it uploads with the running sync",
            UploadsWith::NextSync => "it uploads with the next sync",
        })
    }
}

/// A change saved before the running sync takes its upload snapshot — while it connects,
/// checks the customization, or waits for UI transactions before its Upload — goes with that
/// sync; from the snapshot on, with the next one.
pub fn uploads_with(activity: SyncActivity, snapshot: UploadSnapshot) -> UploadsWith {
    match (activity, snapshot) {
        (SyncActivity::Idle, _) | (_, UploadSnapshot::Taken) => UploadsWith::NextSync,
        (_, UploadSnapshot::NotTaken) => UploadsWith::RunningSync,
    }
}
