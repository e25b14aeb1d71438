//! Online and offline mode: the Sync-before settings applied through the rules core, and
//! online saves straight to the server with If-Match.

mod engine_common;

use autosync::device::{AppMode, Device, OnlineSave, SwitchRequest};
use autosync::engine::EngineEvent;
use autosync::rules::{ModeSwitch, SwitchChoice, SwitchOutcome, Trigger};
use autosync::settings::{AutoSync, SyncBeforeSwitch};
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
