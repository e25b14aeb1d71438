//! Measurements that need a process of their own: the benchmark runs its own executable again
//! with `AUTOSYNC_BENCH_CHILD` set to a role.
//!
//! - `first-sync SERVER_DIR PROFILE`: what `autosync sync --fresh` does — the embedded server
//!   and one device in one process — timed, with the process's memory before and at its peak.
//!   A process of its own, so the peak resident memory is this sync's and nothing else's.
//! - `open-db PROFILE`: opens the profile with `Store::open`, says so, and exits: the baseline
//!   of the cold start.
//! - `prepare SERVER_DIR COUNT`: a server directory with `COUNT` generated contacts, to run a
//!   `first-sync` child by hand under a profiler.
//! - `incremental SERVER_DIR PROFILE [NOOPS EDITS]`: the no-op syncs and the upload of edits of
//!   the benchmark (20 and 10,000 unless given) on a profile a `first-sync` child synced, to run
//!   under a profiler by hand; many no-op syncs and 0 edits profile the no-op sync.

use std::path::Path;
use std::process::Command;

use autosync::store::Store;
use serde::{Deserialize, Serialize};

use crate::world::{self, ENTITY};

const ROLE: &str = "AUTOSYNC_BENCH_CHILD";
const RESULT: &str = "CHILD_JSON ";

/// What a `first-sync` child measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FirstSync {
    /// Records on the device afterwards (every entity).
    pub rows: u64,
    /// Trigger to `Finished`.
    pub total_ms: f64,
    /// The Download phase alone.
    pub download_ms: f64,
    /// The server's own time answering the download's page requests (its request log).
    pub server_pages_ms: f64,
    /// Page requests of the download.
    pub pages: usize,
    /// Resident memory with the server started and the device opened, before the sync.
    pub rss_before_mb: f64,
    /// `VmHWM` after the sync: the process's peak resident memory.
    pub rss_peak_mb: f64,
    /// The size of the profile's WAL file after the sync (SQLite reuses it; it does not shrink).
    pub wal_mb: f64,
}

/// Runs the child's role when this process is one; `Some(exit code)` then.
pub fn dispatch() -> Option<i32> {
    let role = std::env::var(ROLE).ok()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    Some(match (role.as_str(), args.as_slice()) {
        ("first-sync", [server, profile]) => {
            let result = first_sync(Path::new(server), Path::new(profile));
            println!("{RESULT}{}", serde_json::to_string(&result).expect("json"));
            0
        }
        ("prepare", [server, count]) => {
            let count = count.parse().expect("COUNT is a number");
            let took = world::prepare_server(Path::new(server), count);
            println!("{count} contacts generated in {took:?}");
            0
        }
        ("incremental", [server, profile, sizes @ ..]) if matches!(sizes.len(), 0 | 2) => {
            let number = |i: usize, default: usize| {
                sizes.get(i).map_or(default, |n| {
                    n.parse()
                        .ok()
                        .filter(|&n| n > 0 || i == 1)
                        .expect("NOOPS is a number above 0, EDITS a number")
                })
            };
            let inc = crate::incremental::measure(
                Path::new(server),
                Path::new(profile),
                number(0, 20),
                number(1, 10_000),
            );
            println!(
                "no-op sync p50 {:.2} ms; upload of {} edits {:.0} ms ({} requests, {:.0} ms in the server)",
                world::ms(world::median(&inc.noop)),
                inc.edits,
                world::ms(inc.upload),
                inc.upload_requests,
                world::ms(inc.upload_server)
            );
            let phases: Vec<String> = inc
                .noop_phases
                .iter()
                .map(|(p, d)| format!("{p} {:.2}", world::ms(*d)))
                .collect();
            println!("no-op sync phases (ms): {}", phases.join(", "));
            0
        }
        ("open-db", [profile]) => {
            let store = Store::open(Path::new(profile)).expect("open the profile");
            println!("opened {}", store.path().display());
            0
        }
        _ => {
            eprintln!("unknown child role {role} {args:?}");
            2
        }
    })
}

fn first_sync(server_dir: &Path, profile: &Path) -> FirstSync {
    world::runtime().block_on(async {
        let server = world::start_server(server_dir).await;
        world::new_profile(profile, server.url());
        let client = world::start_client(profile);
        let (rss_before_mb, _) = world::memory_mb();
        let sync = world::timed_sync(&client).await;
        let (_, rss_peak_mb) = world::memory_mb();
        let wal = std::path::PathBuf::from(format!("{}-wal", profile.display()));
        let wal_mb = std::fs::metadata(wal).map_or(0.0, |m| m.len() as f64 / 1_048_576.0);
        let log = autosync::control::Control::new(server.url(), server.admin_token())
            .requests(1000)
            .await
            .expect("request log");
        let pages: Vec<_> = log
            .requests
            .iter()
            .filter(|r| r.method == "GET" && r.path.starts_with("/api/v1/entities/"))
            .collect();
        let store = client.store();
        let rows =
            (store.count("account").expect("count") + store.count(ENTITY).expect("count")) as u64;
        client.engine().send(autosync::engine::Command::Shutdown);
        server.shutdown().await.expect("server shutdown");
        FirstSync {
            rows,
            total_ms: world::ms(sync.total),
            download_ms: world::ms(sync.phase("Download")),
            server_pages_ms: pages.iter().map(|r| r.duration_ms).sum(),
            pages: pages.len(),
            rss_before_mb,
            rss_peak_mb,
            wal_mb,
        }
    })
}

/// Runs a `first-sync` child: a fresh profile at `profile` against the server over `server_dir`.
pub fn run_first_sync(server_dir: &Path, profile: &Path) -> FirstSync {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let output = Command::new(exe)
        .env(ROLE, "first-sync")
        .arg(server_dir)
        .arg(profile)
        .output()
        .expect("run the first-sync child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix(RESULT));
    match (output.status.success(), line) {
        (true, Some(json)) => serde_json::from_str(json).expect("the child's result"),
        _ => panic!(
            "the first-sync child failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// The command line of an `open-db` child, for the cold-start baseline.
pub fn open_db_command(profile: &Path) -> portable_pty::CommandBuilder {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let mut cmd = portable_pty::CommandBuilder::new(exe);
    cmd.env(ROLE, "open-db");
    cmd.arg(profile);
    cmd
}
