//! App core, Sync Errors: a Manual Action conflict is listed first on Home, opened with device
//! and server side by side, explained by the what-if view, and resolved by each action
//! (retry with mine, take server version, merge field by field, ignore).

mod app_common;

use app_common::*;
use autosync::app::{Action, ConflictView, HomeItem, Screen, ScreenKind, Side};
use autosync::settings::ConflictStrategy;
use autosync::store::UserResolution;

async fn conflict_on(h: &mut Harness, id: &str) -> i64 {
    make_contact_conflict(h, id).await;
    h.app
        .conflicts()
        .iter()
        .find(|c| c.record_id == id)
        .expect("a sync error")
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_is_listed_first_and_shown_side_by_side() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let id = conflict_on(&mut h, "con-0001").await;
    assert_eq!(
        h.app.home_items()[0],
        HomeItem::SyncErrors { count: 1 },
        "Sync Errors is the first item on Home"
    );
    h.act(Action::Select).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::SyncErrors);
    h.act(Action::Select).await;
    let Screen::Conflict(state) = h.app.screen() else {
        panic!("the conflict")
    };
    assert_eq!(state.conflict_id, id);
    let rows = h.app.conflict_rows(id);
    let title = rows.iter().find(|r| r.field == "job_title").unwrap();
    assert_eq!(
        (title.device.as_deref(), title.server.as_deref()),
        (Some("Device Title"), Some("Server Title"))
    );
    assert!(title.changed_on_device && title.differs);
    let email = rows.iter().find(|r| r.field == "email").unwrap();
    assert!(
        !email.changed_on_device && email.differs,
        "the server's other edit shows too"
    );
    assert_eq!(email.server.as_deref(), Some("server@example.com"));
    let name = rows.iter().find(|r| r.field == "full_name").unwrap();
    assert!(!name.differs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_if_shows_what_each_strategy_would_produce() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let id = conflict_on(&mut h, "con-0002").await;
    h.act(Action::OpenSyncErrors).await;
    h.act(Action::OpenConflict { conflict_id: id }).await;
    h.act(Action::ToggleWhatIf).await;
    let Screen::Conflict(state) = h.app.screen() else {
        panic!()
    };
    assert_eq!(state.view, ConflictView::WhatIf);
    let rows = h.app.what_if_rows(id);
    let by = |s: ConflictStrategy| rows.iter().find(|r| r.strategy == s).unwrap();
    let server_wins = by(ConflictStrategy::ServerWins).result.clone().unwrap();
    assert_eq!(
        (
            server_wins["job_title"].as_str(),
            server_wins["email"].as_str()
        ),
        ("Server Title", "server@example.com")
    );
    let device_wins = by(ConflictStrategy::DeviceWins).result.clone().unwrap();
    assert_eq!(
        (
            device_wins["job_title"].as_str(),
            device_wins["email"].as_str()
        ),
        ("Device Title", "server@example.com")
    );
    let full = by(ConflictStrategy::DeviceWinsFull).result.clone().unwrap();
    assert_eq!(full["job_title"], "Device Title");
    assert_ne!(
        full["email"], "server@example.com",
        "the whole device record: the server's email is lost"
    );
    assert_eq!(by(ConflictStrategy::Manual).result, None);
    h.act(Action::Back).await;
    let Screen::Conflict(state) = h.app.screen() else {
        panic!("Esc leaves what-if first")
    };
    assert_eq!(state.view, ConflictView::Table);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_picks_each_conflicting_field_and_uploads_the_result() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let id = conflict_on(&mut h, "con-0003").await;
    h.act(Action::OpenSyncErrors).await;
    h.act(Action::OpenConflict { conflict_id: id }).await;
    h.act(Action::ToggleMerge).await;
    let row = h
        .app
        .conflict_rows(id)
        .iter()
        .position(|r| r.field == "job_title")
        .unwrap();
    assert_eq!(
        h.app.conflict_rows(id)[row].pick,
        Some(Side::Device),
        "merge starts from the device's values"
    );
    for _ in 0..row {
        h.act(Action::Down).await;
    }
    h.act(Action::Select).await;
    assert_eq!(h.app.conflict_rows(id)[row].pick, Some(Side::Server));
    h.act(Action::Select).await;
    assert_eq!(h.app.conflict_rows(id)[row].pick, Some(Side::Device));
    h.act(Action::Save).await;
    assert!(h.message().starts_with("Merge"), "{}", h.message());
    assert!(h.app.conflicts().is_empty());
    assert_eq!(
        h.app.screen_kind(),
        ScreenKind::SyncErrors,
        "the resolved error's screen closes"
    );
    h.sync().await;
    let remote = autosync::remote::Remote::new(&h.server_url(), "demo", "demo").unwrap();
    let server = remote.record("contact", "con-0003").await.unwrap().unwrap();
    assert_eq!(
        (
            server.fields["job_title"].as_str(),
            server.fields["email"].as_str()
        ),
        ("Device Title", "server@example.com")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_take_server_and_ignore_each_resolve() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let remote = autosync::remote::Remote::new(&h.server_url(), "demo", "demo").unwrap();

    let id = conflict_on(&mut h, "con-0004").await;
    h.act(Action::Resolve {
        conflict_id: id,
        resolution: UserResolution::RetryWithMine,
    })
    .await;
    assert!(h.app.conflicts().is_empty());
    h.sync().await;
    assert_eq!(
        remote
            .record("contact", "con-0004")
            .await
            .unwrap()
            .unwrap()
            .fields["job_title"],
        "Device Title"
    );

    let id = conflict_on(&mut h, "con-0005").await;
    h.act(Action::Resolve {
        conflict_id: id,
        resolution: UserResolution::TakeServer,
    })
    .await;
    assert_eq!(
        h.store()
            .record("contact", "con-0005")
            .unwrap()
            .unwrap()
            .fields["job_title"],
        "Server Title"
    );

    let id = conflict_on(&mut h, "con-0006").await;
    h.act(Action::Resolve {
        conflict_id: id,
        resolution: UserResolution::Ignore,
    })
    .await;
    assert_eq!(
        h.store()
            .record("contact", "con-0006")
            .unwrap()
            .unwrap()
            .fields["job_title"],
        "Device Title"
    );
    assert!(h.app.conflicts().is_empty());
    // The engine recounts when the client tells it the data changed.
    h.until("the engine's count of sync errors", |app| {
        app.status().unresolved_conflicts == 0
    })
    .await;
    assert!(
        !h.app
            .home_items()
            .iter()
            .any(|i| matches!(i, HomeItem::SyncErrors { .. }))
    );
    h.act(Action::Resolve {
        conflict_id: id,
        resolution: UserResolution::Ignore,
    })
    .await;
    assert!(h.message().contains("not unresolved"), "{}", h.message());
}
