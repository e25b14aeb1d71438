//! Bad input everywhere (issue 8, item 4): malformed config, project and scenario files give a
//! located error (file, line, field) and exit 2; malformed server answers of every response type
//! give a clear `RemoteError` through the real `Remote` over real HTTP, never a panic; random
//! keys at every screen never panic the App.
//!
//! `AUTOSYNC_LONG=1` multiplies the generated cases by ten.

mod app_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use app_common::{Harness, Prep};
use autosync::app::{Action, ScreenKind};
use autosync::config::Config;
use autosync::project::Project;
use autosync::remote::{ProjectFetch, Remote, RemoteError};
use autosync::tui::keymap;
use autosync::wire::{BatchResponse, EntityPage, FileKind, FileList, Record, Session};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, TestCaseError, TestRunner};
use serde_json::Value;

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

// ---------------------------------------------------------------------------------------------
// Files a user hands us.

fn autosync(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_autosync"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

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

// ---------------------------------------------------------------------------------------------
// Malformed server answers through the real `Remote`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Session,
    Project,
    Page,
    Record,
    Batch,
    Files,
    /// An error status with a Problem body (or something else).
    Problem,
}

const KINDS: [Kind; 7] = [
    Kind::Session,
    Kind::Project,
    Kind::Page,
    Kind::Record,
    Kind::Batch,
    Kind::Files,
    Kind::Problem,
];

/// The answer the responder gives to the next request.
#[derive(Debug, Clone, Default)]
struct Canned {
    status: u16,
    body: Vec<u8>,
    retry_after: Option<String>,
}

