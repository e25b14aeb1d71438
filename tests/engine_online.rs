//! Online and offline mode: the Sync-before settings applied through the rules core, and
//! online saves straight to the server with If-Match.

mod engine_common;

use std::collections::BTreeSet;

use autosync::device::{AppMode, Device, OnlineSave, SwitchRequest};
use autosync::engine::{Command, EngineEvent};
use autosync::rules::{ModeSwitch, Network, SwitchChoice, SwitchOutcome, Trigger};
use autosync::settings::{AutoSync, SyncBeforeSwitch};
use autosync::store::UserResolution;
use autosync::wire::Fault;
use engine_common::*;

fn online_toml(setting: SyncBeforeSwitch) -> String {
    autosync::assets::PROJECT_V1.1.replace(
        "sync_before_online = \"NoAction\"",
        &format!("sync_before_online = \"{setting:?}\""),
    )
}

async fn device(world: &World) -> Device {
    let mut device = world.device("d");
    set_auto_sync(&mut device, AutoSync::Never);
    sync(&device, Trigger::Manual).await;
    device
}

/// Waits for the next sync to end and hands its success to the pending switch.
async fn finish_switch(
    device: &mut Device,
    events: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
) -> SwitchOutcome {
    let last = within("the sync before switching", async {
        loop {
            if let Ok(EngineEvent::Finished(last)) = events.recv().await {
                return last;
            }
        }
    })
    .await;
    assert_eq!(last.trigger, Trigger::ModeSwitch);
    device
        .mode_switch_sync_finished(last.flags.succeeded())
        .expect("a switch was pending")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_action_switches_without_syncing() {
    let world = World::new().await;
    let mut device = device(&world).await;
    assert_eq!(
        device.request_mode_switch().unwrap(),
        SwitchRequest::Switched(AppMode::Online)
    );
    assert_eq!(device.mode(), AppMode::Online);
    assert_eq!(
        device.request_mode_switch().unwrap(),
        SwitchRequest::Switched(AppMode::Offline)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_user_to_sync_offers_three_choices_and_each_does_what_it_says() {
    let world = World::with_project(Some(&online_toml(SyncBeforeSwitch::AskUserToSync))).await;
    let mut device = device(&world).await;
    let request = device.request_mode_switch().unwrap();
    assert_eq!(
        request,
        SwitchRequest::Ask {
            direction: ModeSwitch::GoOnline,
            choices: vec![
                SwitchChoice::SyncThenSwitch,
                SwitchChoice::SwitchWithoutSync,
                SwitchChoice::Cancel
            ]
        }
    );
    assert_eq!(
        device.answer_mode_switch(SwitchChoice::Cancel).unwrap(),
        SwitchRequest::Stayed
    );
    assert_eq!(device.mode(), AppMode::Offline);
    device.request_mode_switch().unwrap();
    assert_eq!(
        device
            .answer_mode_switch(SwitchChoice::SwitchWithoutSync)
            .unwrap(),
        SwitchRequest::Switched(AppMode::Online)
    );
    device.switch_mode().unwrap();
    device.request_mode_switch().unwrap();
    let mut events = device.engine().subscribe();
    assert_eq!(
        device
            .answer_mode_switch(SwitchChoice::SyncThenSwitch)
            .unwrap(),
        SwitchRequest::Syncing(ModeSwitch::GoOnline)
    );
    assert_eq!(
        finish_switch(&mut device, &mut events).await,
        SwitchOutcome::Switch
    );
    assert_eq!(device.mode(), AppMode::Online);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warn_user_must_sync_refuses_to_switch_without_a_sync() {
    let world = World::with_project(Some(&online_toml(SyncBeforeSwitch::WarnUserMustSync))).await;
    let mut device = device(&world).await;
    let SwitchRequest::Ask { choices, .. } = device.request_mode_switch().unwrap() else {
        panic!("a dialog")
    };
    assert_eq!(
        choices,
        vec![SwitchChoice::SyncThenSwitch, SwitchChoice::Cancel]
    );
    let refused = device
        .answer_mode_switch(SwitchChoice::SwitchWithoutSync)
        .unwrap_err();
    assert!(refused.contains("synchronization is required"), "{refused}");
    assert_eq!(device.mode(), AppMode::Offline);
    let mut events = device.engine().subscribe();
    device
        .answer_mode_switch(SwitchChoice::SyncThenSwitch)
        .unwrap();
    assert_eq!(
        finish_switch(&mut device, &mut events).await,
        SwitchOutcome::Switch
    );
    assert_eq!(device.mode(), AppMode::Online);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_sync_switches_only_when_the_sync_succeeds() {
    let world = World::with_project(Some(&online_toml(SyncBeforeSwitch::ForceSync))).await;
    let mut device = device(&world).await;
    world
        .control
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
    let mut events = device.engine().subscribe();
    assert_eq!(
        device.request_mode_switch().unwrap(),
        SwitchRequest::Syncing(ModeSwitch::GoOnline)
    );
    let SwitchOutcome::Stay { reason } = finish_switch(&mut device, &mut events).await else {
        panic!("must stay")
    };
    assert!(reason.contains("failed (ForceSync)"), "{reason}");
    assert_eq!(device.mode(), AppMode::Offline);
    world.control.clear_faults().await.unwrap();
    device.request_mode_switch().unwrap();
    assert_eq!(
        finish_switch(&mut device, &mut events).await,
        SwitchOutcome::Switch
    );
    assert_eq!(device.mode(), AppMode::Online);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_save_goes_straight_to_the_server_and_a_stale_one_is_a_conflict_at_once() {
    let world = World::new().await;
    let mut device = device(&world).await;
    device.switch_mode().unwrap();
    let outcome = device
        .save_online(
            "account",
            "acc-0001",
            &fields(&[("credit_limit", "300000")]),
        )
        .await
        .unwrap();
    let OnlineSave::Saved(record) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(record.fields["rating"], "Hot", "server logic ran at once");
    assert_eq!(
        device
            .store()
            .record("account", "acc-0001")
            .unwrap()
            .unwrap()
            .fields["rating"],
        "Hot"
    );
    assert_eq!(
        device.engine().status().pending_uploads,
        0,
        "nothing waits for a sync"
    );
    world
        .control
        .edit(
            "account",
            "acc-0001",
            fields(&[("city", "Changed meanwhile")]),
            None,
        )
        .await
        .unwrap();
    let outcome = device
        .save_online("account", "acc-0001", &fields(&[("city", "Mine")]))
        .await
        .unwrap();
    let OnlineSave::Conflict { current } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(current.unwrap().fields["city"], "Changed meanwhile");
    assert_eq!(
        world
            .server_field("account", "acc-0001", "city")
            .await
            .as_deref(),
        Some("Changed meanwhile"),
        "nothing written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_asked_during_a_running_sync_gets_its_own_sync_after_it() {
    let world = World::with_project(Some(&online_toml(SyncBeforeSwitch::ForceSync))).await;
    let mut device = device(&world).await;
    world
        .control
        .fault(
            None,
            Some("/api/v1/entities/account"),
            1,
            Fault::Latency { ms: 400 },
        )
        .await
        .unwrap();
    let mut events = device.engine().subscribe();
    device
        .engine()
        .send(autosync::engine::Command::Trigger(Trigger::Manual));
    until(&device, "the download", |s| {
        matches!(
            s.activity,
            autosync::rules::SyncActivity::Running {
                phase: autosync::rules::Phase::Download,
                ..
            }
        )
    })
    .await;
    assert_eq!(
        device.request_mode_switch().unwrap(),
        SwitchRequest::Syncing(ModeSwitch::GoOnline)
    );
    let first = within("the running sync", async {
        loop {
            if let Ok(EngineEvent::Finished(last)) = events.recv().await {
                return last;
            }
        }
    })
    .await;
    assert_eq!(first.trigger, Trigger::Manual);
    assert_eq!(
        finish_switch(&mut device, &mut events).await,
        SwitchOutcome::Switch
    );
    assert_eq!(device.mode(), AppMode::Online);
}

/// Every journal row written today carries its typed data (`JournalData`), which the timeline,
/// the auditor and the scenario checks read instead of the words. One run writes every kind of
/// row there is: syncs (decisions, phases, ends), Setup changes, the network, UI transactions,
/// saves, a create and a delete, acknowledged uploads, a Server Wins conflict and the edit it
/// discards, a refused upload the user settles, a retried request, an expired delta token
/// (`410`), a project update found and applied, mode switches and online saves. A row written
/// without data fails here, naming itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_journal_row_of_a_full_run_carries_typed_data() {
    let world = World::new().await;
    let mut device = device(&world).await;
    device
        .engine()
        .send(Command::SetNetwork(Network::Disconnected));
    device
        .engine()
        .send(Command::SetNetwork(Network::Connected));
    device.try_enter_ui_transaction().unwrap();
    device.leave_ui_transaction();
    let save = |device: &mut Device, id: &str, field: &str, value: &str| {
        let outcome = device
            .save("account", id, &fields(&[(field, value)]), "Save button")
            .unwrap();
        assert!(saved(&outcome), "{outcome:?}");
    };
    // A Server Wins conflict, an edit the server refuses, a create and a delete.
    save(&mut device, "acc-0001", "city", "Mine");
    world
        .control
        .edit("account", "acc-0001", fields(&[("city", "Theirs")]), None)
        .await
        .unwrap();
    save(&mut device, "acc-0002", "credit_limit", "lots");
    device
        .create("account", &fields(&[("name", "Made here")]))
        .unwrap();
    device.delete("account", "acc-0003").unwrap();
    // One transient failure, retried.
    world
        .control
        .fault(
            Some("GET"),
            Some("/api/v1/entities/contact"),
            1,
            Fault::Status {
                status: 503,
                retry_after_s: None,
            },
        )
        .await
        .unwrap();
    let last = sync(&device, Trigger::Manual).await;
    assert!(last.flags.data_errors, "the refused edit: {last:?}");
    let refused = device.store().unresolved_conflicts().unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    device
        .resolve(refused[0].id, &UserResolution::Ignore)
        .unwrap();
    // The server deletes a record and forgets it did: the delta token is now `410`.
    world.control.delete("account", "acc-0004").await.unwrap();
    world.control.purge_tombstones(0).await.unwrap();
    // A newer project: found by the background sync, applied by a foreground one.
    world.control.publish_asset("v2").await.unwrap();
    sync(&device, Trigger::Manual).await;
    let last = sync(&device, Trigger::ProjectUpdate).await;
    assert!(last.flags.customization_downloaded, "{last:?}");
    // Online: a save the server stores, and one that meets a server edit.
    let switched = device.request_mode_switch().unwrap();
    assert!(
        matches!(switched, SwitchRequest::Switched(AppMode::Online)),
        "{switched:?}"
    );
    let stored = device
        .save_online("account", "acc-0005", &fields(&[("city", "Online")]))
        .await
        .unwrap();
    assert!(matches!(stored, OnlineSave::Saved(_)), "{stored:?}");
    world
        .control
        .edit("account", "acc-0005", fields(&[("city", "Theirs")]), None)
        .await
        .unwrap();
    let stale = device
        .save_online("account", "acc-0005", &fields(&[("city", "Mine")]))
        .await
        .unwrap();
    assert!(matches!(stale, OnlineSave::Conflict { .. }), "{stale:?}");

    let journal = device.store().journal(0, 100_000).unwrap();
    let untyped: Vec<String> = journal
        .iter()
        .filter(|e| e.data.is_none())
        .map(|e| format!("#{} {:?} {}: {}", e.seq, e.kind, e.actor, e.detail))
        .collect();
    assert!(
        untyped.is_empty(),
        "rows written without typed data:\n{}",
        untyped.join("\n")
    );
    // The run wrote each kind of row it is meant to cover (the data's variant names).
    let written: BTreeSet<String> = journal
        .iter()
        .filter_map(|e| match serde_json::to_value(e.data.as_ref()?).ok()? {
            serde_json::Value::String(name) => Some(name),
            serde_json::Value::Object(map) => map.keys().next().cloned(),
            _ => None,
        })
        .collect();
    let expected = [
        "decision",
        "sync_running",
        "phase",
        "sync_ended",
        "setting",
        "network",
        "ui_transaction",
        "save",
        "record",
        "acknowledged",
        "resolved",
        "lost",
        "upload_refused",
        "kept_for_user",
        "retrying",
        "reconcile",
        "project",
        "mode_switch",
        "online_save",
    ];
    let missing: Vec<&str> = expected
        .into_iter()
        .filter(|name| !written.contains(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "not written: {missing:?}; written: {written:?}"
    );
}
