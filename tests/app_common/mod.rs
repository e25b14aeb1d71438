//! A world for App-core tests: the real demo server on an ephemeral loopback port, a real
//! client profile in a temporary directory, one frozen virtual clock, and the App driven the
//! way the TUI drives it (actions in, effects run, engine status and events fed back).
#![allow(dead_code)]

use std::time::Duration;

use autosync::app::{Action, App, Effect};
use autosync::clock::Clock;
use autosync::control::Control;
use autosync::device::{Device, init_profile};
use autosync::driver::Driver;
use autosync::engine::{Command, EngineEvent};
use autosync::rules::{Phase, SyncActivity, Trigger};
use autosync::server::EmbeddedServer;
use autosync::settings::{AutoSync, SettingChange};
use autosync::store::Store;
use autosync::wire::{Fault, Fields};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[path = "../engine_common/mod.rs"]
mod engine_common;
pub mod fixture;

use engine_common::{KeptCounts, World};

/// Long enough for anything these tests wait for; a hang fails instead of blocking CI.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// The frozen time every test starts at.
pub const T0: &str = engine_common::T0;

pub struct Harness {
    /// First, so it checks the profile's record counts before the directory goes.
    _counts: KeptCounts,
    pub dir: tempfile::TempDir,
    pub server: EmbeddedServer,
    pub clock: Clock,
    pub control: Control,
    pub app: App,
    driver: Driver,
}

/// How the device is prepared before the App starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prep {
    /// A new profile: the App's on-start trigger makes the first sync.
    Fresh,
    /// Synchronized once (manual, at T0) with Auto Sync Never: nothing syncs on its own.
    SyncedQuiet,
    /// Synchronized once (manual, at T0), Auto Sync left as published.
    Synced,
    /// Never synchronized, Auto Sync Never: no project, no records yet.
    Empty,
}

impl Harness {
    pub async fn new(prep: Prep) -> Harness {
        Self::with_project(None, prep).await
    }

    /// A harness whose server publishes `project_toml` before the device first syncs.
    pub async fn with_project(project_toml: Option<&str>, prep: Prep) -> Harness {
        Self::build(project_toml, prep, true).await
    }

    /// The App without a control API, as with an external `--server`.
    pub async fn external(prep: Prep) -> Harness {
        Self::build(None, prep, false).await
    }

    async fn build(project_toml: Option<&str>, prep: Prep, with_control: bool) -> Harness {
        let World {
            counts,
            dir,
            server,
            clock,
            control,
        } = World::with_project(project_toml).await;
        let path = autosync::device::profile_path(dir.path());
        let mut store = Store::open(&path).unwrap();
        init_profile(&mut store, server.url(), "demo", Some("demo")).unwrap();
        drop(store);
        let mut client =
            Device::start(&path, clock.clone(), |c| c.tick = Duration::from_secs(3600)).unwrap();
        if matches!(prep, Prep::SyncedQuiet | Prep::Empty) {
            client
                .change_setting(SettingChange::AutoSync(AutoSync::Never))
                .unwrap();
        }
        if matches!(prep, Prep::Synced | Prep::SyncedQuiet) {
            sync_client(&client).await;
        }
        let app_control = with_control.then(|| control.clone());
        let (driver, mut app) = Driver::start(client, app_control, clock.clone());
        app.set_custom_step(Duration::from_millis(20));
        let mut harness = Harness {
            _counts: counts,
            dir,
            server,
            clock,
            control,
            app,
            driver,
        };
        harness
            .until("the on-start decision", |app| {
                matches!(
                    app.status().last_decision,
                    Some(autosync::rules::Decision::OnStart(_))
                )
            })
            .await;
        if prep == Prep::Fresh {
            harness
                .until("the first sync to fill the device", |app| {
                    app.counts().iter().any(|c| c.count > 0)
                        && app.status().activity == SyncActivity::Idle
                })
                .await;
        }
        harness
    }

    /// Applies an action and runs its effects inline, to the end, as the scenario runner does.
    pub async fn act(&mut self, action: Action) {
        tokio::time::timeout(DEADLINE, self.driver.act(&mut self.app, action))
            .await
            .expect("an effect hung");
        self.pump().await;
    }

    /// Runs one effect the App returned, as the driver does, and returns its answer.
    pub async fn perform(&mut self, effect: Effect) -> Action {
        tokio::time::timeout(DEADLINE, self.driver.perform(effect))
            .await
            .expect("an effect hung")
    }

    /// Applies an action and its steps on the device, as the TUI does before its next frame;
    /// returns the effects that wait on the world (a timer, the network) and `Quit`, not run.
    pub fn apply_local(&mut self, action: Action) -> Vec<Effect> {
        self.driver.apply_local(&mut self.app, action)
    }

