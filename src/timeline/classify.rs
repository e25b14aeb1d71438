//! What one journal row means for the picture. The journal's rows carry their kind but, for
//! sync and save lines, the decision only in their text: this file is the one place that reads
//! those texts (the shapes written by `rules::SaveDecision`, `rules::StartGate`, the engine's
//! phase lines and the server controls), so a typed journal replaces it alone. UI-transaction
//! rows, phase starts, sync ends and saves under the save gate are read by their data already
//! (by their words only in journals written before they had it).

use crate::rules::{Phase, SaveDecision, SyncMode};
use crate::store::{JournalData, JournalEntry, JournalKind, UiTransactionCall};

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
        JournalKind::Sync => match entry.data {
            Some(JournalData::Phase(phase)) => Some(Reading::PhaseStarted(phase)),
            Some(JournalData::SyncEnded { succeeded }) => {
                Some(Reading::SyncEnded { failed: !succeeded })
            }
            // Decisions and the run's first line are still read by their words, as are the
            // phase and end rows of journals written before those had data.
            _ => read_sync(d),
        },
        JournalKind::Save => Some(read_save(entry)),
        JournalKind::UiTransaction => read_ui(entry),
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

fn read_save(entry: &JournalEntry) -> Reading {
    let d = entry.detail.as_str();
    let mark = match &entry.data {
        Some(JournalData::Save {
            decision,
            waited_ms,
        }) => match decision {
            SaveDecision::Refuse { .. } => SaveMark::Refused,
            SaveDecision::AllowConcurrent { .. } => SaveMark::Concurrent,
            SaveDecision::AllowRebased { .. } => SaveMark::Rebased,
            SaveDecision::Allow if waited_ms.is_some() => SaveMark::Waited,
            SaveDecision::Allow => SaveMark::Allowed,
        },
        // Online saves (no save gate) and journals written before saves had data.
        _ => save_mark_words(d),
    };
    // Whether it created or deleted the record is still only in the words.
    let change = if d.starts_with("create:") {
        Change::Create
    } else if d.starts_with("delete:") {
        Change::Delete
    } else {
        Change::Edit
    };
    Reading::Save { mark, change }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ui_row(detail: &str, data: Option<UiTransactionCall>) -> JournalEntry {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T09:00:00Z")
            .unwrap()
            .to_utc();
        JournalEntry {
            data: data.map(JournalData::UiTransaction),
            ..JournalEntry::event(at, JournalKind::UiTransaction, "user", detail)
        }
    }

    impl JournalEntry {
        fn with_kind(self, kind: JournalKind) -> Self {
            JournalEntry { kind, ..self }
        }
    }

    #[test]
    fn ui_transaction_rows_are_read_by_their_data_and_old_rows_by_their_words() {
        // The data decides, whatever the words say.
        let typed = ui_row("reworded", Some(UiTransactionCall::Left { still_held: 2 }));
        assert_eq!(read(&typed), Some(Reading::UiLeave { still_held: 2 }));
        let entered = ui_row("reworded", Some(UiTransactionCall::Entered { held: 1 }));
        assert_eq!(read(&entered), Some(Reading::UiEnter));
        let refused = ui_row(
            "tryEnterUiTransaction → true",
            Some(UiTransactionCall::Refused),
        );
        assert_eq!(read(&refused), None);
        // A journal written before the rows had data still reads.
        let old = ui_row("leaveUiTransaction (still held: 1)", None);
        assert_eq!(read(&old), Some(Reading::UiLeave { still_held: 1 }));
        let old = ui_row("tryEnterUiTransaction → true (held: 1)", None);
        assert_eq!(read(&old), Some(Reading::UiEnter));
    }

    #[test]
    fn phase_end_and_save_rows_are_read_by_their_data_and_old_rows_by_their_words() {
        let row = |kind, detail: &str, data: Option<JournalData>| {
            JournalEntry {
                data,
                ..ui_row(detail, None)
            }
            .with_kind(kind)
        };
        let phase = row(
            JournalKind::Sync,
            "reworded",
            Some(JournalData::Phase(Phase::Upload)),
        );
        assert_eq!(read(&phase), Some(Reading::PhaseStarted(Phase::Upload)));
        let ended = row(
            JournalKind::Sync,
            "reworded",
            Some(JournalData::SyncEnded { succeeded: false }),
        );
        assert_eq!(read(&ended), Some(Reading::SyncEnded { failed: true }));
        let waited = row(
            JournalKind::Save,
            "reworded",
            Some(JournalData::Save {
                decision: SaveDecision::Allow,
                waited_ms: Some(12),
            }),
        );
        assert_eq!(
            read(&waited),
            Some(Reading::Save {
                mark: SaveMark::Waited,
                change: Change::Edit
            })
        );
        let old = row(JournalKind::Sync, "phase Download", None);
        assert_eq!(read(&old), Some(Reading::PhaseStarted(Phase::Download)));
        let old = row(
            JournalKind::Save,
            "account acc-0001: save refused: busy",
            None,
        );
        assert_eq!(
            read(&old),
            Some(Reading::Save {
                mark: SaveMark::Refused,
                change: Change::Edit
            })
        );
    }
}
