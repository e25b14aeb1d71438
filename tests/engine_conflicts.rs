//! Conflicts by On Conflict strategy (including edit versus server delete), the data-loss race
//! of the reference under each Background sync behavior with the auditor's verdict, and the
//! project update flow end to end; `engine_records`: New and Delete on the device (device
//! delete versus server edit, lost answers).

mod engine_common;
mod engine_records;

use std::collections::BTreeMap;

use autosync::auditor::{self, LossCause, LostEdit};
use autosync::device::{Device, SaveOutcome};
use autosync::engine::{Command, EngineEvent};
use autosync::rules::{Phase, SaveDecision, SyncActivity, SyncMode, Trigger};
use autosync::settings::{
    AutoSync, BackgroundBehavior, ConflictStrategy, SettingChange, SettingError, SettingKey,
};
use autosync::store::{ConflictKind, UserResolution};
use autosync::wire::Fields;
use engine_common::*;

fn strategy_toml(strategy: ConflictStrategy) -> String {
    autosync::assets::PROJECT_V1.1.replace(
        "on_conflict = \"ServerWins\"",
        &format!("on_conflict = \"{strategy:?}\""),
    )
}

async fn quiet_device(world: &World) -> Device {
    let mut device = world.device("d");
    set_auto_sync(&mut device, AutoSync::Never);
    sync(&device, Trigger::Manual).await;
    device
}

/// The auditor with the server's current records.
async fn audit(world: &World, device: &Device, ids: &[(&str, &str)]) -> Vec<LostEdit> {
    let mut server: BTreeMap<(String, String), Fields> = BTreeMap::new();
    for (entity, id) in ids {
        if let Some(r) = world.server_record(entity, id).await {
            server.insert((entity.to_string(), id.to_string()), r.fields);
        }
    }
    auditor::audit(device.store(), |e, i| {
        server.get(&(e.to_string(), i.to_string())).cloned()
    })
    .unwrap()
}

