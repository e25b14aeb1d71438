use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::store::{JournalEntry, JournalKind};

fn t0() -> DateTime<Utc> {
    "2026-11-26T09:00:00Z".parse().unwrap()
}

/// A journal from (kind, actor, detail) rows, numbered from 1, all at `t0` unless moved.
fn journal(rows: &[(JournalKind, &str, &str)]) -> Vec<JournalEntry> {
    rows.iter()
        .enumerate()
        .map(|(i, (kind, actor, detail))| {
            let mut e = JournalEntry::event(t0(), *kind, actor, *detail);
            e.seq = i as i64 + 1;
            e
        })
        .collect()
}

fn race_no_action() -> Vec<JournalEntry> {
    use JournalKind::*;
    let mut j = journal(&[
        (Save, "demo", "Save button: save allowed"),
        (Sync, "sync", "manual sync requested (background)"),
        (Sync, "sync", "sync running: manual, background"),
        (Sync, "sync", "phase Connect"),
        (Sync, "sync", "phase Upload"),
        (Edit, "demo", "saved"),
        (
            Save,
            "demo",
            "Save button: save allowed during Upload (No action): it may wait for the sync's write and, in rare cases, be overwritten",
        ),
        (
            Overwritten,
            "sync",
            "No action: the sync wrote the server's version over an edit saved while it ran",
        ),
        (Sync, "sync", "phase Download"),
        (Sync, "sync", "sync finished"),
    ]);
    for e in &mut j {
        if matches!(e.kind, Save | Overwritten) {
            e.entity = Some("account".into());
            e.record_id = Some("acc-0001".into());
        }
    }
    j[7].field = Some("phone".into());
    j
}

#[test]
fn phases_are_bars_until_the_next_phase_and_the_end_of_the_sync() {
    let t = Timeline::build(&race_no_action());
    let bars: Vec<(String, usize, usize)> = t
        .lane(Lane::Sync)
        .filter(|i| i.kind.is_extent())
        .map(|i| (i.label.clone(), i.from, i.to))
        .collect();
    // Columns: the edit row takes none, so the Download phase is column 7.
    assert_eq!(
        bars,
        [
            ("Connect".to_string(), 3, 4),
            ("Upload".to_string(), 4, 7),
            ("Download".to_string(), 7, 8)
        ]
    );
    assert_eq!(t.columns.len(), 9, "the edit row is not drawn");
}

#[test]
fn saves_are_marks_by_outcome_and_the_lost_edit_is_a_finding_with_its_cause() {
    let t = Timeline::build(&race_no_action());
    let user: Vec<ItemKind> = t.lane(Lane::User).map(|i| i.kind).collect();
    assert_eq!(
        user,
        [
            ItemKind::Save(SaveMark::Allowed),
            ItemKind::Save(SaveMark::Concurrent)
        ]
    );
    let findings: Vec<&Item> = t.lane(Lane::Findings).collect();
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].kind,
        ItemKind::Lost(LostCause::OverwrittenBySync)
    );
    assert_eq!(findings[0].label, "account acc-0001 phone");
    assert_eq!(findings[0].seq, 8, "the mark opens its journal row");
}

#[test]
fn background_and_foreground_phases_draw_differently() {
    use JournalKind::*;
    let t = Timeline::build(&journal(&[
        (Sync, "sync", "sync running: manual, background"),
        (Sync, "sync", "phase Upload"),
        (Sync, "sync", "sync finished"),
        (Sync, "sync", "sync running: manual, foreground"),
        (Sync, "sync", "phase Upload"),
        (Sync, "sync", "sync failed: connection refused"),
    ]));
    let kinds: Vec<ItemKind> = t.lane(Lane::Sync).map(|i| i.kind).collect();
    assert_eq!(kinds.len(), 3);
    assert_ne!(kinds[0].glyph(), kinds[1].glyph());
    assert_eq!(kinds[1].legend(), "foreground sync phase");
    assert_eq!(kinds[2], ItemKind::SyncNote(SyncNote::Failed));
}

