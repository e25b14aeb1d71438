//! Shared by the tests that run the `autosync` binary as a user does, from the repository's
//! root (where `assets/` is), and by those that hand it files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `autosync ARGS`, run to its end.
pub fn autosync(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_autosync"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// `autosync play ARGS`, run to its end.
pub fn play(args: &[&str]) -> Output {
    let mut all = vec!["play"];
    all.extend_from_slice(args);
    autosync(&all)
}

/// What a run printed: (stdout, stderr).
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `body` to the file `name` in `dir`; returns its path.
pub fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}
