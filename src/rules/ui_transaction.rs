//! "The JSBridge object EntityForm offers functions tryEnterUiTransaction and
//! leaveUiTransaction that can be used to define more granular UI transactions scopes."

use std::fmt;

use serde::Serialize;

use super::{Phase, SaveDecision, SyncActivity, SyncMode, save_gate};
use crate::settings::BackgroundBehavior;

/// Why `tryEnterUiTransaction` returned false.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct UiTransactionRefused {
    pub behavior: BackgroundBehavior,
    pub mode: SyncMode,
    pub phase: Phase,
}

impl UiTransactionRefused {
    /// Why, without the call's name: "a background sync is in its Upload phase (…)".
    pub fn reason(&self) -> String {
        format!(
            "a {} sync is in its {} phase ({})",
            self.mode, self.phase, self.behavior
        )
    }
}

impl fmt::Display for UiTransactionRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tryEnterUiTransaction returned false: {}", self.reason())
    }
}

/// What `leaveUiTransaction` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum LeaveOutcome {
    Released {
        still_held: u32,
    },
    /// "calling it with none held is harmless"
    NoneHeld,
}

/// The clearances a form holds. Each successful enter holds one; calls nest like a counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub struct UiTransactions {
    held: u32,
}

impl UiTransactions {
    pub fn held(&self) -> u32 {
        self.held
    }

    /// `tryEnterUiTransaction()`: false exactly when [`save_gate`] would refuse a save now (a
    /// sync in an entity phase under either Block behavior, or a foreground sync's — the
    /// *interpretation* there); true otherwise — a sync waiting for UI transactions is in no
    /// phase — holding one more clearance.
    pub fn try_enter(
        &mut self,
        behavior: BackgroundBehavior,
        activity: SyncActivity,
    ) -> Result<u32, UiTransactionRefused> {
        if let (SaveDecision::Refuse { .. }, SyncActivity::Running { mode, phase }) =
            (save_gate(behavior, activity), activity)
        {
            return Err(UiTransactionRefused {
                behavior,
                mode,
                phase,
            });
        }
        self.held = self.held.saturating_add(1);
        Ok(self.held)
    }

    /// `leaveUiTransaction()`: releases the most recent clearance.
    pub fn leave(&mut self) -> LeaveOutcome {
        if self.held == 0 {
            LeaveOutcome::NoneHeld
        } else {
            self.held -= 1;
            LeaveOutcome::Released {
                still_held: self.held,
            }
        }
    }
}