#[test]
fn a_ui_transaction_spans_from_the_first_enter_to_the_last_leave_and_the_wait_is_one_bar() {
    use JournalKind::*;
    let t = Timeline::build(&journal(&[
        (
            UiTransaction,
            "app",
            "tryEnterUiTransaction → true (held: 1)",
        ),
        (Sync, "sync", "sync running: manual, background"),
        (Sync, "sync", "phase Customization"),
        (
            Sync,
            "sync",
            "sync waits before its entity phases: 1 UI transaction(s) held by a form",
        ),
        (
            UiTransaction,
            "app",
            "tryEnterUiTransaction → true (held: 2)",
        ),
        (
            Sync,
            "sync",
            "sync waits before its entity phases: 2 UI transaction(s) held by a form",
        ),
        (UiTransaction, "app", "leaveUiTransaction (still held: 1)"),
        (UiTransaction, "app", "leaveUiTransaction (still held: 0)"),
        (Sync, "sync", "phase Upload"),
        (Sync, "sync", "sync finished"),
    ]));
    let spans: Vec<(ItemKind, usize, usize)> =
        t.lane(Lane::User).map(|i| (i.kind, i.from, i.to)).collect();
    assert_eq!(spans, [(ItemKind::UiTransaction, 0, 7)]);
    let waits: Vec<(usize, usize)> = t
        .lane(Lane::Sync)
        .filter(|i| matches!(i.kind, ItemKind::WaitsForUi { .. }))
        .map(|i| (i.from, i.to))
        .collect();
    assert_eq!(
        waits,
        [(3, 8)],
        "one bar from the first wait to the Upload phase"
    );
}

#[test]
fn server_controls_and_delays_are_on_the_server_lane() {
    use JournalKind::*;
    let t = Timeline::build(&journal(&[
        (
            App,
            SCENARIO_SERVER_ACTOR,
            "business-logic delay on account writes: 600 ms",
        ),
        (
            App,
            "demo control",
            "fault injected: 503 on the next 1 request(s) to /api/v1/",
        ),
        (
            App,
            "demo control",
            "backoffice edited account acc-0001 on the server: city = \"X\"",
        ),
        (
            App,
            SCENARIO_SERVER_ACTOR,
            "business-logic delay on account writes: 0 ms",
        ),
        (
            App,
            SCENARIO_SERVER_ACTOR,
            "published project version 2 (Demo)",
        ),
        // An app line that is no server control is not drawn.
        (App, "demo", "setting Auto Sync: Never → Always"),
    ]));
    let server: Vec<(ItemKind, usize, usize)> = t
        .lane(Lane::Server)
        .map(|i| (i.kind, i.from, i.to))
        .collect();
    assert_eq!(
        server,
        [
            (ItemKind::Delay, 0, 3),
            (ItemKind::Server(ServerMark::Fault), 1, 1),
            (ItemKind::Server(ServerMark::BackofficeEdit), 2, 2),
            (ItemKind::Server(ServerMark::Publish), 4, 4),
        ]
    );
    assert_eq!(t.columns.len(), 5);
}

#[test]
fn the_axis_is_labelled_where_the_virtual_time_changes() {
    let mut j = race_no_action();
    for e in j.iter_mut().skip(8) {
        e.at += Duration::minutes(5);
    }
    let t = Timeline::build(&j);
    let ticks: Vec<usize> = t.ticks().into_iter().map(|(i, _)| i).collect();
    assert_eq!(ticks, [0, 7]);
}

#[test]
fn the_legend_names_each_drawn_kind_once() {
    let t = Timeline::build(&race_no_action());
    let legend: Vec<&str> = t.legend().into_iter().map(ItemKind::legend).collect();
    assert_eq!(
        legend,
        [
            "sync requested",
            "background sync phase",
            "save allowed",
            "save during sync (No action)",
            "lost edit: overwritten by the sync"
        ]
    );
}

#[test]
fn an_empty_journal_is_an_empty_picture() {
    assert!(Timeline::build(&[]).is_empty());
}

#[test]
fn creates_and_deletes_are_user_marks_by_outcome() {
    use JournalKind::*;
    let t = Timeline::build(&journal(&[
        (Save, "demo", "create: save allowed"),
        (Save, "demo", "delete: save allowed"),
        (
            Save,
            "demo",
            "delete: save refused: Save is blocked while the background sync is in its Upload phase (Block save); your edits are kept, save again when it finishes",
        ),
    ]));
    let user: Vec<ItemKind> = t.lane(Lane::User).map(|i| i.kind).collect();
    assert_eq!(
        user,
        [
            ItemKind::Create(SaveMark::Allowed),
            ItemKind::Delete(SaveMark::Allowed),
            ItemKind::Delete(SaveMark::Refused)
        ]
    );
    let glyphs: std::collections::HashSet<char> = user.iter().map(|k| k.glyph()).collect();
    assert_eq!(glyphs.len(), 3, "each draws its own character");
}
