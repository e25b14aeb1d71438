//! Files a user hands us: malformed config, project and scenario files give a located error
//! (file, line, field) and exit 2; mutated files are parsed or rejected, never a panic.

use std::path::Path;
use std::process::Output;

use crate::cli_common::{autosync, write};
use autosync::config::Config;
use autosync::project::Project;
use proptest::prelude::*;

use super::*;

fn assert_exit_2(out: &Output, what: &str, location: &str, field: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert!(
        stderr.contains(location),
        "{what}: `{location}` not in {stderr}"
    );
    assert!(stderr.contains(field), "{what}: `{field}` not in {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

/// (name, text, line, field named in the message)
const BAD_CONFIGS: &[(&str, &str, usize, &str)] = &[
    ("syntax", "[log]\nlevel = \"info\"\n[server\n", 3, ""),
    (
        "wrong-type",
        "[server]\nlisten = 8787\n",
        2,
        "server.listen",
    ),
    ("unknown-key", "[log]\nlevle = \"x\"\n", 2, "log.levle"),
    ("unknown-table", "\n\n[sever]\nlisten = \"x\"\n", 3, "sever"),
    ("bad-url", "server_url = \"ftp://x\"\n", 1, "server_url"),
    ("bad-url-type", "# c\nserver_url = [1]\n", 2, "server_url"),
    ("level-table", "[log]\nlevel = { a = 1 }\n", 2, "log.level"),
    ("unterminated", "user_name = \"demo\n", 1, ""),
];

#[test]
fn malformed_config_files_name_file_line_and_key_and_the_binary_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, line, field) in BAD_CONFIGS {
        let file = format!("{name}.toml");
        let e = Config::parse(Path::new(&file), text).expect_err(name);
        assert_eq!(e.line, *line, "{name}: {e}");
        assert!(e.to_string().starts_with(&format!("{file}:{line}:")), "{e}");
        if !field.is_empty() {
            assert!(
                e.field.as_deref() == Some(*field) || e.message.contains(field),
                "{name}: {e:?}"
            );
        }
        let path = write(dir.path(), &file, text);
        for args in [vec!["sync"], vec!["play", "x.toml"], vec!["server"]] {
            let mut all = vec!["--config", path.to_str().unwrap()];
            all.extend(args);
            assert_exit_2(&autosync(&all), name, &format!("{file}:{line}:"), field);
        }
    }
    let out = autosync(&["--config", "/nonexistent/autosync.toml", "sync"]);
    assert_exit_2(&out, "missing", "/nonexistent/autosync.toml", "");
}

fn project_v1() -> String {
    autosync::assets::PROJECT_V1.1.to_string()
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in the project"))
        + 1
}

