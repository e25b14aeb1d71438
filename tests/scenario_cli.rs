//! `autosync play` as a user runs it: exit codes, failure messages, malformed files, the matrix.

mod cli_common;

use std::path::PathBuf;

use cli_common::{play, text, write};

const SMALL: &str = r#"name = "Save password off blocks the on-start sync"

[setup]
settings = { save_password = false }

[[step]]
do = "clock"
advance_minutes = 20

[[step]]
do = "restart"
expect = { sync = "skipped", reasons = ["password is not saved"] }
"#;

#[test]
fn a_passing_scenario_exits_0_with_its_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "ok.toml", SMALL);
    let out = play(&[file.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("user      restarts the app"), "{stdout}");
    assert!(
        stdout.contains("on-start sync skipped: password is not saved"),
        "{stdout}"
    );
    assert!(
        stdout.contains("PASS Save password off blocks the on-start sync"),
        "{stdout}"
    );
}

#[test]
fn a_wrong_expectation_exits_1_naming_scenario_step_expected_and_actual() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "wrong.toml",
        &SMALL.replace("sync = \"skipped\"", "sync = \"started\""),
    );
    let out = play(&[file.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("FAIL Save password off blocks the on-start sync")
            && stderr.contains("step 2 (line 10): sync: expected Started, got Skipped (on-start sync skipped: password is not saved)"),
        "{stderr}"
    );
}

#[test]
fn the_new_expectations_fail_naming_what_the_app_shows() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"name = "Nothing runs, nothing is open"

[setup]
configuration = { sync_before_online = "AskUserToSync" }

[[step]]
do = "check"
expect = { running_mode = "background", home_errors = 2, home_lost = 3, dialog = { kind = "discard" } }

