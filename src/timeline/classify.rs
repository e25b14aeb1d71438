//! What one journal row means for the picture: read from the row's typed data (decisions, the
//! run's first line, the wait for UI transactions, phases, sync ends, saves and which change
//! they made, online saves, UI transactions, server steps). Every row written today has data;
//! rows without — journals written before the rows had it — are read by their words, in the
//! `*_words` functions below, and only there.

use crate::rules::{
    Decision, OnChangeDecision, OnStartDecision, Phase, RequestDecision, SaveDecision, StartGate,
    SyncMode,
};
use crate::store::{
    JournalData, JournalEntry, JournalKind, OnlineSaveOutcome, RecordChange, ServerStep,
    UiTransactionCall,
};

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
        change: RecordChange,
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

/// The actors that journal server-side events.
pub const SERVER_ACTORS: [&str; 2] = ["demo control", SCENARIO_SERVER_ACTOR];
/// Who journals a scenario's server step.
pub const SCENARIO_SERVER_ACTOR: &str = "scenario server";

/// What `entry` means for the picture; `None` for rows it does not draw (edits, uploads,
/// settings, network and mode lines).
pub fn read(entry: &JournalEntry) -> Option<Reading> {
    let d = entry.detail.as_str();
    match entry.kind {
        JournalKind::Sync => match &entry.data {
            Some(data) => read_sync(data),
            // Rows written before sync lines carried data.
            None => read_sync_words(d),
        },
        JournalKind::Save => read_save(entry),
        JournalKind::UiTransaction => read_ui(entry),
        JournalKind::App => match &entry.data {
            Some(JournalData::Server(step)) => Some(read_server(step)),
            // Server steps journaled before they carried data.
            None if SERVER_ACTORS.contains(&entry.actor.as_str()) => read_server_words(d),
            _ => None,
        },
        JournalKind::Conflict => Some(Reading::Conflict),
        JournalKind::Overwritten => Some(Reading::Lost(LostCause::OverwrittenBySync)),
        JournalKind::ServerWins => Some(Reading::Lost(LostCause::ServerWins)),
        JournalKind::Edit | JournalKind::Uploaded => None,
    }
}

fn read_sync(data: &JournalData) -> Option<Reading> {
    match data {
        JournalData::Decision(decision) => decision_note(decision).map(Reading::Note),
        JournalData::SyncRunning { mode, .. } => Some(Reading::SyncStarted(*mode)),
        JournalData::WaitsForUi { .. } => Some(Reading::WaitsForUi),
        JournalData::Phase(phase) => Some(Reading::PhaseStarted(*phase)),
        JournalData::SyncEnded { succeeded } => Some(Reading::SyncEnded { failed: !succeeded }),
        _ => None,
    }
}

/// The decisions the picture marks: a sync the user asked for, an automatic one skipped, one
/// deferred by an open form. A start is drawn by the run that follows it, and the other
/// decisions (waits, queued follow-ups, no network, no password) are not drawn.
fn decision_note(decision: &Decision) -> Option<SyncNote> {
    match decision {
        Decision::Requested(RequestDecision::Start { .. }) => Some(SyncNote::Requested),
        Decision::OnStart(OnStartDecision::Skip { .. })
        | Decision::OnChange(OnChangeDecision::NotConfigured { .. })
        | Decision::OnChange(OnChangeDecision::Blocked { .. }) => Some(SyncNote::Skipped),
        Decision::StartGate(StartGate::Defer { .. }) => Some(SyncNote::Deferred),
        _ => None,
    }
}

fn read_sync_words(d: &str) -> Option<Reading> {
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

fn read_save(entry: &JournalEntry) -> Option<Reading> {
    let d = entry.detail.as_str();
    Some(match &entry.data {
        Some(JournalData::Save {
            decision,
            waited_ms,
            change,
        }) => {
            let mark = match decision {
                SaveDecision::Refuse { .. } => SaveMark::Refused,
                SaveDecision::AllowConcurrent { .. } => SaveMark::Concurrent,
                SaveDecision::AllowRebased { .. } => SaveMark::Rebased,
                SaveDecision::Allow if waited_ms.is_some() => SaveMark::Waited,
                SaveDecision::Allow => SaveMark::Allowed,
            };
            // Saves journaled before their data said which change they made.
            let change = change.unwrap_or_else(|| change_words(d));
            Reading::Save { mark, change }
        }
        // Online mode has no save gate: a save the server did not store wrote nothing.
        Some(JournalData::OnlineSave(outcome)) => Reading::Save {
            mark: match outcome {
                OnlineSaveOutcome::Saved { .. } => SaveMark::Allowed,
                OnlineSaveOutcome::Conflict | OnlineSaveOutcome::Failed => SaveMark::Refused,
            },
            change: RecordChange::Edit,
        },
        Some(_) => return None,
        // Journals written before saves had data.
        None => Reading::Save {
            mark: save_mark_words(d),
            change: change_words(d),
        },
    })
}

fn change_words(d: &str) -> RecordChange {
    if d.starts_with("create:") {
        RecordChange::Create
    } else if d.starts_with("delete:") {
        RecordChange::Delete
    } else {
        RecordChange::Edit
    }
}

fn save_mark_words(d: &str) -> SaveMark {
    if d.contains("save refused") {
        SaveMark::Refused
    } else if d.contains("(No action)") {
        SaveMark::Concurrent
    } else if d.contains("(Rebase)") {
        SaveMark::Rebased
    } else if d.contains("waited ") {
        SaveMark::Waited
    } else {
        SaveMark::Allowed
    }
}

fn read_ui(entry: &JournalEntry) -> Option<Reading> {
    match entry.data {
        Some(JournalData::UiTransaction(UiTransactionCall::Entered { .. })) => {
            Some(Reading::UiEnter)
        }
        Some(JournalData::UiTransaction(UiTransactionCall::Left { still_held })) => {
            Some(Reading::UiLeave { still_held })
        }
        Some(JournalData::UiTransaction(_)) => None,
        // Rows written before UI transactions carried data: their words.
        _ => read_ui_words(&entry.detail),
    }
}

fn read_ui_words(d: &str) -> Option<Reading> {
    if d.starts_with("tryEnterUiTransaction → true") {
        return Some(Reading::UiEnter);
    }
    let still = d.strip_prefix("leaveUiTransaction (still held: ")?;
    let n = still.trim_end_matches(')').parse().ok()?;
    Some(Reading::UiLeave { still_held: n })
}

fn read_server(step: &ServerStep) -> Reading {
    match step {
        ServerStep::Fault => Reading::Server(ServerMark::Fault),
        ServerStep::BackofficeEdit => Reading::Server(ServerMark::BackofficeEdit),
        ServerStep::BackofficeDelete => Reading::Server(ServerMark::BackofficeDelete),
        ServerStep::Published => Reading::Server(ServerMark::Publish),
        ServerStep::Delay { entity, ms } => Reading::Delay {
            entity: entity.clone(),
            ms: *ms,
        },
    }
}

fn read_server_words(d: &str) -> Option<Reading> {
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

#[cfg(test)]
mod tests;
