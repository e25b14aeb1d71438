//! A whole session: start fresh, change a setting, edit, save, sync, quit with the terminal
//! restored (also on SIGHUP and SIGTERM); a recorded session replayed with `play`.

use super::pty::*;
use super::*;

#[test]
fn start_fresh_change_a_setting_edit_save_sync_and_quit() {
    let mut tui = Tui::start();
    tui.until("Home filled by the on-start sync", |s| {
        line_with(s, "Accounts").is_some_and(|l| l.contains("240"))
            && line_with(s, "Contacts").is_some_and(|l| l.contains("360"))
            && s.contains("succeeded")
    });
    assert!(
        tui.parser.screen().alternate_screen(),
        "the UI runs on the alternate screen"
    );
    let home = tui.screen();
    assert!(
        line_with(&home, "Last sync").is_some_and(|l| l.contains("succeeded")),
        "{home}"
    );
    assert!(home.contains("on start, background"), "{home}");

    // Setup: Auto Sync cycles On Start & On Change → Never → On Start → On Change.
    tui.send(b"u");
    tui.until("Setup", |s| {
        s.contains("Setup · Synchronization") && s.contains("On Start & On Change")
    });
    for expected in [
        "Auto Sync: Never",
        "Auto Sync: On Start (saved)",
        "Auto Sync: On Change",
    ] {
        tui.send(ENTER);
        tui.until(expected, |s| s.contains(expected));
    }
    tui.until("the selector shows On Change", |s| {
        line_with(s, "Auto Sync").is_some_and(|l| l.contains("◂ On Change ▸"))
    });
    tui.send(ESC);
    tui.until("Home again", |s| {
        s.contains("Synchronization") && !s.contains("Setup · Synchronization")
    });

    type_into_first_city(&mut tui);
    tui.send(b"Reykjavik");
    tui.until("the typed value", |s| {
        line_with(s, "City").is_some_and(|l| l.contains("Reykjavik"))
    });
    tui.send(ENTER);
    tui.until("editing done", |s| {
        s.contains("s Save") && s.contains("unsaved")
    });
    tui.send(b"s");
    tui.until("saved", |s| s.contains("Saved on the device"));

    // Back Home: the on-change sync uploaded it.
    tui.send(ESC);
    tui.until("the list", |s| s.contains("Accounts (240)"));
    tui.send(ESC);
    tui.until("the on-change sync finished and nothing is pending", |s| {
        line_with(s, "Pending").is_some_and(|l| l.contains("0 change(s)"))
            && s.contains("on change, background")
            && s.contains("succeeded")
    });

    tui.send(b"q");
    let status = tui.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    tui.assert_restored("on quit");
}

#[test]
fn sighup_restores_the_terminal() {
    let mut tui = Tui::start();
    tui.until("Home", |s| {
        line_with(s, "Accounts").is_some_and(|l| l.contains("240"))
    });
    assert!(tui.parser.screen().alternate_screen());
    // portable-pty's kill sends SIGHUP on unix: the terminal hung up.
    tui.child.kill().unwrap();
    tui.wait_exit();
    tui.assert_restored("on SIGHUP");
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut tui = Tui::start();
    tui.until("Home", |s| {
        line_with(s, "Accounts").is_some_and(|l| l.contains("240"))
    });
    let pid = tui.child.process_id().expect("a pid");
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    tui.wait_exit();
    tui.assert_restored("on SIGTERM");
}

#[test]
fn a_recorded_session_replays_with_play_to_the_same_outcome() {
    let mut tui = Tui::start_with(&["--record", "session.toml"]);
    tui.until("Home filled", home_filled);
    type_into_first_city(&mut tui);
    tui.send(b"Recorded City");
    tui.send(ENTER);
    tui.until("editing done", |s| s.contains("unsaved"));
    tui.send(b"s");
    tui.until("saved", |s| s.contains("Saved on the device"));
    tui.send(ESC);
    tui.until("the list", |s| s.contains("Accounts (240)"));
    tui.send(ESC);
    // The on-change sync has ended (not only uploaded): its end starts the 15-minute window.
    tui.until("the on-change sync ended", |s| {
        s.contains("0 change(s) to upload") && s.contains("on change, background")
    });
    // 16 minutes later, back from the background: the on-start rule runs the sync again.
    tui.send(b"6");
    tui.until("the clock moved", |s| s.contains("Clock advanced"));
    tui.send(b"b");
    tui.until("in the background", |s| s.contains("background"));
    tui.send(b"r");
    tui.until("resumed and synced", |s| {
        s.contains("return from background")
    });
    tui.send(b"q");
    assert!(tui.wait_exit().success());

    let file = tui._dir.path().join("session.toml");
    let text = std::fs::read_to_string(&file).expect("--record wrote the session");
    for step in [
        "do = \"open\"",
        "do = \"edit\"",
        "value = \"Recorded City\"",
        "do = \"save\"",
        "advance_minutes = 16",
        "do = \"resume\"",
    ] {
        assert!(text.contains(step), "missing {step} in\n{text}");
    }
    assert!(
        !text.contains("password = \"demo\"") && !text.contains("value = \"demo\""),
        "no password in\n{text}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_autosync"))
        .arg("play")
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("PASS Recorded session"), "{stdout}");
    assert!(
        text.contains("\"Recorded City\""),
        "the final check expects the saved value:\n{text}"
    );
}