/// The device edits city; the server (backoffice) edits city and email of the same account.
async fn conflicting_edits(world: &World, device: &mut Device) {
    assert!(saved(
        &device
            .save(
                "account",
                "acc-0001",
                &fields(&[("city", "Device City")]),
                "Save button"
            )
            .unwrap()
    ));
    world
        .control
        .edit(
            "account",
            "acc-0001",
            fields(&[("city", "Server City"), ("email", "server@example.com")]),
            None,
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_wins_replaces_the_device_version_and_the_loss_is_reported() {
    let world = World::new().await;
    let mut device = quiet_device(&world).await;
    conflicting_edits(&world, &mut device).await;
    let last = sync(&device, Trigger::Manual).await;
    assert!(last.flags.succeeded());
    let local = device
        .store()
        .record("account", "acc-0001")
        .unwrap()
        .unwrap();
    assert_eq!(local.fields["city"], "Server City");
    assert_eq!(
        world
            .server_field("account", "acc-0001", "city")
            .await
            .as_deref(),
        Some("Server City")
    );
    let lost = audit(&world, &device, &[("account", "acc-0001")]).await;
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(
        (
            lost[0].field.as_str(),
            lost[0].value.as_str(),
            lost[0].cause
        ),
        ("city", "Device City", LossCause::ServerWins)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_wins_uploads_only_changed_fields_and_server_edits_to_others_survive() {
    let world = World::with_project(Some(&strategy_toml(ConflictStrategy::DeviceWins))).await;
    let mut device = quiet_device(&world).await;
    conflicting_edits(&world, &mut device).await;
    sync(&device, Trigger::Manual).await;
    let server = world.server_record("account", "acc-0001").await.unwrap();
    assert_eq!(
        server.fields["city"], "Device City",
        "same field: device value"
    );
    assert_eq!(
        server.fields["email"], "server@example.com",
        "server edit to another field survives"
    );
    assert_eq!(
        device
            .store()
            .record("account", "acc-0001")
            .unwrap()
            .unwrap()
            .fields,
        server.fields
    );
    assert!(
        audit(&world, &device, &[("account", "acc-0001")])
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_wins_full_uploads_the_whole_record_and_server_edits_are_lost() {
    let world = World::with_project(Some(&strategy_toml(ConflictStrategy::DeviceWinsFull))).await;
    let mut device = quiet_device(&world).await;
    let original_email = device
        .store()
        .record("account", "acc-0001")
        .unwrap()
        .unwrap()
        .fields["email"]
        .clone();
    conflicting_edits(&world, &mut device).await;
    sync(&device, Trigger::Manual).await;
    let server = world.server_record("account", "acc-0001").await.unwrap();
    assert_eq!(server.fields["city"], "Device City");
    assert_eq!(
        server.fields["email"], original_email,
        "the device's whole record replaced the server's edit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_keeps_the_conflict_blocks_on_start_and_each_action_resolves_it() {
    let world = World::with_project(Some(&strategy_toml(ConflictStrategy::Manual))).await;
    let mut device = quiet_device(&world).await;
    conflicting_edits(&world, &mut device).await;
    let last = sync(&device, Trigger::Manual).await;
    assert!(last.flags.data_errors);
    let conflicts = device.store().unresolved_conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].kind, ConflictKind::ChangedOnBoth);
    assert_eq!(conflicts[0].device_changes["city"], "Device City");
    assert_eq!(
        conflicts[0].server.as_ref().unwrap().fields["city"],
        "Server City"
    );
    assert_eq!(device.engine().status().unresolved_conflicts, 1);
    assert_eq!(
        device
            .store()
            .record("account", "acc-0001")
            .unwrap()
            .unwrap()
            .fields["city"],
        "Device City",
        "kept until resolved"
    );
    // Unresolved conflicts block the on-start sync.
    world.clock.advance(chrono::Duration::minutes(30));
    set_auto_sync(&mut device, AutoSync::OnStart);
    device.engine().send(Command::Trigger(Trigger::OnStart));
    let status = until(&device, "the skip", |s| {
        s.last_decision
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|d| d.contains("unresolved sync conflict"))
    })
    .await;
    assert_eq!(status.activity, SyncActivity::Idle);
    // Merge: city from the device, email from the server.
    let mut merge = Fields::new();
    merge.insert("city".into(), "Device City".into());
    merge.insert("email".into(), "server@example.com".into());
    device
        .resolve(conflicts[0].id, &UserResolution::Merge(merge))
        .unwrap();
    assert_eq!(device.store().unresolved_count().unwrap(), 0);
    sync(&device, Trigger::Manual).await;
    let server = world.server_record("account", "acc-0001").await.unwrap();
    assert_eq!(
        (
            server.fields["city"].as_str(),
            server.fields["email"].as_str()
        ),
        ("Device City", "server@example.com")
    );

    // Retry with mine.
    assert!(saved(
        &device
            .save(
                "account",
                "acc-0002",
                &fields(&[("city", "Mine")]),
                "Save button"
            )
            .unwrap()
    ));
    world
        .control
        .edit("account", "acc-0002", fields(&[("city", "Theirs")]), None)
        .await
        .unwrap();
    sync(&device, Trigger::Manual).await;
    let id = device.store().unresolved_conflicts().unwrap()[0].id;
    device.resolve(id, &UserResolution::RetryWithMine).unwrap();
    sync(&device, Trigger::Manual).await;
    assert_eq!(
        world
            .server_field("account", "acc-0002", "city")
            .await
            .as_deref(),
        Some("Mine")
    );

    // Take the server version.
    assert!(saved(
        &device
            .save(
                "account",
                "acc-0003",
                &fields(&[("city", "Mine")]),
                "Save button"
            )
            .unwrap()
    ));
    world
        .control
        .edit("account", "acc-0003", fields(&[("city", "Theirs")]), None)
        .await
        .unwrap();
    sync(&device, Trigger::Manual).await;
    let id = device.store().unresolved_conflicts().unwrap()[0].id;
    device.resolve(id, &UserResolution::TakeServer).unwrap();
    assert_eq!(
        device
            .store()
            .record("account", "acc-0003")
            .unwrap()
            .unwrap()
            .fields["city"],
        "Theirs"
    );
    until(&device, "the recount", |s| {
        s.pending_uploads == 0 && s.unresolved_conflicts == 0
    })
    .await;
    let lost = audit(&world, &device, &[("account", "acc-0003")]).await;
    assert_eq!(
        lost.iter().map(|l| l.cause).collect::<Vec<_>>(),
        vec![LossCause::DiscardedByUser]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_versus_server_delete_under_each_strategy() {
    for strategy in [
        ConflictStrategy::ServerWins,
        ConflictStrategy::DeviceWins,
        ConflictStrategy::DeviceWinsFull,
        ConflictStrategy::Manual,
    ] {
        let world = World::with_project(Some(&strategy_toml(strategy))).await;
        let mut device = quiet_device(&world).await;
        assert!(saved(
            &device
                .save(
                    "account",
                    "acc-0005",
                    &fields(&[("city", "Still here")]),
                    "Save button"
                )
                .unwrap()
        ));
        world.control.delete("account", "acc-0005").await.unwrap();
        sync(&device, Trigger::Manual).await;
        let local = device.store().record("account", "acc-0005").unwrap();
        let server = world.server_record("account", "acc-0005").await;
        match strategy {
            ConflictStrategy::ServerWins => {
                assert!(
                    local.is_none() && server.is_none(),
                    "{strategy:?}: deleted on the device too"
                );
                let lost = audit(&world, &device, &[("account", "acc-0005")]).await;
                assert_eq!(lost.len(), 1, "{lost:?}");
            }
            ConflictStrategy::DeviceWins | ConflictStrategy::DeviceWinsFull => {
                assert_eq!(
                    server.expect("recreated").fields["city"],
                    "Still here",
                    "{strategy:?}"
                );
            }
            ConflictStrategy::Manual => {
                let conflicts = device.store().unresolved_conflicts().unwrap();
                assert_eq!(conflicts.len(), 1);
                assert_eq!(conflicts[0].kind, ConflictKind::DeletedOnServer);
                assert!(conflicts[0].server.is_none() && local.is_some() && server.is_none());
            }
        }
    }
}

/// The reference's recipe: slow business logic on the server, a fast user. The device uploads
/// an edit of acc-0001; while the server's business logic holds that write, the user saves a
/// second edit of the same record.
async fn race(behavior: BackgroundBehavior) -> (SaveOutcome, World, Device) {
    let world = World::with_project(Some(&set_behavior_toml(behavior))).await;
    let mut device = quiet_device(&world).await;
    world.control.set_delay("account", 600).await.unwrap();
    assert!(saved(
        &device
            .save(
                "account",
                "acc-0001",
                &fields(&[("city", "First")]),
                "Save button"
            )
            .unwrap()
    ));
    // Subscribed before the trigger, so the wait below is for this sync's own Finished event:
    // the status turns Idle just before it is sent, and a caller's next `sync()` must not take
    // this one's late Finished for its own.
    let mut events = device.engine().subscribe();
    device.engine().send(Command::Trigger(Trigger::Manual));
    until_upload_in_flight(&device).await;
    let outcome = device
        .save(
            "account",
            "acc-0001",
            &fields(&[("phone", "+1 555 000 0002")]),
            "Save button",
        )
        .unwrap();
    within("the sync to end", async {
        loop {
            if let Ok(EngineEvent::Finished(_)) = events.recv().await {
                return;
            }
        }
    })
    .await;
    until(&device, "the engine to be idle", |s| {
        s.activity == SyncActivity::Idle
    })
    .await;
    (outcome, world, device)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn race_under_no_action_loses_the_later_edit_and_the_auditor_reports_it() {
    let (outcome, world, device) = race(BackgroundBehavior::NoAction).await;
    assert!(
        matches!(
            outcome,
            SaveOutcome::Saved {
                decision: SaveDecision::AllowConcurrent {
                    phase: Phase::Upload
                },
                ..
            }
        ),
        "{outcome:?}"
    );
    let local = device
        .store()
        .record("account", "acc-0001")
        .unwrap()
        .unwrap();
    assert_ne!(
        local.fields["phone"], "+1 555 000 0002",
        "overwritten by the server's answer"
    );
    assert_eq!(
        device.engine().status().pending_uploads,
        0,
        "and never uploaded"
    );
    let lost = audit(&world, &device, &[("account", "acc-0001")]).await;
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(
        (
            lost[0].field.as_str(),
            lost[0].value.as_str(),
            lost[0].cause
        ),
        ("phone", "+1 555 000 0002", LossCause::OverwrittenBySync)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn race_under_block_save_refuses_the_save_and_loses_nothing() {
    for behavior in [
        BackgroundBehavior::BlockSave,
        BackgroundBehavior::BlockSaveAndDeferSync,
    ] {
        let (outcome, world, device) = race(behavior).await;
        assert!(
            matches!(outcome, SaveOutcome::Refused(_)),
            "{behavior:?}: {outcome:?}"
        );
        assert!(
            audit(&world, &device, &[("account", "acc-0001")])
                .await
                .is_empty(),
            "{behavior:?}"
        );
        assert_eq!(
            world
                .server_field("account", "acc-0001", "city")
                .await
                .as_deref(),
            Some("First")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn race_under_rebase_refuses_nothing_and_loses_nothing() {
    let (outcome, world, device) = race(BackgroundBehavior::Rebase).await;
    assert!(
        matches!(
            outcome,
            SaveOutcome::Saved {
                decision: SaveDecision::AllowRebased { .. },
                ..
            }
        ),
        "{outcome:?}"
    );
    let local = device
        .store()
        .record("account", "acc-0001")
        .unwrap()
        .unwrap();
    assert_eq!(
        local.fields["phone"], "+1 555 000 0002",
        "re-applied on top of the server's version"
    );
    assert_eq!(local.fields["city"], "First");
    assert_eq!(
        device.engine().status().pending_uploads,
        1,
        "uploaded by the next sync"
    );
    world.control.set_delay("account", 0).await.unwrap();
    sync(&device, Trigger::Manual).await;
    assert_eq!(
        world
            .server_field("account", "acc-0001", "phone")
            .await
            .as_deref(),
        Some("+1 555 000 0002")
    );
    assert!(
        audit(&world, &device, &[("account", "acc-0001")])
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_update_flagged_in_background_applied_by_foreground_after_uploading() {
    let world = World::new().await;
    let mut device = quiet_device(&world).await;
    // The down arrow needs automatic synchronization enabled (On Start: no sync on each save).
    set_auto_sync(&mut device, AutoSync::OnStart);
    world.control.publish_asset("v2").await.unwrap();
    let last = sync(&device, Trigger::Manual).await;
    assert!(last.flags.customization_ready && !last.flags.customization_downloaded);
    assert_eq!(
        device.engine().status().update_available,
        Some(2),
        "the down arrow"
    );
    assert_eq!(
        device.store().sync_state().unwrap().applied_version,
        1,
        "nothing applied in the background"
    );
    // A pending edit must be uploaded before v2 is applied.
    assert!(saved(
        &device
            .save(
                "account",
                "acc-0001",
                &fields(&[("city", "Before v2")]),
                "Save button"
            )
            .unwrap()
    ));
    let journal_start = device
        .store()
        .journal(0, 100_000)
        .unwrap()
        .last()
        .unwrap()
        .seq;
    // The app starts again: the waiting update forces a foreground sync.
    let last = sync(&device, Trigger::OnStart).await;
    assert_eq!(
        (last.trigger, last.mode),
        (Trigger::ProjectUpdate, SyncMode::Foreground)
    );
    assert!(last.flags.customization_downloaded);
    let details: Vec<String> = device
        .store()
        .journal(journal_start, 1000)
        .unwrap()
        .into_iter()
        .map(|e| e.detail)
        .collect();
    let uploaded = details.iter().position(|d| d == "phase Upload").unwrap();
    let applied = details
        .iter()
        .position(|d| d == "project version 2 applied")
        .unwrap();
    assert!(uploaded < applied, "{details:#?}");
    assert!(
        details
            .iter()
            .any(|d| d.contains("continues in the background")),
        "{details:#?}"
    );
    assert_eq!(
        world
            .server_field("account", "acc-0001", "city")
            .await
            .as_deref(),
        Some("Before v2")
    );
    let project = device.store().project().unwrap().unwrap();
    assert!(
        project
            .entity("account")
            .unwrap()
            .form_fields()
            .any(|f| f.name == "industry")
    );
    assert!(matches!(
        device.change_setting(SettingChange::AutoSync(AutoSync::OnStart)),
        Err(autosync::device::DeviceError::Setting(
            SettingError::Locked(SettingKey::AutoSync)
        ))
    ));
    assert_eq!(device.engine().status().update_available, None);
}
