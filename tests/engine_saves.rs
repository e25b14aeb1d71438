//! Saves (and creates and deletes, through the same gate) while a sync runs: every Background
//! sync behavior against every phase, in background and foreground; UI transactions; "don't start sync while form is opened"; the on-change
//! follow-up. Phases are held open with injected server latency, never with sleeps.

mod engine_common;

use autosync::device::{Device, SaveOutcome};
use autosync::engine::{Command, EngineEvent, SyncStatus};
use autosync::rules::{self, Phase, SaveDecision, SyncActivity, SyncMode, Trigger};
use autosync::settings::{AutoSync, BackgroundBehavior, SettingChange};
use autosync::wire::Fault;
use engine_common::*;

/// The endpoint each phase calls first, so latency there holds the sync in that phase.
fn endpoint(phase: Phase) -> &'static str {
    match phase {
        Phase::Connect => "/api/v1/session",
        Phase::Customization => "/api/v1/project",
        Phase::Upload => "/api/v1/batch",
        Phase::Download => "/api/v1/entities/account",
        Phase::Attachments => "/api/v1/files/attachments",
        Phase::CloudDocuments => "/api/v1/files/documents",
        Phase::Emails => "/api/v1/files/emails",
    }
}

async fn device_with(world: &World, mode: SyncMode) -> Device {
    let mut device = world.device("d");
    set_auto_sync(&mut device, AutoSync::Never);
    sync(&device, Trigger::Manual).await;
    if mode == SyncMode::Foreground {
        device
            .change_setting(SettingChange::BackgroundSync(false))
            .unwrap();
    }
    device
}

