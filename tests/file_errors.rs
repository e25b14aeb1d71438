//! Malformed config and project files: each error names the file, the line and the field, and
//! nothing panics. The binary exits 2 on a bad config file.

use std::path::Path;
use std::process::Command;

use autosync::config::Config;
use autosync::project::Project;

fn config_err(text: &str) -> autosync::file_error::FileError {
    Config::parse(Path::new("my.toml"), text).expect_err("must be rejected")
}

fn project_err(text: &str) -> autosync::file_error::FileError {
    Project::parse(Path::new("proj.toml"), text).expect_err("must be rejected")
}

#[test]
fn config_syntax_error_names_its_line() {
    let e = config_err("[log]\nlevel = \"info\"\n[server\nlisten = 1\n");
    assert_eq!((e.line, e.path.as_path()), (3, Path::new("my.toml")), "{e}");
}

#[test]
fn config_wrong_type_names_line_and_key() {
    let e = config_err("# comment\n[server]\nlisten = 8787\n");
    assert_eq!(e.line, 3, "{e}");
    assert_eq!(e.field.as_deref(), Some("server.listen"));
    assert!(e.to_string().starts_with("my.toml:3:"), "{e}");
}

#[test]
fn config_unknown_key_names_it() {
    let e = config_err("[log]\nlevel = \"info\"\nlevle = \"x\"\n");
    assert_eq!(e.line, 3, "{e}");
    assert_eq!(e.field.as_deref(), Some("log.levle"));
}

#[test]
fn config_bad_server_url_names_the_key() {
    let e = config_err("\nserver_url = \"ftp://x\"\n");
    assert_eq!((e.line, e.field.as_deref()), (2, Some("server_url")), "{e}");
}

const GOOD_PROJECT: &str = r#"version = 1
name = "P"

[configuration]
locked = ["auto_sync"]

[[entity]]
name = "account"
label = "Accounts"
primary_field = "name"

[[entity.field]]
name = "name"
label = "Name"

[[entity.form.section]]
title = "S"
fields = ["name"]
"#;

#[test]
fn a_valid_project_parses() {
    let p = Project::parse(Path::new("proj.toml"), GOOD_PROJECT).unwrap();
    assert_eq!(p.entities[0].form_fields().count(), 1);
}

#[test]
fn project_unknown_lock_name_is_located() {
    let e = project_err(&GOOD_PROJECT.replace("[\"auto_sync\"]", "[\"auto_sink\"]"));
    assert_eq!(e.line, 5, "{e}");
    assert!(e.message.contains("auto_sink"), "{e}");
}

#[test]
fn project_bad_enum_value_names_the_key() {
    let e = project_err(&GOOD_PROJECT.replace(
        "locked = [\"auto_sync\"]",
        "trigger_auto_sync = \"Sometimes\"",
    ));
    assert_eq!(
        (e.line, e.field.as_deref()),
        (5, Some("configuration.trigger_auto_sync")),
        "{e}"
    );
}

#[test]
fn project_form_showing_a_missing_field_is_located() {
    let e =
        project_err(&GOOD_PROJECT.replace("fields = [\"name\"]", "fields = [\"name\", \"phone\"]"));
    assert_eq!((e.line, e.field.as_deref()), (18, Some("fields")), "{e}");
    assert!(e.message.contains("`phone`"), "{e}");
}

#[test]
fn project_primary_field_must_exist() {
    let e =
        project_err(&GOOD_PROJECT.replace("primary_field = \"name\"", "primary_field = \"title\""));
    assert_eq!(
        (e.line, e.field.as_deref()),
        (10, Some("primary_field")),
        "{e}"
    );
}

#[test]
fn project_duplicate_field_is_located() {
    let text = GOOD_PROJECT.replace(
        "[[entity.form.section]]",
        "[[entity.field]]\nname = \"name\"\nlabel = \"Again\"\n\n[[entity.form.section]]",
    );
    let e = project_err(&text);
    assert_eq!(e.line, 17, "{e}");
    assert!(e.message.contains("twice"), "{e}");
}

#[test]
fn project_missing_version_is_named() {
    let e = project_err(&GOOD_PROJECT.replace("version = 1\n", ""));
    assert_eq!(e.field.as_deref(), Some("version"), "{e}");
}

#[test]
fn project_version_zero_is_rejected() {
    let e = project_err(&GOOD_PROJECT.replace("version = 1", "version = 0"));
    assert_eq!((e.line, e.field.as_deref()), (1, Some("version")), "{e}");
}

#[test]
fn project_unknown_key_in_entity_is_named() {
    let e = project_err(&GOOD_PROJECT.replace(
        "label = \"Accounts\"",
        "label = \"Accounts\"\ncolor = \"red\"",
    ));
    assert_eq!(
        (e.line, e.field.as_deref()),
        (10, Some("entity[0].color")),
        "{e}"
    );
}

#[test]
fn binary_exits_2_naming_file_line_and_field_for_a_bad_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[server]\nlisten = 8787\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_autosync"))
        .arg("--config")
        .arg(&path)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml:2:") && stderr.contains("`server.listen`"),
        "{stderr}"
    );
}

#[test]
fn binary_rejects_a_bad_flag_with_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_autosync"))
        .arg("--no-such-flag")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn binary_rejects_a_bad_server_url_with_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_autosync"))
        .args(["--server", "localhost"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an http"));
}

#[test]
fn help_describes_the_program_and_its_options() {
    let out = Command::new(env!("CARGO_BIN_EXE_autosync"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "automatic",
        "--data-dir",
        "--config",
        "--server",
        "--fresh",
        "--version",
    ] {
        assert!(text.contains(needle), "help lacks {needle}:\n{text}");
    }
}