    /// Syncs that ended since the App started (engine `Finished` events handed to it).
    pub fn finished(&self) -> usize {
        self.driver.finished()
    }

    /// Several actions in order.
    pub async fn acts(&mut self, actions: impl IntoIterator<Item = Action>) {
        for action in actions {
            self.act(action).await;
        }
    }

    /// Opens the form of record `id` of `entity`.
    pub async fn open_record(&mut self, entity: &str, id: impl Into<String>) {
        self.act(Action::OpenRecord {
            entity: entity.into(),
            id: id.into(),
        })
        .await;
    }

    /// Sets `field` of the open form to `value` (not saved).
    pub async fn edit(&mut self, field: &str, value: impl Into<String>) {
        self.act(Action::EditField {
            field: field.into(),
            value: value.into(),
        })
        .await;
    }

    /// The server answers the next request of `method` on `path` `ms` late: the sync that
    /// makes it stays that long in its phase.
    pub async fn slow_next(&self, method: &str, path: &str, ms: u64) {
        self.control
            .fault(Some(method), Some(path), 1, Fault::Latency { ms })
            .await
            .unwrap();
    }

    /// Presses Sync and waits until that sync runs `phase`; returns the syncs ended before it
    /// (for [`Harness::until_synced`]).
    pub async fn press_sync_until(&mut self, phase: Phase) -> usize {
        let before = self.finished();
        self.act(Action::PressSync).await;
        self.until(&format!("the {phase:?} phase"), |app| {
            matches!(app.status().activity, SyncActivity::Running { phase: p, .. } if p == phase)
        })
        .await;
        before
    }

    /// Types text into the focused input, key by key, as the TUI would.
    pub async fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.act(Action::Input(key(KeyCode::Char(c)))).await;
        }
    }

    /// Feeds the engine's pending events and its latest status to the App.
    pub async fn pump(&mut self) {
        self.driver.pump(&mut self.app).await;
    }

    /// Pumps until the App satisfies `predicate`.
    pub async fn until(&mut self, what: &str, predicate: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            self.pump().await;
            if predicate(&self.app) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until the engine is idle and everything it said has reached the App.
    pub async fn idle(&mut self) {
        self.until("the engine to be idle", |app| {
            app.status().activity == SyncActivity::Idle
        })
        .await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.pump().await;
    }

    /// Presses Sync and waits for that sync to end.
    pub async fn sync(&mut self) {
        let before = self.finished();
        self.act(Action::PressSync).await;
        self.until_synced(before).await;
    }

    /// Waits until a sync ended after `before` syncs had, and the engine is idle.
    pub async fn until_synced(&mut self, before: usize) {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        while self.finished() <= before {
            self.pump().await;
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for a sync to finish"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.idle().await;
    }

    /// The device the App drives (its store, its engine, its UI gate).
    pub fn device(&self) -> &Device {
        self.driver.device()
    }

    pub fn store(&self) -> &Store {
        self.driver.device().store()
    }

    pub fn message(&self) -> String {
        self.app
            .message()
            .map(|m| m.text.clone())
            .unwrap_or_default()
    }

    pub fn server_url(&self) -> String {
        self.server.url().to_string()
    }
}

/// One manual sync of a client, before it belongs to an App.
pub async fn sync_client(client: &Device) {
    let mut events = client.engine().subscribe();
    client.engine().send(Command::Trigger(Trigger::Manual));
    tokio::time::timeout(DEADLINE, async {
        loop {
            if let Ok(EngineEvent::Finished(_)) = events.recv().await {
                return;
            }
        }
    })
    .await
    .expect("the first sync");
    tokio::time::timeout(
        DEADLINE,
        client
            .engine()
            .wait_for(|s| s.activity == SyncActivity::Idle),
    )
    .await
    .unwrap();
}

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Project v1 with a different value for one configuration line.
pub fn project_with(from: &str, to: &str) -> String {
    let toml = autosync::assets::PROJECT_V1.1;
    assert!(toml.contains(from), "project v1 has no `{from}`");
    toml.replace(from, to)
}

/// The edit that makes a Manual Action conflict on contact `id`: the device changes its job
/// title, the server (backoffice) changes the job title and the email.
pub async fn make_contact_conflict(h: &mut Harness, id: &str) {
    h.open_record("contact", id).await;
    h.edit("job_title", "Device Title").await;
    h.act(Action::Save).await;
    h.act(Action::Back).await;
    h.control
        .edit(
            "contact",
            id,
            fields(&[
                ("job_title", "Server Title"),
                ("email", "server@example.com"),
            ]),
            None,
        )
        .await
        .unwrap();
    h.sync().await;
}
