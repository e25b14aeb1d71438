//! The kills: every phase and the saves, for both children, a few profiles at a time; and the
//! position check itself caught failing.

use std::time::Instant;

use crate::engine_common::*;
use autosync::invariants::check_positions;
use autosync::rules::Phase;
use autosync::store::Store;

use super::lane::*;
use super::*;

const TARGETS: [KillAt; 8] = [
    KillAt::Saves(0),
    KillAt::Phase(Phase::Connect),
    KillAt::Phase(Phase::Customization),
    KillAt::Phase(Phase::Upload),
    KillAt::Phase(Phase::Download),
    KillAt::Phase(Phase::Attachments),
    KillAt::Phase(Phase::CloudDocuments),
    KillAt::Phase(Phase::Emails),
];

/// Which child a test kills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    EditingSession,
    AutosyncSync,
}

/// Runs `runs` kills on each of [`LANES`] profiles at once; returns (kills, killed in time).
async fn lanes(kind: Kind, runs: u64, target: fn(u64) -> KillAt) -> (u64, u64, Stats) {
    let mut handles = Vec::new();
    for lane_no in 0..LANES as u64 {
        handles.push(tokio::spawn(async move {
            let mut lane = Lane::new().await;
            let mut hits = 0;
            for i in 0..runs {
                let run = lane_no * 10_000 + i;
                let at = target(i);
                let hit = match kind {
                    Kind::EditingSession => lane.kill_editing_session(run, at).await,
                    Kind::AutosyncSync => lane.kill_autosync_sync(run, at).await,
                };
                hits += u64::from(hit);
            }
            (hits, lane.stats)
        }));
    }
    let (mut hits, mut stats) = (0, Stats::default());
    for h in handles {
        let (h, s) = h.await.unwrap();
        hits += h;
        stats += s;
    }
    (runs * LANES as u64, hits, stats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_session_killed_during_saves_and_every_phase_loses_no_acknowledged_save() {
    let runs = if long() { 160 } else { 16 };
    let started = Instant::now();
    let (kills, hits, stats) = lanes(Kind::EditingSession, runs, |i| {
        match TARGETS[(i % 8) as usize] {
            KillAt::Saves(_) => KillAt::Saves(1 + (i as u32 * 7) % 12),
            other => other,
        }
    })
    .await;
    eprintln!(
        "{kills} editing sessions killed ({hits} while running at the target) in {:.1} s: {stats:?}",
        started.elapsed().as_secs_f64()
    );
    assert!(
        hits * 4 >= kills * 3,
        "most kills land at their target: {hits}/{kills}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autosync_sync_killed_in_every_phase_resumes_and_converges() {
    let runs = if long() { 100 } else { 10 };
    let started = Instant::now();
    let (kills, hits, stats) =
        lanes(Kind::AutosyncSync, runs, |i| TARGETS[1 + (i % 7) as usize]).await;
    eprintln!(
        "{kills} autosync sync runs killed ({hits} while running at the target) in {:.1} s: {stats:?}",
        started.elapsed().as_secs_f64()
    );
    assert!(
        hits * 4 >= kills * 3,
        "most kills land at their target: {hits}/{kills}"
    );
    assert!(
        stats.downloads_cut > 0,
        "some kills cut a download: {stats:?}"
    );
}

/// The position check itself catches a delta token ahead of its data: a device that stores the
/// server's newest token without the change it stands for fails it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_position_check_catches_a_token_ahead_of_its_data() {
    let lane = Lane::new().await;
    let remote = lane.world.remote();
    check_positions(&lane.profile, &remote).await.unwrap();
    lane.world
        .control
        .edit("account", "acc-0009", fields(&[("city", "Ahead")]), None)
        .await
        .unwrap();
    let mut page = remote.page("account", None, None, 5000).await.unwrap();
    while let Some(next) = page.next.clone() {
        page = remote
            .page("account", None, Some(&next), 5000)
            .await
            .unwrap();
    }
    let token = page.delta_token.unwrap();
    let mut store = Store::open(&lane.profile).unwrap();
    store
        .apply_chunk::<autosync::wire::Record>(
            "account",
            &[],
            &[],
            &autosync::store::PageEnd::Complete(token),
            0,
            autosync::rules::ConcurrentEdit::Overwritten,
            lane.world.clock.now(),
        )
        .unwrap();
    drop(store);
    let error = check_positions(&lane.profile, &remote).await.unwrap_err();
    assert!(error.contains("account acc-0009"), "{error}");
}
