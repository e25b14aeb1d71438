//! App core, lists and forms: search, open, type into a field, save through the save gate (a
//! refused save keeps the edits), leaving with unsaved edits asks first, the custom command
//! under a UI transaction (and its refusal), online saves.

mod app_common;

use app_common::*;
use autosync::app::{Action, AfterDiscard, Dialog, Level, Screen, ScreenKind};
use autosync::rules::Phase;
use crossterm::event::KeyCode;

fn form(h: &Harness) -> &autosync::app::FormState {
    h.app.top_form().expect("a form is open")
}

fn notice(h: &Harness) -> String {
    form(h)
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_searches_by_name_and_select_opens_the_record() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::OpenList {
        entity: "account".into(),
    })
    .await;
    let Screen::List(list) = h.app.screen() else {
        panic!("a list")
    };
    assert_eq!((list.total, list.rows.len()), (240, 240));
    h.act(Action::BeginEdit).await;
    assert!(h.app.text_input_focused());
    h.type_text("alpine").await;
    let Screen::List(list) = h.app.screen() else {
        panic!("a list")
    };
    assert!(!list.rows.is_empty() && list.rows.len() < 240);
    assert!(
        list.rows
            .iter()
            .all(|r| r.primary.to_lowercase().contains("alpine")),
        "{:?}",
        list.rows
    );
    h.act(Action::EndEdit).await;
    assert!(!h.app.text_input_focused());
    h.act(Action::Down).await;
    let Screen::List(list) = h.app.screen() else {
        panic!("a list")
    };
    let second = list.rows[1].id.clone();
    h.act(Action::Select).await;
    assert_eq!(form(&h).id, second);
    assert_eq!(
        h.device().open_forms(),
        1,
        "opening a form tells the client"
    );
    h.act(Action::Back).await;
    assert_eq!(h.device().open_forms(), 0, "and closing it too");
    h.act(Action::Search("no such name".into())).await;
    let Screen::List(list) = h.app.screen() else {
        panic!("a list")
    };
    assert!(list.rows.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_and_saving_uploads_and_the_pending_count_returns_to_zero() {
    let mut h = Harness::new(Prep::Synced).await;
    h.open_record("account", "acc-0001").await;
    let city = form(&h)
        .fields
        .iter()
        .position(|f| f.name == "city")
        .unwrap();
    for _ in 0..city {
        h.act(Action::Down).await;
    }
    h.act(Action::BeginEdit).await;
    h.act(Action::Input(key(KeyCode::Char('u')).with_control()))
        .await;
    h.type_text("Reykjavik").await;
    h.act(Action::EndEdit).await;
    assert!(form(&h).is_dirty());
    assert_eq!(form(&h).field("city").unwrap().value, "Reykjavik");
    let before = h.finished();
    h.act(Action::Save).await;
    assert!(notice(&h).starts_with("Saved"), "{}", notice(&h));
    assert!(!form(&h).is_dirty());
    // Auto Sync includes On Change: the save starts a sync that uploads it.
    h.until_synced(before).await;
    h.until("the pending count to return to 0", |app| {
        app.status().pending_uploads == 0
    })
    .await;
    let remote = autosync::remote::Remote::new(&h.server_url(), "demo", "demo").unwrap();
    let server = remote.record("account", "acc-0001").await.unwrap().unwrap();
    assert_eq!(server.fields["city"], "Reykjavik");
    assert_eq!(
        form(&h).field("modified_by").unwrap().value,
        "demo",
        "the form shows what the sync brought back"
    );
}

trait Ctrl {
    fn with_control(self) -> Self;
}

impl Ctrl for crossterm::event::KeyEvent {
    fn with_control(mut self) -> Self {
        self.modifiers = crossterm::event::KeyModifiers::CONTROL;
        self
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_save_says_why_and_keeps_the_edits() {
    let toml = project_with(
        "background_sync_behavior = \"NoAction\"",
        "background_sync_behavior = \"BlockSave\"",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0002").await;
    h.edit("city", "Blocked City").await;
    h.slow_next("GET", "/api/v1/entities/", 1500).await;
    let before = h.press_sync_until(Phase::Download).await;
    h.act(Action::Save).await;
    assert!(
        notice(&h).starts_with(
            "Save refused: Save is blocked while the background sync is in its Download phase"
        ),
        "{}",
        notice(&h)
    );
    assert_eq!(form(&h).notice.as_ref().unwrap().level, Level::Error);
    assert!(form(&h).is_dirty(), "the edits stay in the form");
    assert_eq!(form(&h).field("city").unwrap().value, "Blocked City");
    assert_ne!(
        h.store()
            .record("account", "acc-0002")
            .unwrap()
            .unwrap()
            .fields["city"],
        "Blocked City"
    );
    h.until_synced(before).await;
    h.act(Action::Save).await;
    assert!(notice(&h).starts_with("Saved"), "{}", notice(&h));
    assert_eq!(
        h.store()
            .record("account", "acc-0002")
            .unwrap()
            .unwrap()
            .fields["city"],
        "Blocked City"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_a_form_with_unsaved_edits_asks_first() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::OpenList {
        entity: "account".into(),
    })
    .await;
    h.open_record("account", "acc-0003").await;
    h.edit("email", "new@example.com").await;
    h.act(Action::Back).await;
    assert_eq!(
        h.app.dialog(),
        Some(&Dialog::Discard {
            then: AfterDiscard::Back
        })
    );
    h.act(Action::OpenSetup).await;
    assert!(h.message().contains("Answer the dialog first"));
    h.act(Action::KeepEditing).await;
    assert_eq!(h.app.dialog(), None);
    assert_eq!(h.app.screen_kind(), ScreenKind::Form);
    assert_eq!(form(&h).field("email").unwrap().value, "new@example.com");
    h.act(Action::OpenHome).await;
    assert_eq!(
        h.app.dialog(),
        Some(&Dialog::Discard {
            then: AfterDiscard::Home
        })
    );
    h.act(Action::KeepEditing).await;
    h.act(Action::Back).await;
    h.act(Action::ConfirmDiscard).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::List);
    assert_eq!(h.device().open_forms(), 0);
    assert_ne!(
        h.store()
            .record("account", "acc-0003")
            .unwrap()
            .unwrap()
            .fields["email"],
        "new@example.com"
    );
    // Cancel discards the edits but keeps the form open.
    h.open_record("account", "acc-0003").await;
    h.edit("email", "other@example.com").await;
    h.act(Action::CancelForm).await;
    assert!(!form(&h).is_dirty());
    // Read-only fields refuse edits.
    h.edit("rating", "Hot").await;
    assert!(h.message().contains("cannot be edited"), "{}", h.message());
    // q with unsaved edits asks, then quits.
    h.edit("email", "last@example.com").await;
    h.act(Action::Quit).await;
    assert_eq!(
        h.app.dialog(),
        Some(&Dialog::Discard {
            then: AfterDiscard::Quit
        })
    );
    assert!(!h.app.is_quitting());
    let effects = h.apply_local(Action::ConfirmDiscard);
    assert_eq!(effects, vec![autosync::app::Effect::Quit]);
    assert!(h.app.is_quitting());
    assert_eq!(h.device().open_forms(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_custom_command_edits_the_contacts_one_by_one_under_a_ui_transaction() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0077").await;
    let effects = h.apply_local(Action::RunCustomCommand);
    assert_eq!(
        h.device().ui_transactions_held(),
        1,
        "tryEnterUiTransaction → true holds a clearance"
    );
    assert_eq!(
        h.device().engine().ui_gate().clearances,
        1,
        "and the engine knows it"
    );
    assert!(
        matches!(
            effects.as_slice(),
            [autosync::app::Effect::CustomStep { .. }]
        ),
        "the next record waits for its second: {effects:?}"
    );
    assert!(h.app.custom_run().is_some());
    // Run the remaining steps as the driver would.
    let mut queue = effects;
    while let Some(effect) = queue.pop() {
        let done = h.perform(effect).await;
        queue.extend(h.app.update(done));
    }
    assert!(h.app.custom_run().is_none());
    assert_eq!(
        h.device().ui_transactions_held(),
        0,
        "leaveUiTransaction released it"
    );
    let log = h.app.custom_log();
    assert!(
        log.first()
            .unwrap()
            .starts_with("tryEnterUiTransaction → true"),
        "{log:?}"
    );
    assert!(
        log.last().unwrap().starts_with("leaveUiTransaction"),
        "{log:?}"
    );
    assert_eq!(
        log.len(),
        2 + 9,
        "one line per contact of acc-0077: {log:?}"
    );
    h.until("nine pending uploads", |app| {
        app.status().pending_uploads == 9
    })
    .await;
    let journal: Vec<String> = h.app.log_lines().iter().map(|l| l.text.clone()).collect();
    assert!(
        journal
            .iter()
            .any(|l| l.contains("tryEnterUiTransaction → true"))
    );
    assert!(
        journal
            .iter()
            .any(|l| l.contains("custom command (JSBridge)"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_custom_command_shows_the_refusal_of_try_enter() {
    let toml = project_with(
        "background_sync_behavior = \"NoAction\"",
        "background_sync_behavior = \"BlockSave\"",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0077").await;
    h.edit("city", "Upload me").await;
    h.act(Action::Save).await;
    h.slow_next("POST", "/api/v1/batch", 1500).await;
    let before = h.press_sync_until(Phase::Upload).await;
    h.act(Action::RunCustomCommand).await;
    assert!(
        h.message().contains("tryEnterUiTransaction → false"),
        "{}",
        h.message()
    );
    assert_eq!(h.device().ui_transactions_held(), 0);
    assert!(h.app.custom_run().is_none());
    h.until_synced(before).await;
    // By hand: tryEnter and leave.
    h.act(Action::EnterUiTransaction).await;
    assert_eq!(h.device().ui_transactions_held(), 1);
    h.act(Action::LeaveUiTransaction).await;
    assert_eq!(h.device().ui_transactions_held(), 0);
    h.act(Action::LeaveUiTransaction).await;
    assert!(h.message().contains("none held"), "{}", h.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_saves_go_to_the_server_at_once_and_a_stale_one_keeps_the_edits() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::SwitchMode).await;
    assert_eq!(h.app.mode(), autosync::device::AppMode::Online);
    h.open_record("account", "acc-0001").await;
    h.edit("credit_limit", "300000").await;
    let effects = h.app.update(Action::Save);
    assert!(
        matches!(
            effects.as_slice(),
            [autosync::app::Effect::SaveOnline { .. }]
        ),
        "{effects:?}"
    );
    assert!(form(&h).saving_online);
    for effect in effects {
        let done = h.perform(effect).await;
        h.act(done).await;
    }
    assert!(!form(&h).saving_online);
    assert!(notice(&h).contains("rating now Hot"), "{}", notice(&h));
    assert_eq!(
        form(&h).field("rating").unwrap().value,
        "Hot",
        "the server's business logic ran"
    );
    assert!(!form(&h).is_dirty());
    assert_eq!(
        h.app.status().pending_uploads,
        0,
        "nothing waits for a sync"
    );

    h.control
        .edit(
            "account",
            "acc-0001",
            fields(&[("city", "Changed meanwhile")]),
            None,
        )
        .await
        .unwrap();
    h.edit("city", "Mine").await;
    h.act(Action::Save).await;
    assert!(
        notice(&h).contains("changed on the server by backoffice"),
        "{}",
        notice(&h)
    );
    assert!(form(&h).is_dirty(), "the edits stay");

    h.act(Action::ToggleNetwork).await;
    h.act(Action::Save).await;
    assert!(
        notice(&h).contains("no network connection is active"),
        "{}",
        notice(&h)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_on_the_unsaved_changes_dialog_keeps_the_edits() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0003").await;
    h.edit("email", "kept@example.com").await;
    // Whatever asked (leaving, going Home, quitting), Enter answers "keep editing".
    for ask in [Action::Back, Action::OpenHome, Action::Quit] {
        h.act(ask.clone()).await;
        assert!(
            matches!(h.app.dialog(), Some(Dialog::Discard { .. })),
            "{ask:?} asks first"
        );
        assert_eq!(h.app.select_action(), Some(Action::KeepEditing));
        h.act(Action::Select).await;
        assert_eq!(h.app.dialog(), None, "{ask:?}: Enter closed the dialog");
        assert_eq!(h.app.screen_kind(), ScreenKind::Form);
        assert!(!h.app.is_quitting());
        assert_eq!(form(&h).field("email").unwrap().value, "kept@example.com");
    }
    // Discarding takes its own action (the `d` key).
    h.act(Action::Back).await;
    h.act(Action::ConfirmDiscard).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Home);
    assert_eq!(h.device().open_forms(), 0);
}