#[test]
fn malformed_project_files_name_file_line_and_field_through_a_scenario_exit_2() {
    let v1 = project_v1();
    let behavior_line = line_of(&v1, "background_sync_behavior");
    let cases: Vec<(&str, String, usize, &str)> = vec![
        (
            "bad-enum",
            v1.replace(
                "background_sync_behavior = \"NoAction\"",
                "background_sync_behavior = \"Sometimes\"",
            ),
            behavior_line,
            "Sometimes",
        ),
        (
            "wrong-type",
            v1.replace(
                "background_sync_behavior = \"NoAction\"",
                "background_sync_behavior = 3",
            ),
            behavior_line,
            "background_sync_behavior",
        ),
        (
            "unknown-key",
            v1.replace(
                "background_sync_behavior = \"NoAction\"",
                "background_sync_behavior = \"NoAction\"\nbackground_sync_behaviour = 1",
            ),
            behavior_line + 1,
            "background_sync_behaviour",
        ),
        (
            "syntax",
            v1.replace(
                "background_sync_behavior = \"NoAction\"",
                "background_sync_behavior = ",
            ),
            behavior_line,
            "",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, text, line, field) in cases {
        let file = format!("{name}-project.toml");
        let e = Project::parse(Path::new(&file), &text).expect_err(name);
        assert_eq!(e.line, line, "{name}: {e}");
        assert!(e.to_string().contains(field), "{name}: {e}");
        write(dir.path(), &file, &text);
        let scenario = write(
            dir.path(),
            &format!("{name}-scenario.toml"),
            &format!(
                "name = \"bad project\"\n\n[setup]\nproject = \"{file}\"\n\n[[step]]\ndo = \"sync\"\n"
            ),
        );
        let out = autosync(&["play", scenario.to_str().unwrap()]);
        assert_exit_2(&out, name, &format!("{file}:{line}:"), field);
    }
}

#[test]
fn malformed_scenario_files_name_file_line_and_field_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = "name = \"n\"\n\n[setup]\nsettings = { save_password = false }\n\n[[step]]\ndo = \"clock\"\nadvance_minutes = 20\n";
    let cases = [
        (
            "wrong-type",
            good.replace("advance_minutes = 20", "advance_minutes = \"20\""),
            8,
            "advance_minutes",
        ),
        (
            "unknown-setting",
            good.replace("save_password", "save_pasword"),
            4,
            "save_pasword",
        ),
        (
            "bad-behavior",
            good.replace("[setup]\n", "[setup]\ndelays = { account = -5 }\n"),
            4,
            "",
        ),
        ("empty", String::new(), 0, ""),
        ("binary", "\u{0}\u{1}\u{2}[[".into(), 1, ""),
    ];
    for (name, text, line, field) in cases {
        let file = format!("{name}.toml");
        let path = write(dir.path(), &file, &text);
        match autosync::scenario::format::parse(Path::new(&file), &text) {
            Err(e) => {
                if line > 0 {
                    assert_eq!(e.line, line, "{name}: {e}");
                }
                assert!(e.to_string().contains(field), "{name}: {e}");
                let location = if line > 0 {
                    format!("{file}:{line}:")
                } else {
                    file.clone()
                };
                assert_exit_2(
                    &autosync(&["play", path.to_str().unwrap()]),
                    name,
                    &location,
                    field,
                );
            }
            Ok(_) => panic!("{name} must be rejected"),
        }
    }
}

/// Deletes, duplicates or replaces bytes of a valid file.
fn mutate_text(text: &str, edits: &[(usize, u8, u8)]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &(at, op, byte) in edits {
        if bytes.is_empty() {
            break;
        }
        let i = at % bytes.len();
        match op % 3 {
            0 => {
                bytes.remove(i);
            }
            1 => {
                let alphabet = b"=[]{}\"'#\n.,x0-";
                bytes.insert(i, alphabet[byte as usize % alphabet.len()])
            }
            _ => bytes[i] = byte,
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Mutated config, project and scenario files: parsed or rejected with a located error whose
/// line is inside the file, never a panic.
#[test]
fn mutated_files_are_parsed_or_rejected_with_a_located_error() {
    let config =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"))
            .unwrap();
    let project = project_v1();
    let scenario = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios/race-no-action.toml"),
    )
    .unwrap();
    let edits = proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6);
    let rejected = std::cell::Cell::new(0usize);
    let cases = scale(600);
    runner(cases)
        .run(&(0..3usize, edits), |(kind, edits)| {
            let (name, original) = match kind {
                0 => ("config.toml", &config),
                1 => ("project.toml", &project),
                _ => ("scenario.toml", &scenario),
            };
            let text = mutate_text(original, &edits);
            let path = Path::new(name);
            let result = match kind {
                0 => Config::parse(path, &text).map(|_| ()),
                1 => Project::parse(path, &text).map(|_| ()),
                _ => autosync::scenario::format::parse(path, &text).map(|_| ()),
            };
            if let Err(e) = result {
                rejected.set(rejected.get() + 1);
                prop_assert_eq!(e.path.as_path(), path);
                prop_assert!(e.line >= 1, "{}", e);
                prop_assert!(e.line <= text.lines().count() + 1, "{}", e);
                prop_assert!(!e.message.is_empty());
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "{cases} mutated files, {} rejected with a located error",
        rejected.get()
    );
}