[[step]]
do = "switch_mode"
expect = { dialog = { kind = "sync_before_online", buttons = ["cancel"] } }
"#;
    let file = write(dir.path(), "wrong-new.toml", body);
    let out = play(&[file.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    for line in [
        "step 1 (line 6): running_mode: expected background, got no sync running",
        "step 1 (line 6): home_errors: expected 2, got 0",
        "step 1 (line 6): home_lost: expected 3, got 0",
        "step 1 (line 6): dialog: expected Discard, got no dialog open",
        "step 2 (line 10): dialog: expected SyncBeforeOnline [Cancel], got SyncBeforeOnline [SyncThenSwitch, SwitchWithoutSync, Cancel]",
    ] {
        assert!(stderr.contains(line), "missing {line:?} in {stderr}");
    }
}

#[test]
fn jobs_play_scenarios_side_by_side_printing_each_whole_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["First", "Second", "Third"];
    let files: Vec<PathBuf> = names
        .iter()
        .map(|n| {
            let body = SMALL.replace(
                "Save password off blocks the on-start sync",
                &format!("{n}: save password off"),
            );
            write(dir.path(), &format!("{n}.toml"), &body)
        })
        .collect();
    let wrong = write(
        dir.path(),
        "wrong.toml",
        &SMALL
            .replace("sync = \"skipped\"", "sync = \"started\"")
            .replace(
                "Save password off blocks",
                "Wrong: save password off blocks",
            ),
    );
    let mut args = vec!["--jobs", "3"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    args.push(wrong.to_str().unwrap());
    let out = play(&args);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    // Each scenario's block: its header, its own timeline, its verdict, before the next header.
    let blocks: Vec<&str> = stdout.split("== ").skip(1).collect();
    assert_eq!(blocks.len(), 4, "{stdout}");
    for (block, name) in blocks.iter().zip(names) {
        assert!(
            block.starts_with(&format!("{name}: save password off (")),
            "{block}"
        );
        assert!(
            block.contains("on-start sync skipped: password is not saved"),
            "{block}"
        );
        assert!(
            block.contains(&format!("PASS {name}: save password off")),
            "{block}"
        );
        assert_eq!(block.matches("PASS").count(), 1, "{block}");
    }
    assert!(blocks[3].starts_with("Wrong: "), "{}", blocks[3]);
    assert!(
        stderr.contains("FAIL Wrong: save password off blocks the on-start sync"),
        "{stderr}"
    );
    let zero = play(&["--jobs", "0", files[0].to_str().unwrap()]);
    assert_eq!(zero.status.code(), Some(2), "{}", text(&zero).1);
}

#[test]
fn malformed_files_exit_2_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "syntax.toml",
            SMALL.replace("[[step]]\ndo = \"restart\"", "[[step]\ndo = \"restart\""),
            "syntax.toml:10:",
            "",
        ),
        (
            "unknown-step.toml",
            SMALL.replace("do = \"restart\"", "do = \"reboot\""),
            "unknown-step.toml:11:",
            "unknown variant `reboot`",
        ),
        (
            "unknown-key.toml",
            SMALL.replace("advance_minutes = 20", "advance_minutes = 20\nspeed = 2"),
            "unknown-key.toml:9:",
            "`speed`",
        ),
        (
            "bad-expect.toml",
            SMALL.replace("sync = \"skipped\"", "snyc = \"skipped\""),
            "bad-expect.toml:12:",
            "`snyc`",
        ),
        (
            "bad-clock.toml",
            SMALL.replace("[setup]", "[setup]\nclock = \"tomorrow\""),
            "bad-clock.toml:4:",
            "RFC 3339",
        ),
        (
            // "clock" in the name, on line 1: the error is still at the key's own line.
            "clock-named.toml",
            SMALL
                .replace("Save password off", "The clock says")
                .replace("[setup]", "[setup]\nclock = \"tomorrow\""),
            "clock-named.toml:4:1:",
            "RFC 3339",
        ),
        (
            "wrong-type-in-expect.toml",
            SMALL.replace(
                "sync = \"skipped\",",
                "sync = \"skipped\", conflicts = \"one\",",
            ),
            "wrong-type-in-expect.toml:12:",
            "field `conflicts`",
        ),
        (
            "clock-backwards.toml",
            SMALL.replace("advance_minutes = 20", "advance_minutes = -15"),
            "clock-backwards.toml:8:1:",
            "the clock only moves forward",
        ),
        (
            "delete-half-named.toml",
            SMALL.replace("do = \"restart\"", "do = \"delete\"\nentity = \"account\""),
            "delete-half-named.toml:12:",
            "both `entity` and `id`, or neither",
        ),
        (
            "create-without-fields.toml",
            SMALL.replace(
                "do = \"restart\"",
                "do = \"create\"\nentity = \"account\"\nid = \"acc-new\"",
            ),
            "create-without-fields.toml:11:",
            "`create` needs `fields`",
        ),
        (
            "no-do.toml",
            SMALL.replace("do = \"restart\"\n", ""),
            "no-do.toml:10:",
            "needs `do`",
        ),
        (
            "configure-bad-value.toml",
            SMALL.replace(
                "do = \"restart\"",
                "do = \"configure\"\nconfiguration = { background_sync_behavior = \"Sometimes\" }",
            ),
            "configure-bad-value.toml:12:19: field `background_sync_behavior`",
            "unknown variant `Sometimes`",
        ),
        (
            "configure-unknown-key.toml",
            SMALL.replace(
                "do = \"restart\"",
                "do = \"configure\"\nconfiguration = { colour = \"red\" }",
            ),
            "configure-unknown-key.toml:12:19: field `colour`",
            "not a Configuration setting",
        ),
        (
            "configure-nothing.toml",
            SMALL.replace("do = \"restart\"", "do = \"configure\""),
            "configure-nothing.toml:11:",
            "`configure` needs",
        ),
        (
            "clock-both-units.toml",
            SMALL.replace(
                "advance_minutes = 20",
                "advance_minutes = 20\nadvance_seconds = 5",
            ),
            "clock-both-units.toml:8:1:",
            "give exactly one of them",
        ),
        (
            "clock-no-unit.toml",
            SMALL.replace("advance_minutes = 20\n", ""),
            "clock-no-unit.toml:7:",
            "needs `advance_minutes` or `advance_seconds`",
        ),
        (
            "clock-seconds-backwards.toml",
            SMALL.replace("advance_minutes = 20", "advance_seconds = -1"),
            "clock-seconds-backwards.toml:8:1:",
            "`advance_seconds` must be 0 or more",
        ),
        (
            "bad-running-mode.toml",
            SMALL.replace("sync = \"skipped\",", "running_mode = \"sideways\","),
            "bad-running-mode.toml:12:",
            "unknown variant `sideways`, expected `background` or `foreground`",
        ),
        (
            "bad-dialog-kind.toml",
            SMALL.replace("sync = \"skipped\",", "dialog = { kind = \"popup\" },"),
            "bad-dialog-kind.toml:12:",
            "unknown variant `popup`",
        ),
        (
            "bad-dialog-button.toml",
            SMALL.replace(
                "sync = \"skipped\",",
                "dialog = { kind = \"discard\", buttons = [\"ok\"] },",
            ),
            "bad-dialog-button.toml:12:",
            "unknown variant `ok`",
        ),
        (
            "bad-home-errors.toml",
            SMALL.replace("sync = \"skipped\",", "home_errors = -1,"),
            "bad-home-errors.toml:12:",
            "home_errors",
        ),
    ];
    for (name, body, location, words) in cases {
        let file = write(dir.path(), name, &body);
        let out = play(&[file.to_str().unwrap()]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {stdout}{stderr}");
        assert!(
            stderr.contains(location) && stderr.contains(words),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let out = play(&[dir.path().join("missing.toml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("cannot read the file"));
}

#[test]
fn json_output_is_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "ok.toml", SMALL);
    let out = play(&["--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let (stdout, _) = text(&out);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.iter().any(|l| l["actor"] == "user"
            && l["kind"] == "step"
            && l["text"] == "restarts the app")
    );
    assert_eq!(lines.last().unwrap()["result"], "pass");
    // Journal rows carry their kind and sequence number; every line its scenario.
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "sync" && l["seq"].is_i64() && l["actor"] == "sync"),
        "{stdout}"
    );
    assert!(
        lines[..lines.len() - 1]
            .iter()
            .all(|l| l["scenario"] == "Save password off blocks the on-start sync")
    );
}

#[test]
fn the_matrix_compares_every_behavior_for_the_race() {
    let out = play(&["--matrix", "assets/scenarios/race-no-action.toml"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let row = |label: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no row {label} in\n{stdout}"))
            .split_whitespace()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
    };
    // Columns from the right: lost, conflicts, deferred, waited ms, waited count … refused.
    assert_eq!(
        row("No action")[0],
        "1",
        "No action loses the edit:\n{stdout}"
    );
    assert_eq!(row("Rebase")[0], "0", "{stdout}");
    assert_eq!(row("Block save during sync ")[0], "0", "{stdout}");
    assert!(
        stdout.contains("final values (device | server)"),
        "{stdout}"
    );
}

#[test]
fn a_step_naming_what_does_not_exist_exits_1_naming_the_step_and_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "no-entity.toml",
            "[[step]]\ndo = \"open\"\nentity = \"opportunity\"\nid = \"opp-0001\"\n",
            "step 1 (line 3)",
            "the project has no entity `opportunity`",
        ),
        (
            "no-record.toml",
            "[[step]]\ndo = \"open\"\nentity = \"account\"\nid = \"acc-9999\"\n",
            "step 1 (line 3)",
            "account acc-9999 is not on the device",
        ),
        (
            "no-field.toml",
            "[[step]]\ndo = \"open\"\nentity = \"account\"\nid = \"acc-0001\"\n\n[[step]]\ndo = \"edit\"\nfield = \"colour\"\nvalue = \"red\"\n",
            "step 2 (line 8)",
            "the account form has no field `colour`",
        ),
        (
            "no-form.toml",
            "[[step]]\ndo = \"edit\"\nfield = \"city\"\nvalue = \"Oslo\"\n",
            "step 1 (line 3)",
            "no form is open",
        ),
        (
            "configure-no-entity.toml",
            "[[step]]\ndo = \"configure\"\non_conflict = { invoice = \"Manual\" }\n",
            "step 1 (line 3)",
            "the project has no entity `invoice`",
        ),
        (
            "create-without-name.toml",
            "[[step]]\ndo = \"create\"\nentity = \"account\"\nid = \"acc-new\"\nfields = { city = \"Oslo\" }\n",
            "step 1 (line 3)",
            "a new account needs `name` (Account Name): it is required",
        ),
        (
            "create-existing.toml",
            "[[step]]\ndo = \"create\"\nentity = \"account\"\nid = \"acc-0001\"\nfields = { name = \"Twice\" }\n",
            "step 1 (line 3)",
            "account acc-0001 is on the device already",
        ),
        (
            "delete-missing.toml",
            "[[step]]\ndo = \"delete\"\nentity = \"account\"\nid = \"acc-9999\"\n",
            "step 1 (line 3)",
            "account acc-9999 is not on the device",
        ),
        (
            "delete-no-form.toml",
            "[[step]]\ndo = \"delete\"\n",
            "step 1 (line 3)",
            "needs an open record",
        ),
        (
            "no-server-entity.toml",
            "[[step]]\ndo = \"delay\"\nentity = \"lead\"\nms = 100\n",
            "step 1 (line 3)",
            "the project has no entity `lead`",
        ),
    ];
    for (name, steps, step, missing) in cases {
        let body = format!("name = \"{name}\"\n\n{steps}");
        let file = write(dir.path(), name, &body);
        let out = play(&[file.to_str().unwrap()]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {stdout}{stderr}");
        assert!(
            stderr.contains(step) && stderr.contains(missing),
            "{name}: {stderr}"
        );
    }
}
