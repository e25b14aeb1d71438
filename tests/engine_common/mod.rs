//! A world for engine tests: the real demo server on an ephemeral loopback port, real SQLite
//! profiles in a temporary directory, one frozen virtual clock shared by all.
#![allow(dead_code)]

use std::time::Duration;

use autosync::clock::Clock;
use autosync::control::Control;
use autosync::device::{Device, SaveOutcome, init_profile};
use autosync::engine::{Command, EngineEvent};
use autosync::remote::Remote;
use autosync::rules::{Phase, SyncActivity, Trigger};
use autosync::server::{EmbeddedServer, start_embedded};
use autosync::settings::{BackgroundBehavior, SettingChange};
use autosync::store::{LastSync, Store};
use autosync::wire::{Fields, Record};
use chrono::DateTime;

/// Long enough for anything these tests wait for; a hang fails instead of blocking CI.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// The frozen time every world starts at.
pub const T0: &str = "2026-11-26T09:00:00Z";

pub struct World {
    /// First, so it checks before the directory goes.
    pub counts: KeptCounts,
    pub dir: tempfile::TempDir,
    pub server: EmbeddedServer,
    pub clock: Clock,
    pub control: Control,
}

impl World {
    pub async fn new() -> World {
        Self::with_project(None).await
    }

    /// A world whose server publishes `project_toml` before any device syncs.
    pub async fn with_project(project_toml: Option<&str>) -> World {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::frozen(DateTime::parse_from_rfc3339(T0).unwrap().to_utc());
        let server = start_embedded(
            &dir.path().join("server"),
            clock.clone(),
            Some("test-admin-token".into()),
        )
        .await
        .unwrap();
        let control = Control::new(server.url(), server.admin_token());
        if let Some(toml) = project_toml {
            control.publish_toml(toml).await.unwrap();
        }
        World {
            counts: KeptCounts(dir.path().to_path_buf()),
            dir,
            server,
            clock,
            control,
        }
    }

    /// A device profile `name` signed in as demo/demo; its engine checks the interval only
    /// when told (`Command::Tick`), so tests decide when time passes.
    pub fn device(&self, name: &str) -> Device {
        let path = self.dir.path().join(format!("{name}.db"));
        let mut store = Store::open(&path).unwrap();
        init_profile(&mut store, self.server.url(), "demo", Some("demo")).unwrap();
        drop(store);
        Device::start(&path, self.clock.clone(), |c| {
            c.tick = Duration::from_secs(3600)
        })
        .unwrap()
    }

    pub fn remote(&self) -> Remote {
        Remote::new(self.server.url(), "demo", "demo").unwrap()
    }

    pub async fn server_record(&self, entity: &str, id: &str) -> Option<Record> {
        self.remote().record(entity, id).await.unwrap()
    }

    pub async fn server_field(&self, entity: &str, id: &str, field: &str) -> Option<String> {
        self.server_record(entity, id)
            .await
            .and_then(|r| r.fields.get(field).cloned())
    }
}

/// Checks, when dropped after a test that passed, that every device profile in its directory
/// keeps its record counts ([`Store::count`]) equal to its rows, whatever the test did:
/// creates, deletes, downloads, conflicts, reconciles.
pub struct KeptCounts(pub std::path::PathBuf);

impl Drop for KeptCounts {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        // A test that removed its directory left nothing to check.
        let Ok(entries) = std::fs::read_dir(&self.0) else {
            return;
        };
        let profiles = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "db"));
        for profile in profiles {
            let store = Store::open(&profile).unwrap();
            assert_eq!(
                store.count_mismatches().unwrap(),
                [],
                "{}: the kept record counts are the rows' counts",
                profile.display()
            );
        }
    }
}

pub fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, f)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Every answer to the upload batch is lost after the server committed it (more than the
/// sync's retries): the sync fails with the server holding the device's write. Returns why the
/// sync said it failed.
pub async fn lose_every_batch_answer(world: &World, device: &Device) -> String {
    world
        .control
        .fault(
            Some("POST"),
            Some("/api/v1/batch"),
            10,
            autosync::wire::Fault::DropAfterCommit,
        )
        .await
        .unwrap();
    let failed = sync(device, Trigger::Manual).await;
    world.control.clear_faults().await.unwrap();
    failed
        .error
        .expect("every answer lost: the sync fails after its retries")
}

/// Sends `trigger` and waits for the sync it starts to finish.
pub async fn sync(device: &Device, trigger: Trigger) -> LastSync {
    let mut events = device.engine().subscribe();
    device.engine().send(Command::Trigger(trigger));
    let last = within("the sync to finish", async {
        loop {
            if let Ok(EngineEvent::Finished(last)) = events.recv().await {
                return last;
            }
        }
    })
    .await;
    within(
        "the engine to be idle",
        device
            .engine()
            .wait_for(|s| s.activity == SyncActivity::Idle),
    )
    .await;
    last
}

/// Waits for the engine's status to satisfy `predicate`.
pub async fn until(
    device: &Device,
    what: &str,
    predicate: impl Fn(&autosync::engine::SyncStatus) -> bool,
) -> autosync::engine::SyncStatus {
    within(what, device.engine().wait_for(predicate)).await
}

/// Waits until the sync is in its Upload phase with the phase's total counted: its batches are
/// on their way to the server.
pub async fn until_upload_in_flight(device: &Device) {
    until(device, "the upload in flight", |s| {
        matches!(
            s.activity,
            SyncActivity::Running {
                phase: Phase::Upload,
                ..
            }
        ) && s.phase(Phase::Upload).is_some_and(|p| p.total.is_some())
    })
    .await;
}

pub fn set_behavior_toml(behavior: BackgroundBehavior) -> String {
    let name = format!("{behavior:?}");
    autosync::assets::PROJECT_V1.1.replace(
        "background_sync_behavior = \"NoAction\"",
        &format!("background_sync_behavior = \"{name}\""),
    )
}

pub fn set_auto_sync(device: &mut Device, value: autosync::settings::AutoSync) {
    device
        .change_setting(SettingChange::AutoSync(value))
        .unwrap();
}

pub fn saved(outcome: &SaveOutcome) -> bool {
    matches!(outcome, SaveOutcome::Saved { .. })
}
