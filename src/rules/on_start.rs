//! "The on-start automatic synchronization is initiated at every app startup unless one of the
//! following conditions blocks it."

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::triggers::join;
use super::{Credentials, Network, SyncMode, Trigger, sync_mode};
use crate::settings::AutoSync;

/// "The application was synchronized no more than 15 minutes ago".
pub const ON_START_WINDOW_MINUTES: i64 = 15;

/// Everything the on-start rule looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnStartState {
    pub auto_sync: AutoSync,
    pub background_sync: bool,
    pub credentials: Credentials,
    pub require_sync_login: bool,
    /// End of the last *successful* synchronization.
    pub last_successful_sync_end: Option<DateTime<Utc>>,
    pub network: Network,
    pub unresolved_conflicts: usize,
    /// A newer project version was detected by a background sync and is not applied yet.
    pub update_pending: bool,
}

/// One condition of the on-start rule; the Home screen lists all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OnStartRule {
    AutoSyncIncludesOnStart,
    PasswordSaved,
    NoSyncLogin,
    NotSyncedWithin15Minutes,
    NetworkActive,
    NoUnresolvedConflicts,
}

impl fmt::Display for OnStartRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OnStartRule::AutoSyncIncludesOnStart => "Auto Sync includes On Start",
            OnStartRule::PasswordSaved => "Password is saved",
            OnStartRule::NoSyncLogin => "Sync login is not required",
            OnStartRule::NotSyncedWithin15Minutes => "Not synchronized in the last 15 minutes",
            OnStartRule::NetworkActive => "A network connection is active",
            OnStartRule::NoUnresolvedConflicts => "No unresolved sync conflicts",
        })
    }
}

/// Why an on-start sync did not run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SkipReason {
    /// Auto Sync is Never or On Change.
    AutoSyncExcludesOnStart { auto_sync: AutoSync },
    /// "Password is not saved".
    PasswordNotSaved,
    /// "Sync login is required".
    SyncLoginRequired,
    /// "The application was synchronized no more than 15 minutes ago".
    SyncedRecently { minutes_ago: i64, minutes_left: i64 },
    /// "No network connection is active".
    NoNetwork,
    /// "There are some unresolved sync conflicts from the last sync".
    UnresolvedConflicts { count: usize },
}

impl SkipReason {
    pub fn rule(&self) -> OnStartRule {
        match self {
            SkipReason::AutoSyncExcludesOnStart { .. } => OnStartRule::AutoSyncIncludesOnStart,
            SkipReason::PasswordNotSaved => OnStartRule::PasswordSaved,
            SkipReason::SyncLoginRequired => OnStartRule::NoSyncLogin,
            SkipReason::SyncedRecently { .. } => OnStartRule::NotSyncedWithin15Minutes,
            SkipReason::NoNetwork => OnStartRule::NetworkActive,
            SkipReason::UnresolvedConflicts { .. } => OnStartRule::NoUnresolvedConflicts,
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::AutoSyncExcludesOnStart { auto_sync } => {
                write!(
                    f,
                    "Auto Sync is {auto_sync}, which does not include On Start"
                )
            }
            SkipReason::PasswordNotSaved => f.write_str("password is not saved"),
            SkipReason::SyncLoginRequired => f.write_str("sync login is required"),
            SkipReason::SyncedRecently {
                minutes_ago,
                minutes_left,
            } => write!(
                f,
                "synchronized {minutes_ago} min ago (no more than {ON_START_WINDOW_MINUTES}); {minutes_left} min left"
            ),
            SkipReason::NoNetwork => f.write_str("no network connection is active"),
            SkipReason::UnresolvedConflicts { count } => {
                write!(f, "{count} unresolved sync conflict(s) from the last sync")
            }
        }
    }
}

/// The state of one on-start condition, for the Home screen's expanded explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnStartCheck {
    pub rule: OnStartRule,
    /// `None` when the condition does not block; the reason when it does.
    pub blocked_by: Option<SkipReason>,
}

/// The outcome of the on-start rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnStartDecision {
    Start {
        mode: SyncMode,
        trigger: Trigger,
    },
    /// Every reason that applies, not just the first.
    Skip {
        reasons: Vec<SkipReason>,
    },
}

