//! Resuming an interrupted download: the device keeps the cursor of a download that stopped
//! mid-way, and the next sync continues from it. The promise is the user's, not the cursor's:
//! a sync that reports success has every change the server committed before that sync started,
//! including changes made after the interruption to records the cut download already brought.

use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::Duration;

use autosync::device::{Device, init_profile};
use autosync::engine::Command;
use autosync::invariants::{device_records, differences, server_records, sync_once};
use autosync::rules::Trigger;
use autosync::store::Store;
use autosync::wire::Fault;

use crate::bench::*;
use crate::engine_common::*;

/// The server changes four accounts: with pages of 3, the next download has two account pages,
/// the first of them acc-0001 to acc-0003.
async fn two_pages_of_changes(world: &World) {
    for n in 1..=4 {
        world
            .control
            .edit(
                "account",
                &format!("acc-{n:04}"),
                fields(&[("email", &format!("resume{n}@server.example"))]),
                None,
            )
            .await
            .unwrap();
    }
}

/// After the cut: the server changes a record of the page the device already has and one of
/// the page it has not.
const CHANGED: [(&str, &str); 2] = [
    ("acc-0001", "Changed After The Cut"),
    ("acc-0004", "Changed After The Cut Too"),
];

async fn change_after_the_cut(world: &World) {
    for (id, city) in CHANGED {
        world
            .control
            .edit("account", id, fields(&[("city", city)]), None)
            .await
            .unwrap();
    }
}

/// The device has every change the server made, and equals it.
async fn assert_has_every_change(world: &World, store: &Store) {
    let remote = world.remote();
    let mut diff = Vec::new();
    for entity in ["account", "contact"] {
        let server = server_records(&remote, entity).await.unwrap();
        diff.extend(differences(
            entity,
            &device_records(store, entity).unwrap(),
            &server,
        ));
    }
    for (id, city) in CHANGED {
        let local = store.record("account", id).unwrap().unwrap();
        assert_eq!(
            local.fields["city"], city,
            "{id}: the server's change, committed before the sync started, is on the device; device vs server: {diff:#?}"
        );
    }
    assert!(diff.is_empty(), "device and server differ: {diff:#?}");
    assert_eq!(
        store.delta_position("account").unwrap().cursor,
        None,
        "the download is complete"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_resuming_a_cut_download_brings_what_the_server_changed_meanwhile() {
    let bench = Bench::new().await;
    two_pages_of_changes(&bench.world).await;
    // The second account page fails past its retries: the sync stops after the first page.
    let second_page = Target {
        method: "GET".into(),
        path: "/api/v1/entities/account".into(),
        nth: 2,
    };
    bench
        .arm_outlasting(
            &second_page,
            Fault::Status {
                status: 500,
                retry_after_s: None,
            },
        )
        .await;
    let cut = sync(&bench.device, Trigger::Manual).await;
    assert!(cut.error.is_some(), "the download was cut: {cut:?}");
    let store = bench.device.store();
    assert!(
        store.delta_position("account").unwrap().cursor.is_some(),
        "the device keeps the cursor of the cut download"
    );
    let first = store.record("account", "acc-0001").unwrap().unwrap();
    assert_eq!(
        first.fields["email"], "resume1@server.example",
        "page 1 applied"
    );
    change_after_the_cut(&bench.world).await;
    bench.world.control.clear_faults().await.unwrap();
    let last = sync(&bench.device, Trigger::Manual).await;
    assert_eq!(last.error, None, "the sync succeeds");
    assert_has_every_change(&bench.world, store).await;
}

fn autosync_sync(data_dir: &Path, server: &str) -> Process {
    let mut child = Process::new(env!("CARGO_BIN_EXE_autosync"));
    child
        .arg("sync")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--server")
        .arg(server)
        .args(["--page-size", "3"]);
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autosync_sync_killed_holding_a_cursor_then_run_again_brings_what_the_server_changed() {
    let world = World::new().await;
    let data_dir = world.dir.path().join("cli");
    let profile = autosync::device::profile_path(&data_dir);
    let mut store = Store::open(&profile).unwrap();
    init_profile(&mut store, world.server.url(), "demo", Some("demo")).unwrap();
    drop(store);
    {
        let client = Device::start(&profile, world.clock.clone(), |c| {
            c.tick = Duration::from_secs(3600)
        })
        .unwrap();
        let first = within("the first sync", sync_once(client.engine())).await;
        assert_eq!(first.error, None);
        let mut stopped = client.engine().watch_status();
        client.engine().send(Command::Shutdown);
        within("the engine to stop", async {
            while stopped.changed().await.is_ok() {}
        })
        .await;
    }
    two_pages_of_changes(&world).await;
    // The second account page is held (under the client's 10 s timeout) until the kill.
    let control = &world.control;
    let path = Some("/api/v1/entities/account");
    control
        .fault(Some("GET"), path, 1, Fault::Latency { ms: 0 })
        .await
        .unwrap();
    control
        .fault(Some("GET"), path, 1, Fault::Latency { ms: 6000 })
        .await
        .unwrap();
    let mut child = autosync_sync(&data_dir, world.server.url())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let store = Store::open(&profile).unwrap();
    within("the cut download's cursor", async {
        while store.delta_position("account").unwrap().cursor.is_none() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "`autosync sync` still runs"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    change_after_the_cut(&world).await;
    control.clear_faults().await.unwrap();
    let mut again = autosync_sync(&data_dir, world.server.url());
    let out = tokio::task::spawn_blocking(move || again.output().unwrap())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("result: synchronized"), "{text}");
    assert_has_every_change(&world, &store).await;
}
