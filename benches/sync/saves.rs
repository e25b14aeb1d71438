//! Form saves under No action while the first sync writes: each goes through `Device::save`
//! (the save gate, then record + outbox + journal in one `BEGIN IMMEDIATE` transaction) and
//! waits for the download's write lock when a chunk holds it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use autosync::device::{Device, SaveOutcome};
use autosync::engine::Command;
use autosync::remote::Remote;
use autosync::rules::{SyncActivity, Trigger};
use autosync::settings::{AutoSync, BackgroundBehavior, SettingChange};
use autosync::wire::Fields;

use crate::world::{self, ENTITY, USER};

/// One save every this often, during the sync and idle.
const PACE: Duration = Duration::from_millis(10);
/// Saves measured with no sync running.
const IDLE_SAVES: usize = 300;
/// Records the saves rotate over: the seed contacts, the first the download writes.
const TARGETS: usize = 10;

pub struct Saves {
    /// Saves made while the first sync ran.
    pub during: Vec<Duration>,
    /// The longest wait for the sync's write lock among them (the store's own measure).
    pub max_lock_wait: Duration,
    /// The same saves with no sync running.
    pub idle: Vec<Duration>,
    /// The first sync, trigger to `Finished`, with the saves beside it.
    pub sync: Duration,
}

pub fn measure(server_dir: &Path, profile: &Path) -> Saves {
    world::runtime().block_on(async {
        let server = world::start_server(server_dir).await;
        world::new_profile(profile, server.url());
        let first_page = Remote::new(server.url(), USER, USER)
            .expect("remote")
            .page(ENTITY, None, None, TARGETS as u32)
            .await
            .expect("the first page");
        let ids: Vec<String> = first_page.records.into_iter().map(|r| r.id).collect();
        let client = world::start_client(profile);
        let behavior = client.effective().map(|e| e.background_sync_behavior);
        assert!(
            matches!(behavior, Ok(BackgroundBehavior::NoAction)),
            "the demo project saves under No action"
        );
        let mut events = client.engine().subscribe();
        let finished = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        client.engine().send(Command::Trigger(Trigger::Manual));
        let saver = {
            let (finished, ids) = (finished.clone(), ids.clone());
            tokio::task::spawn_blocking(move || save_during(client, &ids, &finished))
        };
        let (last, _, ended) = world::follow_sync(&mut events).await;
        finished.store(true, Ordering::SeqCst);
        assert!(
            last.error.is_none(),
            "the first sync failed: {:?}",
            last.error
        );
        let (mut client, during, max_lock_wait) = saver.await.expect("the saver");
        assert!(!during.is_empty(), "no save ran during the sync");
        // The saves queued a follow-up sync (On Change): let it upload them. Then keep further
        // saves from starting syncs, so the idle saves run with no sync at all.
        loop {
            world::follow_sync(&mut events).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            let status = client.engine().status();
            if status.activity == SyncActivity::Idle && !status.follow_up_queued {
                break;
            }
        }
        client
            .change_setting(SettingChange::AutoSync(AutoSync::OnStart))
            .expect("auto sync on start only");
        let idle = tokio::task::spawn_blocking(move || {
            let mut idle = Vec::with_capacity(IDLE_SAVES);
            for i in 0..IDLE_SAVES {
                let (took, _) = save(&mut client, &ids[i % ids.len()], format!("Idle {i}"));
                idle.push(took);
                std::thread::sleep(PACE);
            }
            client.engine().send(Command::Shutdown);
            idle
        })
        .await
        .expect("the idle saves");
        server.shutdown().await.expect("server shutdown");
        Saves {
            during,
            max_lock_wait,
            idle,
            sync: ended - started,
        }
    })
}

/// Saves every `PACE` from the moment the target records are on the device until the sync ends.
fn save_during(
    mut client: Device,
    ids: &[String],
    finished: &AtomicBool,
) -> (Device, Vec<Duration>, Duration) {
    while client
        .store()
        .record(ENTITY, &ids[ids.len() - 1])
        .expect("read")
        .is_none()
    {
        if finished.load(Ordering::SeqCst) {
            panic!("the sync ended before the records to edit arrived");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut took = Vec::new();
    let mut max_wait = Duration::ZERO;
    let mut i = 0;
    while !finished.load(Ordering::SeqCst) {
        let (t, waited) = save(&mut client, &ids[i % ids.len()], format!("During {i}"));
        took.push(t);
        max_wait = max_wait.max(waited);
        i += 1;
        std::thread::sleep(PACE);
    }
    (client, took, max_wait)
}

/// One form save; (how long it took, how long it waited for the write lock).
fn save(client: &mut Device, id: &str, job_title: String) -> (Duration, Duration) {
    let values: Fields = [("job_title".to_string(), job_title)].into();
    let started = Instant::now();
    let outcome = client.save(ENTITY, id, &values, "Save").expect("save");
    let took = started.elapsed();
    match outcome {
        SaveOutcome::Saved { report, .. } => (took, report.waited),
        other => panic!("the save did not save: {other:?}"),
    }
}
