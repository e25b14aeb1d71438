//! App core: what the app says agrees with what happens — a sync held by a UI transaction says
//! it waits, and a save into it says it uploads with it; Sync Errors' device column is what the
//! form and the database have; the sign-in screen names the true reason it asks.

mod app_common;

use app_common::*;
use autosync::app::{Action, Screen};
use autosync::rules::{LoginReason, Phase, SyncActivity, SyncMode};
use autosync::tui::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The app drawn at 80×24.
fn render(h: &Harness) -> String {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal
        .draw(|frame| autosync::tui::draw(frame, &h.app, &Theme::plain()))
        .unwrap();
    terminal.backend().to_string()
}

fn notice(h: &Harness) -> String {
    h.app
        .top_form()
        .and_then(|f| f.notice.as_ref())
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

fn waiting(app: &autosync::app::App) -> bool {
    matches!(
        app.status().activity,
        SyncActivity::WaitingForUiTransactions { .. }
    )
}

/// "you can block sync while custom code invoked from a custom button click is modifying and
/// saving related records" — under Block save, the held sync is in no entity phase.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_held_by_a_ui_transaction_says_it_waits_and_a_save_goes_with_it() {
    let toml = project_with(
        "background_sync_behavior = \"NoAction\"",
        "background_sync_behavior = \"BlockSave\"",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0001").await;
    h.act(Action::EnterUiTransaction).await;
    let before = h.finished();
    h.act(Action::PressSync).await;
    h.until("the sync to wait for the UI transaction", waiting)
        .await;
    let screen = render(&h);
    let header = screen.lines().next().unwrap_or_default();
    assert!(
        header.contains("waiting for UI transactions (1 held)") && !header.contains("Upload"),
        "{screen}"
    );
    h.edit("city", "Saved while the sync waits").await;
    h.act(Action::Save).await;
    assert_eq!(
        notice(&h),
        "Saved on the device; it uploads with the running sync"
    );
    h.act(Action::LeaveUiTransaction).await;
    h.until_synced(before).await;
    assert_eq!(
        h.store().pending_count().unwrap(),
        0,
        "the running sync uploaded it, as the form said"
    );
    h.edit("city", "Saved with no sync running").await;
    h.act(Action::Save).await;
    assert_eq!(
        notice(&h),
        "Saved on the device; it uploads with the next sync"
    );
}

/// Home's panel reads the same typed activity: the waiting sync, not its next phase.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_shows_a_sync_waiting_for_ui_transactions_as_waiting() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let mut status = h.app.status().clone();
    status.activity = SyncActivity::WaitingForUiTransactions {
        mode: SyncMode::Background,
        before: Phase::Upload,
        held: 2,
    };
    h.app.update(Action::Status(status));
    let screen = render(&h);
    assert!(
        screen.contains("Sync        waiting for UI transactions (2 held)"),
        "{screen}"
    );
    assert!(
        screen.contains("background: waiting for UI transactions (2 held)"),
        "the progress bar says it too: {screen}"
    );
    assert!(!screen.contains("Upload"), "{screen}");
}

/// Manual Action: "the record is listed under Sync Errors ... until the user resolves it" —
/// the device keeps its own values meanwhile, and every screen shows the same ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_errors_shows_the_device_values_the_form_and_the_database_have() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let id = "con-0337";
    h.open_record("contact", id).await;
    h.edit("job_title", "Device Title").await;
    h.act(Action::Save).await;
    h.control
        .edit(
            "contact",
            id,
            fields(&[("full_name", "Edited by backoffice")]),
            None,
        )
        .await
        .unwrap();
    h.sync().await;
    let conflict = h.app.conflicts().first().expect("a sync error").id;
    let form_value = |h: &Harness, field: &str| {
        h.app
            .top_form()
            .and_then(|f| f.fields.iter().find(|f| f.name == field))
            .map(|f| f.value.clone())
    };
    let stored = |h: &Harness, field: &str| {
        h.store()
            .record("contact", id)
            .unwrap()
            .and_then(|r| r.fields.get(field).cloned())
    };
    let row = |h: &Harness, field: &str| {
        h.app
            .conflict_rows(conflict)
            .into_iter()
            .find(|r| r.field == field)
            .expect("the field's row")
    };
    for (field, device) in [("full_name", "Adam Smith"), ("job_title", "Device Title")] {
        assert_eq!(stored(&h, field).as_deref(), Some(device), "{field}");
        assert_eq!(form_value(&h, field).as_deref(), Some(device), "{field}");
        assert_eq!(row(&h, field).device.as_deref(), Some(device), "{field}");
    }
    assert_eq!(
        row(&h, "full_name").server.as_deref(),
        Some("Edited by backoffice")
    );
    // Edited again on the device while the error waits: the device column follows.
    h.edit("email", "adam@device.example").await;
    h.act(Action::Save).await;
    let email = row(&h, "email");
    assert_eq!(email.device.as_deref(), Some("adam@device.example"));
    assert!(email.changed_on_device);
    assert_eq!(stored(&h, "email").as_deref(), Some("adam@device.example"));
    assert!(matches!(h.app.screen(), Screen::Form(_)));
}

/// "Require Sync Login": the user logs in at each sync — the reason the sign-in screen and a
/// forced mode-switch sync give, even with the password saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_sync_login_is_the_reason_given_with_the_password_saved() {
    let toml = project_with("require_sync_login = false", "require_sync_login = true").replace(
        "sync_before_online = \"NoAction\"",
        "sync_before_online = \"ForceSync\"",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::Fresh).await;
    h.idle().await;
    assert!(h.app.password_saved());
    h.act(Action::PressSync).await;
    assert!(
        matches!(
            h.app.sync_screen(),
            Some(autosync::app::SyncScreen::Login {
                reason: LoginReason::SyncLoginRequired,
                ..
            })
        ),
        "{:?}",
        h.app.sync_screen()
    );
    let screen = render(&h);
    assert!(screen.contains("Sync login is required"), "{screen}");
    assert!(!screen.contains("not saved"), "{screen}");
    h.act(Action::CancelSync).await;
    h.act(Action::SwitchMode).await;
    h.idle().await;
    let decision = h
        .app
        .status()
        .last_decision
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        decision.contains("mode switch sync not started: sync login is required"),
        "{decision}"
    );
    assert!(!decision.contains("password is not saved"), "{decision}");
    assert_eq!(h.app.mode(), autosync::device::AppMode::Offline);
}
