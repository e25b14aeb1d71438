//! Crash safety (issue 8, item 2): the client runs as a child process and is killed with
//! SIGKILL (`kill -9`) at random points, then restarted on the same profile. Two children:
//! - a scripted editing session: this test binary re-executed as `crash_child_editing_session`
//!   (a no-op test unless `AUTOSYNC_CRASH_PROFILE` is set), a [`Device`] with its engine that
//!   saves edits and creates every few milliseconds under Rebase, so on-change syncs run all the
//!   time; it prints each save before (`TRY`) and after (`ACK`) it returns, and each phase a
//!   sync enters. It is killed after a random number of acknowledged saves, or a few
//!   milliseconds into a chosen phase;
//! - `autosync sync` on a profile with pending edits and creates, killed a few milliseconds
//!   into a chosen phase (its download re-fetches everything in pages of 20, so a kill lands
//!   among the page writes).
//!
//! The server answers every request 15–25 ms late while a child runs, so each phase lasts long
//! enough to be hit. After each kill: `PRAGMA integrity_check` is `ok`; no download position is
//! ahead of its data ([`check_positions`]: the device, caught up from its cursor and token,
//! equals the server); the next sync on the same profile completes; every acknowledged save is
//! on the server (a save cut off unacknowledged may or may not be), every created record
//! exactly once; nothing is pending and the device equals the server.
//!
//! `cargo test` runs 52 kills (32 editing sessions, 20 `autosync sync`), two profiles at a time
//! for each child; `AUTOSYNC_LONG=1 cargo test --test reliability_crash` runs ten times as many
//! (520).

mod engine_common;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use autosync::clock::Clock;
use autosync::device::{Device, SaveOutcome, init_profile};
use autosync::engine::{Command, EngineEvent};
use autosync::invariants::{
    check_positions, device_records, differences, server_records, sync_once,
};
use autosync::rules::Phase;
use autosync::settings::BackgroundBehavior;
use autosync::store::{JournalKind, Store};
use autosync::wire::Fault;
use engine_common::*;
use rand::Rng;

const CHILD_PROFILE: &str = "AUTOSYNC_CRASH_PROFILE";
const CHILD_RUN: &str = "AUTOSYNC_CRASH_RUN";
/// Profiles killed in parallel, per child kind.
const LANES: usize = 2;

fn long() -> bool {
    std::env::var("AUTOSYNC_LONG").is_ok_and(|v| v == "1")
}

/// Where a child is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KillAt {
    /// After this many acknowledged saves, a few hundred microseconds later.
    Saves(u32),
    /// A few milliseconds after a sync entered this phase.
    Phase(Phase),
}

// -------------------------------------------------------------------------------------------
// The child: a scripted editing session.
// -------------------------------------------------------------------------------------------

fn say(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Not a test on its own: the editing session the crash tests run as a child and kill.
#[test]
fn crash_child_editing_session() {
    let Ok(profile) = std::env::var(CHILD_PROFILE) else {
        return;
    };
    let run: u64 = std::env::var(CHILD_RUN).unwrap().parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let mut client = Device::start(Path::new(&profile), Clock::system(), |c| {
            c.tick = Duration::from_secs(3600)
        })
        .unwrap();
        let mut events = client.engine().subscribe();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(EngineEvent::Journal(e)) if e.kind == JournalKind::Sync => {
                        if let Some(phase) = e.detail.strip_prefix("phase ") {
                            say(format!("PHASE {phase}"));
                        }
                    }
                    Ok(EngineEvent::Finished(last)) => say(format!("SYNCED {:?}", last.error)),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    _ => {}
                }
            }
        });
        // A parent that never kills does not leave this running.
        let until = Instant::now() + Duration::from_secs(20);
        let mut n = 0u64;
        while Instant::now() < until {
            n += 1;
            let pause = rand::rng().random_range(2..12);
            tokio::time::sleep(Duration::from_millis(pause)).await;
            if n % 7 == 3 {
                let name = format!("Crash {run}-{n} Ltd");
                say(format!("TRYC {name}"));
                let (id, outcome) = client
                    .create(
                        "account",
                        &fields(&[("name", &name), ("credit_limit", "2000")]),
                    )
                    .unwrap();
                assert!(matches!(outcome, SaveOutcome::Saved { .. }), "{outcome:?}");
                say(format!("ACKC {id} {name}"));
            } else {
                let id = format!("acc-{:04}", (n * 7 + run * 13) % 240 + 1);
                let value = format!("Crash {run}-{n}");
                say(format!("TRY {id} city {value}"));
                let outcome = client
                    .save("account", &id, &fields(&[("city", &value)]), "crash test")
                    .unwrap();
                match outcome {
                    SaveOutcome::Saved { .. } => say(format!("ACK {id} city {value}")),
                    other => panic!("Rebase never refuses a save: {other:?}"),
                }
            }
        }
    });
}

// -------------------------------------------------------------------------------------------
// The parent.
// -------------------------------------------------------------------------------------------

/// One server and one profile, killed and restarted again and again.
struct Lane {
    world: World,
    data_dir: PathBuf,
    profile: PathBuf,
    /// Fields and creates acknowledged so far: (id, field) → value, and (id, name).
    acked: BTreeMap<(String, String), String>,
    created: Vec<(String, String)>,
    /// The save the last kill cut off before it was acknowledged: it may or may not have been
    /// committed, so the server may have its value instead of the acknowledged one.
    cut_off: Option<((String, String), String)>,
    stats: Stats,
}

/// What the kills interrupted, for the test's summary line.
#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    acked_saves: u64,
    pending_at_kill: u64,
    downloads_cut: u64,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.acked_saves += o.acked_saves;
        self.pending_at_kill += o.pending_at_kill;
        self.downloads_cut += o.downloads_cut;
    }
}

impl Lane {
    async fn new() -> Lane {
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
    async fn slow_server(&self) {
        let ms = rand::rng().random_range(15..=25);
        self.world
            .control
            .fault(None, Some("/api/"), 100_000, Fault::Latency { ms })
            .await
            .unwrap();
    }

    /// Restarts the client on the profile and syncs until nothing is pending.
    async fn restart_and_sync(&self, context: &str) {
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
    async fn after_kill(&mut self, context: &str) {
        {
            let store = Store::open(&self.profile).unwrap();
            assert_eq!(
                store.integrity_check().unwrap(),
                "ok",
                "{context}: integrity"
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
    async fn kill_editing_session(&mut self, run: u64, at: KillAt) -> bool {
        self.slow_server().await;
        let mut child = Process::new(std::env::current_exe().unwrap());
        child
            .args([
                "--exact",
                "crash_child_editing_session",
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
    async fn kill_autosync_sync(&mut self, run: u64, at: KillAt) -> bool {
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
async fn kill_when(mut command: Process, at: KillAt) -> (bool, Vec<String>) {
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

/// The device's journal lines about one record, for a failure's message.
fn history(profile: &Path, id: &str) -> String {
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
