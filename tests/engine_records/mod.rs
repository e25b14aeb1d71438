//! New and Delete on the device against the real server: a delete goes as `DELETE` with
//! `If-Match`, survives a lost answer, costs no request for a record never uploaded, and a
//! device delete against a server edit is decided by each On Conflict strategy; a create whose
//! answer was lost is neither duplicated nor failed. Included by `engine_conflicts.rs`.

use autosync::auditor::{DELETED_RECORD, LossCause};
use autosync::rules::Trigger;
use autosync::settings::ConflictStrategy;
use autosync::store::{ConflictKind, JournalData, JournalKind, Resolved, UserResolution};

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_leaves_at_once_stays_gone_through_a_download_and_deletes_on_the_server() {
    let world = World::new().await;
    let mut device = quiet_device(&world).await;
    assert!(saved(&device.delete("account", "acc-0002").unwrap()));
    assert!(
        device
            .store()
            .record("account", "acc-0002")
            .unwrap()
            .is_none()
    );
    assert_eq!(device.store().pending_count().unwrap(), 1);
    let ops = device.store().pending_ops(i64::MAX).unwrap();
    let etag = world
        .server_record("account", "acc-0002")
        .await
        .unwrap()
        .etag;
    assert_eq!(
        (ops[0].kind.clone(), ops[0].base_etag.as_deref()),
        (autosync::store::PendingKind::Delete, Some(etag.as_str())),
        "a DELETE with If-Match: the ETag the device had"
    );
    let last = sync(&device, Trigger::Manual).await;
    assert!(last.flags.succeeded(), "{last:?}");
    assert!(world.server_record("account", "acc-0002").await.is_none());
    assert!(
        device
            .store()
            .record("account", "acc-0002")
            .unwrap()
            .is_none()
    );
    assert_eq!(device.store().pending_count().unwrap(), 0);
    assert!(
        audit(&world, &device, &[("account", "acc-0002")])
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_whose_answer_was_lost_is_a_success_when_retried() {
    let world = World::new().await;
    let mut device = quiet_device(&world).await;
    assert!(saved(&device.delete("account", "acc-0003").unwrap()));
    lose_every_batch_answer(&world, &device).await;
    assert!(
        world.server_record("account", "acc-0003").await.is_none(),
        "the server committed the delete; only its answers were lost"
    );
    let last = sync(&device, Trigger::Manual).await;
    assert!(
        last.flags.succeeded(),
        "the retry finds it gone: a success: {last:?}"
    );
    assert_eq!(device.store().pending_count().unwrap(), 0);
    assert_eq!(device.store().unresolved_count().unwrap(), 0);
    assert!(
        device
            .store()
            .record("account", "acc-0003")
            .unwrap()
            .is_none()
    );
    assert!(
        audit(&world, &device, &[("account", "acc-0003")])
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_answer_was_lost_is_neither_duplicated_nor_failed_and_can_be_deleted() {
    let world = World::new().await;
    let mut device = quiet_device(&world).await;
    let values = fields(&[("name", "Lost Answer Create Ltd")]);
    let (id, outcome) = device.create("account", &values).unwrap();
    assert!(saved(&outcome));
    lose_every_batch_answer(&world, &device).await;
    let last = sync(&device, Trigger::Manual).await;
    assert!(last.flags.succeeded(), "{last:?}");
    let accounts = autosync::invariants::server_records(&world.remote(), "account")
        .await
        .unwrap();
    let copies = accounts
        .values()
        .filter(|r| r.fields.get("name").map(String::as_str) == Some("Lost Answer Create Ltd"))
        .count();
    assert_eq!(copies, 1, "created exactly once");
    assert!(accounts.contains_key(&id));
    // Then deleted: a record the server has now goes with a DELETE.
    assert!(saved(&device.delete("account", &id).unwrap()));
    assert!(sync(&device, Trigger::Manual).await.flags.succeeded());
    assert!(world.server_record("account", &id).await.is_none());
    assert_eq!(device.store().pending_count().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_record_never_uploaded_drops_its_create_and_sends_nothing() {
    let world = World::new().await;
    let mut device = quiet_device(&world).await;
    let (id, outcome) = device
        .create("account", &fields(&[("name", "Never Sent Ltd")]))
        .unwrap();
    assert!(saved(&outcome));
    assert_eq!(device.store().pending_count().unwrap(), 1);
    assert!(saved(&device.delete("account", &id).unwrap()));
    assert_eq!(
        device.store().pending_count().unwrap(),
        0,
        "nothing to upload"
    );
    let before = world.control.requests(1000).await.unwrap();
    assert!(sync(&device, Trigger::Manual).await.flags.succeeded());
    let after = world.control.requests(1000).await.unwrap();
    let batches = |log: &autosync::wire::RequestLog| {
        log.requests
            .iter()
            .filter(|r| r.path.starts_with("/api/v1/batch"))
            .count()
    };
    assert_eq!(batches(&after), batches(&before), "no upload request");
    assert!(world.server_record("account", &id).await.is_none());
    assert!(audit(&world, &device, &[("account", &id)]).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_delete_against_a_server_edit_under_each_strategy() {
    for strategy in [
        ConflictStrategy::ServerWins,
        ConflictStrategy::DeviceWins,
        ConflictStrategy::DeviceWinsFull,
        ConflictStrategy::Manual,
    ] {
        let world = World::with_project(Some(&strategy_toml(strategy))).await;
        let mut device = quiet_device(&world).await;
        let id = "acc-0006";
        assert!(saved(&device.delete("account", id).unwrap()));
        world
            .control
            .edit("account", id, fields(&[("city", "Edited On Server")]), None)
            .await
            .unwrap();
        let last = sync(&device, Trigger::Manual).await;
        let local = device.store().record("account", id).unwrap();
        let server = world.server_record("account", id).await;
        let journal = device.store().journal(0, 100_000).unwrap();
        let conflict_line = journal
            .iter()
            .find(|e| e.kind == JournalKind::Conflict && e.record_id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("{strategy:?}: the decision is journaled"));
        assert!(
            conflict_line
                .detail
                .contains("deleted on the device, edited on the server"),
            "{strategy:?}: {}",
            conflict_line.detail
        );
        assert_eq!(
            conflict_line.data,
            Some(JournalData::Resolved(Resolved::DeleteStrategy(
                autosync::rules::resolve_delete_conflict(strategy)
            ))),
            "{strategy:?}: the row carries the strategy's decision"
        );
        let lost = audit(&world, &device, &[("account", id)]).await;
        match strategy {
            ConflictStrategy::ServerWins => {
                assert!(last.flags.succeeded(), "{last:?}");
                let local = local.expect("the server's version is back on the device");
                assert_eq!(local.fields["city"], "Edited On Server");
                assert_eq!(server.unwrap().fields["city"], "Edited On Server");
                // The delete is the device's discarded change: journaled, and a loss with its cause.
                assert!(journal.iter().any(
                    |e| e.kind == JournalKind::ServerWins && e.record_id.as_deref() == Some(id)
                ));
                assert_eq!(lost.len(), 1, "{lost:?}");
                assert_eq!(
                    (
                        lost[0].field.as_str(),
                        lost[0].value.as_str(),
                        lost[0].cause
                    ),
                    (DELETED_RECORD.0, DELETED_RECORD.1, LossCause::ServerWins)
                );
            }
            ConflictStrategy::DeviceWins | ConflictStrategy::DeviceWinsFull => {
                assert!(last.flags.succeeded(), "{last:?}");
                assert!(
                    local.is_none() && server.is_none(),
                    "{strategy:?}: deleted on the server too"
                );
                assert!(lost.is_empty(), "{lost:?}");
            }
            ConflictStrategy::Manual => {
                let conflicts = device.store().unresolved_conflicts().unwrap();
                assert_eq!(conflicts.len(), 1);
                assert_eq!(conflicts[0].kind, ConflictKind::DeletedOnDevice);
                assert_eq!(
                    conflicts[0].server.as_ref().unwrap().fields["city"],
                    "Edited On Server",
                    "the server's version to choose against"
                );
                assert!(local.is_none() && server.is_some(), "nothing decided yet");
                assert!(
                    lost.is_empty(),
                    "waiting for the user is not a loss: {lost:?}"
                );
                // Another download keeps the record gone and the item a device delete.
                world
                    .control
                    .edit("account", id, fields(&[("city", "Edited Again")]), None)
                    .await
                    .unwrap();
                sync(&device, Trigger::Manual).await;
                assert!(device.store().record("account", id).unwrap().is_none());
                let again = device.store().unresolved_conflicts().unwrap();
                assert_eq!(again[0].kind, ConflictKind::DeletedOnDevice);
                assert_eq!(
                    again[0].server.as_ref().unwrap().fields["city"],
                    "Edited Again"
                );
                // Clear Error & Retry (mine): the delete goes again, against what the user saw.
                device
                    .resolve(again[0].id, &UserResolution::RetryWithMine)
                    .unwrap();
                assert!(sync(&device, Trigger::Manual).await.flags.succeeded());
                assert!(world.server_record("account", id).await.is_none());
                assert!(device.store().record("account", id).unwrap().is_none());
                assert_eq!(device.store().pending_count().unwrap(), 0);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_device_delete_taken_back_restores_the_server_version() {
    let world = World::with_project(Some(&strategy_toml(ConflictStrategy::Manual))).await;
    let mut device = quiet_device(&world).await;
    let id = "acc-0007";
    assert!(saved(&device.delete("account", id).unwrap()));
    world
        .control
        .edit("account", id, fields(&[("city", "Kept By The User")]), None)
        .await
        .unwrap();
    sync(&device, Trigger::Manual).await;
    let conflict = device.store().unresolved_conflicts().unwrap()[0].clone();
    device
        .resolve(conflict.id, &UserResolution::TakeServer)
        .unwrap();
    assert_eq!(
        device
            .store()
            .record("account", id)
            .unwrap()
            .unwrap()
            .fields["city"],
        "Kept By The User"
    );
    assert_eq!(device.store().pending_count().unwrap(), 0);
    let lost = audit(&world, &device, &[("account", id)]).await;
    assert_eq!(lost.len(), 1, "the user gave up the delete: {lost:?}");
    assert_eq!(lost[0].cause, LossCause::DiscardedByUser);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_meeting_a_server_delete_is_a_success() {
    let world = World::new().await;
    let mut device = quiet_device(&world).await;
    let id = "acc-0008";
    assert!(saved(&device.delete("account", id).unwrap()));
    world.control.delete("account", id).await.unwrap();
    assert!(sync(&device, Trigger::Manual).await.flags.succeeded());
    assert_eq!(device.store().pending_count().unwrap(), 0);
    assert!(device.store().record("account", id).unwrap().is_none());
    assert!(audit(&world, &device, &[("account", id)]).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_after_an_update_whose_answer_was_lost_deletes_without_a_conflict() {
    // Server Wins (the default): a 412 mistaken for another's edit would bring the record back.
    let world = World::new().await;
    let mut device = quiet_device(&world).await;
    let id = "acc-0011";
    assert!(saved(
        &device
            .save(
                "account",
                id,
                &fields(&[("city", "Sent, Answer Lost")]),
                "Save button"
            )
            .unwrap()
    ));
    lose_every_batch_answer(&world, &device).await;
    assert_eq!(
        world.server_field("account", id, "city").await.as_deref(),
        Some("Sent, Answer Lost"),
        "the server has our update; its ETag moved with it"
    );
    assert!(saved(&device.delete("account", id).unwrap()));
    let last = sync(&device, Trigger::Manual).await;
    assert!(last.flags.succeeded(), "{last:?}");
    assert!(
        world.server_record("account", id).await.is_none(),
        "deleted"
    );
    assert!(device.store().record("account", id).unwrap().is_none());
    assert_eq!(device.store().pending_count().unwrap(), 0);
    let journal = device.store().journal(0, 100_000).unwrap();
    assert!(
        !journal
            .iter()
            .any(|e| e.kind == JournalKind::Conflict && e.record_id.as_deref() == Some(id)),
        "our own write is no conflict"
    );
    assert!(audit(&world, &device, &[("account", id)]).await.is_empty());
}

/// Waits for the next sync to finish (subscribed before the change that triggers it).
async fn next_finished(
    events: &mut tokio::sync::broadcast::Receiver<autosync::engine::EngineEvent>,
) {
    within("the on-change sync", async {
        loop {
            if let Ok(autosync::engine::EngineEvent::Finished(last)) = events.recv().await {
                assert!(last.flags.succeeded(), "{last:?}");
                return;
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_and_a_delete_are_data_changes_for_on_change() {
    let world = World::new().await;
    let mut device = quiet_device(&world).await;
    set_auto_sync(&mut device, autosync::settings::AutoSync::OnChange);
    let mut events = device.engine().subscribe();
    let (id, outcome) = device
        .create("account", &fields(&[("name", "On Change Ltd")]))
        .unwrap();
    assert!(saved(&outcome));
    next_finished(&mut events).await;
    assert!(world.server_record("account", &id).await.is_some());
    assert!(saved(&device.delete("account", &id).unwrap()));
    next_finished(&mut events).await;
    assert!(world.server_record("account", &id).await.is_none());
    assert_eq!(device.store().pending_count().unwrap(), 0);
}
