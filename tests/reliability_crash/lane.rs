//! The parent's lane: one server and one profile, the child killed at a chosen point and
//! restarted again and again, and the checks after each kill.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;

use crate::engine_common::*;
use autosync::device::{Device, init_profile};
use autosync::engine::Command;
use autosync::invariants::{
    check_positions, device_records, differences, server_records, sync_once,
};
use autosync::rules::Phase;
use autosync::settings::BackgroundBehavior;
use autosync::store::Store;
use autosync::wire::Fault;
use rand::Rng;

use super::*;

/// One server and one profile, killed and restarted again and again.
pub(super) struct Lane {
    pub(super) world: World,
    pub(super) data_dir: PathBuf,
    pub(super) profile: PathBuf,
    /// Fields and creates acknowledged so far: (id, field) → value, and (id, name).
    pub(super) acked: BTreeMap<(String, String), String>,
    pub(super) created: Vec<(String, String)>,
    /// The save the last kill cut off before it was acknowledged: it may or may not have been
    /// committed, so the server may have its value instead of the acknowledged one.
    pub(super) cut_off: Option<((String, String), String)>,
    pub(super) stats: Stats,
}

/// What the kills interrupted, for the test's summary line.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Stats {
    pub(super) acked_saves: u64,
    pub(super) pending_at_kill: u64,
    pub(super) downloads_cut: u64,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.acked_saves += o.acked_saves;
        self.pending_at_kill += o.pending_at_kill;
        self.downloads_cut += o.downloads_cut;
    }
}

impl Lane {
    pub(super) async fn new() -> Lane {
        let world = World::with_project(Some(&set_behavior_toml(BackgroundBehavior::Rebase))).await;
        let data_dir = world.dir.path().join("cli");
        let profile = autosync::device::profile_path(&data_dir);
        let mut store = Store::open(&profile).unwrap();
        init_profile(&mut store, world.server.url(), "demo", Some("demo")).unwrap();
        drop(store);
        let lane = Lane {
            world,
            data_dir,
            profile,
            acked: BTreeMap::new(),
            created: Vec::new(),
            cut_off: None,
            stats: Stats::default(),
        };
        lane.restart_and_sync("the first sync").await;
        lane
    }

    /// Every answer 15–25 ms late, so each phase lasts long enough to be hit.
    pub(super) async fn slow_server(&self) {
        let ms = rand::rng().random_range(15..=25);
        self.world
            .control
            .fault(None, Some("/api/"), 100_000, Fault::Latency { ms })
            .await
            .unwrap();
    }

    /// Restarts the client on the profile and syncs until nothing is pending.
    pub(super) async fn restart_and_sync(&self, context: &str) {
        let client = Device::start(&self.profile, self.world.clock.clone(), |c| {
            c.tick = Duration::from_secs(3600)
        })
        .unwrap();
        for attempt in 1..=3 {
            let last = within("the sync after the restart", sync_once(client.engine())).await;
            assert_eq!(last.error, None, "{context}: the next sync completes");
            if client.store().pending_count().unwrap() == 0 {
                break;
            }
            assert!(attempt < 3, "{context}: still pending after 3 syncs");
        }
        client.engine().send(Command::Shutdown);
    }

