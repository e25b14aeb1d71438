//! The command line as users of other Rust tools expect it: completions, a man page, examples in
//! each command's help, only the options a command uses, and a log file in the state directory
//! that honors `RUST_LOG` and `--log-level`.

use std::path::Path;
use std::process::{Command, Output};

fn autosync(args: &[&str], state: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_autosync"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every line of every log file in `dir`.
fn log_lines(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("autosync.log") {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            lines.extend(text.lines().map(str::to_string));
        }
    }
    lines
}

#[test]
fn completions_print_a_script_for_each_shell() {
    let state = tempfile::tempdir().unwrap();
    let out = autosync(&["completions", "bash"], state.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let script = stdout(&out);
    assert!(script.contains("_autosync()"), "{script}");
    for sub in ["server", "sync", "play", "soak", "completions", "man"] {
        assert!(script.contains(sub), "bash completion names `{sub}`");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = autosync(&["completions", shell], state.path());
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        assert!(stdout(&out).contains("autosync"), "{shell}");
    }
    let out = autosync(&["completions", "tcsh"], state.path());
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn man_prints_a_roff_page() {
    let state = tempfile::tempdir().unwrap();
    let out = autosync(&["man"], state.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.contains(".TH autosync 1"), "{page}");
    assert!(page.contains(".SH NAME") && page.contains(".SH SUBCOMMANDS"));
    assert!(page.contains("\\-\\-data\\-dir"), "{page}");
}

#[test]
fn each_command_shows_examples_and_only_the_options_it_uses() {
    let state = tempfile::tempdir().unwrap();
    for (command, uses, not) in [
        (
            "sync",
            &[
                "--data-dir",
                "--server",
                "--fresh",
                "--page-size",
                "--log-level",
            ][..],
            &["--record"][..],
        ),
        (
            "server",
            &["--data-dir", "--listen", "--admin-token"][..],
            &["--server <", "--fresh", "--record"][..],
        ),
        (
            "play",
            &["--matrix", "--json", "--log-level"][..],
            &["--data-dir", "--server", "--fresh"][..],
        ),
        (
            "soak",
            &["--clients", "--behavior"][..],
            &["--data-dir", "--server", "--fresh"][..],
        ),
    ] {
        let out = autosync(&[command, "--help"], state.path());
        assert!(out.status.success(), "{command}: {}", stderr(&out));
        let help = stdout(&out);
        assert!(
            help.contains("Examples:"),
            "{command} --help has examples:\n{help}"
        );
        assert!(help.contains(&format!("autosync {command}")), "{help}");
        for option in uses {
            assert!(
                help.contains(option),
                "{command} --help lists {option}:\n{help}"
            );
        }
        for option in not {
            assert!(
                !help.contains(option),
                "{command} --help does not list {option}:\n{help}"
            );
        }
    }
}

#[test]
fn an_option_a_command_does_not_use_is_refused_not_ignored() {
    let state = tempfile::tempdir().unwrap();
    let out = autosync(&["soak", "--data-dir", "/tmp/nowhere"], state.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = autosync(&["--fresh", "soak", "--clients", "1"], state.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("autosync soak does not use --fresh"),
        "{}",
        stderr(&out)
    );
    let out = autosync(&["--server", "http://127.0.0.1:1", "server"], state.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("autosync server does not use --server"));
    let out = autosync(&["--record", "x.toml", "play", "x.toml"], state.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("autosync play does not use --record"));
}

#[test]
fn rust_log_debug_writes_debug_lines_to_the_log_file_in_the_state_directory() {
    let state = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_autosync"))
        .args([
            "sync",
            "--fresh",
            "--data-dir",
            data.path().to_str().unwrap(),
        ])
        .env("XDG_STATE_HOME", state.path())
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let dir = state.path().join("autosync");
    let lines = log_lines(&dir);
    assert!(
        lines.iter().any(|l| l.contains(" DEBUG ")),
        "debug lines in {}: {lines:?}",
        dir.display()
    );
    // The sync's own story is in it, not only the libraries'.
    assert!(
        lines
            .iter()
            .any(|l| l.contains("autosync::engine") && l.contains("phase Download")),
        "{lines:?}"
    );
    // Nothing in the data directory or on the terminal.
    assert!(!data.path().join("autosync.log").exists());
    assert!(!stderr(&out).contains("DEBUG"), "{}", stderr(&out));
}

#[test]
fn log_level_flag_wins_over_rust_log_and_a_bad_filter_is_refused() {
    let state = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_autosync"))
        .args([
            "sync",
            "--fresh",
            "--data-dir",
            data.path().to_str().unwrap(),
        ])
        .args(["--log-level", "warn"])
        .env("XDG_STATE_HOME", state.path())
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = log_lines(&state.path().join("autosync"));
    assert!(
        !lines
            .iter()
            .any(|l| l.contains(" DEBUG ") || l.contains(" INFO ")),
        "--log-level warn keeps debug and info out: {lines:?}"
    );
    let out = autosync(&["--log-level", "loud=[", "play", "x.toml"], state.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--log-level `loud=[` is not a tracing filter"),
        "{}",
        stderr(&out)
    );
}
