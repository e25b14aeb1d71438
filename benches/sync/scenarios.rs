//! Every shipped scenario (`assets/scenarios/*.toml`) through `autosync play` in one process:
//! the release binary, as a user runs it (`--jobs 4`), from spawn to exit.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Scenarios played at once (`autosync play --jobs`).
pub const JOBS: usize = 4;

pub struct Scenarios {
    pub files: usize,
    pub took: Duration,
}

/// The shipped scenario files, sorted; the first `limit` of them when given (`--quick`).
fn files(limit: Option<usize>) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read assets/scenarios")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files.truncate(limit.unwrap_or(usize::MAX));
    files
}

/// Plays the scenarios in one `autosync play` process; panics (with its output) if one fails,
/// since then the time is not that of the scenarios as shipped.
pub fn measure(limit: Option<usize>) -> Scenarios {
    let files = files(limit);
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_autosync"))
        .args(["play", "--jobs", &JOBS.to_string()])
        .args(&files)
        .output()
        .expect("run autosync play");
    let took = started.elapsed();
    if !output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let failed: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
        panic!(
            "autosync play failed ({}):\n{}\n{}",
            output.status,
            failed.join("\n"),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Scenarios {
        files: files.len(),
        took,
    }
}