    /// The checks after a kill.
    pub(super) async fn after_kill(&mut self, context: &str) {
        {
            let store = Store::open(&self.profile).unwrap();
            assert_eq!(
                store.integrity_check().unwrap(),
                "ok",
                "{context}: integrity"
            );
            assert_eq!(
                store.count_mismatches().unwrap(),
                [],
                "{context}: the kept record counts are the rows' counts"
            );
            if store.pending_count().unwrap() > 0 {
                self.stats.pending_at_kill += 1;
            }
            if ["account", "contact"]
                .iter()
                .any(|e| store.delta_position(e).unwrap().cursor.is_some())
            {
                self.stats.downloads_cut += 1;
            }
        }
        self.world.control.clear_faults().await.unwrap();
        let remote = self.world.remote();
        if let Err(e) = check_positions(&self.profile, &remote).await {
            panic!("{context}: a download position is ahead of its data:\n{e}");
        }
        self.restart_and_sync(context).await;
        let accounts = server_records(&remote, "account").await.unwrap();
        let contacts = server_records(&remote, "contact").await.unwrap();
        // The cut-off save, if it was committed, was the newest of its field: then it counts.
        if let Some((key, value)) = self.cut_off.take()
            && accounts[&key.0].fields.get(&key.1) == Some(&value)
        {
            self.acked.insert(key, value);
        }
        for ((id, field), value) in &self.acked {
            if accounts[id].fields.get(field) != Some(value) {
                panic!(
                    "{context}: the acknowledged save {id}.{field} = {value:?} is not on the server, which has {:?}; the device's journal of it:\n{}",
                    accounts[id].fields.get(field),
                    history(&self.profile, id)
                );
            }
        }
        for (id, name) in &self.created {
            assert!(accounts.contains_key(id), "{context}: created {name}");
        }
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for r in accounts.values() {
            *names.entry(r.fields["name"].as_str()).or_default() += 1;
        }
        let twice: Vec<_> = names.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "{context}: duplicate records {twice:?}");
        let store = Store::open(&self.profile).unwrap();
        assert_eq!(store.pending_count().unwrap(), 0, "{context}");
        assert_eq!(store.unresolved_count().unwrap(), 0, "{context}");
        assert!(store.rejected_ops().unwrap().is_empty(), "{context}");
        for (entity, server) in [("account", accounts), ("contact", contacts)] {
            let diff = differences(entity, &device_records(&store, entity).unwrap(), &server);
            assert!(
                diff.is_empty(),
                "{context}: device and server differ: {diff:#?}"
            );
        }
    }

    /// Kills the editing session at `at`; returns whether the kill came before the child ended.
    pub(super) async fn kill_editing_session(&mut self, run: u64, at: KillAt) -> bool {
        self.slow_server().await;
        let mut child = Process::new(std::env::current_exe().unwrap());
        child
            .args([
                "--exact",
                "child::crash_child_editing_session",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_PROFILE, &self.profile)
            .env(CHILD_RUN, run.to_string());
        let (killed, lines) = kill_when(child, at).await;
        // Sequential saves: every ACKed one is acknowledged; the last TRY may be cut off.
        self.cut_off = None;
        for line in &lines {
            let words: Vec<&str> = line.splitn(4, ' ').collect();
            match words.as_slice() {
                ["TRY", id, field, value] => {
                    self.cut_off = Some(((id.to_string(), field.to_string()), value.to_string()));
                }
                ["ACK", id, field, value] => {
                    self.cut_off = None;
                    self.stats.acked_saves += 1;
                    self.acked
                        .insert((id.to_string(), field.to_string()), value.to_string());
                }
                ["ACKC", id, ..] => {
                    self.stats.acked_saves += 1;
                    let name = line.splitn(3, ' ').nth(2).unwrap().to_string();
                    self.created.push((id.to_string(), name));
                }
                _ => {}
            }
        }
        let context = format!("editing session {run} killed at {at:?}");
        self.after_kill(&context).await;
        killed
    }

    /// Kills `autosync sync` at `at` on a profile with pending edits and creates.
    pub(super) async fn kill_autosync_sync(&mut self, run: u64, at: KillAt) -> bool {
        {
            let mut store = Store::open(&self.profile).unwrap();
            let now = self.world.clock.now();
            for k in 0..3u64 {
                let id = format!("acc-{:04}", (run * 5 + k * 31) % 240 + 1);
                let value = format!("Sync {run}-{k}");
                store
                    .save_edit("account", &id, &fields(&[("city", &value)]), "demo", now)
                    .unwrap();
                self.acked.insert((id, "city".into()), value);
            }
            let id = uuid::Uuid::new_v4().to_string();
            let name = format!("Sync {run} Ltd");
            store
                .create_record(
                    "account",
                    &id,
                    &fields(&[("name", &name), ("credit_limit", "3000")]),
                    "demo",
                    now,
                )
                .unwrap();
            self.created.push((id, name));
            self.stats.acked_saves += 4;
            if at == KillAt::Phase(Phase::Download) || run.is_multiple_of(3) {
                // Download everything again, in pages of 20, as after `410 Gone`: the kill lands among
                // page writes of a reconciling download.
                store.start_full_download("account").unwrap();
                store.start_full_download("contact").unwrap();
            }
        }
        for k in 0..4u64 {
            self.world
                .control
                .edit(
                    "contact",
                    &format!("con-{:04}", (run * 3 + k * 17) % 360 + 1),
                    fields(&[("job_title", &format!("Server {run}-{k}"))]),
                    None,
                )
                .await
                .unwrap();
        }
        self.slow_server().await;
        let mut child = Process::new(env!("CARGO_BIN_EXE_autosync"));
        child
            .arg("sync")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--server")
            .arg(self.world.server.url())
            .args(["--page-size", "20"]);
        let (killed, _) = kill_when(child, at).await;
        let context = format!("autosync sync {run} killed at {at:?}");
        self.after_kill(&context).await;
        killed
    }
}

/// Starts `child`, kills it with SIGKILL at `at` (or gives up waiting after 10 s), and returns
/// whether it was killed before it ended, and every line it printed.
pub(super) async fn kill_when(mut command: Process, at: KillAt) -> (bool, Vec<String>) {
    let mut child: Child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let mut acks = 0;
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(line) = rx.recv().await {
            let hit = match at {
                KillAt::Saves(n) => {
                    if line.starts_with("ACK") {
                        acks += 1;
                    }
                    acks >= n
                }
                // `autosync sync` prints "  0.012s  phase Upload"; the session "PHASE Upload".
                KillAt::Phase(phase) => {
                    line.ends_with(&format!("phase {phase}")) || line == format!("PHASE {phase}")
                }
            };
            lines.push(line);
            if hit {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    if waited {
        let delay = match at {
            KillAt::Saves(_) => Duration::from_micros(rand::rng().random_range(0..800)),
            // A download of pages of 20 takes a few hundred ms: land among its page writes.
            KillAt::Phase(Phase::Download) => {
                Duration::from_millis(rand::rng().random_range(20..300))
            }
            KillAt::Phase(_) => Duration::from_millis(rand::rng().random_range(0..20)),
        };
        tokio::time::sleep(delay).await;
    }
    let killed = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    reader.join().unwrap();
    while let Ok(line) = rx.try_recv() {
        lines.push(line);
    }
    (killed && waited, lines)
}
/// The device's journal lines about one record, for a failure's message.
pub(super) fn history(profile: &Path, id: &str) -> String {
    let store = Store::open(profile).unwrap();
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let batch = store.journal(after, 10_000).unwrap();
        let Some(last) = batch.last() else { break };
        after = last.seq;
        out.extend(
            batch
                .into_iter()
                .filter(|e| {
                    e.record_id.as_deref() == Some(id)
                        || e.detail.starts_with("phase ")
                        || e.detail.contains("sync started")
                        || e.detail.contains("sync finished")
                        || e.detail.contains("sync failed")
                })
                .map(|e| {
                    format!(
                        "{} {:?} {} {:?} {:?}->{:?} {}",
                        e.seq, e.kind, e.actor, e.field, e.old, e.new, e.detail
                    )
                }),
        );
    }
    out.join("\n")
}
