//! What every measurement builds on: the embedded demo server on loopback over a prepared data
//! directory, device profiles, timed syncs, memory readings and the statistics.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use autosync::clock::Clock;
use autosync::device::{Device, init_profile};
use autosync::engine::{Command, EngineEvent};
use autosync::rules::{SyncActivity, Trigger};
use autosync::server::{EmbeddedServer, start_embedded};
use autosync::store::{LastSync, Store};
use tokio::sync::broadcast::error::RecvError;

/// The admin token of every server the benchmark starts.
pub const ADMIN_TOKEN: &str = "bench-admin-token";
/// The generated entity: six text fields (name, job title, email, phone, account, modified by).
pub const ENTITY: &str = "contact";
/// The demo user every device signs in as.
pub const USER: &str = "demo";

/// A multi-threaded runtime, as `autosync` itself builds it.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The demo server over `dir` (created and seeded if new) on an ephemeral loopback port.
pub async fn start_server(dir: &Path) -> EmbeddedServer {
    start_embedded(dir, Clock::system(), Some(ADMIN_TOKEN.into()))
        .await
        .unwrap_or_else(|e| panic!("cannot start the server over {}: {e}", dir.display()))
}

/// Creates a server data directory holding the seed data and `count` generated contacts
/// (`POST /admin/generate`: one prepared statement, one transaction). Returns how long the
/// generation took.
pub fn prepare_server(dir: &Path, count: u32) -> Duration {
    runtime().block_on(async {
        let server = start_server(dir).await;
        let started = Instant::now();
        let response = reqwest::Client::new()
            .post(format!("{}/admin/generate", server.url()))
            .bearer_auth(ADMIN_TOKEN)
            .json(&serde_json::json!({ "entity": ENTITY, "count": count }))
            .send()
            .await
            .expect("POST /admin/generate");
        let status = response.status();
        assert!(
            status.is_success(),
            "POST /admin/generate: {status}: {}",
            response.text().await.unwrap_or_default()
        );
        let took = started.elapsed();
        server.shutdown().await.expect("server shutdown");
        took
    })
}

/// A new device profile signed in as the demo user (password saved) against `url`.
pub fn new_profile(path: &Path, url: &str) {
    let mut store = Store::open(path).expect("open the profile");
    init_profile(&mut store, url, USER, Some(USER)).expect("init the profile");
}

/// Points an existing profile at `url` (the embedded server gets a new port every start).
pub fn point_profile(path: &Path, url: &str) {
    let mut store = Store::open(path).expect("open the profile");
    let mut settings = store
        .settings()
        .expect("read the settings")
        .expect("the profile has settings");
    settings.server_url = url.to_string();
    store.set_settings(&settings).expect("save the settings");
}

/// Starts the device's engine as the TUI does (default engine configuration).
pub fn start_client(path: &Path) -> Device {
    Device::start(path, Clock::system(), |_| {}).expect("start the client")
}

/// One sync, timed from the trigger to the engine's `Finished` event, with each phase's share.
#[derive(Debug, Clone)]
pub struct TimedSync {
    pub total: Duration,
    /// (phase name, time from its start to the next phase's start or the end), in order.
    pub phases: Vec<(String, Duration)>,
}

impl TimedSync {
    pub fn phase(&self, name: &str) -> Duration {
        self.phases
            .iter()
            .filter(|(p, _)| p == name)
            .map(|(_, d)| *d)
            .sum()
    }
}

/// Triggers a manual sync and times it; waits until the engine is idle again.
pub async fn timed_sync(client: &Device) -> TimedSync {
    let mut events = client.engine().subscribe();
    let started = Instant::now();
    client.engine().send(Command::Trigger(Trigger::Manual));
    let (last, marks, ended) = follow_sync(&mut events).await;
    client
        .engine()
        .wait_for(|s| s.activity == SyncActivity::Idle)
        .await;
    assert!(
        last.error.is_none(),
        "the sync failed: {}",
        last.error.unwrap_or_default()
    );
    TimedSync {
        total: ended - started,
        phases: phase_durations(&marks, ended),
    }
}

/// Follows a sync's events to its end: (the result, when each phase started, when it ended).
pub async fn follow_sync(
    events: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
) -> (LastSync, Vec<(String, Instant)>, Instant) {
    let mut marks = Vec::new();
    loop {
        match events.recv().await {
            Ok(EngineEvent::Journal(e)) => {
                if let Some(phase) = e.detail.strip_prefix("phase ") {
                    marks.push((phase.to_string(), Instant::now()));
                }
            }
            Ok(EngineEvent::Finished(last)) => return (last, marks, Instant::now()),
            Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => panic!("the engine stopped during a sync"),
        }
    }
}

fn phase_durations(marks: &[(String, Instant)], ended: Instant) -> Vec<(String, Duration)> {
    marks
        .iter()
        .enumerate()
        .map(|(i, (name, at))| {
            let next = marks.get(i + 1).map(|(_, t)| *t).unwrap_or(ended);
            (name.clone(), next - *at)
        })
        .collect()
}

/// `VmRSS` and `VmHWM` of this process, in MB.
pub fn memory_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The 1-, 5- and 15-minute load averages, as `/proc/loadavg` says them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Copies a SQLite database with its WAL, if one is left.
pub fn copy_database(from: &Path, to: &Path) {
    for suffix in ["", "-wal"] {
        let src = PathBuf::from(format!("{}{suffix}", from.display()));
        if src.exists() {
            let dst = PathBuf::from(format!("{}{suffix}", to.display()));
            std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
        }
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn median(values: &[Duration]) -> Duration {
    let mut v = values.to_vec();
    v.sort();
    v[v.len() / 2]
}

/// Nearest-rank percentile (`p` in 0–100) of `values`.
pub fn percentile(values: &[Duration], p: f64) -> Duration {
    let mut v = values.to_vec();
    v.sort();
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// The least-squares slope of ln(time) over ln(n): time ∝ n^k.
pub fn fit_exponent(points: &[(f64, Duration)]) -> f64 {
    let xs: Vec<f64> = points.iter().map(|(n, _)| n.ln()).collect();
    let ys: Vec<f64> = points.iter().map(|(_, t)| t.as_secs_f64().ln()).collect();
    let len = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / len, ys.iter().sum::<f64>() / len);
    let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let var: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    cov / var
}
