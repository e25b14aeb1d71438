//! Progress a user can trust (issue 15): the engine's status counts each entity of a phase
//! against the total the server announced, and `autosync sync` shows it while it runs.

mod engine_common;

use std::time::Duration;

use autosync::engine::{ItemProgress, PhaseState};
use autosync::rules::{Phase, Trigger};
use autosync::settings::AutoSync;
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
