//! What the engine tells the world: the latest status (a `watch`), and events (a broadcast).

use serde::Serialize;

use super::progress::{PhaseProgress, PhaseState};
use crate::rules::{Decision, Network, Phase, SyncActivity, Trigger, UploadSnapshot};
use crate::store::{JournalEntry, LastSync};

/// The latest state of synchronization, as Home and the sync screen show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub activity: SyncActivity,
    /// What started the running sync.
    pub trigger: Option<Trigger>,
    pub phases: Vec<PhaseProgress>,
    pub pending_uploads: usize,
    pub last: Option<LastSync>,
    /// The last problem, in words a user understands.
    pub last_error: Option<String>,
    pub unresolved_conflicts: usize,
    /// A newer project version waits: the down arrow.
    pub update_available: Option<u32>,
    pub network: Network,
    /// The project version applied on the device (0: none yet). A sync may apply a new one
    /// while it runs ("so that the user can start working with the app").
    pub project_version: u32,
    /// Changes saved during the running sync queued one more sync.
    pub follow_up_queued: bool,
    /// An automatic sync deferred until the last form closes.
    pub deferred: Option<Trigger>,
    /// The answer to "why did (or didn't) auto sync run?" for the latest decision.
    pub last_decision: Option<Decision>,
    /// The latest `Command::Barrier` handled.
    pub barrier: u64,
}

impl Default for SyncStatus {
    fn default() -> Self {
        SyncStatus {
            activity: SyncActivity::Idle,
            trigger: None,
            phases: Vec::new(),
            pending_uploads: 0,
            last: None,
            last_error: None,
            unresolved_conflicts: 0,
            update_available: None,
            network: Network::Connected,
            project_version: 0,
            follow_up_queued: false,
            deferred: None,
            last_decision: None,
            barrier: 0,
        }
    }
}

impl SyncStatus {
    pub fn phase(&self, phase: Phase) -> Option<&PhaseProgress> {
        self.phases.iter().find(|p| p.phase == phase)
    }

    /// The Upload takes its snapshot as it begins: until then its phase is pending.
    pub fn upload_snapshot(&self) -> UploadSnapshot {
        match self.phase(Phase::Upload) {
            Some(p) if p.state == PhaseState::Pending => UploadSnapshot::NotTaken,
            _ => UploadSnapshot::Taken,
        }
    }
}

/// What happened, as it happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum EngineEvent {
    /// A journal line the engine wrote (triggers, skips, phases, conflicts, lost edits).
    Journal(JournalEntry),
    /// A sync ended (successfully or not).
    Finished(LastSync),
}

/// What the UI tells the engine about forms: the engine may not start (Block and defer) or may
/// not enter entity phases (UI transactions) while these hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UiGate {
    pub open_forms: usize,
    pub clearances: u32,
}