/// A tiny HTTP responder on loopback that answers every request with the canned answer.
async fn responder() -> (String, Arc<Mutex<Canned>>) {
    use axum::body::Body;
    use axum::http::{Response, StatusCode};
    let canned = Arc::new(Mutex::new(Canned::default()));
    let state = canned.clone();
    let app = axum::Router::new().fallback(move || {
        let c = state.lock().unwrap().clone();
        async move {
            let mut b = Response::builder()
                .status(StatusCode::from_u16(c.status).unwrap())
                .header("content-type", "application/json")
                .header("etag", "\"v9\"");
            if let Some(r) = c
                .retry_after
                .and_then(|r| axum::http::HeaderValue::from_str(&r).ok())
            {
                b = b.header("retry-after", r);
            }
            b.body(Body::from(c.body)).unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, canned)
}

/// Real answers of the demo server, one per kind: the seeds of the mutations.
async fn valid_bodies() -> Vec<(Kind, Value)> {
    let dir = tempfile::tempdir().unwrap();
    let server = autosync::server::start_embedded(
        dir.path(),
        autosync::clock::Clock::system(),
        Some("t".into()),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let get = |path: &str| {
        http.get(format!("{}{path}", server.url()))
            .basic_auth("demo", Some("demo"))
            .send()
    };
    let json = |r: reqwest::Response| async move { r.json::<Value>().await.unwrap() };
    let session = json(get("/api/v1/session").await.unwrap()).await;
    let project = json(get("/api/v1/project").await.unwrap()).await;
    let page = json(get("/api/v1/entities/account?limit=2").await.unwrap()).await;
    let record = json(get("/api/v1/entities/account/acc-0001").await.unwrap()).await;
    let files = json(get("/api/v1/files/attachments").await.unwrap()).await;
    let problem = json(get("/api/v1/entities/account/no-such-id").await.unwrap()).await;
    let batch = http
        .post(format!("{}/api/v1/batch", server.url()))
        .basic_auth("demo", Some("demo"))
        .json(&serde_json::json!({"operations": [
            {"op": "update", "entity": "account", "id": "acc-0001",
             "if_match": record["etag"], "fields": {"city": "Fuzz"}},
            {"op": "update", "entity": "account", "id": "acc-0002",
             "if_match": "\"stale\"", "fields": {"city": "Fuzz"}}
        ]}))
        .send()
        .await
        .unwrap();
    let batch = json(batch).await;
    // They are valid answers, as the client reads them.
    serde_json::from_value::<Session>(session.clone()).unwrap();
    serde_json::from_value::<Project>(project.clone()).unwrap();
    serde_json::from_value::<EntityPage>(page.clone()).unwrap();
    serde_json::from_value::<Record>(record.clone()).unwrap();
    serde_json::from_value::<BatchResponse>(batch.clone()).unwrap();
    serde_json::from_value::<FileList>(files.clone()).unwrap();
    serde_json::from_value::<autosync::wire::Problem>(problem.clone()).unwrap();
    vec![
        (Kind::Session, session),
        (Kind::Project, project),
        (Kind::Page, page),
        (Kind::Record, record),
        (Kind::Batch, batch),
        (Kind::Files, files),
        (Kind::Problem, problem),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        ".{0,12}".prop_map(Value::from),
        Just(Value::from("\u{0}\u{fffd}\u{1F600}")),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every node of a JSON value, as a path of object keys and array indexes.
fn paths(v: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(Value::from(k.clone()));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(Value::from(i));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn node_mut<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |node, step| match step {
        Value::String(k) => &mut node[k.as_str()],
        Value::Number(i) => &mut node[i.as_u64().unwrap() as usize],
        _ => unreachable!(),
    })
}

#[derive(Debug, Clone)]
enum Body {
    Bytes(Vec<u8>),
    Json(Value),
    /// The valid answer with one node replaced (`Some`) or removed (`None`).
    Mutated {
        at: usize,
        with: Option<Value>,
    },
    /// The valid answer cut after `at` bytes.
    Truncated {
        at: usize,
    },
    /// The valid answer with one byte changed.
    Flipped {
        at: usize,
        byte: u8,
    },
    Valid,
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        2 => proptest::collection::vec(any::<u8>(), 0..200).prop_map(Body::Bytes),
        2 => json_value().prop_map(Body::Json),
        5 => (any::<usize>(), proptest::option::weighted(0.8, json_value()))
            .prop_map(|(at, with)| Body::Mutated { at, with }),
        2 => any::<usize>().prop_map(|at| Body::Truncated { at }),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Body::Flipped { at, byte }),
        1 => Just(Body::Valid),
    ]
}

fn render(body: &Body, valid: &Value) -> Vec<u8> {
    let valid_bytes = serde_json::to_vec(valid).unwrap();
    match body {
        Body::Bytes(b) => b.clone(),
        Body::Json(v) => serde_json::to_vec(v).unwrap(),
        Body::Mutated { at, with } => {
            let mut all = Vec::new();
            paths(valid, &mut Vec::new(), &mut all);
            let path = &all[at % all.len()];
            let mut v = valid.clone();
            match (with, path.split_last()) {
                (Some(new), _) => *node_mut(&mut v, path) = new.clone(),
                (None, Some((last, parent))) => match (node_mut(&mut v, parent), last) {
                    (Value::Object(m), Value::String(k)) => {
                        m.remove(k);
                    }
                    (Value::Array(a), Value::Number(i)) => {
                        a.remove(i.as_u64().unwrap() as usize);
                    }
                    _ => unreachable!(),
                },
                (None, None) => v = Value::Null,
            }
            serde_json::to_vec(&v).unwrap()
        }
        Body::Truncated { at } => valid_bytes[..at % valid_bytes.len()].to_vec(),
        Body::Flipped { at, byte } => {
            let mut b = valid_bytes.clone();
            let i = at % b.len();
            b[i] = *byte;
            b
        }
        Body::Valid => valid_bytes,
    }
}

const ERROR_STATUSES: [u16; 12] = [400, 401, 403, 404, 409, 410, 412, 413, 429, 500, 502, 503];
const PASSWORD: &str = "fuzz-Pa55word-never-shown";

/// Calls the client method that reads `kind`; `Ok(true)` when it decoded an answer.
async fn call(remote: &Remote, kind: Kind) -> Result<bool, RemoteError> {
    Ok(match kind {
        Kind::Session | Kind::Problem => {
            remote.session().await?;
            true
        }
        Kind::Project => matches!(
            remote.project(Some("\"v1\"")).await?,
            ProjectFetch::Changed { .. }
        ),
        Kind::Page => {
            remote.page("account", Some("tok"), None, 100).await?;
            true
        }
        Kind::Record => remote.record("account", "acc-0001").await?.is_some(),
        Kind::Batch => {
            remote.batch(Vec::new()).await?;
            true
        }
        Kind::Files => {
            remote.files(FileKind::Attachments, Some("tok")).await?;
            true
        }
    })
}

fn decodes(kind: Kind, body: &[u8]) -> bool {
    match kind {
        Kind::Session | Kind::Problem => serde_json::from_slice::<Session>(body).is_ok(),
        Kind::Project => serde_json::from_slice::<Project>(body).is_ok(),
        Kind::Page => serde_json::from_slice::<EntityPage>(body).is_ok(),
        Kind::Record => serde_json::from_slice::<Record>(body).is_ok(),
        Kind::Batch => serde_json::from_slice::<BatchResponse>(body).is_ok(),
        Kind::Files => serde_json::from_slice::<FileList>(body).is_ok(),
    }
}

#[test]
fn malformed_answers_of_every_response_type_give_a_clear_remote_error() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let valid = rt.block_on(valid_bodies());
    let (url, canned) = rt.block_on(responder());
    let remote = Remote::new(&url, "demo", PASSWORD).unwrap();
    let per_kind = scale(1500);
    let started = Instant::now();
    let errors = std::cell::RefCell::new(std::collections::BTreeMap::<String, usize>::new());
    for (kind, seed) in &valid {
        let kind = *kind;
        let status = if kind == Kind::Problem {
            proptest::sample::select(ERROR_STATUSES.to_vec()).boxed()
        } else {
            prop_oneof![8 => Just(200u16), 1 => proptest::sample::select(ERROR_STATUSES.to_vec())]
                .boxed()
        };
        let retry = proptest::option::of(prop_oneof![
            "[0-9]{1,3}",
            ".{0,10}",
            Just("99999999999999999999".to_string())
        ]);
        runner(per_kind)
            .run(&(status, body(), retry), |(status, body, retry_after)| {
                let bytes = render(&body, seed);
                *canned.lock().unwrap() = Canned {
                    status,
                    body: bytes.clone(),
                    retry_after,
                };
                let result = rt.block_on(call(&remote, kind));
                match result {
                    Ok(decoded) => {
                        prop_assert!(
                            status == 200 || (kind == Kind::Record && status == 404),
                            "{:?} {}: accepted",
                            kind,
                            status
                        );
                        if decoded {
                            prop_assert!(decodes(kind, &bytes), "{:?}: accepted garbage", kind);
                        }
                    }
                    Err(e) => {
                        let message = e.to_string();
                        prop_assert!(!message.is_empty());
                        prop_assert!(!message.contains(PASSWORD), "{}", message);
                        prop_assert!(message.chars().count() < 2000, "{}", message);
                        if status == 200 {
                            prop_assert!(
                                matches!(e, RemoteError::Broken(_)),
                                "{:?}: {:?}",
                                kind,
                                e
                            );
                            prop_assert!(
                                !decodes(kind, &bytes),
                                "{:?}: rejected a valid answer: {}",
                                kind,
                                message
                            );
                        } else {
                            let expected_class = match status {
                                401 => matches!(e, RemoteError::Unauthorized),
                                410 => matches!(e, RemoteError::Gone),
                                429 | 500.. => e.is_transient(),
                                _ => matches!(e, RemoteError::Rejected { .. }),
                            };
                            prop_assert!(expected_class, "{}: {:?}", status, e);
                        }
                        let class = format!("{e:?}");
                        let class = class.split([' ', '(', '{']).next().unwrap().to_string();
                        *errors.borrow_mut().entry(class).or_default() += 1;
                    }
                }
                Ok(())
            })
            .map_err(|e| TestCaseError::fail(format!("{kind:?}: {e}")))
            .unwrap();
    }
    let total = per_kind as usize * KINDS.len();
    eprintln!(
        "{total} malformed answers through Remote in {:?}; errors by kind: {:?}",
        started.elapsed(),
        errors.borrow()
    );
    assert!(total >= 10_000);
}

// ---------------------------------------------------------------------------------------------
// Random keys at every screen.

fn pool() -> Vec<KeyEvent> {
    let mut keys: Vec<KeyEvent> = "abcdefghijklmnoprstuvwxyz?/[]0156ABEDPX .-@"
        .chars()
        .map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
        .collect();
    for code in [
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Backspace,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::Delete,
        KeyCode::F(5),
    ] {
        keys.push(KeyEvent::new(code, KeyModifiers::NONE));
    }
    keys.push(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE));
    keys.push(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    keys.push(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::ALT));
    keys.push(KeyEvent::new(KeyCode::Char('é'), KeyModifiers::NONE));
    keys
}

