//! Crash safety (issue 8, item 2): the client runs as a child process and is killed with
//! SIGKILL (`kill -9`) at random points, then restarted on the same profile. Two children:
//! - a scripted editing session: this test binary re-executed as `child::crash_child_editing_session`
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
//!
//! The modules: `child` (the editing session), `lane` (one server and profile, killed and
//! restarted, and the checks), `kills` (the tests).

#[path = "../engine_common/mod.rs"]
mod engine_common;

use autosync::rules::Phase;

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

mod child;
mod kills;
mod lane;
