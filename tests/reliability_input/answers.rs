//! Malformed server answers of every response type, through the real `Remote` over real HTTP:
//! a clear `RemoteError`, never a panic.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use autosync::project::Project;
use autosync::remote::{ProjectFetch, Remote, RemoteError};
use autosync::wire::{BatchResponse, EntityPage, FileKind, FileList, Record, Session};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;

use super::*;

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
