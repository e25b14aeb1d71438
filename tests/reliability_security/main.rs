//! Security (issue 8, item 5): credentials open only their own doors; a password appears in no
//! log, timeline, recorded scenario, exported journal or error message; a saved password is
//! readable by its owner only, and not stored at all when Save password is off; the server
//! listens on loopback unless told otherwise; request bodies and page sizes are bounded.

#[path = "../app_common/mod.rs"]
mod app_common;
mod password_off;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use app_common::{Harness, Prep};
use autosync::app::{Action, SyncScreen};
use autosync::config::Config;
use autosync::settings::SettingChange;
use autosync::wire::{MAX_BATCH_OPERATIONS, MAX_BODY_BYTES, MAX_PAGE_LIMIT};
use base64::Engine;
use reqwest::StatusCode;

/// A demo user whose password appears nowhere else in the program (`assets/users.toml`).
const USER: &str = "alice";
const PASSWORD: &str = "wonderland";
/// A wrong password, typed first: it must not be written anywhere either.
const WRONG: &str = "Zq-wrong-Distinct-9931";
const ADMIN_TOKEN: &str = "test-admin-token";

/// Every spelling of a secret that could leak: as typed, and inside a Basic header.
fn spellings(secret: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![
        secret.to_string(),
        b64.encode(format!("{USER}:{secret}")),
        b64.encode(format!("demo:{secret}")),
    ]
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Asserts that no file under `dir` (except those `allowed`) holds any spelling of `secrets`;
/// returns how many files were searched.
fn assert_nowhere(dir: &Path, secrets: &[&str], allowed: impl Fn(&Path) -> bool) -> usize {
    let mut searched = 0;
    for file in files_under(dir) {
        if allowed(&file) {
            continue;
        }
        let bytes = std::fs::read(&file).unwrap();
        searched += 1;
        for secret in secrets {
            for spelling in spellings(secret) {
                assert!(
                    !contains(&bytes, &spelling),
                    "`{spelling}` found in {}",
                    file.display()
                );
            }
        }
    }
    searched
}

fn assert_not_in(text: &str, what: &str) {
    for secret in [PASSWORD, WRONG] {
        for spelling in spellings(secret) {
            assert!(!text.contains(&spelling), "`{spelling}` in {what}: {text}");
        }
    }
}

/// The library's tracing output (what the TUI writes to `autosync.log`), at trace level, into
/// a file the searches cover.
fn capture_logs(path: &Path) {
    let file = std::fs::File::create(path).unwrap();
    let _ = tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_password_appears_in_no_file_log_journal_recording_or_message() {
    let logs = tempfile::tempdir().unwrap();
    let log_file = logs.path().join("autosync.log");
    capture_logs(&log_file);
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let initial = autosync::scenario::record::Initial::capture(h.store(), h.clock.now());
    // Save password off, and sign in as a user whose password is distinctive.
    h.act(Action::ChangeSetting(SettingChange::SavePassword(false)))
        .await;
    h.act(Action::ChangeSetting(SettingChange::UserName(USER.into())))
        .await;
    assert!(!h.app.password_saved());
    // A wrong password first: the 401 and its messages.
    h.act(Action::PressSync).await;
    h.type_text(WRONG).await;
    let before = h.finished();
    h.act(Action::EndEdit).await;
    h.until_synced(before).await;
    let failed = h.app.status().last.clone().unwrap();
    assert!(!failed.flags.succeeded(), "{failed:?}");
    let error = failed.error.clone().unwrap_or_default();
    assert!(error.contains("password"), "{error}");
    assert_not_in(&error, "the sync error");
    assert_not_in(&h.message(), "the App's message");
    // Then the right one.
    // Sync asks for the rejected password again instead of sending it again.
    h.act(Action::PressSync).await;
    assert!(
        matches!(h.app.sync_screen(), Some(SyncScreen::Login { .. })),
        "{:?}",
        h.app.sync_screen()
    );
    assert!(
        h.message().contains("rejected the password"),
        "{}",
        h.message()
    );
    h.type_text(PASSWORD).await;
    let before = h.finished();
    h.act(Action::EndEdit).await;
    h.until_synced(before).await;
    let last = h.app.status().last.clone().unwrap();
    assert!(last.flags.succeeded(), "{last:?}");
    assert!(!h.app.password_saved(), "Save password is off");
    assert_eq!(h.store().password().unwrap(), None);
    // Every trace the program left: status, messages, the journal, the Log screen, an export,
    // a recording, the server's request log.
    let status = format!("{:?}", h.app.status());
    assert_not_in(&status, "the engine status");
    assert_not_in(&h.message(), "the App's message");
    for line in h.app.log_lines() {
        assert_not_in(&format!("{line:?}"), "the Log screen");
    }
    for entry in h.store().journal(0, 100_000).unwrap() {
        assert_not_in(&format!("{entry:?}"), "the journal");
    }
    let export = h.dir.path().join("autosync-log.jsonl");
    h.act(Action::ExportLog {
        path: export.clone(),
    })
    .await;
    assert!(std::fs::metadata(&export).unwrap().len() > 0);
    let recording = h.dir.path().join("session.toml");
    autosync::scenario::record::save(&recording, &initial, &h.app).unwrap();
    // The recording replayed: its timeline (text and JSON) and whatever it reports.
    for extra in [None, Some("--json")] {
        let out = tokio::task::spawn_blocking({
            let recording = recording.clone();
            move || {
                let mut cmd = Command::new(env!("CARGO_BIN_EXE_autosync"));
                cmd.arg("play").arg(&recording);
                if let Some(flag) = extra {
                    cmd.arg(flag);
                }
                cmd.output().unwrap()
            }
        })
        .await
        .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("replay exit {:?}: {} bytes", out.status.code(), text.len());
        assert!(!text.is_empty());
        assert_not_in(&text, "the replayed timeline");
    }
    let requests = h.control.requests(1000).await.unwrap();
    assert_not_in(
        &serde_json::to_string(&requests).unwrap(),
        "the server's request log",
    );
    // Every file the client wrote, the profile database included (no password is saved), and
    // the captured logs. The server's own directory holds its users and is not the client's.
    let server_dir = h.dir.path().join("server");
    let searched = assert_nowhere(h.dir.path(), &[PASSWORD, WRONG], |p| {
        p.starts_with(&server_dir)
    });
    assert!(searched >= 3, "{searched} files");
    let log = std::fs::read(&log_file).unwrap();
    assert!(!log.is_empty(), "the trace log captured something");
    for secret in [PASSWORD, WRONG] {
        for spelling in spellings(secret) {
            assert!(!contains(&log, &spelling), "`{spelling}` in the trace log");
        }
    }
}

fn autosync_sync(data_dir: &Path, config: &Path, server: &str, password: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_autosync"))
        .args(["--data-dir", data_dir.to_str().unwrap()])
        .args(["--config", config.to_str().unwrap()])
        .args(["--server", server, "sync"])
        .env("AUTOSYNC_PASSWORD", password)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_password_is_readable_by_its_owner_only_and_printed_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let server = autosync::server::start_embedded(
        &dir.path().join("server"),
        autosync::clock::Clock::system(),
        Some(ADMIN_TOKEN.into()),
    )
    .await
    .unwrap();
    let url = server.url().to_string();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("user_name = \"{USER}\"\n")).unwrap();
    let (wrong_dir, right_dir) = (dir.path().join("wrong"), dir.path().join("right"));
    let (w, r) = (wrong_dir.clone(), right_dir.clone());
    let (c, u) = (config.clone(), url.clone());
    let ((wrong_code, wrong_out), (right_code, right_out)) =
        tokio::task::spawn_blocking(move || {
            (
                autosync_sync(&w, &c, &u, WRONG),
                autosync_sync(&r, &c, &u, PASSWORD),
            )
        })
        .await
        .unwrap();
    assert_eq!(wrong_code, 1, "{wrong_out}");
    assert!(wrong_out.contains("password"), "{wrong_out}");
    assert_not_in(&wrong_out, "`autosync sync` output");
    assert_eq!(right_code, 0, "{right_out}");
    assert_not_in(&right_out, "`autosync sync` output");
    for (data_dir, secret) in [(&wrong_dir, WRONG), (&right_dir, PASSWORD)] {
        let profile = autosync::device::profile_path(data_dir);
        let store = autosync::store::Store::open(&profile).unwrap();
        assert_eq!(store.password().unwrap().as_deref(), Some(secret));
        drop(store);
        // The database and its WAL and shared-memory files: owner only.
        #[cfg(unix)]
        for file in files_under(data_dir) {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("client.db") {
                assert_eq!(mode(&file), 0o600, "{}", file.display());
            }
        }
        // Nowhere but the profile database.
        assert_nowhere(data_dir, &[secret], |p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("client.db"))
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_open_only_their_own_doors() {
    let dir = tempfile::tempdir().unwrap();
    let server = autosync::server::start_embedded(
        dir.path(),
        autosync::clock::Clock::system(),
        Some(ADMIN_TOKEN.into()),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", server.url());
    let user_paths = [
        ("GET", "/api/v1/session"),
        ("GET", "/api/v1/project"),
        ("GET", "/api/v1/entities/account?limit=1"),
        ("GET", "/api/v1/entities/account/acc-0001"),
        ("PATCH", "/api/v1/entities/account/acc-0001"),
        ("DELETE", "/api/v1/entities/account/acc-0001"),
        ("POST", "/api/v1/batch"),
        ("GET", "/api/v1/files/attachments"),
    ];
    let admin_paths = [
        ("POST", "/admin/publish"),
        ("GET", "/admin/delays"),
        ("PUT", "/admin/delays/account"),
        ("POST", "/admin/reset"),
        ("GET", "/admin/requests"),
        ("POST", "/admin/generate"),
        ("POST", "/admin/purge-tombstones"),
    ];
    let request = |method: &str, path: &str| {
        http.request(method.parse().unwrap(), url(path))
            .header("content-type", "application/json")
            .body("{}")
    };
    let mut refused = 0;
    for (method, path) in user_paths {
        let attempts = [
            request(method, path),
            request(method, path).basic_auth("demo", Some("not-demo")),
            request(method, path).basic_auth("demo", None::<&str>),
            request(method, path).basic_auth("nobody", Some("demo")),
            request(method, path).basic_auth("DEMO", Some("demo")),
            request(method, path).bearer_auth(ADMIN_TOKEN),
            request(method, path).basic_auth("admin", Some(ADMIN_TOKEN)),
            request(method, path).basic_auth("demo", Some(ADMIN_TOKEN)),
            request(method, path).header("authorization", "Basic !!!not-base64"),
        ];
        for attempt in attempts {
            let r = attempt.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            refused += 1;
        }
    }
    for (method, path) in admin_paths {
        let attempts = [
            request(method, path),
            request(method, path).bearer_auth("not-the-token"),
            request(method, path).bearer_auth(&ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1]),
            request(method, path).bearer_auth(format!("{ADMIN_TOKEN}x")),
            request(method, path).basic_auth("demo", Some("demo")),
            request(method, path).basic_auth("backoffice", Some("backoffice")),
            request(method, path).bearer_auth("demo"),
            request(method, path).basic_auth("admin", Some(ADMIN_TOKEN)),
        ];
        for attempt in attempts {
            let r = attempt.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            refused += 1;
        }
    }
    // The right credentials open their doors.
    let r = request("GET", "/api/v1/session")
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = request("GET", "/admin/delays")
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    eprintln!("{refused} wrong credentials refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_and_page_sizes_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let server = autosync::server::start_embedded(
        dir.path(),
        autosync::clock::Clock::system(),
        Some(ADMIN_TOKEN.into()),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", server.url());
    let huge = format!(
        "{{\"operations\":[],\"pad\":\"{}\"}}",
        "x".repeat(MAX_BODY_BYTES + 1)
    );
    let r = http
        .post(url("/api/v1/batch"))
        .basic_auth("demo", Some("demo"))
        .header("content-type", "application/json")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let r = http
        .patch(url("/api/v1/entities/account/acc-0001"))
        .basic_auth("demo", Some("demo"))
        .header("if-match", "\"x\"")
        .header("content-type", "application/json")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let r = http
        .post(url("/admin/publish"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // One operation more than a batch holds.
    let operations: Vec<serde_json::Value> = (0..=MAX_BATCH_OPERATIONS)
        .map(|i| {
            serde_json::json!({"op": "update", "entity": "account", "id": format!("acc-{i:04}"),
                "if_match": "\"x\"", "fields": {"city": "x"}})
        })
        .collect();
    let r = http
        .post(url("/api/v1/batch"))
        .basic_auth("demo", Some("demo"))
        .json(&serde_json::json!({ "operations": operations }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    // Page sizes: 1 to MAX_PAGE_LIMIT.
    for limit in [0, MAX_PAGE_LIMIT + 1, u32::MAX] {
        let r = http
            .get(url(&format!("/api/v1/entities/account?limit={limit}")))
            .basic_auth("demo", Some("demo"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "limit {limit}");
    }
    let r = http
        .get(url(&format!(
            "/api/v1/entities/account?limit={MAX_PAGE_LIMIT}"
        )))
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page: autosync::wire::EntityPage = r.json().await.unwrap();
    assert!(page.records.len() <= MAX_PAGE_LIMIT as usize);
}

#[test]
fn the_server_listens_on_loopback_unless_told_otherwise() {
    // The default of `server.listen`, and the embedded server's address.
    let config = Config::parse(Path::new("empty.toml"), "").unwrap();
    let addr: std::net::SocketAddr = config.server.listen.parse().unwrap();
    assert!(addr.ip().is_loopback(), "{addr}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = rt.block_on(async {
        autosync::server::start_embedded(dir.path(), autosync::clock::Clock::system(), None)
            .await
            .unwrap()
            .url()
            .to_string()
    });
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    // Told otherwise, it listens there and warns.
    let mut child = Command::new(env!("CARGO_BIN_EXE_autosync"))
        .args(["--data-dir", dir.path().to_str().unwrap()])
        .args(["server", "--listen", "0.0.0.0:0"])
        .env("AUTOSYNC_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    let warned = loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let hit = line.contains("not a loopback address");
                seen.push(line);
                if hit {
                    break true;
                }
            }
            Err(_) if Instant::now() > deadline => break false,
            Err(_) => {}
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(warned, "{seen:?}");
    assert!(
        seen.iter().all(|l| !l.contains(ADMIN_TOKEN)),
        "a token given by the environment is not printed: {seen:?}"
    );
}

/// The admin token given to the TUI (`--admin-token` or `AUTOSYNC_ADMIN_TOKEN`) is kept where no
/// `Debug` prints it: not the parsed command line, not the TUI's options, not the control API
/// client. (`tests/tui_e2e/` runs a session with it and searches every file it left.)
#[test]
fn the_admin_token_is_printed_by_no_debug_of_what_holds_it() {
    use clap::Parser;
    let cli = autosync::cli::Cli::try_parse_from([
        "autosync",
        "--server",
        "http://127.0.0.1:8787",
        "--admin-token",
        ADMIN_TOKEN,
    ])
    .unwrap();
    assert_eq!(
        cli.admin_token.as_ref().map(|t| t.secret()),
        Some(ADMIN_TOKEN)
    );
    assert_not_token(&format!("{cli:?}"), "the parsed command line");
    let control = autosync::control::Control::new("http://127.0.0.1:8787", ADMIN_TOKEN);
    assert_not_token(&format!("{control:?}"), "the control API client");
}

fn assert_not_token(text: &str, what: &str) {
    assert!(
        !text.contains(ADMIN_TOKEN),
        "the admin token in {what}: {text}"
    );
}
