//! What one journal row means for the picture: read from the row's typed data (decisions, the
//! run's first line, the wait for UI transactions, phases, sync ends, saves and which change
//! they made, UI transactions, server steps). Rows without data — journals written before the
//! rows had it — are read by their words, in the `*_words` functions below, and only there.

use crate::rules::{
    Decision, OnChangeDecision, OnStartDecision, Phase, RequestDecision, SaveDecision, StartGate,
    SyncMode,
};
use crate::store::{
    JournalData, JournalEntry, JournalKind, RecordChange, ServerStep, UiTransactionCall,
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
        JournalKind::Save => Some(read_save(entry)),
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

fn read_save(entry: &JournalEntry) -> Reading {
    let d = entry.detail.as_str();
    match &entry.data {
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
        // Online saves (no save gate) and journals written before saves had data.
        _ => Reading::Save {
            mark: save_mark_words(d),
            change: change_words(d),
        },
    }
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
                change: Some(RecordChange::Edit),
            }),
        );
        assert_eq!(
            read(&waited),
            Some(Reading::Save {
                mark: SaveMark::Waited,
                change: RecordChange::Edit
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
                change: RecordChange::Edit
            })
        );
    }

    fn row(
        kind: JournalKind,
        actor: &str,
        detail: &str,
        data: Option<JournalData>,
    ) -> JournalEntry {
        JournalEntry {
            data,
            ..ui_row(detail, None)
        }
        .with_kind(kind)
        .with_actor(actor)
    }

    impl JournalEntry {
        fn with_actor(self, actor: &str) -> Self {
            JournalEntry {
                actor: actor.to_string(),
                ..self
            }
        }
    }

    #[test]
    fn sync_decisions_and_run_lines_are_read_by_their_data_and_old_rows_by_their_words() {
        use crate::rules::{SkipReason, Trigger};
        let sync =
            |detail: &str, data: Option<JournalData>| row(JournalKind::Sync, "sync", detail, data);
        let decided = |d: Decision| sync("reworded", Some(JournalData::Decision(d)));
        let requested = decided(Decision::Requested(RequestDecision::Start {
            trigger: Trigger::Manual,
            mode: SyncMode::Background,
        }));
        assert_eq!(read(&requested), Some(Reading::Note(SyncNote::Requested)));
        let skipped = decided(Decision::OnStart(OnStartDecision::Skip {
            reasons: vec![SkipReason::NoNetwork],
        }));
        assert_eq!(read(&skipped), Some(Reading::Note(SyncNote::Skipped)));
        let deferred = decided(Decision::StartGate(StartGate::Defer { open_forms: 1 }));
        assert_eq!(read(&deferred), Some(Reading::Note(SyncNote::Deferred)));
        // The data decides, whatever the words say: a request without network is no mark.
        let no_network = sync(
            "manual sync requested (background)",
            Some(JournalData::Decision(Decision::Requested(
                RequestDecision::NoNetwork {
                    trigger: Trigger::Manual,
                    mode: SyncMode::Background,
                },
            ))),
        );
        assert_eq!(read(&no_network), None);
        let running = sync(
            "reworded",
            Some(JournalData::SyncRunning {
                trigger: Trigger::Manual,
                mode: SyncMode::Foreground,
            }),
        );
        assert_eq!(
            read(&running),
            Some(Reading::SyncStarted(SyncMode::Foreground))
        );
        let waits = sync(
            "reworded",
            Some(JournalData::WaitsForUi {
                before: Phase::Upload,
                held: 1,
            }),
        );
        assert_eq!(read(&waits), Some(Reading::WaitsForUi));
        // Journals written before these rows had data still read.
        let old = |detail| read(&sync(detail, None));
        assert_eq!(
            old("manual sync requested (background)"),
            Some(Reading::Note(SyncNote::Requested))
        );
        assert_eq!(
            old("on-start sync skipped: no network connection is active"),
            Some(Reading::Note(SyncNote::Skipped))
        );
        assert_eq!(
            old("no sync on change: Auto Sync is Off"),
            Some(Reading::Note(SyncNote::Skipped))
        );
        assert_eq!(
            old("sync deferred: 1 form(s) open"),
            Some(Reading::Note(SyncNote::Deferred))
        );
        assert_eq!(
            old("sync running: manual, foreground"),
            Some(Reading::SyncStarted(SyncMode::Foreground))
        );
        assert_eq!(
            old("sync waits before its entity phases: 1 UI transaction(s) held by a form"),
            Some(Reading::WaitsForUi)
        );
    }

    #[test]
    fn which_change_a_save_made_is_read_by_its_data_and_old_rows_by_their_words() {
        let save = |detail: &str, decision, change| {
            row(
                JournalKind::Save,
                "user",
                detail,
                Some(JournalData::Save {
                    decision,
                    waited_ms: None,
                    change,
                }),
            )
        };
        let created = save("reworded", SaveDecision::Allow, Some(RecordChange::Create));
        assert_eq!(
            read(&created),
            Some(Reading::Save {
                mark: SaveMark::Allowed,
                change: RecordChange::Create
            })
        );
        let refused = save(
            "create: reworded",
            SaveDecision::Refuse {
                reason: crate::rules::SaveRefusal::ForegroundSync {
                    phase: Phase::Upload,
                },
            },
            Some(RecordChange::Delete),
        );
        assert_eq!(
            read(&refused),
            Some(Reading::Save {
                mark: SaveMark::Refused,
                change: RecordChange::Delete
            })
        );
        // A save with data from before the data said which change it made.
        let older = save("create: save allowed", SaveDecision::Allow, None);
        assert_eq!(
            read(&older),
            Some(Reading::Save {
                mark: SaveMark::Allowed,
                change: RecordChange::Create
            })
        );
        let oldest = row(JournalKind::Save, "user", "delete: save allowed", None);
        assert_eq!(
            read(&oldest),
            Some(Reading::Save {
                mark: SaveMark::Allowed,
                change: RecordChange::Delete
            })
        );
    }

    #[test]
    fn server_steps_are_read_by_their_data_and_old_rows_by_their_words() {
        let step = |s: ServerStep| {
            row(
                JournalKind::App,
                "demo control",
                "reworded",
                Some(JournalData::Server(s)),
            )
        };
        assert_eq!(
            read(&step(ServerStep::Fault)),
            Some(Reading::Server(ServerMark::Fault))
        );
        assert_eq!(
            read(&step(ServerStep::BackofficeEdit)),
            Some(Reading::Server(ServerMark::BackofficeEdit))
        );
        assert_eq!(
            read(&step(ServerStep::BackofficeDelete)),
            Some(Reading::Server(ServerMark::BackofficeDelete))
        );
        assert_eq!(
            read(&step(ServerStep::Published)),
            Some(Reading::Server(ServerMark::Publish))
        );
        assert_eq!(
            read(&step(ServerStep::Delay {
                entity: "account".into(),
                ms: 2000
            })),
            Some(Reading::Delay {
                entity: "account".into(),
                ms: 2000
            })
        );
        let old = |actor, detail| read(&row(JournalKind::App, actor, detail, None));
        assert_eq!(
            old(
                SCENARIO_SERVER_ACTOR,
                "backoffice deleted account acc-0001 on the server"
            ),
            Some(Reading::Server(ServerMark::BackofficeDelete))
        );
        assert_eq!(
            old(
                "demo control",
                "anna edited account acc-0001 on the server: city = \"X\""
            ),
            Some(Reading::Server(ServerMark::BackofficeEdit))
        );
        assert_eq!(
            old(
                SCENARIO_SERVER_ACTOR,
                "business-logic delay on account writes: 2000 ms"
            ),
            Some(Reading::Delay {
                entity: "account".into(),
                ms: 2000
            })
        );
        // The same words from anyone else are not a server step.
        assert_eq!(old("user", "published project v2"), None);
    }
}
