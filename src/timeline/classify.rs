//! What one journal row means for the picture. The journal's rows carry their kind but, for
//! sync and save lines, the decision only in their text: this file is the one place that reads
//! those texts (the shapes written by `rules::SaveDecision`, `rules::StartGate`, the engine's
//! phase lines and the server controls), so a typed journal replaces it alone.

use crate::rules::{Phase, SyncMode};
use crate::store::{JournalEntry, JournalKind};

/// A save's outcome, as the save gate decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SaveMark {
    Allowed,
    Refused,
    /// Allowed, but it waited for the sync's write transaction.
    Waited,
    /// Allowed during an entity phase under No action: it may be overwritten.
    Concurrent,
    /// Allowed during an entity phase under Rebase: re-applied after the sync.
    Rebased,
}

/// Why an edit was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LostCause {
    /// The sync wrote the server's version over it (No action).
    OverwrittenBySync,
    /// The Server Wins strategy discarded it.
    ServerWins,
}

/// A server-side event: the Server panel's controls and a scenario's server steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerMark {
    Fault,
    BackofficeEdit,
    BackofficeDelete,
    Publish,
}

/// A sync line that is a point, not a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncNote {
    Requested,
    Skipped,
    Deferred,
    Failed,
}

/// One journal row, read for the picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    SyncStarted(SyncMode),
    PhaseStarted(Phase),
    /// The sync holds before its entity phases for UI transactions.
    WaitsForUi,
    SyncEnded {
        failed: bool,
    },
    Note(SyncNote),
    Save {
        mark: SaveMark,
        change: Change,
    },
    /// tryEnterUiTransaction succeeded; `held` clearances now.
    UiEnter,
    /// leaveUiTransaction; `still_held` clearances remain.
    UiLeave {
        still_held: u32,
    },
    Server(ServerMark),
    /// The business-logic delay of one entity's writes was set.
    Delay {
        entity: String,
        ms: u64,
    },
    Conflict,
    Lost(LostCause),
}

/// What a user's change through the save gate was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Edit,
    Create,
    Delete,
}

/// The actors that journal server-side events.
pub const SERVER_ACTORS: [&str; 2] = ["demo control", SCENARIO_SERVER_ACTOR];
/// Who journals a scenario's server step.
pub const SCENARIO_SERVER_ACTOR: &str = "scenario server";

/// What `entry` means for the picture; `None` for rows it does not draw (edits, uploads,
/// settings, network and mode lines).
pub fn read(entry: &JournalEntry) -> Option<Reading> {
    let d = entry.detail.as_str();
    match entry.kind {
        JournalKind::Sync => read_sync(d),
        JournalKind::Save => Some(read_save(d)),
        JournalKind::UiTransaction => read_ui(d),
        JournalKind::App if SERVER_ACTORS.contains(&entry.actor.as_str()) => read_server(d),
        JournalKind::Conflict => Some(Reading::Conflict),
        JournalKind::Overwritten => Some(Reading::Lost(LostCause::OverwrittenBySync)),
        JournalKind::ServerWins => Some(Reading::Lost(LostCause::ServerWins)),
        JournalKind::Edit | JournalKind::Uploaded | JournalKind::App => None,
    }
}

fn read_sync(d: &str) -> Option<Reading> {
    if let Some(rest) = d.strip_prefix("sync running: ") {
        let mode = if rest.ends_with("foreground") {
            SyncMode::Foreground
        } else {
            SyncMode::Background
        };
        return Some(Reading::SyncStarted(mode));
    }
    if let Some(name) = d.strip_prefix("phase ") {
        return Phase::ALL
            .into_iter()
            .find(|p| p.to_string() == name)
            .map(Reading::PhaseStarted);
    }
    if d.starts_with("sync waits before its entity phases") {
        return Some(Reading::WaitsForUi);
    }
    if d.starts_with("sync finished") {
        return Some(Reading::SyncEnded { failed: false });
    }
    if d.starts_with("sync failed") {
        return Some(Reading::SyncEnded { failed: true });
    }
    if d.starts_with("sync deferred") {
        return Some(Reading::Note(SyncNote::Deferred));
    }
    if d.contains("skipped") || d.starts_with("no sync") {
        return Some(Reading::Note(SyncNote::Skipped));
    }
    if d.contains("requested") {
        return Some(Reading::Note(SyncNote::Requested));
    }
    None
}

fn read_save(d: &str) -> Reading {
    let mark = if d.contains("save refused") {
        SaveMark::Refused
    } else if d.contains("(No action)") {
        SaveMark::Concurrent
    } else if d.contains("(Rebase)") {
        SaveMark::Rebased
    } else if d.contains("waited ") {
        SaveMark::Waited
    } else {
        SaveMark::Allowed
    };
    let change = if d.starts_with("create:") {
        Change::Create
    } else if d.starts_with("delete:") {
        Change::Delete
    } else {
        Change::Edit
    };
    Reading::Save { mark, change }
}

fn read_ui(d: &str) -> Option<Reading> {
    if d.starts_with("tryEnterUiTransaction → true") {
        return Some(Reading::UiEnter);
    }
    let still = d.strip_prefix("leaveUiTransaction (still held: ")?;
    let n = still.trim_end_matches(')').parse().ok()?;
    Some(Reading::UiLeave { still_held: n })
}

fn read_server(d: &str) -> Option<Reading> {
    if d.starts_with("fault injected") {
        Some(Reading::Server(ServerMark::Fault))
    } else if d.starts_with("backoffice edited") || d.contains(" edited ") {
        Some(Reading::Server(ServerMark::BackofficeEdit))
    } else if d.starts_with("backoffice deleted") {
        Some(Reading::Server(ServerMark::BackofficeDelete))
    } else if d.starts_with("published project") {
        Some(Reading::Server(ServerMark::Publish))
    } else if let Some(rest) = d.strip_prefix("business-logic delay on ") {
        let (entity, tail) = rest.split_once(' ')?;
        let ms = tail
            .trim_start_matches("writes: ")
            .trim_end_matches(" ms")
            .parse()
            .ok()?;
        Some(Reading::Delay {
            entity: entity.to_string(),
            ms,
        })
    } else {
        None
    }
}
