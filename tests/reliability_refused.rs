//! A refused operation is visible (issue 9, item 3): any operation the server refuses with a
//! 4xx other than 401 and 412 appears under Sync Errors with the server's problem detail and the
//! user's choices, and counts on Home; it never stays pending with no sign of it.
//!
//! The demo server refuses a credit limit that is no number (`400 invalid-field`, detail
//! "field `credit_limit`: `lots` is not a number"); the device saves it without checking, as a
//! form with a text box would.
//!
//! The Sync Errors item's kind (`ConflictKind::RefusedByServer`) and its `problem` (the server's
//! detail) are read through the item's serialized form, so this file compiles before and after
//! they are added to `Conflict`.

mod engine_common;

use autosync::device::Device;
use autosync::rules::{SyncActivity, Trigger};
use autosync::settings::AutoSync;
use autosync::store::{Conflict, ConflictKind, UserResolution};
use engine_common::*;

const ID: &str = "acc-0001";
/// What the server's problem detail says about the refused value.
const DETAIL: &str = "field `credit_limit`: `lots` is not a number";

/// A device whose edit of [`ID`] the server refused, and the Sync Errors item for it.
async fn refused_edit(world: &World) -> (Device, Conflict) {
    let mut device = world.device("d");
    set_auto_sync(&mut device, AutoSync::Never);
    assert_eq!(sync(&device, Trigger::Manual).await.error, None);
    let outcome = device
        .save(
            "account",
            ID,
            &fields(&[("credit_limit", "lots")]),
            "Save button",
        )
        .unwrap();
    assert!(saved(&outcome), "{outcome:?}");
    let last = sync(&device, Trigger::Manual).await;
    assert!(
        last.flags.data_errors,
        "the sync ended with data errors: {last:?}"
    );
    let store = device.store();
    let conflicts = store.unresolved_conflicts().unwrap();
    let item = conflicts
        .iter()
        .find(|c| c.entity == "account" && c.record_id == ID)
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "the refused operation is not under Sync Errors (unresolved: {conflicts:?}); refused and left pending: {:?}; pending records: {}",
                store.rejected_ops().unwrap(),
                store.pending_count().unwrap()
            )
        });
    assert_eq!(item.kind, ConflictKind::RefusedByServer, "{item:?}");
    let problem = item.problem.as_deref().unwrap_or_default();
    assert!(
        problem.contains(DETAIL),
        "the item carries the server's problem detail: {item:?}"
    );
    assert_eq!(
        item.device_changes.get("credit_limit").map(String::as_str),
        Some("lots")
    );
    let status = device.engine().status();
    assert_eq!(status.unresolved_conflicts, 1, "Home counts one sync error");
    assert_eq!(store.unresolved_count().unwrap(), 1);
    (device, item)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_edit_is_a_sync_error_with_the_problem_and_ignore_clears_it() {
    let world = World::new().await;
    let (mut device, item) = refused_edit(&world).await;
    device.resolve(item.id, &UserResolution::Ignore).unwrap();
    let status = until(&device, "the recount", |s| {
        s.unresolved_conflicts == 0 && s.pending_uploads == 0
    })
    .await;
    assert_eq!(status.activity, SyncActivity::Idle);
    assert_eq!(
        device.store().pending_count().unwrap(),
        0,
        "nothing pending"
    );
    // The next sync does not send it again, so nothing is refused again.
    let last = sync(&device, Trigger::Manual).await;
    assert_eq!(last.error, None);
    assert!(!last.flags.data_errors, "{last:?}");
    assert_eq!(device.store().unresolved_count().unwrap(), 0);
    assert!(device.store().rejected_ops().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_edit_resolved_with_take_server_version_restores_the_servers_values() {
    let world = World::new().await;
    let (mut device, item) = refused_edit(&world).await;
    let server = world.server_record("account", ID).await.unwrap();
    assert_ne!(server.fields["credit_limit"], "lots");
    device
        .resolve(item.id, &UserResolution::TakeServer)
        .unwrap();
    until(&device, "the recount", |s| {
        s.unresolved_conflicts == 0 && s.pending_uploads == 0
    })
    .await;
    let local = device.store().record("account", ID).unwrap();
    assert_eq!(
        local.as_ref().map(|r| &r.fields),
        Some(&server.fields),
        "the device has the server's values again"
    );
    assert_eq!(local.unwrap().etag.as_deref(), Some(server.etag.as_str()));
    assert_eq!(
        device.store().pending_count().unwrap(),
        0,
        "nothing pending"
    );
    let last = sync(&device, Trigger::Manual).await;
    assert_eq!(last.error, None);
    assert!(!last.flags.data_errors, "{last:?}");
    let local = device.store().record("account", ID).unwrap().unwrap();
    assert_eq!(local.fields, server.fields);
}
