//! `410 Gone`: the server forgot the deletions after the device's delta token (tombstones
//! purged), so the device downloads everything again. A full download lists no deletions, so
//! the device must find them itself: a record the server no longer has goes from the device too,
//! and the journal says so; but a record with edits the user saved is settled by the entity's
//! On Conflict strategy, never silently removed.

use std::collections::BTreeMap;

use autosync::auditor::{self, LossCause, LostEdit};
use autosync::device::Device;
use autosync::engine::{Command, EngineEvent};
use autosync::invariants::{device_records, differences, server_records};
use autosync::rules::{Phase, SyncActivity, Trigger};
use autosync::settings::{AutoSync, ConflictStrategy};
use autosync::store::ConflictKind;
use autosync::wire::{Fault, Fields};

use crate::bench::journal_since;
use crate::engine_common::*;

/// What the journal says the download removed (the planned wording is "account: removed 1
/// record(s) the server deleted while our delta token expired").
const RECONCILED: &str = "the server deleted while our delta token expired";

fn strategy_toml(strategy: ConflictStrategy) -> String {
    autosync::assets::PROJECT_V1.1.replace(
        "on_conflict = \"ServerWins\"",
        &format!("on_conflict = \"{strategy:?}\""),
    )
}

/// A device that has synchronized once, with Auto Sync Never.
async fn quiet_device(world: &World) -> Device {
    let mut device = world.device("d");
    set_auto_sync(&mut device, AutoSync::Never);
    assert_eq!(sync(&device, Trigger::Manual).await.error, None);
    device
}

/// The server deletes `id` and forgets the deletion: the device's delta tokens are now `410`.
async fn delete_and_purge(world: &World, id: &str) {
    world.control.delete("account", id).await.unwrap();
    let purged = world.control.purge_tombstones(0).await.unwrap();
    assert!(purged.purged >= 1, "{purged:?}");
}

fn journal_end(device: &Device) -> i64 {
    journal_since(device.store(), 0).last().map_or(0, |e| e.seq)
}

/// The server answered the device's account download `410` and then served a full download
/// (the premise of these tests).
async fn assert_downloaded_again(world: &World) {
    let log = world.control.requests(1000).await.unwrap().requests;
    let account = |e: &&autosync::wire::RequestLogEntry| {
        e.method == "GET" && e.path.starts_with("/api/v1/entities/account?")
    };
    let gone = log
        .iter()
        .filter(account)
        .position(|e| e.status == 410)
        .unwrap_or_else(|| panic!("the server answered 410: {log:#?}"));
    assert!(
        log.iter()
            .filter(account)
            .skip(gone + 1)
            .any(|e| e.status == 200 && !e.path.contains("since=")),
        "then the device downloaded everything again: {log:#?}"
    );
}

/// How the device differs from the server, records in `except` left out.
async fn device_vs_server(world: &World, device: &Device, except: &[&str]) -> Vec<String> {
    let remote = world.remote();
    let mut out = Vec::new();
    for entity in ["account", "contact"] {
        let mut server = server_records(&remote, entity).await.unwrap();
        let mut local = device_records(device.store(), entity).unwrap();
        for id in except {
            server.remove(*id);
            local.remove(*id);
        }
        out.extend(differences(entity, &local, &server));
    }
    out
}

