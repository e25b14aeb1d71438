//! How journal rows read: by their typed data, and rows written before the data by their words.

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

fn row(kind: JournalKind, actor: &str, detail: &str, data: Option<JournalData>) -> JournalEntry {
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

#[test]
fn online_saves_are_read_by_their_data_and_rows_with_data_are_never_read_by_their_words() {
    let online = |outcome| {
        row(
            JournalKind::Save,
            "anna",
            "online save: reworded",
            Some(JournalData::OnlineSave(outcome)),
        )
    };
    let mark = |outcome| match read(&online(outcome)) {
        Some(Reading::Save { mark, change }) => {
            assert_eq!(change, RecordChange::Edit);
            mark
        }
        other => panic!("an online save reads as a save, not {other:?}"),
    };
    let saved = crate::store::OnlineSaveOutcome::Saved { etag: "e2".into() };
    assert_eq!(mark(saved), SaveMark::Allowed);
    // Nothing was written: not a save that went through.
    assert_eq!(
        mark(crate::store::OnlineSaveOutcome::Conflict),
        SaveMark::Refused
    );
    assert_eq!(
        mark(crate::store::OnlineSaveOutcome::Failed),
        SaveMark::Refused
    );
    // A sync row whose words the fallback would draw, with data it does not draw: the data
    // decides, so it is not drawn.
    for words in [
        "sync failed: reworded",
        "phase Upload",
        "skipped",
        "requested",
    ] {
        let project = row(
            JournalKind::Sync,
            "sync",
            words,
            Some(JournalData::Project(crate::store::ProjectStep::Applied {
                version: 2,
            })),
        );
        assert_eq!(read(&project), None, "{words}");
        let refused = row(
            JournalKind::Sync,
            "sync",
            words,
            Some(JournalData::UploadRefused { status: 422 }),
        );
        assert_eq!(read(&refused), None, "{words}");
    }
}
