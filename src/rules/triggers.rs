//! What triggers an automatic synchronization besides the app's start: a data change, the
//! Auto Sync Interval — and which mode (background or foreground) a synchronization runs in.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Credentials, Network, SyncActivity, SyncMode, Trigger};
use crate::settings::AutoSync;

/// Conditions under which no automatic synchronization of any kind can run, because it would
/// have to ask the user for something or could not reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AutoSyncBlocker {
    /// "Password is not saved".
    PasswordNotSaved,
    /// "Sync login is required".
    SyncLoginRequired,
    /// "No network connection is active".
    NoNetwork,
}

impl fmt::Display for AutoSyncBlocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AutoSyncBlocker::PasswordNotSaved => "password is not saved",
            AutoSyncBlocker::SyncLoginRequired => "sync login is required (Require Sync Login)",
            AutoSyncBlocker::NoNetwork => "no network connection is active",
        })
    }
}

/// The blockers shared by every automatic trigger: a background sync needs a saved password,
/// no required sync login, and a network. *Interpretation*: the reference lists these for the
/// on-start sync; on-change and interval syncs cannot run without them either, so they apply
/// to all automatic triggers.
pub fn auto_sync_blockers(
    credentials: Credentials,
    require_sync_login: bool,
    network: Network,
) -> Vec<AutoSyncBlocker> {
    let mut blockers = Vec::new();
    if credentials == Credentials::PasswordNotSaved {
        blockers.push(AutoSyncBlocker::PasswordNotSaved);
    }
    if require_sync_login {
        blockers.push(AutoSyncBlocker::SyncLoginRequired);
    }
    if network == Network::Disconnected {
        blockers.push(AutoSyncBlocker::NoNetwork);
    }
    blockers
}

/// The answer to "a change was just saved: does a sync follow?"
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnChangeDecision {
    /// Auto Sync does not include On Change.
    NotConfigured {
        auto_sync: AutoSync,
    },
    Blocked {
        reasons: Vec<AutoSyncBlocker>,
    },
    StartNow {
        mode: SyncMode,
    },
    /// A sync is running; one follow-up sync is queued to carry this change.
    QueueFollowUp,
    /// A sync is running and a follow-up is already queued; it will carry this change too.
    AlreadyQueued,
}

impl fmt::Display for OnChangeDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OnChangeDecision::NotConfigured { auto_sync } => {
                write!(f, "no sync on change: Auto Sync is {auto_sync}")
            }
            OnChangeDecision::Blocked { reasons } => {
                write!(f, "no sync on change: {}", join(reasons))
            }
            OnChangeDecision::StartNow { mode } => write!(f, "sync on change ({mode})"),
            OnChangeDecision::QueueFollowUp => {
                f.write_str("a sync is running: one follow-up sync queued for this change")
            }
            OnChangeDecision::AlreadyQueued => {
                f.write_str("a sync is running and a follow-up is already queued")
            }
        }
    }
}

/// "On Change (app will synchronize with server after every data change)". While a sync runs,
/// changes are coalesced into exactly one follow-up sync (*interpretation*: the running sync
/// may already have passed its upload, so one more is needed, and one is enough).
pub fn on_change(
    auto_sync: AutoSync,
    background_sync: bool,
    blockers: Vec<AutoSyncBlocker>,
    activity: SyncActivity,
    follow_up_queued: bool,
) -> OnChangeDecision {
    if !auto_sync.includes_on_change() {
        return OnChangeDecision::NotConfigured { auto_sync };
    }
    if !blockers.is_empty() {
        return OnChangeDecision::Blocked { reasons: blockers };
    }
    match (activity, follow_up_queued) {
        (SyncActivity::Idle, _) => OnChangeDecision::StartNow {
            mode: sync_mode(Trigger::OnChange, background_sync),
        },
        (_, false) => OnChangeDecision::QueueFollowUp,
        (_, true) => OnChangeDecision::AlreadyQueued,
    }
}

/// The answer to "is the Auto Sync Interval due?"
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntervalDecision {
    /// Auto Sync Interval is 0.
    Off,
    /// Not due yet: due at `due_at`.
    NotYet {
        due_at: DateTime<Utc>,
        seconds_left: i64,
    },
    /// Due, but a sync is running; the interval counts from its end.
    SyncRunning,
    Blocked {
        reasons: Vec<AutoSyncBlocker>,
    },
    /// Start a background sync now.
    Due,
}

impl fmt::Display for IntervalDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntervalDecision::Off => f.write_str("Auto Sync Interval is off"),
            IntervalDecision::NotYet { seconds_left, .. } => {
                write!(f, "interval sync due in {}", human_seconds(*seconds_left))
            }
            IntervalDecision::SyncRunning => {
                f.write_str("a sync is running; the interval counts from its end")
            }
            IntervalDecision::Blocked { reasons } => {
                write!(f, "interval sync due but blocked: {}", join(reasons))
            }
            IntervalDecision::Due => f.write_str("interval sync due (background)"),
        }
    }
}

/// "Auto Sync Interval: Set up a time period in seconds for automatic synchronization. For
/// example, use 1200 to initiate auto sync when 20 minutes have passed since the end of the
/// previous synchronization. Auto Sync Delay overrides the Auto Sync option and forces the
/// background auto sync."
///
/// `last_sync_end` is the end of the previous synchronization, successful or not. With no
/// previous synchronization the interval is due at once (*interpretation*).
pub fn interval(
    now: DateTime<Utc>,
    interval_seconds: u64,
    last_sync_end: Option<DateTime<Utc>>,
    activity: SyncActivity,
    blockers: Vec<AutoSyncBlocker>,
) -> IntervalDecision {
    if interval_seconds == 0 {
        return IntervalDecision::Off;
    }
    if activity.is_running() {
        return IntervalDecision::SyncRunning;
    }
    if let Some(end) = last_sync_end {
        let due_at = end + Duration::seconds(interval_seconds.min(i64::MAX as u64) as i64);
        if now < due_at {
            return IntervalDecision::NotYet {
                due_at,
                seconds_left: (due_at - now).num_seconds().max(1),
            };
        }
    }
    if !blockers.is_empty() {
        return IntervalDecision::Blocked { reasons: blockers };
    }
    IntervalDecision::Due
}

/// "Background sync: Set to On. This disables the synchronization screen, where you enter URL,
/// name, and password." With it off, a synchronization shows the sync screen (foreground).
/// The interval "forces the background auto sync"; a project update needs a "manual,
/// foreground synchronization".
pub fn sync_mode(trigger: Trigger, background_sync: bool) -> SyncMode {
    match trigger {
        Trigger::Interval => SyncMode::Background,
        Trigger::ProjectUpdate => SyncMode::Foreground,
        _ if background_sync => SyncMode::Background,
        _ => SyncMode::Foreground,
    }
}

pub(super) fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn human_seconds(seconds: i64) -> String {
    if seconds >= 60 {
        let minutes = (seconds + 59) / 60;
        format!("{minutes} min")
    } else {
        format!("{seconds} s")
    }
}
