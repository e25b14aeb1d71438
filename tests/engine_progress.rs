//! Progress a user can trust (issue 15): the engine's status counts each entity of a phase
//! against the total the server announced, and `autosync sync` shows it while it runs.

mod engine_common;

use std::time::Duration;

use autosync::engine::{ItemProgress, PhaseState};
use autosync::rules::{Phase, Trigger};
use autosync::settings::AutoSync;
use autosync::wire::Fault;
use engine_common::*;

fn item(label: &str, done: u64, total: u64) -> ItemProgress {
    ItemProgress {
        label: label.into(),
        done,
        total: Some(total),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_counts_each_entity_uploaded_and_downloaded_against_its_total() {
    let world = World::new().await;
    let mut device = world.device("d");
    set_auto_sync(&mut device, AutoSync::Never);
    sync(&device, Trigger::Manual).await;
    let status = device.engine().status();
    let download = status.phase(Phase::Download).unwrap();
    assert_eq!(
        download.items,
        [item("Accounts", 240, 240), item("Contacts", 360, 360)]
    );
    assert_eq!((download.done, download.state), (600, PhaseState::Done));
    assert!(download.elapsed > Duration::ZERO, "{download:?}");
    assert_eq!(download.ratio(), Some(1.0));

    for (entity, name) in [
        ("account", "Progress One"),
        ("account", "Progress Two"),
        ("contact", "Pat Progress"),
    ] {
        let field = if entity == "account" {
            "name"
        } else {
            "full_name"
        };
        let (_, outcome) = device.create(entity, &fields(&[(field, name)])).unwrap();
        assert!(saved(&outcome));
    }
    world
        .control
        .edit("account", "acc-0007", fields(&[("city", "Oslo")]), None)
        .await
        .unwrap();
    let last = sync(&device, Trigger::Manual).await;
    assert!(last.flags.succeeded(), "{last:?}");
    let status = device.engine().status();
    let upload = status.phase(Phase::Upload).unwrap();
    assert_eq!(
        upload.items,
        [item("Accounts", 2, 2), item("Contacts", 1, 1)]
    );
    assert_eq!((upload.done, upload.total), (3, Some(3)));
    let download = status.phase(Phase::Download).unwrap();
    let accounts = &download.items[0];
    assert_eq!(accounts.label, "Accounts");
    assert!(
        accounts.total == Some(accounts.done) && accounts.done >= 1,
        "at least the server's edit, counted against the delta's total: {accounts:?}"
    );
}

/// The `done / total` of a progress line: "Download · Accounts 20,000 / 100,240 · …".
fn done_and_total(line: &str) -> Option<(u64, u64)> {
    let counts = line.split(" · ").nth(1)?;
    let (done, total) = counts.rsplit_once(" / ")?;
    let number = |s: &str| s.replace(',', "").parse::<u64>().ok();
    Some((number(done.rsplit(' ').next()?)?, number(total)?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autosync_sync_prints_progress_lines_with_done_and_total_during_a_100000_record_download() {
    let world = World::new().await;
    world.control.generate("account", 100_000).await.unwrap();
    // The plain lines come every 2 s, so the Download must last more than 6 s for three of
    // them, on a fast machine too: 50 pages held 150 ms each make it last at least 7.5 s (a
    // slow machine only adds lines).
    world
        .control
        .fault(
            Some("GET"),
            Some("/api/v1/entities/account"),
            50,
            Fault::Latency { ms: 150 },
        )
        .await
        .unwrap();
    let data = world.dir.path().join("cli");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_autosync"));
    cmd.args(["sync", "--data-dir"])
        .arg(&data)
        .arg("--server")
        .arg(world.server.url());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");

    // The accounts' lines (an entity is shown from its start, so a line that falls before the
    // contacts' first page reads "Contacts 0", without a total yet).
    let accounts: Vec<u64> = stderr
        .lines()
        .filter(|l| l.contains("  Download · Accounts "))
        .map(|l| match done_and_total(l) {
            Some((done, 100_240)) => done,
            _ => panic!("no done / 100,240 in {l:?}:\n{stderr}"),
        })
        .collect();
    assert!(
        accounts.len() >= 3,
        "three lines or more during the accounts' download:\n{stderr}"
    );
    assert!(
        accounts.is_sorted() && accounts.iter().all(|d| *d <= 100_240),
        "the count grows toward the server's total:\n{stderr}"
    );
    for line in [
        "Download         Done  100,600 in",
        "Accounts       100,240 downloaded",
        "Contacts       360 downloaded",
        "Accounts         100,240 records on the device",
        "result: synchronized",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
}
