//! The answer to "why did (or didn't) a sync run?": every decision the engine takes on a
//! trigger, as one typed value. The status carries the latest, the journal keeps each one, and
//! the words a user reads are its `Display`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{
    IntervalDecision, LoginReason, OnChangeDecision, OnStartDecision, RequestDecision, StartGate,
    Trigger, WhileRunning,
};

/// One decision on whether a sync starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The device has no settings yet (no profile).
    NoSettings {
        trigger: Trigger,
    },
    OnStart(OnStartDecision),
    OnChange(OnChangeDecision),
    Interval(IntervalDecision),
    /// Sync pressed, the down arrow, a mode switch.
    Requested(RequestDecision),
    /// Asked for while a sync runs.
    WhileRunning(WhileRunning),
    /// "Don't start sync while form is opened".
    StartGate(StartGate),
    /// No password to sign in with: the user enters it on the sync screen.
    NoPassword {
        trigger: Trigger,
        reason: LoginReason,
    },
    /// The last form closed: the deferred sync starts.
    DeferredStarts {
        trigger: Trigger,
    },
    /// The follow-up sync for changes saved during the last sync starts.
    FollowUpStarts,
}

/// What a decision meant for the sync: it started (or will, queued), it did not, or it waits
/// for the last form to close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DecisionOutcome {
    Started,
    Skipped,
    Deferred,
}

impl Decision {
    /// What the decision meant for the sync; `None` for one that only says when a sync runs
    /// (the sync before a mode switch waiting for the running one).
    pub fn outcome(&self) -> Option<DecisionOutcome> {
        use DecisionOutcome::*;
        Some(match self {
            Decision::NoSettings { .. } | Decision::NoPassword { .. } => Skipped,
            Decision::OnStart(OnStartDecision::Start { .. }) => Started,
            Decision::OnStart(OnStartDecision::Skip { .. }) => Skipped,
            Decision::OnChange(d) => match d {
                OnChangeDecision::StartNow { .. }
                | OnChangeDecision::QueueFollowUp
                | OnChangeDecision::AlreadyQueued => Started,
                OnChangeDecision::NotConfigured { .. } | OnChangeDecision::Blocked { .. } => {
                    Skipped
                }
            },
            Decision::Interval(IntervalDecision::Due) => Started,
            Decision::Interval(_) => Skipped,
            Decision::Requested(RequestDecision::Start { .. }) => Started,
            Decision::Requested(RequestDecision::NoNetwork { .. }) => Skipped,
            Decision::WhileRunning(WhileRunning::ModeSwitchWaits) => return None,
            Decision::WhileRunning(_) => Skipped,
            Decision::StartGate(StartGate::Defer { .. }) => Deferred,
            Decision::StartGate(StartGate::Go) => Started,
            Decision::DeferredStarts { .. } | Decision::FollowUpStarts => Started,
        })
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::NoSettings { trigger } => write!(
                f,
                "{trigger} sync not started: this device has no settings yet"
            ),
            Decision::OnStart(d) => d.fmt(f),
            Decision::OnChange(d) => d.fmt(f),
            Decision::Interval(d) => d.fmt(f),
            Decision::Requested(d) => d.fmt(f),
            Decision::WhileRunning(d) => d.fmt(f),
            Decision::StartGate(d) => d.fmt(f),
            Decision::NoPassword { trigger, reason } => write!(
                f,
                "{trigger} sync not started: {reason}; enter the password on the sync screen"
            ),
            Decision::DeferredStarts { trigger } => write!(
                f,
                "the last form closed: the deferred {trigger} sync starts"
            ),
            Decision::FollowUpStarts => {
                f.write_str("the follow-up sync for changes saved during the last sync starts")
            }
        }
    }
}

macro_rules! from_decisions {
    ($($variant:ident($ty:ty)),+) => {
        $(impl From<$ty> for Decision {
            fn from(d: $ty) -> Self {
                Decision::$variant(d)
            }
        })+
    };
}

from_decisions!(
    OnStart(OnStartDecision),
    OnChange(OnChangeDecision),
    Interval(IntervalDecision),
    Requested(RequestDecision),
    WhileRunning(WhileRunning),
    StartGate(StartGate)
);