impl fmt::Display for OnStartDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OnStartDecision::Start {
                mode,
                trigger: Trigger::ProjectUpdate,
            } => {
                write!(
                    f,
                    "sync started at start ({mode}): a project update is waiting"
                )
            }
            OnStartDecision::Start { mode, .. } => write!(f, "on-start sync started ({mode})"),
            OnStartDecision::Skip { reasons } => {
                write!(f, "on-start sync skipped: {}", join(reasons))
            }
        }
    }
}

/// Each on-start condition with its state at `now`, in the reference's order (Auto Sync first).
///
/// "The on-start automatic synchronization is initiated at every app startup unless one of the
/// following conditions blocks it: Password is not saved; Sync login is required; The
/// application was synchronized no more than 15 minutes ago; No network connection is active;
/// There are some unresolved sync conflicts from the last sync."
pub fn on_start_checklist(now: DateTime<Utc>, state: &OnStartState) -> Vec<OnStartCheck> {
    let check = |rule, blocked_by: Option<SkipReason>| OnStartCheck { rule, blocked_by };
    let recent = state.last_successful_sync_end.and_then(|end| {
        let elapsed = now - end;
        // "no more than 15 minutes ago": 15:00 still blocks. A clock set before the last sync
        // (elapsed < 0) counts as just synchronized.
        let seconds = elapsed.num_seconds().max(0);
        (seconds <= ON_START_WINDOW_MINUTES * 60).then(|| SkipReason::SyncedRecently {
            minutes_ago: seconds / 60,
            minutes_left: (ON_START_WINDOW_MINUTES * 60 - seconds + 59) / 60,
        })
    });
    vec![
        check(
            OnStartRule::AutoSyncIncludesOnStart,
            (!state.auto_sync.includes_on_start()).then_some(SkipReason::AutoSyncExcludesOnStart {
                auto_sync: state.auto_sync,
            }),
        ),
        check(
            OnStartRule::PasswordSaved,
            (state.credentials == Credentials::PasswordNotSaved)
                .then_some(SkipReason::PasswordNotSaved),
        ),
        check(
            OnStartRule::NoSyncLogin,
            state
                .require_sync_login
                .then_some(SkipReason::SyncLoginRequired),
        ),
        check(OnStartRule::NotSyncedWithin15Minutes, recent),
        check(
            OnStartRule::NetworkActive,
            (state.network == Network::Disconnected).then_some(SkipReason::NoNetwork),
        ),
        check(
            OnStartRule::NoUnresolvedConflicts,
            (state.unresolved_conflicts > 0).then_some(SkipReason::UnresolvedConflicts {
                count: state.unresolved_conflicts,
            }),
        ),
    ]
}

/// Decides the sync at app start and on return from the background (`trigger` is
/// [`Trigger::OnStart`] or [`Trigger::Resume`]): "On Start (app will synchronize every time it
/// starts, even after it was running in the background)".
///
/// A waiting project update takes precedence: "If a user does not trigger foreground sync
/// manually, it will start automatically on application start." That sync still needs the
/// network and credentials; *interpretation*: it ignores the Auto Sync option, the 15-minute
/// window and unresolved conflicts, which govern only the ordinary on-start sync.
pub fn on_start(now: DateTime<Utc>, state: &OnStartState, trigger: Trigger) -> OnStartDecision {
    let checks = on_start_checklist(now, state);
    if state.update_pending {
        let reasons: Vec<SkipReason> = checks
            .into_iter()
            .filter(|c| {
                matches!(
                    c.rule,
                    OnStartRule::PasswordSaved
                        | OnStartRule::NoSyncLogin
                        | OnStartRule::NetworkActive
                )
            })
            .filter_map(|c| c.blocked_by)
            .collect();
        return if reasons.is_empty() {
            OnStartDecision::Start {
                mode: SyncMode::Foreground,
                trigger: Trigger::ProjectUpdate,
            }
        } else {
            OnStartDecision::Skip { reasons }
        };
    }
    let reasons: Vec<SkipReason> = checks.into_iter().filter_map(|c| c.blocked_by).collect();
    if reasons.is_empty() {
        OnStartDecision::Start {
            mode: sync_mode(trigger, state.background_sync),
            trigger,
        }
    } else {
        OnStartDecision::Skip { reasons }
    }
}