/// One sync held in each phase in turn; a save in each; the outcome must be what the rules say.
async fn save_in_every_phase(behavior: BackgroundBehavior, mode: SyncMode) {
    let world = World::with_project(Some(&set_behavior_toml(behavior))).await;
    let mut device = device_with(&world, mode).await;
    // Something to upload, so the Upload phase makes its request.
    assert!(saved(
        &device
            .save(
                "account",
                "acc-0001",
                &fields(&[("city", "Upload me")]),
                "Save button"
            )
            .unwrap()
    ));
    for phase in Phase::ALL {
        world
            .control
            .fault(None, Some(endpoint(phase)), 1, Fault::Latency { ms: 400 })
            .await
            .unwrap();
    }
    let mut events = device.engine().subscribe();
    device.engine().send(Command::Trigger(Trigger::Manual));
    // (created, deleted) ids the gate let through.
    let mut changes = Vec::new();
    for (i, phase) in Phase::ALL.into_iter().enumerate() {
        let status = until(&device, &format!("{phase}"), |s| {
            matches!(s.activity, SyncActivity::Running { phase: p, .. } if p == phase)
                && (phase != Phase::Upload
                    || s.phase(Phase::Upload).is_some_and(|p| p.total.is_some()))
        })
        .await;
        let expected = rules::save_gate(behavior, status.activity);
        let value = format!("saved during {phase}");
        let id = format!("acc-{:04}", 10 + i);
        let outcome = device
            .save("account", &id, &fields(&[("city", &value)]), "Save button")
            .unwrap();
        match (expected, &outcome) {
            (SaveDecision::Refuse { reason }, SaveOutcome::Refused(got)) => {
                assert_eq!(reason, *got, "{behavior:?} {mode:?} {phase}")
            }
            (decision, SaveOutcome::Saved { decision: got, .. }) => {
                assert_eq!(decision, *got, "{behavior:?} {mode:?} {phase}")
            }
            (expected, got) => {
                panic!("{behavior:?} {mode:?} {phase}: expected {expected:?}, got {got:?}")
            }
        }
        let refused = matches!(outcome, SaveOutcome::Refused(_));
        assert_eq!(
            refused,
            phase.is_entity_phase() && (behavior.blocks_save() || mode == SyncMode::Foreground),
            "{behavior:?} {mode:?} {phase}"
        );
        if refused {
            // The edit is not lost: the form keeps it; nothing was written.
            assert_ne!(
                device
                    .store()
                    .record("account", &id)
                    .unwrap()
                    .unwrap()
                    .fields["city"],
                value
            );
        }
        // A create and a delete in the same phase meet the same gate.
        let new_id = format!("new-{i}");
        let name = format!("Created during {phase}");
        let (_, created) = device
            .create_with_id("account", &new_id, &fields(&[("name", &name)]))
            .unwrap();
        let gone_id = format!("acc-{:04}", 30 + i);
        let deleted = device.delete("account", &gone_id).unwrap();
        for (what, outcome) in [("create", &created), ("delete", &deleted)] {
            assert_eq!(
                matches!(outcome, SaveOutcome::Refused(_)),
                refused,
                "{behavior:?} {mode:?} {phase} {what}: {outcome:?}"
            );
            if let SaveOutcome::Saved { decision, .. } = outcome {
                assert_eq!(*decision, expected, "{behavior:?} {mode:?} {phase} {what}");
            }
        }
        let store = device.store();
        assert_eq!(
            store.record("account", &new_id).unwrap().is_some(),
            !refused
        );
        assert_eq!(
            store.record("account", &gone_id).unwrap().is_none(),
            !refused
        );
        if !refused {
            changes.push((new_id, gone_id));
        }
    }
    within("the end", async {
        loop {
            if let Ok(EngineEvent::Finished(last)) = events.recv().await {
                assert!(last.flags.succeeded(), "{last:?}");
                return;
            }
        }
    })
    .await;
    // Whatever the behavior, the creates and deletes it let through reach the server (by this
    // sync or the next) and none comes back: a download during the sync kept the deleted gone.
    until(&device, "the engine to be idle", |s| {
        s.activity == SyncActivity::Idle
    })
    .await;
    assert!(sync(&device, Trigger::Manual).await.flags.succeeded());
    for (new_id, gone_id) in &changes {
        assert!(
            world.server_record("account", new_id).await.is_some(),
            "{behavior:?} {mode:?}: {new_id} created on the server"
        );
        assert!(
            world.server_record("account", gone_id).await.is_none(),
            "{behavior:?} {mode:?}: {gone_id} deleted on the server"
        );
        assert!(device.store().record("account", gone_id).unwrap().is_none());
    }
    assert_eq!(device.store().pending_count().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_save_in_every_phase_background() {
    save_in_every_phase(BackgroundBehavior::BlockSave, SyncMode::Background).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_and_defer_in_every_phase_background() {
    save_in_every_phase(
        BackgroundBehavior::BlockSaveAndDeferSync,
        SyncMode::Background,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_action_in_every_phase_background() {
    save_in_every_phase(BackgroundBehavior::NoAction, SyncMode::Background).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebase_in_every_phase_background() {
    save_in_every_phase(BackgroundBehavior::Rebase, SyncMode::Background).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_save_in_every_phase_foreground() {
    save_in_every_phase(BackgroundBehavior::BlockSave, SyncMode::Foreground).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_and_defer_in_every_phase_foreground() {
    save_in_every_phase(
        BackgroundBehavior::BlockSaveAndDeferSync,
        SyncMode::Foreground,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_action_in_every_phase_foreground() {
    save_in_every_phase(BackgroundBehavior::NoAction, SyncMode::Foreground).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebase_in_every_phase_foreground() {
    save_in_every_phase(BackgroundBehavior::Rebase, SyncMode::Foreground).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_transactions_nested_three_deep_hold_the_entity_phases_until_all_are_released() {
    let world = World::with_project(Some(&set_behavior_toml(BackgroundBehavior::BlockSave))).await;
    let mut device = device_with(&world, SyncMode::Background).await;
    device.open_form();
    for depth in 1..=3 {
        assert_eq!(device.try_enter_ui_transaction(), Ok(depth));
    }
    assert!(saved(
        &device
            .save(
                "account",
                "acc-0001",
                &fields(&[("city", "In a transaction")]),
                "custom command"
            )
            .unwrap()
    ));
    let requests_before = world.control.requests(1000).await.unwrap().requests.len();
    device.engine().send(Command::Trigger(Trigger::Manual));
    let status = until(&device, "the sync to wait", |s| {
        matches!(s.activity, SyncActivity::WaitingForUiTransactions { .. })
    })
    .await;
    assert_eq!(
        status.activity,
        SyncActivity::WaitingForUiTransactions {
            mode: SyncMode::Background,
            before: Phase::Upload,
            held: 3
        }
    );
    assert_eq!(
        status.activity.to_string(),
        "waiting for UI transactions (3 held)"
    );
    device.leave_ui_transaction();
    device.leave_ui_transaction();
    until(&device, "the wait to say 1", |s| {
        matches!(
            s.activity,
            SyncActivity::WaitingForUiTransactions { held: 1, .. }
        )
    })
    .await;
    let requests = world.control.requests(1000).await.unwrap().requests;
    assert!(
        requests[requests_before..]
            .iter()
            .all(|r| r.path != "/api/v1/batch"),
        "no upload while a clearance is held"
    );
    assert_eq!(
        device.leave_ui_transaction(),
        rules::LeaveOutcome::Released { still_held: 0 }
    );
    let status = until(&device, "the sync to finish", |s| {
        s.activity == SyncActivity::Idle
    })
    .await;
    assert!(status.last.unwrap().flags.succeeded());
    assert_eq!(
        world
            .server_field("account", "acc-0001", "city")
            .await
            .as_deref(),
        Some("In a transaction")
    );
    assert_eq!(
        device.leave_ui_transaction(),
        rules::LeaveOutcome::NoneHeld,
        "harmless"
    );
}

/// "you can block sync while custom code invoked from a custom button click is modifying and
/// saving related records": under Block save the sync held by a UI transaction is in no entity
/// phase, so the saves it waits for go ahead, and it uploads them itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_save_allows_the_saves_a_ui_transaction_holds_the_sync_for_and_uploads_them() {
    let world = World::with_project(Some(&set_behavior_toml(BackgroundBehavior::BlockSave))).await;
    let mut device = device_with(&world, SyncMode::Background).await;
    device.open_form();
    assert_eq!(device.try_enter_ui_transaction(), Ok(1));
    let mut events = device.engine().subscribe();
    device.engine().send(Command::Trigger(Trigger::Manual));
    until(&device, "the sync to wait", |s| {
        matches!(s.activity, SyncActivity::WaitingForUiTransactions { .. })
    })
    .await;
    // Outside the custom code's scope: the form's own Save.
    let outside = device
        .save(
            "account",
            "acc-0001",
            &fields(&[("city", "Saved while the sync waits")]),
            "Save button",
        )
        .unwrap();
    // Inside it: the custom code enters its own UI transaction and saves a related record.
    assert_eq!(
        device.try_enter_ui_transaction(),
        Ok(2),
        "tryEnterUiTransaction is true"
    );
    let inside = device
        .save(
            "contact",
            "con-0061",
            &fields(&[("job_title", "Saved by custom code")]),
            "custom command (JSBridge)",
        )
        .unwrap();
    for outcome in [&outside, &inside] {
        assert!(
            matches!(
                outcome,
                SaveOutcome::Saved {
                    decision: SaveDecision::Allow,
                    uploads: rules::UploadsWith::RunningSync,
                    ..
                }
            ),
            "{outcome:?}"
        );
    }
    device.leave_ui_transaction();
    // One clearance is still held: the sync still waits. (The count it shows is checked by
    // the scenario ui-transaction-nesting.toml; here only that it does not go on.)
    assert_eq!(device.engine().ui_gate().clearances, 1);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        matches!(
            device.engine().status().activity,
            SyncActivity::WaitingForUiTransactions { .. }
        ),
        "{:?}",
        device.engine().status().activity
    );
    device.leave_ui_transaction();
    let last = within("the sync to end", async {
        loop {
            if let Ok(EngineEvent::Finished(last)) = events.recv().await {
                return last;
            }
        }
    })
    .await;
    assert!(last.flags.succeeded(), "{last:?}");
    assert_eq!(
        device.store().pending_count().unwrap(),
        0,
        "the same sync uploaded both saves"
    );
    assert_eq!(
        world
            .server_field("account", "acc-0001", "city")
            .await
            .as_deref(),
        Some("Saved while the sync waits")
    );
    assert_eq!(
        world
            .server_field("contact", "con-0061", "job_title")
            .await
            .as_deref(),
        Some("Saved by custom code")
    );
}

/// The other side of the same gate: once the sync is in its Upload, Block save refuses, and so
/// does tryEnterUiTransaction — the clearance is decided with the phase in one step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_save_refuses_a_ui_transaction_once_the_held_sync_enters_its_upload() {
    let world = World::with_project(Some(&set_behavior_toml(BackgroundBehavior::BlockSave))).await;
    let mut device = device_with(&world, SyncMode::Background).await;
    device.open_form();
    assert!(saved(
        &device
            .save(
                "account",
                "acc-0001",
                &fields(&[("city", "Upload me")]),
                "Save button"
            )
            .unwrap()
    ));
    world
        .control
        .fault(
            None,
            Some(endpoint(Phase::Upload)),
            1,
            Fault::Latency { ms: 400 },
        )
        .await
        .unwrap();
    assert_eq!(device.try_enter_ui_transaction(), Ok(1));
    device.engine().send(Command::Trigger(Trigger::Manual));
    until(&device, "the sync to wait", |s| {
        matches!(s.activity, SyncActivity::WaitingForUiTransactions { .. })
    })
    .await;
    device.leave_ui_transaction();
    until(&device, "the upload", |s| {
        matches!(
            s.activity,
            SyncActivity::Running {
                phase: Phase::Upload,
                ..
            }
        )
    })
    .await;
    assert!(device.try_enter_ui_transaction().is_err());
    assert_eq!(device.engine().ui_gate().clearances, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_enter_is_refused_during_a_blocking_download_and_allowed_after() {
    let world = World::with_project(Some(&set_behavior_toml(
        BackgroundBehavior::BlockSaveAndDeferSync,
    )))
    .await;
    let mut device = device_with(&world, SyncMode::Background).await;
    world
        .control
        .fault(
            None,
            Some(endpoint(Phase::Download)),
            1,
            Fault::Latency { ms: 500 },
        )
        .await
        .unwrap();
    device.engine().send(Command::Trigger(Trigger::Manual));
    until(&device, "download", |s| {
        matches!(
            s.activity,
            SyncActivity::Running {
                phase: Phase::Download,
                ..
            }
        )
    })
    .await;
    let refused = device.try_enter_ui_transaction().unwrap_err();
    assert!(refused.to_string().contains("returned false"), "{refused}");
    until(&device, "the end", |s| s.activity == SyncActivity::Idle).await;
    assert_eq!(device.try_enter_ui_transaction(), Ok(1));
}

/// A world under "Block save during sync, don't start sync while form is opened" and its synced
/// device with Auto Sync On Change, and a form open whose save deferred its sync (the status
/// that said so).
async fn deferred_by_an_open_form(value: &str) -> (World, Device, SyncStatus) {
    let world = World::with_project(Some(&set_behavior_toml(
        BackgroundBehavior::BlockSaveAndDeferSync,
    )))
    .await;
    let mut device = device_with(&world, SyncMode::Background).await;
    set_auto_sync(&mut device, AutoSync::OnChange);
    let status = open_and_defer(&mut device, value).await;
    (world, device, status)
}

/// Opens a form and saves `value` in it; returns once the engine deferred the on-change sync.
async fn open_and_defer(device: &mut Device, value: &str) -> SyncStatus {
    device.open_form();
    assert!(saved(
        &device
            .save(
                "account",
                "acc-0001",
                &fields(&[("city", value)]),
                "Save button"
            )
            .unwrap()
    ));
    until(device, "the deferral", |s| s.deferred.is_some()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_and_defer_does_not_start_sync_while_a_form_is_open() {
    let (world, mut device, status) = deferred_by_an_open_form("Deferred").await;
    assert_eq!(status.deferred, Some(Trigger::OnChange));
    assert_eq!(status.activity, SyncActivity::Idle);
    assert!(
        status
            .last_decision
            .unwrap()
            .to_string()
            .contains("deferred")
    );
    let mut events = device.engine().subscribe();
    device.close_form();
    let last = within("the deferred sync", async {
        loop {
            if let Ok(EngineEvent::Finished(last)) = events.recv().await {
                return last;
            }
        }
    })
    .await;
    assert_eq!(last.trigger, Trigger::OnChange);
    assert_eq!(
        world
            .server_field("account", "acc-0001", "city")
            .await
            .as_deref(),
        Some("Deferred")
    );
}

/// The form gate is a watch beside the engine's commands: a barrier sent right after the last
/// form closed is answered only once the deferred sync's decision is made, so a headless driver
/// (the scenario runner) that waits for the barrier sees that decision at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_barrier_after_the_last_form_closes_follows_the_deferred_sync_decision() {
    let (_world, mut device, _) = deferred_by_an_open_form("Deferred 1").await;
    for round in 1..=60u64 {
        if round > 1 {
            open_and_defer(&mut device, &format!("Deferred {round}")).await;
        }
        device.close_form();
        device.engine().send(Command::Barrier(round));
        let status = until(&device, "the barrier", |s| s.barrier >= round).await;
        assert!(
            matches!(
                status.last_decision,
                Some(rules::Decision::DeferredStarts { .. })
            ),
            "round {round}: the barrier was answered before the decision: {:?}",
            status.last_decision
        );
        until(&device, "the end", |s| {
            s.activity == SyncActivity::Idle && s.deferred.is_none()
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_saved_during_a_sync_queue_exactly_one_follow_up() {
    let world = World::new().await;
    let mut device = device_with(&world, SyncMode::Background).await;
    set_auto_sync(&mut device, AutoSync::OnChange);
    world
        .control
        .fault(
            None,
            Some(endpoint(Phase::Download)),
            1,
            Fault::Latency { ms: 500 },
        )
        .await
        .unwrap();
    let mut events = device.engine().subscribe();
    device.engine().send(Command::Trigger(Trigger::Manual));
    until(&device, "download", |s| {
        matches!(
            s.activity,
            SyncActivity::Running {
                phase: Phase::Download,
                ..
            }
        )
    })
    .await;
    for (id, city) in [
        ("acc-0001", "One"),
        ("acc-0002", "Two"),
        ("acc-0003", "Three"),
    ] {
        assert!(saved(
            &device
                .save("account", id, &fields(&[("city", city)]), "Save button")
                .unwrap()
        ));
    }
    until(&device, "the follow-up", |s| s.follow_up_queued).await;
    let mut finished = Vec::new();
    within("two syncs", async {
        while finished.len() < 2 {
            if let Ok(EngineEvent::Finished(last)) = events.recv().await {
                finished.push(last);
            }
        }
    })
    .await;
    assert_eq!(finished[1].trigger, Trigger::OnChange);
    let status = until(&device, "idle", |s| s.activity == SyncActivity::Idle).await;
    assert_eq!(status.pending_uploads, 0);
    assert!(!status.follow_up_queued);
    assert_eq!(
        world
            .server_field("account", "acc-0003", "city")
            .await
            .as_deref(),
        Some("Three")
    );
}
