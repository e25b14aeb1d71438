//! Save password Off forgets the password, bytes and all (issue 9, item 6): Save password On,
//! a sync with the password, then Save password Off. Deleting the row is not enough: SQLite
//! leaves a deleted value's bytes in the database file's free space, and the write-ahead log
//! keeps the pages as they were. From the moment the setting is off, while the app still runs
//! and after it quit, no file of the profile's directory (the database, its `-wal` and `-shm`,
//! logs, exports) may hold the password in any spelling: as typed, in base64 (standard and
//! URL-safe, with and without padding, alone or as the Basic `user:password`), or URL-encoded.

use std::path::Path;
use std::time::Duration;

use autosync::app::Action;
use autosync::engine::Command;
use autosync::remote::urlencode;
use autosync::settings::SettingChange;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

use super::app_common::{DEADLINE, Harness, Prep};
use super::{PASSWORD, USER, contains, files_under};

/// Every spelling of `secret` that could be left behind, with its name.
fn spellings(secret: &str) -> Vec<(String, String)> {
    let basic = format!("{USER}:{secret}");
    let mut out = vec![
        ("as typed".to_string(), secret.to_string()),
        ("URL-encoded".to_string(), urlencode(secret)),
        ("URL-encoded user:password".to_string(), urlencode(&basic)),
    ];
    for (name, engine) in [
        ("base64", STANDARD),
        ("base64 without padding", STANDARD_NO_PAD),
        ("URL-safe base64", URL_SAFE),
        ("URL-safe base64 without padding", URL_SAFE_NO_PAD),
    ] {
        out.push((name.to_string(), engine.encode(secret)));
        out.push((format!("{name} of user:password"), engine.encode(&basic)));
    }
    // One name for each distinct spelling (a password of letters is its own URL encoding).
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|(_, spelling)| seen.insert(spelling.clone()));
    out
}

/// Every (file, spelling) of the password in `dir`, the server's own directory left out (it
/// holds its users).
fn leaks(dir: &Path) -> Vec<String> {
    let server = dir.join("server");
    let mut out = Vec::new();
    for file in files_under(dir) {
        if file.starts_with(&server) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&file) else {
            continue; // gone meanwhile (a -wal at close)
        };
        for (name, spelling) in spellings(PASSWORD) {
            if contains(&bytes, &spelling) {
                out.push(format!("{} holds it {name} ({spelling})", file.display()));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_password_off_leaves_no_byte_of_the_password_in_the_profile() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::ChangeSetting(SettingChange::UserName(USER.into())))
        .await;
    h.act(Action::EnterPassword(PASSWORD.into())).await;
    assert_eq!(
        h.store().password().unwrap().as_deref(),
        Some(PASSWORD),
        "Save password is on: the password is saved"
    );
    h.sync().await;
    let last = h.app.status().last.clone().unwrap();
    assert!(last.flags.succeeded(), "synchronized with it: {last:?}");
    h.act(Action::ChangeSetting(SettingChange::SavePassword(false)))
        .await;
    assert!(!h.app.password_saved());
    assert_eq!(h.store().password().unwrap(), None, "the row is deleted");
    let export = h.app.default_export_path();
    h.act(Action::ExportLog {
        path: export.clone(),
    })
    .await;
    assert!(std::fs::metadata(&export).unwrap().len() > 0);
    let dir = h.dir.path().to_path_buf();
    let profile = h.store().path().to_path_buf();
    assert!(profile.starts_with(&dir));
    let running = leaks(&dir);
    // Quit: the engine stops, then the app and its connection go.
    let engine = h.device().engine().clone();
    let mut stopped = engine.watch_status();
    engine.send(Command::Shutdown);
    tokio::time::timeout(DEADLINE, async { while stopped.changed().await.is_ok() {} })
        .await
        .expect("the engine stops");
    let Harness {
        dir: tempdir,
        app,
        server,
        ..
    } = h;
    drop(app);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let files: Vec<String> = files_under(&dir)
        .iter()
        .filter(|f| !f.starts_with(dir.join("server")))
        .map(|f| f.display().to_string())
        .collect();
    let quit = leaks(&dir);
    assert!(
        running.is_empty() && quit.is_empty(),
        "the password's bytes remain after Save password Off\n  while the app runs:\n    {}\n  after it quit:\n    {}\n  (files searched after it quit: {files:?})",
        running.join("\n    "),
        quit.join("\n    "),
    );
    drop(server);
    drop(tempdir);
}
