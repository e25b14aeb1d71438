//! Bad input everywhere (issue 8, item 4): malformed config, project and scenario files give a
//! located error (file, line, field) and exit 2; malformed server answers of every response type
//! give a clear `RemoteError` through the real `Remote` over real HTTP, never a panic; random
//! keys at every screen never panic the App.
//!
//! `AUTOSYNC_LONG=1` multiplies the generated cases by ten.
//!
//! The modules: `files` (config, project and scenario files), `answers` (server answers),
//! `keys` (random keys).

#[path = "../app_common/mod.rs"]
mod app_common;
#[path = "../cli_common/mod.rs"]
mod cli_common;

use proptest::test_runner::{Config as PropConfig, TestRunner};

fn scale(n: u32) -> u32 {
    if std::env::var("AUTOSYNC_LONG").is_ok_and(|v| v == "1") {
        n * 10
    } else {
        n
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(PropConfig {
        cases,
        failure_persistence: None,
        max_shrink_iters: 64,
        ..PropConfig::default()
    })
}

mod answers;
mod files;
mod keys;
