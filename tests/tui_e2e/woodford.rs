//! Woodford and the Server panel through the real binary.

use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use super::pty::*;
use super::*;

/// Issue 13's path through the real binary: Woodford locks Auto Sync and the Background sync
/// behavior, publishes them, the device finds the update on its next background sync (the
/// down arrow), the down arrow applies it, and Setup refuses the locked setting.
#[test]
fn woodford_publishes_a_lock_that_the_device_takes_with_the_down_arrow() {
    let mut tui = Tui::start();
    tui.until("Home filled by the on-start sync", |s| {
        line_with(s, "Accounts").is_some_and(|l| l.contains("240")) && s.contains("succeeded")
    });
    tui.send(b"c");
    tui.until("Woodford with the published project", |s| {
        s.contains("Woodford · Configure the project")
            && s.contains("On the server: version 1")
            && s.contains("The device applied version 1")
    });
    // Trigger Auto Sync: locked.
    tui.send(DOWN);
    tui.send(b"l");
    tui.until("Auto Sync locked in the draft", |s| {
        line_with(s, "Trigger Auto Sync")
            .is_some_and(|l| l.contains("🔒") && l.contains("not published"))
    });
    // Background sync behavior: No action, locked.
    for _ in 0..7 {
        tui.send(DOWN);
    }
    tui.send(b"l");
    tui.until("the behavior locked at No action", |s| {
        line_with(s, "Background sync behavior").is_some_and(|l| {
            l.contains("No action") && l.contains("🔒") && l.contains("not published")
        })
    });
    tui.send(b"s");
    tui.until("version 2 published and read back", |s| {
        s.contains("On the server: version 2") && !s.contains("not published")
    });
    tui.send(ESC);
    tui.until("Home", |s| s.contains("Synchronization"));
    // A background sync finds the newer version: the down arrow replaces Sync.
    tui.send(b"s");
    tui.until("the down arrow, the sync ended", |s| {
        s.contains("Update to v2") && s.contains("Sync (manual) finished")
    });
    tui.send(b"s");
    tui.until("the update applied", |s| {
        !s.contains("Update to v2") && s.contains("succeeded")
    });
    tui.send(b"u");
    tui.until("Setup shows the lock", |s| {
        line_with(s, "Auto Sync").is_some_and(|l| l.contains("Locked by the administrator"))
    });
    tui.send(ENTER);
    tui.until("the locked setting refuses", |s| {
        s.contains("Auto Sync: Locked by the administrator")
    });
    tui.send(b"q");
    assert!(tui.wait_exit().success());
}

/// `autosync server` run by the test, the TUI against it with `--admin-token`: Woodford reads
/// and publishes on that server, the Server panel's controls act on it, and the token is in no
/// file the session left (profile, log, config) — issue 13, item 2.
#[test]
fn with_the_admin_token_woodford_and_the_server_panel_act_on_an_external_server() {
    use std::io::BufRead;
    const TOKEN: &str = "Ext-Admin-Token-7731-distinct";
    let server_dir = tempfile::tempdir().unwrap();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_autosync"))
        .arg("--data-dir")
        .arg(server_dir.path())
        .args(["server", "--listen", "127.0.0.1:0"])
        .env("AUTOSYNC_ADMIN_TOKEN", TOKEN)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = server.stderr.take().unwrap();
    let (tx, lines) = channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let url = loop {
        let line = lines.recv_timeout(Duration::from_secs(20)).unwrap();
        if let Some(at) = line.find("listening on http://") {
            let rest = &line[at + "listening on ".len()..];
            break rest.split_whitespace().next().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "the server did not start");
    };
    let mut tui = Tui::start_configured(
        "[log]\nlevel = \"trace\"\ndir = \"logs\"\n",
        &["--server", &url, "--admin-token", TOKEN],
    );
    tui.until("Home filled by the on-start sync", |s| {
        line_with(s, "Accounts").is_some_and(|l| l.contains("240")) && s.contains("succeeded")
    });
    tui.send(b"c");
    tui.until("Woodford reads the external server's project", |s| {
        s.contains("On the server: version 1")
    });
    for _ in 0..8 {
        tui.send(DOWN);
    }
    tui.send(b"l");
    tui.until("the behavior locked", |s| {
        s.contains("changed, not published")
    });
    tui.send(b"s");
    tui.until("published on the external server", |s| {
        s.contains("On the server: version 2")
    });
    tui.send(ESC);
    tui.until("Home", |s| s.contains("Synchronization"));
    tui.send(b"p");
    tui.until("the Server panel with its controls", |s| {
        s.contains("Server panel · demo controls")
    });
    for _ in 0..10 {
        tui.send(DOWN);
    }
    tui.until("the account delay selected", |s| {
        line_with(s, "delay, account").is_some_and(|l| l.contains('▸'))
    });
    tui.send(ENTER);
    tui.until("the external server holds account writes", |s| {
        s.contains("business-logic delay on account writes: 2000 ms")
    });
    tui.send(b"q");
    assert!(tui.wait_exit().success());
    server.kill().unwrap();
    server.wait().unwrap();
    // The session's directory: the config, the profile, the log files.
    let mut searched = 0;
    let mut dirs = vec![tui._dir.path().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            searched += 1;
            assert!(
                !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
                "the admin token is in {}",
                path.display()
            );
        }
    }
    assert!(searched >= 3, "{searched} files searched");
    assert!(
        std::fs::read_dir(tui._dir.path().join("logs"))
            .unwrap()
            .count()
            > 0,
        "the session logged"
    );
}
