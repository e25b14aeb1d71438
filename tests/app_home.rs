//! App core, Home: the first start syncs on start and fills the tiles; the why line and its
//! checklist; the Sync and down-arrow buttons; the Sync Errors item; navigation by Select;
//! the demo controls that change what Home explains (clock, network, background, resume).

mod app_common;

use app_common::*;
use autosync::app::{Action, HomeItem, ScreenKind};
use autosync::rules::{Network, OnStartCheck, OnStartRule, SkipReason, SyncMode};

/// The on-start checklist's row for the 15-minute window.
fn fifteen_minute_window(h: &Harness) -> &OnStartCheck {
    h.app
        .checklist()
        .iter()
        .find(|c| c.rule == OnStartRule::NotSyncedWithin15Minutes)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_syncs_on_start_and_home_fills() {
    let h = Harness::new(Prep::Fresh).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Home);
    let items = h.app.home_items();
    assert!(
        matches!(&items[0], HomeItem::Entity { label, count: 240, .. } if label == "Accounts"),
        "{items:?}"
    );
    assert!(
        matches!(&items[1], HomeItem::Entity { label, count: 360, .. } if label == "Contacts"),
        "{items:?}"
    );
    assert_eq!(
        &items[2..],
        &[HomeItem::Setup, HomeItem::Log, HomeItem::Server]
    );
    let last = h.app.status().last.clone().expect("a last sync");
    assert_eq!(last.trigger, autosync::rules::Trigger::OnStart);
    assert_eq!(last.mode, SyncMode::Background);
    assert_eq!(
        h.app
            .status()
            .last_decision
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("on-start sync started (background)")
    );
    assert_eq!(h.app.status().pending_uploads, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn why_expands_to_every_on_start_rule_with_the_minutes_left() {
    let mut h = Harness::new(Prep::Synced).await;
    let decision = h.app.status().last_decision.clone().unwrap().to_string();
    assert!(
        decision.contains("on-start sync skipped") && decision.contains("15 min left"),
        "{decision}"
    );
    assert!(!h.app.why_expanded());
    h.act(Action::ToggleWhy).await;
    assert!(h.app.why_expanded());
    let rules: Vec<OnStartRule> = h.app.checklist().iter().map(|c| c.rule).collect();
    assert_eq!(rules.len(), 6, "every on-start rule is listed");
    let window = fifteen_minute_window(&h);
    assert_eq!(
        window.blocked_by,
        Some(SkipReason::SyncedRecently {
            minutes_ago: 0,
            minutes_left: 15
        })
    );
    h.act(Action::AdvanceClock {
        by: chrono::Duration::minutes(5),
    })
    .await;
    let window = fifteen_minute_window(&h);
    assert_eq!(
        window.blocked_by,
        Some(SkipReason::SyncedRecently {
            minutes_ago: 5,
            minutes_left: 10
        }),
        "the window counts down with the clock"
    );
    h.act(Action::AdvanceClock {
        by: chrono::Duration::minutes(16),
    })
    .await;
    let window = fifteen_minute_window(&h);
    assert_eq!(
        window.blocked_by, None,
        "21 minutes later the window is over"
    );
    h.act(Action::ToggleWhy).await;
    assert!(!h.app.why_expanded());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_off_blocks_the_on_start_rule_and_resume_explains_it() {
    let mut h = Harness::new(Prep::Synced).await;
    h.act(Action::ToggleNetwork).await;
    assert_eq!(h.app.network(), Network::Disconnected);
    let network = h
        .app
        .checklist()
        .iter()
        .find(|c| c.rule == OnStartRule::NetworkActive)
        .unwrap();
    assert_eq!(network.blocked_by, Some(SkipReason::NoNetwork));
    h.act(Action::SendToBackground).await;
    assert!(h.app.in_background());
    h.act(Action::OpenSetup).await;
    assert!(h.message().contains("in the background"), "{}", h.message());
    assert_eq!(
        h.app.screen_kind(),
        ScreenKind::Home,
        "nothing but demo controls while in the background"
    );
    h.act(Action::AdvanceClock {
        by: chrono::Duration::minutes(16),
    })
    .await;
    h.act(Action::Resume).await;
    assert!(!h.app.in_background());
    h.until("the resume decision", |app| {
        app.status()
            .last_decision
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|d| d.contains("no network connection is active"))
    })
    .await;
    h.act(Action::ToggleNetwork).await;
    assert_eq!(h.app.network(), Network::Connected);
    h.act(Action::SendToBackground).await;
    let before = h.finished();
    h.act(Action::Resume).await;
    h.until_synced(before).await;
    assert_eq!(
        h.app.status().last.as_ref().unwrap().trigger,
        autosync::rules::Trigger::Resume
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_button_syncs_and_the_down_arrow_replaces_it_after_a_publish() {
    let mut h = Harness::new(Prep::Synced).await;
    let before = h.finished();
    h.sync().await;
    assert!(h.finished() > before);
    assert_eq!(
        h.app.status().last.as_ref().unwrap().trigger,
        autosync::rules::Trigger::Manual
    );
    assert!(h.message().contains("finished"), "{}", h.message());

    h.act(Action::PublishV2).await;
    assert!(
        h.message().contains("published project version 2"),
        "{}",
        h.message()
    );
    h.act(Action::PressDownArrow).await;
    assert!(
        h.message().contains("No project update is waiting"),
        "{}",
        h.message()
    );
    h.sync().await;
    assert_eq!(
        h.app.status().update_available,
        Some(2),
        "a background sync only flags the update: the down arrow"
    );
    let before = h.finished();
    h.act(Action::PressDownArrow).await;
    h.until_synced(before).await;
    assert_eq!(h.app.status().update_available, None);
    assert_eq!(h.app.project().unwrap().version, 2);
    let last = h.app.status().last.clone().unwrap();
    assert_eq!(
        (last.trigger, last.mode),
        (
            autosync::rules::Trigger::ProjectUpdate,
            SyncMode::Foreground
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_on_each_home_item_opens_its_screen_and_back_returns() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let expected = [
        ScreenKind::List,
        ScreenKind::List,
        ScreenKind::Setup,
        ScreenKind::Log,
        ScreenKind::Server,
    ];
    for (i, kind) in expected.into_iter().enumerate() {
        for _ in 0..i {
            h.act(Action::Down).await;
        }
        h.act(Action::Select).await;
        assert_eq!(h.app.screen_kind(), kind, "item {i}");
        h.act(Action::Back).await;
        assert_eq!(h.app.screen_kind(), ScreenKind::Home);
        for _ in 0..i {
            h.act(Action::Up).await;
        }
    }
    h.act(Action::OpenSyncErrors).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::SyncErrors);
    h.act(Action::OpenHome).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Home);
    h.act(Action::Help).await;
    assert!(h.app.help_shown());
    h.act(Action::Help).await;
    assert!(!h.app.help_shown());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quit_shuts_the_engine_down_and_asks_for_nothing_without_edits() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let effects = h.apply_local(Action::Quit);
    assert_eq!(effects, vec![autosync::app::Effect::Quit]);
    assert!(h.app.is_quitting());
    assert!(
        h.app.update(Action::OpenSetup).is_empty(),
        "nothing happens after quitting"
    );
    assert!(
        h.app.recorded().is_empty(),
        "quitting and what follows it are no scenario steps: {:?}",
        h.app.recorded()
    );
}
