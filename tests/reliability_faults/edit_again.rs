//! The answer to an upload is lost after the server committed it, the sync fails, and the user
//! edits the same record again before the next sync. The server's ETag moved with the device's
//! own write, so the next upload meets a `412` (an update) or a used `Idempotency-Key` (a
//! create); neither may cost the user's newer edit, and neither may leave it stuck.

use autosync::invariants::server_records;
use autosync::rules::Trigger;

use crate::bench::*;
use crate::engine_common::*;

/// Every answer to the upload batch is lost after the server committed it (more than the
/// retries): the sync fails with the server holding the device's write, and says why.
async fn lose_every_batch_answer(bench: &Bench) {
    let error = crate::engine_common::lose_every_batch_answer(&bench.world, &bench.device).await;
    assert!(
        error.contains("cut off or unreadable"),
        "the sync says why it failed: {error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_whose_answer_was_lost_then_edited_again_keeps_the_newer_edit() {
    let mut bench = Bench::new().await;
    let id = "acc-0001";
    bench.save(id, &[("city", "Lost Answer C1")]).unwrap();
    lose_every_batch_answer(&bench).await;
    assert_eq!(
        bench
            .world
            .server_field("account", id, "city")
            .await
            .as_deref(),
        Some("Lost Answer C1"),
        "the server committed the first edit; only its answers were lost"
    );
    // Nobody else touches the record: the user edits it again.
    bench.save(id, &[("city", "Edited Again C2")]).unwrap();
    bench.expect_edit(id, "city", "Edited Again C2");
    let since = bench.journal_end();
    let last = sync(&bench.device, Trigger::Manual).await;
    // Everything wrong, so that a failure below says why.
    let problems = bench.convergence_problems(since).await;
    assert_eq!(last.error, None, "the next sync succeeds: {problems:#?}");
    assert_eq!(
        bench
            .world
            .server_field("account", id, "city")
            .await
            .as_deref(),
        Some("Edited Again C2"),
        "the server has the newer edit: {problems:#?}"
    );
    let local = bench.device.store().record("account", id).unwrap().unwrap();
    assert_eq!(
        local.fields["city"], "Edited Again C2",
        "so does the device: {problems:#?}"
    );
    let status = bench.device.engine().status();
    assert_eq!(
        (status.pending_uploads, status.unresolved_conflicts),
        (0, 0),
        "nothing pending, no sync error: {status:?}"
    );
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_answer_was_lost_then_edited_is_created_once_with_the_edit() {
    let mut bench = Bench::new().await;
    let name = "Lost Answer Create Ltd";
    let (id, outcome) = bench
        .device
        .create(
            "account",
            &fields(&[("name", name), ("credit_limit", "1000")]),
        )
        .unwrap();
    assert!(saved(&outcome), "{outcome:?}");
    bench.creates.push((id.clone(), name.to_string()));
    lose_every_batch_answer(&bench).await;
    assert!(
        bench.world.server_record("account", &id).await.is_some(),
        "the server committed the create; only its answers were lost"
    );
    bench
        .save(&id, &[("city", "Edited After The Loss")])
        .unwrap();
    bench.expect_edit(&id, "city", "Edited After The Loss");
    let since = bench.journal_end();
    let last = sync(&bench.device, Trigger::Manual).await;
    // Everything wrong, so that a failure below says why.
    let problems = bench.convergence_problems(since).await;
    assert_eq!(last.error, None, "the next sync succeeds: {problems:#?}");
    let accounts = server_records(&bench.world.remote(), "account")
        .await
        .unwrap();
    let copies: Vec<_> = accounts
        .values()
        .filter(|r| r.fields.get("name").map(String::as_str) == Some(name))
        .collect();
    assert_eq!(copies.len(), 1, "created exactly once: {copies:#?}");
    assert_eq!(copies[0].id, id);
    assert_eq!(
        copies[0].fields.get("city").map(String::as_str),
        Some("Edited After The Loss"),
        "with the edit: {problems:#?}"
    );
    let status = bench.device.engine().status();
    assert_eq!(
        (status.pending_uploads, status.unresolved_conflicts),
        (0, 0),
        "nothing pending, no sync error: {status:?}"
    );
    assert!(problems.is_empty(), "{problems:#?}");
}
