//! Every screen and dialog at 80×24 (and the smallest sizes: the too-small screen, the bar at
//! 60 columns), rendered with `TestBackend` and compared with the committed insta snapshots. Fixtures are deterministic: a frozen clock (09:00), the seed data,
//! fresh server databases; the only varying text — the loopback port — is masked.

mod app_common;

use std::time::Duration;

use app_common::fixture::{FIXTURE_SERVER, fixture};
use app_common::*;
use autosync::app::{Action, ServerItem};
use autosync::engine::{ItemProgress, PhaseProgress, PhaseState};
use autosync::rules::{Phase, SyncActivity, SyncMode};
use autosync::settings::{AutoSync, SettingChange};
use autosync::tui::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The app drawn at 80×24, with the server's port masked.
fn render(h: &Harness) -> String {
    render_at(h, 80, 24).0
}

/// An App built from a fixture view (no server), drawn at 80×24 with the port masked.
fn render_app(app: &autosync::app::App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal
        .draw(|frame| autosync::tui::draw(frame, app, &Theme::plain()))
        .unwrap();
    let port = FIXTURE_SERVER.rsplit(':').next().unwrap();
    terminal.backend().to_string().replace(
        &format!("127.0.0.1:{port}"),
        &format!("127.0.0.1:{}", "#".repeat(port.len())),
    )
}

/// The app drawn at `width`×`height`: the text, and where the cursor shows (if it does).
fn render_at(h: &Harness, width: u16, height: u16) -> (String, Option<(u16, u16)>) {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| autosync::tui::draw(frame, &h.app, &Theme::plain()))
        .unwrap();
    let backend = terminal.backend();
    let cursor = backend
        .cursor_visible()
        .then(|| (backend.cursor_position().x, backend.cursor_position().y));
    let text = backend.to_string();
    let port = h.server.addr().port().to_string();
    let text = text.replace(
        &format!("127.0.0.1:{port}"),
        &format!("127.0.0.1:{}", "#".repeat(port.len())),
    );
    (text, cursor)
}

macro_rules! snap {
    ($name:literal, $h:expr) => {
        insta::assert_snapshot!($name, render(&$h))
    };
}

/// A status as the engine reports it in the middle of a sync's download: the accounts are in,
/// the contacts' first page announced 300,240, and 220,240 changes took 5.37 s.
fn mid_download(h: &Harness, mode: SyncMode) -> autosync::engine::SyncStatus {
    let contacts = ItemProgress {
        label: "Contacts".into(),
        done: 220_000,
        total: Some(300_240),
    };
    downloading(h, mode, contacts, Duration::from_millis(5_370))
}