/// Key paths from Home to each screen.
fn to_screen(n: usize) -> &'static str {
    ["", "\n", "\n\n", "u", "l", "p", "e", "?", "\n\ns", "\n\n\n"][n % 10]
}

fn key_of(c: char) -> KeyEvent {
    match c {
        '\n' => KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
        c => KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_keys_at_every_screen_never_panic() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let pool = pool();
    let sequences = scale(200) as usize;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    let mut screens = std::collections::BTreeSet::new();
    let mut pressed = 0usize;
    let started = Instant::now();
    for s in 0..sequences {
        // Back to Home, then to the screen this sequence starts at.
        for _ in 0..4 {
            h.act(Action::Back).await;
        }
        h.act(Action::OpenHome).await;
        for c in to_screen(s).chars() {
            if let Some(a) = keymap::map_key(&h.app, key_of(c)) {
                h.act(a).await;
            }
        }
        screens.insert(format!("{:?}", h.app.screen_kind()));
        // Half the sequences run every effect to the end, half drop them.
        let run_effects = s % 2 == 0;
        for _ in 0..25 {
            let key = pool[next(pool.len())];
            pressed += 1;
            let Some(action) = keymap::map_key(&h.app, key) else {
                continue;
            };
            if matches!(action, Action::Quit) {
                continue;
            }
            if run_effects {
                h.act(action).await;
            } else {
                let _effects = h.app.update(action);
                h.pump().await;
            }
            screens.insert(format!("{:?}", h.app.screen_kind()));
            // Drawing every state must not panic either.
            let _ = h.app.screen();
        }
    }
    h.act(Action::Back).await;
    eprintln!(
        "{pressed} random keys in {sequences} sequences in {:?}; screens seen: {screens:?}",
        started.elapsed()
    );
    assert!(pressed >= 3000);
    for kind in [ScreenKind::Home, ScreenKind::List, ScreenKind::Form] {
        assert!(screens.contains(&format!("{kind:?}")), "{screens:?}");
    }
}
