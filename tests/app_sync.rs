//! App core, the sync screen and mode switches: a foreground sync takes over and refuses other
//! actions until it ends (or is cancelled); a project update hands over to background mode;
//! the Sync-before dialogs (AskUserToSync, WarnUserMustSync, ForceSync).

mod app_common;

use app_common::*;
use autosync::app::{Action, Dialog, ScreenKind, SyncScreen};
use autosync::device::AppMode;
use autosync::rules::{ModeSwitch, Phase, SwitchChoice, SyncActivity, SyncMode};
use autosync::settings::SettingChange;
use autosync::wire::Fault;

fn running(app: &autosync::app::App, mode: SyncMode, phase: Phase) -> bool {
    app.status().activity == SyncActivity::Running { mode, phase }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreground_sync_takes_over_until_it_ends() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::ChangeSetting(SettingChange::BackgroundSync(false)))
        .await;
    h.slow_next("GET", "/api/v1/entities/", 800).await;
    let before = h.finished();
    h.act(Action::PressSync).await;
    h.until("the foreground download", |app| {
        running(app, SyncMode::Foreground, Phase::Download)
    })
    .await;
    assert!(matches!(h.app.sync_screen(), Some(SyncScreen::Running)));
    assert!(h.app.foreground_sync_running());
    for refused in [
        Action::OpenSetup,
        Action::OpenList {
            entity: "account".into(),
        },
        Action::PressSync,
        Action::SwitchMode,
    ] {
        h.act(refused.clone()).await;
        assert!(
            h.message()
                .starts_with("A foreground synchronization is running"),
            "{refused:?}: {}",
            h.message()
        );
    }
    assert_eq!(h.app.screen_kind(), ScreenKind::Home);
    h.act(Action::AdvanceClock {
        by: chrono::Duration::minutes(1),
    })
    .await;
    assert!(
        h.message().contains("Clock advanced"),
        "demo controls still work: {}",
        h.message()
    );
    h.until_synced(before).await;
    assert!(
        h.app.sync_screen().is_none(),
        "the sync screen leaves when the sync ends"
    );
    h.act(Action::OpenSetup).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Setup);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_foreground_sync() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::ChangeSetting(SettingChange::BackgroundSync(false)))
        .await;
    h.slow_next("GET", "/api/v1/entities/", 3000).await;
    let before = h.finished();
    h.act(Action::PressSync).await;
    h.until("the foreground download", |app| {
        running(app, SyncMode::Foreground, Phase::Download)
    })
    .await;
    h.act(Action::CancelSync).await;
    h.until_synced(before).await;
    assert!(h.app.sync_screen().is_none());
    let last = h.app.status().last.clone().unwrap();
    assert!(last.flags.aborted(), "{last:?}");
    assert!(h.message().contains("cancelled"), "{}", h.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_project_update_the_sync_continues_in_the_background() {
    let mut h = Harness::new(Prep::Synced).await;
    h.act(Action::PublishV2).await;
    h.sync().await;
    assert_eq!(h.app.status().update_available, Some(2));
    h.slow_next("GET", "/api/v1/entities/", 800).await;
    let before = h.finished();
    h.act(Action::PressDownArrow).await;
    h.until("the background download after the update", |app| {
        running(app, SyncMode::Background, Phase::Download)
    })
    .await;
    assert!(
        h.app.sync_screen().is_none(),
        "the sync screen hands over to background mode"
    );
    h.act(Action::OpenSetup).await;
    assert_eq!(
        h.app.screen_kind(),
        ScreenKind::Setup,
        "the user can work again"
    );
    h.until_synced(before).await;
    assert_eq!(h.app.project().unwrap().version, 2);
    let journal: Vec<String> = h.app.log_lines().iter().map(|l| l.text.clone()).collect();
    assert!(
        journal
            .iter()
            .any(|l| l.contains("the sync continues in the background")),
        "{journal:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_user_to_sync_shows_three_buttons_and_each_does_what_it_says() {
    let toml = project_with(
        "sync_before_online = \"NoAction\"",
        "sync_before_online = \"AskUserToSync\"",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::SyncedQuiet).await;
    h.act(Action::SwitchMode).await;
    let Some(Dialog::ModeSwitch {
        direction,
        choices,
        selected,
        refusal,
    }) = h.app.dialog().cloned()
    else {
        panic!("a dialog")
    };
    assert_eq!(direction, ModeSwitch::GoOnline);
    assert_eq!(
        choices,
        vec![
            SwitchChoice::SyncThenSwitch,
            SwitchChoice::SwitchWithoutSync,
            SwitchChoice::Cancel
        ]
    );
    assert_eq!((selected, refusal), (0, None));
    h.act(Action::Down).await;
    h.act(Action::Down).await;
    assert!(matches!(
        h.app.dialog(),
        Some(Dialog::ModeSwitch { selected: 2, .. })
    ));
    h.act(Action::Select).await;
    assert_eq!(h.app.dialog(), None);
    assert_eq!(h.app.mode(), AppMode::Offline, "Cancel stays");
    h.act(Action::SwitchMode).await;
    h.act(Action::AnswerDialog(SwitchChoice::SwitchWithoutSync))
        .await;
    assert_eq!(h.app.mode(), AppMode::Online);
    h.act(Action::SwitchMode).await;
    assert_eq!(h.app.mode(), AppMode::Offline, "going offline is NoAction");
    h.act(Action::SwitchMode).await;
    // The sync's first request is held, so the switch is seen waiting for it (a sync on
    // loopback can otherwise end before the App is looked at).
    h.control
        .fault(
            None,
            Some("/api/v1/session"),
            1,
            Fault::Latency { ms: 1000 },
        )
        .await
        .unwrap();
    let before = h.finished();
    h.act(Action::AnswerDialog(SwitchChoice::SyncThenSwitch))
        .await;
    assert!(h.app.switch_pending());
    h.until_synced(before).await;
    assert!(!h.app.switch_pending());
    assert_eq!(
        h.app.mode(),
        AppMode::Online,
        "switched after the sync succeeded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warn_user_must_sync_refuses_switching_without_a_sync() {
    let toml = project_with(
        "sync_before_online = \"NoAction\"",
        "sync_before_online = \"WarnUserMustSync\"",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::SyncedQuiet).await;
    h.act(Action::SwitchMode).await;
    let Some(Dialog::ModeSwitch { choices, .. }) = h.app.dialog().cloned() else {
        panic!("a dialog")
    };
    assert_eq!(
        choices,
        vec![SwitchChoice::SyncThenSwitch, SwitchChoice::Cancel]
    );
    h.act(Action::AnswerDialog(SwitchChoice::SwitchWithoutSync))
        .await;
    let Some(Dialog::ModeSwitch {
        refusal: Some(refusal),
        ..
    }) = h.app.dialog().cloned()
    else {
        panic!("the dialog stays with the refusal")
    };
    assert!(refusal.contains("synchronization is required"), "{refusal}");
    assert_eq!(h.app.mode(), AppMode::Offline);
    h.act(Action::Back).await;
    assert_eq!(h.app.dialog(), None, "Esc is Cancel");
    h.act(Action::SwitchMode).await;
    let before = h.finished();
    h.act(Action::Select).await;
    h.until_synced(before).await;
    assert_eq!(h.app.mode(), AppMode::Online);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_sync_switches_only_when_the_sync_succeeds() {
    let toml = project_with(
        "sync_before_online = \"NoAction\"",
        "sync_before_online = \"ForceSync\"",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::SyncedQuiet).await;
    h.control
        .fault(
            None,
            Some("/api/v1/"),
            100,
            Fault::Status {
                status: 403,
                retry_after_s: None,
            },
        )
        .await
        .unwrap();
    let before = h.finished();
    h.act(Action::SwitchMode).await;
    assert_eq!(h.app.dialog(), None, "ForceSync shows no dialog");
    // The switch waits for the sync; a sync refused at once may have ended (and the switch with
    // it) by the time the action's events are pumped.
    assert!(
        h.app.switch_pending() || h.finished() > before,
        "the switch waits for its sync"
    );
    h.until_synced(before).await;
    assert_eq!(h.app.mode(), AppMode::Offline);
    assert!(
        h.message().contains("failed (ForceSync)"),
        "{}",
        h.message()
    );
    h.control.clear_faults().await.unwrap();
    let before = h.finished();
    h.act(Action::SwitchMode).await;
    h.until_synced(before).await;
    assert_eq!(h.app.mode(), AppMode::Online);
    assert!(
        h.message().contains("now in online mode"),
        "{}",
        h.message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dialog_buttons_go_round_both_ways() {
    let toml = project_with(
        "sync_before_online = \"NoAction\"",
        "sync_before_online = \"AskUserToSync\"",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::SyncedQuiet).await;
    h.act(Action::SwitchMode).await;
    let selected = |h: &Harness| match h.app.dialog() {
        Some(Dialog::ModeSwitch { selected, .. }) => *selected,
        other => panic!("no dialog: {other:?}"),
    };
    h.act(Action::PrevField).await;
    assert_eq!(selected(&h), 2, "← from the first button goes to the last");
    h.act(Action::NextField).await;
    assert_eq!(selected(&h), 0, "→ from the last button goes to the first");
    assert!(h.app.can_move(-1) && h.app.can_move(1));
}