fn downloading(
    h: &Harness,
    mode: SyncMode,
    contacts: ItemProgress,
    elapsed: Duration,
) -> autosync::engine::SyncStatus {
    let mut status = h.app.status().clone();
    status.activity = SyncActivity::Running {
        mode,
        phase: Phase::Download,
    };
    status.trigger = Some(autosync::rules::Trigger::Manual);
    let accounts = ItemProgress {
        label: "Accounts".into(),
        done: 240,
        total: Some(240),
    };
    status.phases = Phase::ALL
        .iter()
        .map(|&phase| {
            let (state, done, total) = match phase {
                Phase::Connect | Phase::Customization => (PhaseState::Done, 0, None),
                Phase::Upload => (PhaseState::Done, 3, Some(3)),
                Phase::Download => (PhaseState::Running, 240 + contacts.done, None),
                _ => (PhaseState::Pending, 0, None),
            };
            let (items, elapsed) = match phase {
                Phase::Download => (vec![accounts.clone(), contacts.clone()], elapsed),
                _ => (Vec::new(), Duration::ZERO),
            };
            PhaseProgress {
                state,
                done,
                total,
                items,
                elapsed,
                ..PhaseProgress::pending(phase)
            }
        })
        .collect();
    status.pending_uploads = 2;
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_before_the_first_sync() {
    let h = Harness::new(Prep::Empty).await;
    snap!("home_empty", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_synced_and_why_expanded() {
    let mut h = Harness::new(Prep::Synced).await;
    snap!("home_synced", h);
    h.act(Action::ToggleWhy).await;
    h.act(Action::AdvanceClock {
        by: chrono::Duration::minutes(5),
    })
    .await;
    snap!("home_why_expanded", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_with_sync_errors_and_the_down_arrow() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    make_contact_conflict(&mut h, "con-0001").await;
    h.act(Action::ChangeSetting(SettingChange::AutoSync(
        autosync::settings::AutoSync::OnChange,
    )))
    .await;
    h.act(Action::PublishV2).await;
    h.sync().await;
    h.act(Action::OpenHome).await;
    snap!("home_sync_errors_down_arrow", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_during_a_background_sync() {
    let mut h = Harness::new(Prep::Synced).await;
    let status = mid_download(&h, SyncMode::Background);
    h.app.update(Action::Status(status));
    snap!("home_background_sync", h);
    // Resumed from a cursor, the download has no total: what it did and its rate, no
    // percentage, no ETA.
    let resumed = ItemProgress {
        label: "Contacts".into(),
        done: 20_000,
        total: None,
    };
    let status = downloading(
        &h,
        SyncMode::Background,
        resumed,
        Duration::from_millis(1_500),
    );
    h.app.update(Action::Status(status));
    snap!("home_download_resumed", h);
}

#[test]
fn home_with_lost_edits_found_by_the_auditor() {
    // Home draws the App's view: the auditor's two findings as a line under the menu's top.
    let mut app = fixture(AutoSync::OnStartAndChange, Vec::new());
    let lost = |field: &str, value: &str| autosync::auditor::LostEdit {
        entity: "account".into(),
        id: "acc-0001".into(),
        field: field.into(),
        value: value.into(),
        saved_at: chrono::DateTime::parse_from_rfc3339(app_common::T0)
            .unwrap()
            .to_utc(),
        cause: autosync::auditor::LossCause::OverwrittenBySync,
        detail: String::new(),
        device_value: None,
        server_value: None,
    };
    let view = autosync::app::Reloaded {
        lost: Some(vec![
            lost("city", "First"),
            lost("phone", "+1 555 000 0002"),
        ]),
        ..Default::default()
    };
    app_common::fixture::answer(
        &mut app,
        autosync::app::EffectResult::Reloaded(Box::new(view)),
    );
    insta::assert_snapshot!("home_lost_edits", render_app(&app));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_plain_and_locked() {
    // Setup draws the App's view of the device: a fixture view, no server.
    let mut app = fixture(AutoSync::OnStartAndChange, Vec::new());
    app.update(Action::OpenSetup);
    insta::assert_snapshot!("setup", render_app(&app));
    let toml = project_with(
        "locked = []",
        "locked = [\"auto_sync\", \"background_sync\"]",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::Synced).await;
    h.act(Action::OpenSetup).await;
    h.act(Action::Select).await;
    snap!("setup_locked", h);
}

/// Woodford: the published project read, a draft with Auto Sync locked and the behavior
/// stepped to Rebase (each marked "changed, not published").
#[test]
fn woodford_with_a_draft() {
    use autosync::app::{Effect, EffectResult};
    let mut app = fixture(AutoSync::OnStartAndChange, Vec::new());
    assert_eq!(app.update(Action::OpenWoodford), vec![Effect::ReadProject]);
    let published = Box::new(autosync::assets::project_v1());
    app.update(Action::EffectDone(EffectResult::ProjectRead(Ok(published))));
    app.update(Action::Down);
    app.update(Action::ToggleLock);
    for _ in 0..7 {
        app.update(Action::Down);
    }
    app.update(Action::DraftStep { delta: 1 });
    insta::assert_snapshot!("woodford_draft", render_app(&app));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_plain_and_searching() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::OpenList {
        entity: "account".into(),
    })
    .await;
    snap!("list_accounts", h);
    h.act(Action::BeginEdit).await;
    h.type_text("tra").await;
    h.act(Action::Down).await;
    snap!("list_search", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_editing_saved_refused_and_the_custom_command() {
    let toml = project_with(
        "background_sync_behavior = \"NoAction\"",
        "background_sync_behavior = \"BlockSave\"",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0001").await;
    h.edit("email", "sales@datum.example").await;
    h.acts([Action::Down, Action::Down, Action::Down, Action::BeginEdit])
        .await;
    h.type_text(" North").await;
    snap!("form_editing", h);
    h.act(Action::EndEdit).await;
    h.act(Action::Save).await;
    snap!("form_saved", h);

    h.edit("city", "Blocked City").await;
    h.slow_next("GET", "/api/v1/entities/", 1500).await;
    let before = h.press_sync_until(Phase::Download).await;
    h.act(Action::Save).await;
    snap!("form_save_refused", h);
    h.act(Action::EnterUiTransaction).await;
    snap!("form_try_enter_refused", h);
    h.until_synced(before).await;
    h.act(Action::CancelForm).await;

    h.open_record("account", "acc-0036").await;
    let mut queue = h.app.update(Action::RunCustomCommand);
    while let Some(effect) = queue.pop() {
        let done = h.perform(effect).await;
        queue.extend(h.app.update(done));
    }
    h.pump().await;
    snap!("form_custom_command", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_screen_foreground_and_login() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let status = mid_download(&h, SyncMode::Foreground);
    h.app.update(Action::Status(status));
    snap!("sync_screen_foreground", h);

    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::ChangeSetting(SettingChange::SavePassword(false)))
        .await;
    h.act(Action::PressSync).await;
    h.type_text("demo").await;
    snap!("sync_screen_login", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_errors_conflict_merge_and_what_if() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    make_contact_conflict(&mut h, "con-0001").await;
    h.act(Action::OpenSyncErrors).await;
    snap!("sync_errors", h);
    h.act(Action::Select).await;
    snap!("conflict", h);
    h.acts([Action::Down, Action::Down]).await;
    snap!("conflict_email_in_full", h);
    h.acts([Action::Up, Action::Up]).await;
    h.act(Action::ToggleMerge).await;
    h.act(Action::Down).await;
    h.act(Action::Select).await;
    snap!("conflict_merge", h);
    h.act(Action::ToggleWhatIf).await;
    snap!("conflict_what_if", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_all_and_filtered() {
    let mut h = Harness::new(Prep::Synced).await;
    h.act(Action::OpenLog).await;
    snap!("log", h);
    h.act(Action::FilterLog(Some(autosync::store::JournalKind::Sync)))
        .await;
    h.act(Action::PageUp).await;
    snap!("log_filtered", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_after_an_upload_and_one_line_in_full() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0001").await;
    h.act(Action::EditField {
        field: "city".into(),
        value: "Reykjavik, Capital Region, Iceland — the northernmost capital of a sovereign state"
            .into(),
    })
    .await;
    h.act(Action::Save).await;
    h.act(Action::OpenHome).await;
    h.sync().await;
    h.act(Action::OpenLog).await;
    let lines = h.app.filtered_log();
    let uploaded = lines
        .iter()
        .position(|l| l.kind == autosync::store::JournalKind::Uploaded)
        .expect("an uploaded line");
    for _ in uploaded..lines.len() - 1 {
        h.act(Action::Up).await;
    }
    snap!("log_uploaded", h);
    h.act(Action::Select).await;
    snap!("log_entry", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_wraps_a_failed_sync_and_names_the_missing_network() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::ToggleNetwork).await;
    h.sync().await;
    snap!("home_sync_failed_no_network", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_panel_with_and_without_a_control_api() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0001").await;
    h.act(Action::OpenServerPanel).await;
    let delay = ServerItem::ALL
        .iter()
        .position(|i| *i == ServerItem::DelayAccount)
        .unwrap();
    for _ in 0..delay {
        h.act(Action::Down).await;
    }
    h.act(Action::Select).await;
    snap!("server_panel", h);
    let mut h = Harness::external(Prep::SyncedQuiet).await;
    h.act(Action::OpenServerPanel).await;
    h.act(Action::PublishV2).await;
    snap!("server_panel_external", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mode_switch_dialogs() {
    let toml = project_with(
        "sync_before_online = \"NoAction\"",
        "sync_before_online = \"AskUserToSync\"",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::SyncedQuiet).await;
    h.act(Action::SwitchMode).await;
    snap!("dialog_ask_user_to_sync", h);
    let toml = project_with(
        "sync_before_online = \"NoAction\"",
        "sync_before_online = \"WarnUserMustSync\"",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::SyncedQuiet).await;
    h.act(Action::SwitchMode).await;
    h.act(Action::AnswerDialog(
        autosync::rules::SwitchChoice::SwitchWithoutSync,
    ))
    .await;
    snap!("dialog_warn_user_must_sync_refused", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discard_dialog_help_and_background() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.open_record("contact", "con-0001").await;
    h.edit("job_title", "Unsaved").await;
    h.act(Action::Back).await;
    snap!("dialog_discard", h);
    h.act(Action::Help).await;
    snap!("help_discard", h);
    h.act(Action::Help).await;
    h.act(Action::KeepEditing).await;
    h.act(Action::Help).await;
    snap!("help_form", h);
    h.act(Action::Help).await;
    h.act(Action::OpenHome).await;
    h.act(Action::ConfirmDiscard).await;
    h.act(Action::Help).await;
    snap!("help_home", h);
    h.act(Action::Help).await;
    h.act(Action::SendToBackground).await;
    snap!("background", h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_small_then_large_enough_again() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::Resize {
        width: 40,
        height: 12,
    })
    .await;
    insta::assert_snapshot!("too_small", render_at(&h, 40, 12).0);
    h.act(Action::Resize {
        width: 80,
        height: 24,
    })
    .await;
    let home = render(&h);
    assert!(
        home.contains("Synchronization")
            && home.contains("Accounts")
            && !home.contains("too small"),
        "{home}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_60_columns_the_bar_keeps_help_and_quit() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0036").await;
    h.edit("city", "Unsaved").await;
    let (text, _) = render_at(&h, 60, 18);
    insta::assert_snapshot!("form_dirty_60x18", text);
    let bar: Vec<&str> = text.lines().rev().take(2).collect();
    assert!(
        bar[0].contains("Esc back") && bar[0].contains("? help") && bar[0].contains("q quit"),
        "{text}"
    );
    assert!(!text.contains("p server"), "the bar made room: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_value_scrolls_sideways_with_the_cursor_in_view() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0001").await;
    h.acts([Action::Down, Action::Down, Action::Down, Action::BeginEdit])
        .await;
    let value = h.app.focused_input().unwrap().value().to_string();
    let pasted: String = (0..300)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    h.act(Action::Paste(pasted.clone())).await;
    let (text, cursor) = render_at(&h, 80, 24);
    insta::assert_snapshot!("form_editing_long_value", text);
    let (x, y) = cursor.expect("the cursor shows while typing");
    let line = text.lines().nth(y as usize).unwrap();
    assert!(
        line.contains("City"),
        "the cursor is on the City line: {line}"
    );
    let end = format!("{}{}", &value, &pasted);
    let tail = &end[end.len() - 20..];
    assert!(line.contains(tail), "the end being typed shows: {line}");
    assert!(x < 79, "the cursor is inside the frame: {x}");
    // The cursor sits right after the last character shown (a line is quoted in the dump).
    let before: String = line.chars().skip(1).take(x as usize).collect();
    assert!(before.ends_with(tail), "{before:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_larger_than_a_page() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.control.generate("account", 1_500).await.unwrap();
    h.sync().await;
    h.act(Action::OpenList {
        entity: "account".into(),
    })
    .await;
    snap!("list_first_page", h);
    h.act(Action::Last).await;
    snap!("list_last_page", h);
}
