//! Syncs the user asks for (Sync, the down arrow, a mode switch), and what any trigger does
//! when a sync is already running.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{AutoSyncBlocker, Network, SyncMode, Trigger, sync_mode};

/// The answer to "the user asked for a sync: does it start?"
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RequestDecision {
    Start {
        trigger: Trigger,
        mode: SyncMode,
    },
    /// "No network connection is active": the sync could not reach the server.
    NoNetwork {
        trigger: Trigger,
        mode: SyncMode,
    },
}

impl RequestDecision {
    /// The mode the sync runs (or would have run) in.
    pub fn mode(self) -> SyncMode {
        match self {
            RequestDecision::Start { mode, .. } | RequestDecision::NoNetwork { mode, .. } => mode,
        }
    }
}

impl fmt::Display for RequestDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestDecision::Start { trigger, mode } => {
                write!(f, "{trigger} sync requested ({mode})")
            }
            RequestDecision::NoNetwork { trigger, .. } => write!(
                f,
                "{trigger} sync not started: {}",
                AutoSyncBlocker::NoNetwork
            ),
        }
    }
}

/// A sync the user asked for — Sync pressed, the down arrow, the sync before a mode switch —
/// needs the network and nothing else: the user is there to type a password, and no Auto Sync
/// option, window or open form holds it back. Its mode is [`sync_mode`]'s.
pub fn requested(trigger: Trigger, network: Network, background_sync: bool) -> RequestDecision {
    let mode = sync_mode(trigger, background_sync);
    match network {
        Network::Connected => RequestDecision::Start { trigger, mode },
        Network::Disconnected => RequestDecision::NoNetwork { trigger, mode },
    }
}

/// The answer to "a sync was asked for while another runs".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WhileRunning {
    /// The sync before a mode switch runs as soon as the running one ends (it uploads whatever
    /// a follow-up would have).
    ModeSwitchWaits,
    /// An automatic trigger: one follow-up sync is queued, so whatever it was for still syncs.
    FollowUpQueued { trigger: Trigger },
    /// Sync pressed or the down arrow: not started (the user sees the sync running).
    NotStarted { trigger: Trigger },
}

impl WhileRunning {
    /// The running sync is followed by another one.
    pub fn queues_follow_up(self) -> bool {
        matches!(self, WhileRunning::FollowUpQueued { .. })
    }
}

impl fmt::Display for WhileRunning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WhileRunning::ModeSwitchWaits => {
                f.write_str("the sync before switching modes runs when the running sync ends")
            }
            WhileRunning::FollowUpQueued { trigger } | WhileRunning::NotStarted { trigger } => {
                write!(f, "{trigger} sync not started: a sync is already running")
            }
        }
    }
}

/// One sync runs at a time. *Interpretation*: any automatic trigger that comes while a sync
/// runs queues one follow-up sync (the running sync may be past what the trigger was for); a
/// mode switch waits for its own sync; a sync the user pressed for is not started.
pub fn while_running(trigger: Trigger) -> WhileRunning {
    match trigger {
        Trigger::ModeSwitch => WhileRunning::ModeSwitchWaits,
        _ if trigger.is_automatic() => WhileRunning::FollowUpQueued { trigger },
        _ => WhileRunning::NotStarted { trigger },
    }
}
