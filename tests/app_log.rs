//! App core, the log: the timeline (triggers, skips with reasons, phases with durations, saves,
//! UI transactions, conflicts), the auditor's lost edits, the filter, the JSON-lines export;
//! and the Server panel's demo controls, with and without a control API.

mod app_common;

use app_common::*;
use autosync::app::{Action, Screen, ScreenKind, ServerItem};
use autosync::store::JournalKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_shows_the_timeline_and_filters_it_by_kind() {
    let mut h = Harness::new(Prep::Synced).await;
    h.act(Action::OpenLog).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Log);
    let texts: Vec<String> = h
        .app
        .filtered_log()
        .iter()
        .map(|l| l.text.clone())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("on-start sync skipped: synchronized 0 min ago")),
        "skips with their reasons: {texts:?}"
    );
    assert!(texts.iter().any(|t| t == "phase Download"), "{texts:?}");
    let phase = h
        .app
        .filtered_log()
        .into_iter()
        .find(|l| l.text == "phase Download")
        .unwrap();
    assert!(
        phase.duration.is_some(),
        "a finished phase has its duration"
    );
    h.act(Action::FilterLog(Some(JournalKind::Sync))).await;
    assert!(
        h.app
            .filtered_log()
            .iter()
            .all(|l| l.kind == JournalKind::Sync)
    );
    assert_eq!(h.app.next_log_filter(), Some(JournalKind::Save));
    h.act(Action::Up).await;
    let Screen::Log(state) = h.app.screen() else {
        panic!()
    };
    assert!(
        state.selected.is_some(),
        "scrolling up stops following the newest line"
    );
    h.act(Action::FilterLog(None)).await;
    let Screen::Log(state) = h.app.screen() else {
        panic!()
    };
    assert_eq!((state.filter, state.selected), (None, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_the_whole_journal_as_json_lines() {
    let mut h = Harness::new(Prep::Synced).await;
    h.act(Action::OpenLog).await;
    let path = h.dir.path().join("log.jsonl");
    h.act(Action::ExportLog { path: path.clone() }).await;
    assert!(h.message().starts_with("Exported"), "{}", h.message());
    let text = std::fs::read_to_string(&path).unwrap();
    let entries: Vec<autosync::event::Event> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), h.app.log_lines().len());
    assert!(
        entries
            .iter()
            .any(|e| e.kind == JournalKind::Sync.as_str() && e.text == "sync finished")
    );
    // The same schema as `autosync play --json`: a kind and typed data beside the text.
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    for key in ["at", "kind", "actor", "text", "seq"] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    // A second export beside the first does not replace it.
    let default = h.app.default_export_path();
    assert!(
        default
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("autosync-log-2"),
        "{}",
        default.display()
    );
    h.act(Action::ExportLog {
        path: default.clone(),
    })
    .await;
    h.act(Action::ExportLog {
        path: default.clone(),
    })
    .await;
    let second = default.with_file_name(format!(
        "{}-2.jsonl",
        default.file_stem().unwrap().to_string_lossy()
    ));
    assert!(default.exists() && second.exists(), "{}", h.message());
    assert!(
        h.message().contains(&second.display().to_string()),
        "{}",
        h.message()
    );
    h.act(Action::ExportLog {
        path: h.dir.path().join("no/such/dir/log.jsonl"),
    })
    .await;
    assert!(h.message().starts_with("Cannot export"), "{}", h.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auditor_reports_an_edit_lost_to_server_wins() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0001").await;
    h.edit("city", "Device City").await;
    h.act(Action::Save).await;
    h.act(Action::ServerEditOpenRecord).await;
    assert!(
        h.message().contains("backoffice edited account acc-0001"),
        "{}",
        h.message()
    );
    h.sync().await;
    h.act(Action::OpenHome).await;
    h.act(Action::OpenLog).await;
    let lost = h.app.lost_edits();
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(
        (lost[0].field.as_str(), lost[0].value.as_str()),
        ("city", "Device City")
    );
    let kinds: Vec<JournalKind> = h.app.log_lines().iter().map(|l| l.kind).collect();
    assert!(
        kinds.contains(&JournalKind::ServerWins) || kinds.contains(&JournalKind::Conflict),
        "{kinds:?}"
    );
    assert!(
        h.app.log_lines().iter().any(|l| l.actor == "demo control"),
        "the demo control is on the timeline"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_panel_controls_act_on_the_server() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::OpenServerPanel).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Server);
    // Every item has an action; Select runs the selected one.
    let delay = ServerItem::ALL
        .iter()
        .position(|i| *i == ServerItem::DelayAccount)
        .unwrap();
    for _ in 0..delay {
        h.act(Action::Down).await;
    }
    assert_eq!(
        h.app.select_action(),
        Some(Action::SetServerDelay {
            entity: "account".into(),
            ms: 2000
        })
    );
    h.act(Action::Select).await;
    assert_eq!(h.app.delay("account"), 2000);
    assert_eq!(
        h.app.select_action(),
        Some(Action::SetServerDelay {
            entity: "account".into(),
            ms: 5000
        }),
        "the next step of the cycle"
    );
    h.act(Action::SetServerDelay {
        entity: "account".into(),
        ms: 0,
    })
    .await;
    h.act(Action::InjectFault(
        autosync::app::fault_for(ServerItem::FaultError).unwrap(),
    ))
    .await;
    assert!(
        h.message().contains("fault injected: 500"),
        "{}",
        h.message()
    );
    h.sync().await;
    assert!(
        h.app.status().last.as_ref().unwrap().error.is_some(),
        "four 500s: the sync gives up"
    );
    h.act(Action::ServerDeleteOpenRecord).await;
    assert!(
        h.message().contains("Open a record first"),
        "{}",
        h.message()
    );
    h.open_record("account", "acc-0009").await;
    h.act(Action::ServerDeleteOpenRecord).await;
    assert!(
        h.message().contains("deleted account acc-0009"),
        "{}",
        h.message()
    );
    h.sync().await;
    let form = h.app.top_form().unwrap();
    assert!(form.gone, "the open record was deleted by the sync");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_control_api_the_server_controls_say_so() {
    let mut h = Harness::external(Prep::SyncedQuiet).await;
    assert!(!h.app.has_control());
    for action in [
        Action::PublishV2,
        Action::SetServerDelay {
            entity: "account".into(),
            ms: 2000,
        },
        Action::InjectFault(autosync::app::fault_for(ServerItem::FaultBusy).unwrap()),
    ] {
        let effects = h.app.update(action.clone());
        assert!(effects.is_empty(), "{action:?}");
        assert!(
            h.message().contains(autosync::app::NO_ADMIN_TOKEN),
            "{action:?}: {}",
            h.message()
        );
    }
    h.act(Action::ToggleNetwork).await;
    assert!(
        h.message().contains("Network disconnected"),
        "the device's own controls still work"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_opens_a_log_line_in_full_with_its_data() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let long = "a city name far longer than any log line at eighty columns can show in its row";
    h.open_record("account", "acc-0001").await;
    h.edit("city", long).await;
    h.act(Action::Save).await;
    h.act(Action::OpenLog).await;
    let lines = h.app.filtered_log();
    let edit = lines
        .iter()
        .position(|l| l.kind == JournalKind::Edit)
        .expect("the edit's line");
    for _ in edit..lines.len() - 1 {
        h.act(Action::Up).await;
    }
    let Some(Action::OpenLogEntry { seq }) = h.app.select_action() else {
        panic!("Enter opens the selected line");
    };
    h.act(Action::Select).await;
    let Screen::LogEntry(entry) = h.app.screen() else {
        panic!("the line in full: {:?}", h.app.screen_kind());
    };
    assert_eq!(entry.line.seq, seq);
    assert!(entry.line.text.contains(long), "{}", entry.line.text);
    assert_eq!(entry.line.entry.new.as_deref(), Some(long));
    assert_eq!(entry.line.entry.record_id.as_deref(), Some("acc-0001"));
    h.act(Action::Back).await;
    assert_eq!(
        h.app.screen_kind(),
        ScreenKind::Log,
        "Esc returns to the log"
    );
}
