//! App core, Setup: selectors cycle and persist; a locked setting refuses with "Locked by the
//! administrator"; Save password off makes Sync ask for the password on the sync screen; text
//! settings are typed with the text input. Woodford: the administrator's draft of the
//! project's Configuration cycles, locks, types its interval and publishes the next version,
//! which the device takes only through its syncs; read-only without an admin token.

mod app_common;

use app_common::*;
use autosync::app::{Action, Refusal, ScreenKind, SetupRow, SyncScreen, cycle};
use autosync::settings::{AutoSync, SettingChange};
use crossterm::event::KeyCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_sync_cycles_on_select_and_the_choice_persists() {
    let mut h = Harness::new(Prep::Synced).await;
    h.act(Action::OpenSetup).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Setup);
    assert_eq!(
        h.app.settings().unwrap().auto_sync,
        AutoSync::OnStartAndChange
    );
    h.act(Action::Select).await;
    assert_eq!(
        h.app.settings().unwrap().auto_sync,
        AutoSync::Never,
        "the cycle wraps to Never"
    );
    assert_eq!(
        h.store().settings().unwrap().unwrap().auto_sync,
        AutoSync::Never,
        "persisted in the profile"
    );
    assert!(h.message().contains("Auto Sync: Never"), "{}", h.message());
    h.act(Action::Select).await;
    assert_eq!(h.app.settings().unwrap().auto_sync, AutoSync::OnStart);
    h.act(Action::Down).await;
    h.act(Action::Select).await;
    assert!(
        !h.app.settings().unwrap().background_sync,
        "Background sync toggled off"
    );
    h.act(Action::ChangeSetting(SettingChange::BackgroundSync(true)))
        .await;
    assert!(h.app.settings().unwrap().background_sync);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_setting_refuses_with_locked_by_the_administrator() {
    let toml = project_with("locked = []", "locked = [\"auto_sync\"]");
    let mut h = Harness::with_project(Some(&toml), Prep::Synced).await;
    h.act(Action::OpenSetup).await;
    h.act(Action::Select).await;
    assert_eq!(h.message(), "Auto Sync: Locked by the administrator");
    assert_eq!(
        h.app.settings().unwrap().auto_sync,
        AutoSync::OnStartAndChange,
        "nothing changed"
    );
    let journal: Vec<String> = h.app.log_lines().iter().map(|l| l.text.clone()).collect();
    assert!(
        journal.iter().any(|l| l.contains("setting refused")),
        "{journal:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_password_off_makes_sync_ask_for_the_password() {
    let mut h = Harness::new(Prep::Synced).await;
    h.act(Action::ChangeSetting(SettingChange::SavePassword(false)))
        .await;
    assert!(!h.app.password_saved(), "the saved password is forgotten");
    h.act(Action::PressSync).await;
    assert!(
        matches!(h.app.sync_screen(), Some(SyncScreen::Login { .. })),
        "the sync screen asks for the password"
    );
    assert!(h.app.text_input_focused());
    h.act(Action::OpenSetup).await;
    assert!(
        h.message().contains("Enter the password"),
        "{}",
        h.message()
    );
    h.act(Action::CancelSync).await;
    assert!(h.app.sync_screen().is_none());
    h.act(Action::PressSync).await;
    h.act(Action::EndEdit).await;
    assert!(
        h.message().contains("Enter the password"),
        "an empty password is not sent"
    );
    h.type_text("demo").await;
    let before = h.finished();
    h.act(Action::EndEdit).await;
    assert!(h.app.sync_screen().is_none());
    h.until_synced(before).await;
    let last = h.app.status().last.clone().unwrap();
    assert!(last.flags.succeeded(), "{last:?}");
    assert!(
        !h.app.password_saved(),
        "Save password is off: the password was kept for this session only"
    );
    // The password is known for the session now: Sync goes straight ahead.
    h.sync().await;
    assert!(h.app.sync_screen().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_url_and_user_name_are_typed_into_a_text_input() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::OpenSetup).await;
    let user_row = SetupRow::ALL
        .iter()
        .position(|r| *r == SetupRow::UserName)
        .unwrap();
    for _ in 0..user_row {
        h.act(Action::Down).await;
    }
    h.act(Action::Select).await;
    assert!(h.app.text_input_focused());
    for _ in 0.."demo".len() {
        h.act(Action::Input(key(KeyCode::Backspace))).await;
    }
    h.type_text("alice").await;
    h.act(Action::EndEdit).await;
    assert!(!h.app.text_input_focused());
    assert_eq!(h.app.settings().unwrap().user_name, "alice");
    assert_eq!(h.store().settings().unwrap().unwrap().user_name, "alice");
    // Esc while typing leaves the text unchanged.
    h.act(Action::BeginEdit).await;
    h.type_text("xyz").await;
    h.act(Action::Back).await;
    assert_eq!(h.app.settings().unwrap().user_name, "alice");
    assert_eq!(h.app.screen_kind(), ScreenKind::Setup);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn left_and_right_step_every_selector_back_and_forward() {
    let mut h = Harness::new(Prep::Synced).await;
    h.act(Action::OpenSetup).await;
    let auto_sync = |h: &Harness| h.app.settings().unwrap().auto_sync;
    assert_eq!(auto_sync(&h), AutoSync::OnStartAndChange);
    // ← goes back, → forward, and both go round at the ends.
    for (delta, expected) in [
        (-1, AutoSync::OnChange),
        (-1, AutoSync::OnStart),
        (1, AutoSync::OnChange),
        (1, AutoSync::OnStartAndChange),
        (1, AutoSync::Never),
        (-1, AutoSync::OnStartAndChange),
    ] {
        let step = h.app.setup_step_action(delta).expect("a selector");
        assert_eq!(
            step,
            Action::ChangeSetting(SettingChange::AutoSync(expected))
        );
        h.act(step).await;
        assert_eq!(auto_sync(&h), expected, "after {delta:+}");
    }
    // The on/off selectors flip either way.
    h.act(Action::Down).await;
    for delta in [-1, 1] {
        let before = h.app.settings().unwrap().background_sync;
        h.act(h.app.setup_step_action(delta).unwrap()).await;
        assert_eq!(h.app.settings().unwrap().background_sync, !before);
    }
    // Texts have no values to step through.
    h.acts([Action::Down, Action::Down]).await;
    assert_eq!(
        SetupRow::ALL[3],
        SetupRow::ServerUrl,
        "the fourth row is a text"
    );
    assert_eq!(h.app.setup_step_action(-1), None);
    assert_eq!(h.app.setup_step_action(1), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_selector_is_refused_in_both_directions() {
    let toml = project_with("locked = []", "locked = [\"auto_sync\"]");
    let h = Harness::with_project(Some(&toml), Prep::Synced).await;
    let mut h = h;
    h.act(Action::OpenSetup).await;
    for delta in [-1, 1] {
        let step = h.app.setup_step_action(delta).unwrap();
        assert!(
            matches!(h.app.refusal(&step), Some(Refusal::Answered(_))),
            "{delta:+} on a locked setting is refused"
        );
    }
}

#[test]
fn cycle_steps_any_selector_round_both_ends() {
    let values = ['a', 'b', 'c'];
    assert_eq!(cycle(&values, 'a', -1), 'c');
    assert_eq!(cycle(&values, 'c', 1), 'a');
    assert_eq!(cycle(&values, 'b', 1), 'c');
    assert_eq!(cycle(&values, 'b', -1), 'a');
    assert!(!cycle(&[false, true], true, 1));
}

// --- Woodford ------------------------------------------------------------------------------

use autosync::app::{ControlCall, Effect, EffectResult, ServerProject, WoodfordState};
use autosync::settings::{BackgroundBehavior, ConflictStrategy, SettingKey};
use autosync::woodford::{Draft, Row, SETTINGS};
use fixture::{answer, fixture};

fn woodford(app: &autosync::app::App) -> &WoodfordState {
    app.woodford().expect("the Woodford screen is shown")
}

fn draft(app: &autosync::app::App) -> Draft {
    woodford(app).draft().expect("the draft is read").clone()
}

/// The fixture's Woodford screen with the published project (v1) read from the server.
fn woodford_read() -> autosync::app::App {
    let mut app = fixture(AutoSync::OnStartAndChange, Vec::new());
    let effects = app.update(Action::OpenWoodford);
    assert_eq!(
        effects,
        vec![Effect::ReadProject],
        "it reads the server's project"
    );
    assert_eq!(woodford(&app).server, ServerProject::Reading);
    let published = autosync::assets::project_v1();
    assert!(answer(&mut app, EffectResult::ProjectRead(Ok(Box::new(published)))).is_empty());
    app
}

#[test]
fn every_woodford_setting_cycles_and_is_marked_changed_until_it_comes_round() {
    let mut app = woodford_read();
    let published = Draft::of(&autosync::assets::project_v1());
    let rows = app.woodford_rows();
    let labels: Vec<Row> = SETTINGS.into_iter().map(Row::Setting).collect();
    assert_eq!(
        rows[..SETTINGS.len()],
        labels[..],
        "every setting of Configure Woodford"
    );
    assert_eq!(
        rows[SETTINGS.len()..],
        [
            Row::OnConflict("account".into()),
            Row::OnConflict("contact".into())
        ],
        "then On Conflict per entity"
    );
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(woodford(&app).selected, i);
        let before = draft(&app).value(row);
        app.update(Action::DraftStep { delta: 1 });
        assert_ne!(draft(&app).value(row), before, "{row:?} cycles");
        assert!(
            draft(&app).changed(&published, row),
            "{row:?} is marked changed"
        );
        assert!(woodford(&app).is_dirty());
        app.update(Action::DraftStep { delta: -1 });
        assert_eq!(draft(&app), published, "{row:?}: ← undoes →");
        app.update(Action::Down);
    }
    // Enter steps to the next value too; the behavior goes round all four, Rebase among them.
    app.update(Action::First);
    for _ in 0..8 {
        app.update(Action::Down);
    }
    let mut seen = Vec::new();
    for _ in 0..4 {
        app.update(Action::Select);
        seen.push(draft(&app).configuration.background_sync_behavior);
    }
    assert_eq!(
        seen,
        [
            BackgroundBehavior::Rebase,
            BackgroundBehavior::BlockSave,
            BackgroundBehavior::BlockSaveAndDeferSync,
            BackgroundBehavior::NoAction,
        ]
    );
    assert_eq!(
        app.refusal(&Action::PublishDraft),
        Some(Refusal::Answered(
            "the draft changes nothing that is published"
        )),
        "round again: nothing to publish"
    );
}

#[test]
fn the_lock_toggles_the_interval_is_typed_and_publish_carries_the_next_version() {
    let mut app = woodford_read();
    app.update(Action::Down); // Trigger Auto Sync
    app.update(Action::ToggleLock);
    assert!(draft(&app).configuration.is_locked(SettingKey::AutoSync));
    app.update(Action::ToggleLock);
    assert!(!draft(&app).configuration.is_locked(SettingKey::AutoSync));
    app.update(Action::ToggleLock);

    // The interval is a number field: words are refused with the reason, digits taken.
    for _ in 0..3 {
        app.update(Action::Down);
    }
    assert_eq!(
        app.woodford_rows()[4],
        Row::Setting(SettingKey::AutoSyncInterval)
    );
    app.update(Action::Select);
    assert!(app.text_input_focused(), "Enter types the interval");
    app.update(Action::Input(key(KeyCode::Backspace)));
    for c in "soon".chars() {
        app.update(Action::Input(key(KeyCode::Char(c))));
    }
    app.update(Action::EndEdit);
    assert!(!app.text_input_focused());
    let message = app.message().map(|m| m.text.clone()).unwrap_or_default();
    assert!(
        message.contains("`soon` is not a number of seconds"),
        "{message}"
    );
    assert_eq!(draft(&app).configuration.auto_sync_interval, 0);
    app.update(Action::Select);
    app.update(Action::Input(key(KeyCode::Backspace)));
    for c in "45".chars() {
        app.update(Action::Input(key(KeyCode::Char(c))));
    }
    app.update(Action::EndEdit);
    assert_eq!(draft(&app).configuration.auto_sync_interval, 45);

    // On Conflict has no lock.
    app.update(Action::Last);
    assert_eq!(
        app.refusal(&Action::ToggleLock),
        Some(Refusal::Answered("On Conflict has no lock"))
    );
    app.update(Action::DraftStep { delta: 1 });

    let effects = app.update(Action::PublishDraft);
    let [Effect::Control(ControlCall::Publish(next))] = effects.as_slice() else {
        panic!("publish is one control call: {effects:?}");
    };
    assert_eq!(next.version, 2, "the next version after the published v1");
    assert!(next.configuration.is_locked(SettingKey::AutoSync));
    assert_eq!(next.configuration.auto_sync_interval, 45);
    assert_eq!(
        next.entity("contact").unwrap().on_conflict,
        ConflictStrategy::ServerWins,
        "contact's Manual stepped round to Server Wins"
    );
    assert_eq!(next.entities.len(), 2, "the entities and forms stay");

    // x discards the draft.
    app.update(Action::DiscardDraft);
    assert_eq!(draft(&app), Draft::of(&autosync::assets::project_v1()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_admin_token_woodford_is_read_only_and_says_why() {
    let mut h = Harness::external(Prep::SyncedQuiet).await;
    h.act(Action::OpenWoodford).await;
    let w = woodford(&h.app);
    assert_eq!(w.server, ServerProject::NoToken);
    assert!(
        !h.app.woodford_rows().is_empty(),
        "it still shows what the device applied"
    );
    for action in [
        Action::DraftStep { delta: 1 },
        Action::ToggleLock,
        Action::PublishDraft,
        Action::ReadPublished,
        Action::BeginEdit,
    ] {
        assert_eq!(
            h.app.refusal(&action),
            Some(Refusal::Answered(autosync::app::NO_ADMIN_TOKEN)),
            "{action:?}"
        );
    }
}

/// The whole way the reference gives: Woodford publishes a locked Auto Sync, a background sync
/// finds the newer version (the down arrow), the down arrow's foreground sync applies it, and
/// Setup then refuses the locked setting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setting_locked_on_woodford_refuses_on_setup_once_the_device_applied_it() {
    let mut h = Harness::new(Prep::Synced).await;
    h.act(Action::OpenWoodford).await;
    assert_eq!(woodford(&h.app).published().map(|p| p.version), Some(1));
    h.act(Action::Down).await;
    h.act(Action::ToggleLock).await;
    h.act(Action::PublishDraft).await;
    assert!(
        h.message().contains("published project version 2"),
        "{}",
        h.message()
    );
    assert_eq!(
        woodford(&h.app).published().map(|p| p.version),
        Some(2),
        "the screen reads what the server publishes now"
    );
    assert!(!woodford(&h.app).is_dirty());
    assert_eq!(
        h.app.project().map(|p| p.version),
        Some(1),
        "the device has not synced"
    );

    h.act(Action::OpenSetup).await;
    h.act(Action::Select).await;
    assert!(
        h.message().contains("Auto Sync: Never"),
        "not locked yet: {}",
        h.message()
    );
    h.act(Action::ChangeSetting(SettingChange::AutoSync(
        AutoSync::OnStartAndChange,
    )))
    .await;

    h.sync().await;
    assert_eq!(h.app.status().update_available, Some(2), "the down arrow");
    assert_eq!(h.app.project().map(|p| p.version), Some(1));
    let before = h.finished();
    h.act(Action::PressDownArrow).await;
    h.until_synced(before).await;
    assert_eq!(h.app.project().map(|p| p.version), Some(2));
    h.act(Action::OpenHome).await;
    h.act(Action::OpenSetup).await;
    h.act(Action::Select).await;
    assert_eq!(h.message(), "Auto Sync: Locked by the administrator");
}

/// Erases the focused input (as many Backspaces as it has characters) and types `text`.
async fn retype(h: &mut Harness, text: &str) {
    let len = h
        .app
        .focused_input()
        .map_or(0, |i| i.value().chars().count());
    for _ in 0..len {
        h.act(Action::Input(key(KeyCode::Backspace))).await;
    }
    h.type_text(text).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_screen_edits_the_user_name_and_the_server_signs_in_that_user() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::ChangeSetting(SettingChange::SavePassword(false)))
        .await;
    // An edit to upload, so the server says who wrote it.
    h.open_record("account", "acc-0001").await;
    h.edit("city", "Wonderland").await;
    h.act(Action::Save).await;
    h.act(Action::Back).await;
    h.act(Action::PressSync).await;
    assert!(matches!(
        h.app.sync_screen(),
        Some(SyncScreen::Login { .. })
    ));
    // Password → (Tab) URL → (Tab) User name.
    h.act(Action::NextField).await;
    h.act(Action::NextField).await;
    retype(&mut h, "alice").await;
    h.act(Action::NextField).await;
    h.type_text("wonderland").await;
    let before = h.finished();
    h.act(Action::EndEdit).await;
    h.until_synced(before).await;
    let last = h.app.status().last.clone().unwrap();
    assert!(last.flags.succeeded(), "{last:?}");
    assert_eq!(h.store().settings().unwrap().unwrap().user_name, "alice");
    let record = h
        .control
        .record("account", "acc-0001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.fields["city"], "Wonderland");
    assert_eq!(
        record.fields["modified_by"], "alice",
        "the server saw the user typed on the sync screen"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_url_that_does_not_parse_is_refused_on_setup_and_nothing_is_saved() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let url = h.app.settings().unwrap().server_url.clone();
    h.act(Action::OpenSetup).await;
    let bad = Action::ChangeSetting(SettingChange::ServerUrl("localhost 8080".into()));
    assert_eq!(
        h.app.refusal(&bad),
        Some(Refusal::Answered(
            "that is not a server URL (http:// or https:// and a host)"
        ))
    );
    h.act(bad).await;
    assert!(
        h.message()
            .contains("Server URL `localhost 8080` is not a server address"),
        "{}",
        h.message()
    );
    assert_eq!(h.store().settings().unwrap().unwrap().server_url, url);
    h.act(Action::ChangeSetting(SettingChange::UserName("  ".into())))
        .await;
    assert!(
        h.message().contains("User name: enter one"),
        "{}",
        h.message()
    );
    assert_eq!(h.store().settings().unwrap().unwrap().user_name, "demo");
}
