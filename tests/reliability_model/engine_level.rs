//! Engine level: the real engine, the real demo server, the real business-logic delay.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::engine_common::*;
use autosync::auditor::{self, LossCause};
use autosync::device::SaveOutcome;
use autosync::engine::{Command, EngineEvent};
use autosync::rules::{SyncActivity, Trigger};
use autosync::settings::{AutoSync, BackgroundBehavior};
use autosync::wire::Fields;
use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, TestCaseError, TestRunner};

use super::*;

static ENGINE_CASES_WITH_LOSSES: AtomicUsize = AtomicUsize::new(0);

const ENGINE_RECORDS: [&str; 4] = ["acc-0001", "acc-0002", "acc-0003", "acc-0004"];

/// One engine-level case: saves before the sync (`city`, they make the upload), server edits
/// before the sync on other records (`email`, the download brings them), and saves while the
/// upload is held open by the server's business-logic delay (`phone`).
#[derive(Debug, Clone)]
struct EngineCase {
    behavior: BackgroundBehavior,
    before: BTreeSet<usize>,
    server: BTreeSet<usize>,
    during: BTreeSet<usize>,
}

fn engine_case() -> impl Strategy<Value = EngineCase> {
    let set = |min| proptest::collection::btree_set(0..ENGINE_RECORDS.len(), min..=3);
    (behavior(), set(1), set(0), set(1)).prop_map(|(behavior, before, server, during)| {
        let server = server.difference(&before).copied().collect();
        EngineCase {
            behavior,
            before,
            server,
            during,
        }
    })
}

async fn check_engine_case(case: &EngineCase) -> Result<(), TestCaseError> {
    let world = World::with_project(Some(&set_behavior_toml(case.behavior))).await;
    let mut device = world.device("d");
    set_auto_sync(&mut device, AutoSync::Never);
    sync(&device, Trigger::Manual).await;
    for &r in &case.before {
        let outcome = device
            .save(
                ENTITY,
                ENGINE_RECORDS[r],
                &fields(&[("city", &format!("before-{r}"))]),
                "Save button",
            )
            .unwrap();
        prop_assert!(saved(&outcome), "{:?}", outcome);
    }
    for &r in &case.server {
        world
            .control
            .edit(
                ENTITY,
                ENGINE_RECORDS[r],
                fields(&[("email", &format!("server-{r}@example.com"))]),
                None,
            )
            .await
            .unwrap();
    }
    // Each uploaded record holds the server's write open this long: the save lands inside.
    world.control.set_delay(ENTITY, 150).await.unwrap();
    // Subscribed before the trigger: this sync's own Finished event is awaited below, so the
    // quiet sync after it cannot mistake a late Finished of this one for its own.
    let mut events = device.engine().subscribe();
    device.engine().send(Command::Trigger(Trigger::Manual));
    until_upload_in_flight(&device).await;
    let mut saved_during = BTreeSet::new();
    for &r in &case.during {
        let outcome = device
            .save(
                ENTITY,
                ENGINE_RECORDS[r],
                &fields(&[("phone", &format!("+1 555 010 {r:04}"))]),
                "Save button",
            )
            .unwrap();
        match (&outcome, case.behavior) {
            (
                SaveOutcome::Saved { .. },
                BackgroundBehavior::NoAction | BackgroundBehavior::Rebase,
            ) => {
                saved_during.insert(r);
            }
            (
                SaveOutcome::Refused(_),
                BackgroundBehavior::BlockSave | BackgroundBehavior::BlockSaveAndDeferSync,
            ) => {}
            _ => prop_assert!(false, "{:?}: {:?}", case.behavior, outcome),
        }
    }
    within("the sync to finish", async {
        loop {
            if let Ok(EngineEvent::Finished(_)) = events.recv().await {
                return;
            }
        }
    })
    .await;
    until(&device, "the engine to be idle", |s| {
        s.activity == SyncActivity::Idle
    })
    .await;
    world.control.set_delay(ENTITY, 0).await.unwrap();
    // The reference model: under No action an edit saved during the sync is lost when the sync
    // then writes its record: the upload's answer (records saved before) or the download
    // (records edited on the server). Nothing else is lost, under any behavior.
    let written: BTreeSet<usize> = case.before.union(&case.server).copied().collect();
    let expected: BTreeSet<(String, String, String)> =
        if case.behavior == BackgroundBehavior::NoAction {
            saved_during
                .intersection(&written)
                .map(|&r| {
                    (
                        ENGINE_RECORDS[r].to_string(),
                        "phone".to_string(),
                        format!("+1 555 010 {r:04}"),
                    )
                })
                .collect()
        } else {
            BTreeSet::new()
        };
    // A quiet sync uploads whatever is still pending (the rebased edits).
    sync(&device, Trigger::Manual).await;
    let mut server: BTreeMap<String, Fields> = BTreeMap::new();
    for id in ENGINE_RECORDS {
        if let Some(r) = world.server_record(ENTITY, id).await {
            server.insert(id.to_string(), r.fields);
        }
    }
    let lost = auditor::audit(device.store(), |_, id| server.get(id).cloned()).unwrap();
    let reported: BTreeSet<(String, String, String)> = lost
        .iter()
        .map(|l| (l.id.clone(), l.field.clone(), l.value.clone()))
        .collect();
    for l in &lost {
        prop_assert_eq!(l.cause, LossCause::OverwrittenBySync, "{:?}", l);
    }
    prop_assert_eq!(&reported, &expected, "{:?}", case);
    if !expected.is_empty() {
        ENGINE_CASES_WITH_LOSSES.fetch_add(1, Ordering::Relaxed);
    }
    prop_assert_eq!(device.store().pending_count().unwrap(), 0);
    for id in ENGINE_RECORDS {
        let local = device.store().record(ENTITY, id).unwrap().unwrap();
        prop_assert_eq!(&local.fields, &server[id], "{}: device equals server", id);
    }
    Ok(())
}

#[test]
fn engine_level_every_behavior_matches_the_reference_model() {
    let cases = if long() { 128 } else { 32 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(PropConfig {
        cases,
        failure_persistence: None,
        max_shrink_iters: 16,
        ..PropConfig::default()
    });
    let started = std::time::Instant::now();
    runner
        .run(&engine_case(), |case| rt.block_on(check_engine_case(&case)))
        .unwrap();
    let with_losses = ENGINE_CASES_WITH_LOSSES.load(Ordering::Relaxed);
    eprintln!(
        "{cases} engine cases in {:?}, {with_losses} where No action lost edits",
        started.elapsed()
    );
    assert!(with_losses >= 1, "the generator must reach the race");
    assert!(started.elapsed() < Duration::from_secs(if long() { 600 } else { 90 }));
}
