//! The sync engine against the real demo server: phase order, first and incremental syncs,
//! the on-start gate with the virtual clock, the CLI, idempotent creates and crash recovery.

mod engine_common;

use std::time::Duration;

use autosync::engine::{Command, EngineEvent, PhaseState};
use autosync::rules::{Phase, SyncActivity, SyncMode, Trigger};
use autosync::settings::AutoSync;
use autosync::store::JournalKind;
use autosync::wire::Fault;
use chrono::Duration as Minutes;
use engine_common::*;

/// Phases named in the journal events of one sync, in order.
async fn phases_of_next_sync(
    device: &autosync::device::Device,
    trigger: Trigger,
) -> (Vec<Phase>, autosync::store::LastSync) {
    let mut events = device.engine().subscribe();
    device.engine().send(Command::Trigger(trigger));
    within("a sync", async {
        let mut phases = Vec::new();
        loop {
            match events.recv().await {
                Ok(EngineEvent::Journal(e)) if e.kind == JournalKind::Sync => {
                    if let Some(name) = e.detail.strip_prefix("phase ") {
                        phases.push(
                            Phase::ALL
                                .into_iter()
                                .find(|p| p.to_string() == name)
                                .expect("a known phase"),
                        );
                    }
                }
                Ok(EngineEvent::Finished(last)) => return (phases, last),
                _ => {}
            }
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_runs_every_phase_in_order_and_fills_the_device() {
    let world = World::new().await;
    let device = world.device("d");
    assert_eq!(device.engine().status().activity, SyncActivity::Idle);
    let (phases, last) = phases_of_next_sync(&device, Trigger::Manual).await;
    assert_eq!(phases, Phase::ALL.to_vec());
    assert_eq!(last.error, None);
    assert!(last.flags.succeeded() && last.mode == SyncMode::Background);
    let status = until(&device, "idle", |s| s.activity == SyncActivity::Idle).await;
    assert!(
        status.phases.iter().all(|p| p.state == PhaseState::Done),
        "{:?}",
        status.phases
    );
    assert_eq!(status.phase(Phase::Download).unwrap().done, 600);
    assert_eq!(status.phase(Phase::Attachments).unwrap().total, Some(20));
    assert_eq!(device.store().count("account").unwrap(), 240);
    assert_eq!(device.store().count("contact").unwrap(), 360);
    assert_eq!(device.store().file_count("emails").unwrap(), 10);
    assert_eq!(device.store().sync_state().unwrap().applied_version, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_sync_downloads_only_what_changed() {
    let world = World::new().await;
    let device = world.device("d");
    sync(&device, Trigger::Manual).await;
    world
        .control
        .edit(
            "account",
            "acc-0007",
            fields(&[("city", "Reykjavik")]),
            None,
        )
        .await
        .unwrap();
    let (phases, last) = phases_of_next_sync(&device, Trigger::Manual).await;
    assert_eq!(phases, Phase::ALL.to_vec());
    assert!(last.flags.succeeded());
    let status = device.engine().status();
    assert_eq!(
        status.phase(Phase::Download).unwrap().done,
        1,
        "only the edited record"
    );
    assert_eq!(
        status.phase(Phase::Attachments).unwrap().total,
        Some(0),
        "files already on the device"
    );
    assert_eq!(
        device
            .store()
            .record("account", "acc-0007")
            .unwrap()
            .unwrap()
            .fields["city"],
        "Reykjavik"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_start_skipped_14_minutes_after_the_last_sync_and_runs_at_16() {
    let world = World::new().await;
    let mut device = world.device("d");
    set_auto_sync(&mut device, AutoSync::OnStart);
    sync(&device, Trigger::OnStart).await;
    world.clock.advance(Minutes::minutes(14));
    device.engine().send(Command::Trigger(Trigger::OnStart));
    let status = until(&device, "the skip", |s| {
        s.last_decision
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|d| d.contains("skipped"))
    })
    .await;
    let decision = status.last_decision.unwrap().to_string();
    assert!(
        decision.contains("synchronized 14 min ago") && decision.contains("1 min left"),
        "{decision}"
    );
    assert_eq!(status.activity, SyncActivity::Idle);
    world.clock.advance(Minutes::minutes(2));
    let last = sync(&device, Trigger::OnStart).await;
    assert_eq!(last.trigger, Trigger::OnStart);
    assert!(last.flags.succeeded());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_from_background_re_evaluates_the_on_start_rule() {
    let world = World::new().await;
    let device = world.device("d");
    sync(&device, Trigger::OnStart).await;
    world.clock.advance(Minutes::minutes(20));
    let last = sync(&device, Trigger::Resume).await;
    assert_eq!(last.trigger, Trigger::Resume);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interval_sync_runs_in_the_background_counted_from_the_end_of_the_last_sync() {
    let toml = autosync::assets::PROJECT_V1
        .1
        .replace("auto_sync_interval = 0", "auto_sync_interval = 1200")
        .replace("background_sync = true", "background_sync = false");
    let world = World::with_project(Some(&toml)).await;
    let mut device = world.device("d");
    // The profile was made before the device knew the project: take its defaults now.
    device
        .change_setting(autosync::settings::SettingChange::BackgroundSync(false))
        .unwrap();
    set_auto_sync(&mut device, AutoSync::Never);
    let last = sync(&device, Trigger::Manual).await;
    assert_eq!(last.mode, SyncMode::Foreground, "Background sync is off");
    world.clock.advance(Minutes::minutes(19));
    device.engine().send(Command::Tick);
    // Commands run in order: once this skip is decided, the tick before it was handled.
    device.engine().send(Command::Trigger(Trigger::OnStart));
    let status = until(&device, "the on-start decision", |s| {
        s.last_decision
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|d| d.contains("on-start sync skipped"))
    })
    .await;
    assert_eq!(
        status.activity,
        SyncActivity::Idle,
        "19 minutes after the end: the interval is not due"
    );
    let mut events = device.engine().subscribe();
    world.clock.advance(Minutes::minutes(1));
    device.engine().send(Command::Tick);
    let last = within("the interval sync", async {
        loop {
            if let Ok(EngineEvent::Finished(last)) = events.recv().await {
                return last;
            }
        }
    })
    .await;
    assert_eq!(
        (last.trigger, last.mode),
        (Trigger::Interval, SyncMode::Background),
        "Auto Sync is Never and Background sync off, yet the interval syncs in the background"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_response_was_lost_is_not_duplicated() {
    let world = World::new().await;
    let mut device = world.device("d");
    set_auto_sync(&mut device, AutoSync::Never);
    sync(&device, Trigger::Manual).await;
    let (id, outcome) = device
        .create(
            "account",
            &fields(&[("name", "Lost Answer Ltd"), ("credit_limit", "1000")]),
        )
        .unwrap();
    assert!(saved(&outcome));
    world
        .control
        .fault(
            Some("POST"),
            Some("/api/v1/batch"),
            1,
            Fault::DropAfterCommit,
        )
        .await
        .unwrap();
    let last = sync(&device, Trigger::Manual).await;
    assert!(last.flags.succeeded(), "{last:?}");
    assert_eq!(device.engine().status().pending_uploads, 0);
    let server = world
        .server_record("account", &id)
        .await
        .expect("created once");
    assert_eq!(server.fields["name"], "Lost Answer Ltd");
    let (mut total, mut cursor) = (0, None::<String>);
    loop {
        let page = world
            .remote()
            .page("account", None, cursor.as_deref(), 5000)
            .await
            .unwrap();
        total += page
            .records
            .iter()
            .filter(|r| r.fields.get("name").map(String::as_str) == Some("Lost Answer Ltd"))
            .count();
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(total, 1, "exactly one record");
    let requests = world.control.requests(50).await.unwrap();
    assert!(
        requests
            .requests
            .iter()
            .filter(|r| r.path == "/api/v1/batch")
            .count()
            >= 2,
        "the batch was retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_back_off_and_the_status_says_why() {
    let world = World::new().await;
    let device = world.device("d");
    world
        .control
        .fault(
            Some("GET"),
            Some("/api/v1/entities/account"),
            2,
            Fault::Status {
                status: 503,
                retry_after_s: Some(1),
            },
        )
        .await
        .unwrap();
    let mut status_rx = device.engine().watch_status();
    device.engine().send(Command::Trigger(Trigger::Manual));
    let message = within("a retry message", async {
        loop {
            status_rx.changed().await.unwrap();
            if let Some(e) = status_rx.borrow().last_error.clone() {
                return e;
            }
        }
    })
    .await;
    assert!(
        message.contains("unavailable (503)") && message.contains("retrying in 1.0 s"),
        "{message}"
    );
    let status = until(&device, "the sync to end", |s| {
        s.activity == SyncActivity::Idle && s.last.is_some()
    })
    .await;
    assert!(status.last.unwrap().flags.succeeded());
    assert_eq!(device.store().count("account").unwrap(), 240);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_stops_and_asks_for_it() {
    let world = World::new().await;
    let mut device = world.device("d");
    device.enter_password("not-the-password").unwrap();
    let last = sync(&device, Trigger::Manual).await;
    assert!(last.flags.connect_failed());
    assert!(last.error.unwrap().contains("enter the password"));
    let requests = world.control.requests(10).await.unwrap();
    assert_eq!(requests.requests.len(), 1, "401 is not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_devices_do_not_sync_and_say_so() {
    let world = World::new().await;
    let device = world.device("d");
    device
        .engine()
        .send(Command::SetNetwork(autosync::rules::Network::Disconnected));
    device.engine().send(Command::Trigger(Trigger::OnStart));
    let status = until(&device, "the skip", |s| {
        s.last_decision
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|d| d.contains("no network"))
    })
    .await;
    assert_eq!(status.activity, SyncActivity::Idle);
    assert!(
        world
            .control
            .requests(10)
            .await
            .unwrap()
            .requests
            .is_empty()
    );
}

/// Runs `autosync sync` against the in-process server.
fn sync_cli(world: &World, data_dir: &std::path::Path, extra: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_autosync"));
    cmd.arg("sync")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--server")
        .arg(world.server.url())
        .args(extra);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autosync_sync_prints_phases_with_counts_and_exits_0() {
    let world = World::new().await;
    let data = world.dir.path().join("cli");
    let out = tokio::task::spawn_blocking({
        let mut cmd = sync_cli(&world, &data, &[]);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "phase Connect",
        "phase Download",
        "phase Emails",
        "Download         Done  600",
        "Accounts         240 records",
        "result: synchronized",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autosync_sync_exits_1_with_the_reason_when_the_sync_fails() {
    let world = World::new().await;
    world
        .control
        .fault(
            None,
            Some("/api/v1/session"),
            10,
            Fault::Status {
                status: 403,
                retry_after_s: None,
            },
        )
        .await
        .unwrap();
    world
        .control
        .fault(
            None,
            Some("/api/v1/project"),
            10,
            Fault::Status {
                status: 403,
                retry_after_s: None,
            },
        )
        .await
        .unwrap();
    let data = world.dir.path().join("cli");
    let out = tokio::task::spawn_blocking({
        let mut cmd = sync_cli(&world, &data, &[]);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("result: failed: the server refused the request (403)"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_download_the_next_sync_resumes_and_converges() {
    let world = World::new().await;
    let data = world.dir.path().join("cli");
    // Slow pages so the process is surely mid-download when killed.
    world
        .control
        .fault(
            Some("GET"),
            Some("/api/v1/entities/contact"),
            100,
            Fault::Latency { ms: 150 },
        )
        .await
        .unwrap();
    let mut child = sync_cli(&world, &data, &["--page-size", "20"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let profile = autosync::device::profile_path(&data);
    within("the download to be under way", async {
        loop {
            let ready = autosync::store::Store::open(&profile)
                .ok()
                .and_then(|s| s.delta_position("contact").ok())
                .is_some_and(|p| p.cursor.is_some());
            if ready {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    child.kill().unwrap();
    let _ = child.wait();
    world.control.clear_faults().await.unwrap();
    let store = autosync::store::Store::open(&profile).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let position = store.delta_position("contact").unwrap();
    assert!(
        position.token.is_none() && position.cursor.is_some(),
        "a cursor for the pages applied, no token yet: {position:?}"
    );
    let partial = store.count("contact").unwrap();
    assert!(partial > 0 && partial < 360, "{partial}");
    drop(store);
    let out = tokio::task::spawn_blocking({
        let mut cmd = sync_cli(&world, &data, &["--page-size", "20"]);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Resumed from its cursor, the download counts only what it brought (its total came in
    // the first run), and then the delta after it.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("Contacts       {} downloaded\n", 360 - partial)),
        "{stdout}"
    );
    let store = autosync::store::Store::open(&profile).unwrap();
    assert_eq!(store.count("contact").unwrap(), 360);
    assert_eq!(store.count("account").unwrap(), 240);
    assert!(store.delta_position("contact").unwrap().token.is_some());
}