async fn audit(world: &World, device: &Device, id: &str) -> Vec<LostEdit> {
    let server: BTreeMap<String, Fields> = world
        .server_record("account", id)
        .await
        .map(|r| (r.id, r.fields))
        .into_iter()
        .collect();
    auditor::audit(device.store(), |e, i| {
        (e == "account").then(|| server.get(i).cloned()).flatten()
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_download_removes_the_records_the_server_deleted_meanwhile_and_says_so() {
    let world = World::new().await;
    let device = quiet_device(&world).await;
    let id = "acc-0007";
    assert!(device.store().record("account", id).unwrap().is_some());
    delete_and_purge(&world, id).await;
    let since = journal_end(&device);
    let last = sync(&device, Trigger::Manual).await;
    assert_eq!(last.error, None, "the sync succeeds");
    assert_downloaded_again(&world).await;
    let diff = device_vs_server(&world, &device, &[]).await;
    assert_eq!(
        device
            .store()
            .record("account", id)
            .unwrap()
            .map(|r| r.fields),
        None,
        "the record the server deleted is gone from the device too; device vs server: {diff:#?}"
    );
    assert!(diff.is_empty(), "device and server differ: {diff:#?}");
    let journal = journal_since(device.store(), since);
    let said: Vec<_> = journal
        .iter()
        .filter(|e| e.detail.contains(RECONCILED))
        .collect();
    assert!(
        said.iter().any(|e| {
            (e.detail.contains("account") || e.entity.as_deref() == Some("account"))
                && e.detail.contains("removed 1 ")
        }),
        "the journal says what the download removed and why: {said:#?}"
    );
    let status = device.engine().status();
    assert_eq!(
        (status.pending_uploads, status.unresolved_conflicts),
        (0, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_download_with_an_edit_pending_on_a_deleted_record_follows_each_strategy() {
    let id = "acc-0005";
    let edit = "Edited While Deleted";
    for strategy in [
        ConflictStrategy::ServerWins,
        ConflictStrategy::DeviceWins,
        ConflictStrategy::DeviceWinsFull,
        ConflictStrategy::Manual,
    ] {
        let world = World::with_project(Some(&strategy_toml(strategy))).await;
        let mut device = quiet_device(&world).await;
        delete_and_purge(&world, id).await;
        let outcome = device
            .save("account", id, &fields(&[("city", edit)]), "Save button")
            .unwrap();
        assert!(saved(&outcome), "{outcome:?}");
        let last = sync(&device, Trigger::Manual).await;
        assert_eq!(last.error, None, "{strategy:?}: the sync succeeds");
        assert_downloaded_again(&world).await;
        let local = device.store().record("account", id).unwrap();
        let server = world.server_record("account", id).await;
        let lost = audit(&world, &device, id).await;
        let status = device.engine().status();
        match strategy {
            ConflictStrategy::ServerWins => {
                assert!(
                    local.is_none() && server.is_none(),
                    "{strategy:?}: removed from the device too: {local:?}"
                );
                let causes: Vec<_> = lost.iter().map(|l| (l.field.as_str(), l.cause)).collect();
                assert_eq!(
                    causes,
                    vec![("city", LossCause::ServerWins)],
                    "{strategy:?}: the loss is explained: {lost:#?}"
                );
                assert_eq!(status.pending_uploads, 0, "{strategy:?}");
            }
            ConflictStrategy::DeviceWins | ConflictStrategy::DeviceWinsFull => {
                let server = server.unwrap_or_else(|| panic!("{strategy:?}: created again"));
                assert_eq!(server.fields["city"], edit, "{strategy:?}");
                assert!(lost.is_empty(), "{strategy:?}: {lost:#?}");
                assert_eq!(status.pending_uploads, 0, "{strategy:?}");
            }
            ConflictStrategy::Manual => {
                let conflicts = device.store().unresolved_conflicts().unwrap();
                let kinds: Vec<_> = conflicts
                    .iter()
                    .map(|c| (c.record_id.as_str(), c.kind))
                    .collect();
                assert_eq!(
                    kinds,
                    vec![(id, ConflictKind::DeletedOnServer)],
                    "{strategy:?}: a Sync Errors item remains"
                );
                assert_eq!(status.unresolved_conflicts, 1, "{strategy:?}");
                assert_eq!(
                    local.map(|r| r.fields["city"].clone()).as_deref(),
                    Some(edit),
                    "{strategy:?}: the record stays on the device with the edit"
                );
                assert!(server.is_none(), "{strategy:?}");
                assert!(lost.is_empty(), "{strategy:?}: nothing lost: {lost:#?}");
            }
        }
        let except: &[&str] = if strategy == ConflictStrategy::Manual {
            &[id]
        } else {
            &[]
        };
        let diff = device_vs_server(&world, &device, except).await;
        assert!(
            diff.is_empty(),
            "{strategy:?}: device and server differ: {diff:#?}"
        );
        device.engine().send(Command::Shutdown);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_download_keeps_the_records_edited_or_created_during_the_sync() {
    let world = World::new().await;
    let mut device = quiet_device(&world).await;
    let id = "acc-0009";
    let edit = "Saved During The Sync";
    delete_and_purge(&world, id).await;
    // The first account page (the one answered 410) is held, so the save lands in the download
    // phase, before the download is complete.
    world
        .control
        .fault(
            Some("GET"),
            Some("/api/v1/entities/account"),
            1,
            Fault::Latency { ms: 500 },
        )
        .await
        .unwrap();
    let mut events = device.engine().subscribe();
    device.engine().send(Command::Trigger(Trigger::Manual));
    until(&device, "the download phase", |s| {
        matches!(
            s.activity,
            SyncActivity::Running {
                phase: Phase::Download,
                ..
            }
        )
    })
    .await;
    let outcome = device
        .save("account", id, &fields(&[("city", edit)]), "Save button")
        .unwrap();
    assert!(
        saved(&outcome),
        "No action lets the save through: {outcome:?}"
    );
    // A record created meanwhile is on the device only, as the deleted one is.
    let name = "Created During The Sync Ltd";
    let (created, outcome) = device
        .create(
            "account",
            &fields(&[("name", name), ("credit_limit", "500")]),
        )
        .unwrap();
    assert!(saved(&outcome), "{outcome:?}");
    let last = within("the sync to end", async {
        loop {
            if let Ok(EngineEvent::Finished(last)) = events.recv().await {
                return last;
            }
        }
    })
    .await;
    until(&device, "the engine to be idle", |s| {
        s.activity == SyncActivity::Idle
    })
    .await;
    assert_eq!(last.error, None);
    assert_downloaded_again(&world).await;
    let local = device.store().record("account", id).unwrap();
    assert_eq!(
        local.map(|r| r.fields["city"].clone()).as_deref(),
        Some(edit),
        "the edit saved during the sync stays on the device"
    );
    assert!(
        device
            .store()
            .record("account", &created)
            .unwrap()
            .is_some(),
        "so does the record created during the sync"
    );
    assert_eq!(
        device.store().pending_count().unwrap(),
        2,
        "both wait for the next sync"
    );
    // The next sync uploads the create and settles the edit by the entity's strategy (Server
    // Wins): removed, and journaled.
    let last = sync(&device, Trigger::Manual).await;
    assert_eq!(last.error, None);
    assert!(device.store().record("account", id).unwrap().is_none());
    let server = world.server_record("account", &created).await;
    assert_eq!(
        server.map(|r| r.fields["name"].clone()).as_deref(),
        Some(name),
        "the create reached the server"
    );
    let lost = audit(&world, &device, id).await;
    let causes: Vec<_> = lost.iter().map(|l| (l.field.as_str(), l.cause)).collect();
    assert_eq!(causes, vec![("city", LossCause::ServerWins)], "{lost:#?}");
    assert_eq!(device.store().pending_count().unwrap(), 0);
    let diff = device_vs_server(&world, &device, &[]).await;
    assert!(diff.is_empty(), "device and server differ: {diff:#?}");
}
