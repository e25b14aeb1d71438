//! Faults at every request of a sync (issue 8, item 1). For each request index `i` of a full
//! incremental sync — Connect, Customization, the upload batch, each download page, each file
//! list — and for each fault kind (500, 503 with `Retry-After`, 429, connection reset, response
//! dropped after the server committed, body cut short, a stall longer than the client's
//! timeout), the fault is armed through the control API for exactly that request; then:
//! - the status and the journal say, in words, what failed and that the sync retries, and when;
//! - the server's request log shows the faulted request and its retry;
//! - once the faults stop, the next sync succeeds and converges: every saved edit is on the
//!   server, every created record exactly once, nothing is pending, and the device's records
//!   equal the server's (ETags and fields).
//!
//! Each round edits a few accounts, creates one and has the server change an account and a
//! contact, with 3 records per download page, so the sync has two account pages (the second one
//! requested ahead while the first is applied) and one contact page. Requests are targeted by
//! arming pass-through rules (`latency 0`) for the earlier requests with the same path, then the
//! fault for the next one. The clients' request timeout is 1 s (`EngineConfig::request_timeout`)
//! so a stall costs a second, not ten; `Retry-After: 1` is used for three indices only.

mod engine_common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use autosync::client::{Client, init_profile};
use autosync::engine::{Command, EngineEvent};
use autosync::rules::Trigger;
use autosync::settings::AutoSync;
use autosync::soak_cmd::{device_records, differences, server_records};
use autosync::store::{JournalKind, Store};
use autosync::wire::Fault;
use engine_common::*;

const TIMEOUT: Duration = Duration::from_secs(1);
const PAGE: u32 = 3;

/// One request of the sync: its method, its path without the query, and which request with that
/// method and path it is (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    method: String,
    path: String,
    nth: u32,
}

struct Bench {
    world: World,
    device: Client,
    round: usize,
    /// (entity, id, field, value) saved on the device.
    edits: Vec<(String, String, String, String)>,
    /// (id, name) of created accounts.
    creates: Vec<(String, String)>,
}

impl Bench {
    /// A device that has synchronized once, with Auto Sync Never (only the test starts syncs),
    /// small download pages and a 1 s request timeout.
    async fn new() -> Bench {
        let world = World::new().await;
        let path = world.dir.path().join("device.db");
        let mut store = Store::open(&path).unwrap();
        init_profile(&mut store, world.server.url(), "demo", Some("demo")).unwrap();
        drop(store);
        let tune = |c: &mut autosync::engine::EngineConfig| {
            c.tick = Duration::from_secs(3600);
            c.request_timeout = TIMEOUT;
        };
        let mut device = Client::start(&path, world.clock.clone(), tune).unwrap();
        set_auto_sync(&mut device, AutoSync::Never);
        assert_eq!(sync(&device, Trigger::Manual).await.error, None);
        device.engine().send(Command::Shutdown);
        drop(device);
        let device = Client::start(&path, world.clock.clone(), |c| {
            tune(c);
            c.page_limit = PAGE;
        })
        .unwrap();
        Bench {
            world,
            device,
            round: 0,
            edits: Vec::new(),
            creates: Vec::new(),
        }
    }

    /// Two account edits and a create on the device, an account and a contact edit on the
    /// server: every phase of the next sync has work, on fresh records each round.
    async fn prepare_round(&mut self) {
        self.round += 1;
        let r = self.round;
        for n in [2 * r, 2 * r + 1] {
            let id = format!("acc-{n:04}");
            let value = format!("City {r}-{n}");
            let outcome = self
                .device
                .save("account", &id, &fields(&[("city", &value)]), "test")
                .unwrap();
            assert!(saved(&outcome), "{outcome:?}");
            self.edits
                .push(("account".into(), id, "city".into(), value.clone()));
        }
        let name = format!("Fault Round {r} Ltd");
        let (id, outcome) = self
            .device
            .create(
                "account",
                &fields(&[("name", &name), ("credit_limit", "1000")]),
            )
            .unwrap();
        assert!(saved(&outcome));
        self.creates.push((id, name));
        self.world
            .control
            .edit(
                "account",
                &format!("acc-{:04}", 100 + r),
                fields(&[("email", &format!("round{r}@server.example"))]),
                None,
            )
            .await
            .unwrap();
        self.world
            .control
            .edit(
                "contact",
                &format!("con-{:04}", 1 + r),
                fields(&[("job_title", &format!("Title {r}"))]),
                None,
            )
            .await
            .unwrap();
    }

    /// The requests of one sync, in the order the server finished them.
    async fn learn_requests(&mut self) -> Vec<Target> {
        self.prepare_round().await;
        let marker = format!("marker-{}", self.round);
        assert!(
            self.world
                .remote()
                .record("account", &marker)
                .await
                .unwrap()
                .is_none()
        );
        let last = sync(&self.device, Trigger::Manual).await;
        assert_eq!(last.error, None);
        let log = self.world.control.requests(200).await.unwrap().requests;
        let start = log.iter().rposition(|e| e.path.ends_with(&marker)).unwrap();
        let mut targets: Vec<Target> = Vec::new();
        for entry in &log[start + 1..] {
            let path = entry.path.split('?').next().unwrap().to_string();
            let nth = 1 + targets
                .iter()
                .filter(|t| t.method == entry.method && path.starts_with(&t.path))
                .count() as u32;
            targets.push(Target {
                method: entry.method.clone(),
                path,
                nth,
            });
        }
        self.assert_converged().await;
        targets
    }

    /// Arms `fault` for exactly the request `target`.
    async fn arm(&self, target: &Target, fault: Fault) {
        let control = &self.world.control;
        if target.nth > 1 {
            control
                .fault(
                    Some(&target.method),
                    Some(&target.path),
                    target.nth - 1,
                    Fault::Latency { ms: 0 },
                )
                .await
                .unwrap();
        }
        control
            .fault(Some(&target.method), Some(&target.path), 1, fault)
            .await
            .unwrap();
    }

    /// Every saved edit on the server, every create exactly once, nothing pending, device and
    /// server equal.
    async fn assert_converged(&self) {
        let status = self.device.engine().status();
        assert_eq!(status.pending_uploads, 0, "{status:?}");
        assert_eq!(status.unresolved_conflicts, 0);
        let remote = self.world.remote();
        let accounts = server_records(&remote, "account").await.unwrap();
        for (entity, id, field, value) in &self.edits {
            assert_eq!(entity, "account");
            assert_eq!(
                accounts[id].fields.get(field),
                Some(value),
                "the saved edit {id}.{field} is on the server"
            );
        }
        for (id, name) in &self.creates {
            assert!(accounts.contains_key(id), "created {name} is on the server");
            let copies = accounts
                .values()
                .filter(|r| r.fields.get("name") == Some(name))
                .count();
            assert_eq!(copies, 1, "{name} exactly once");
        }
        let store = self.device.store();
        for (entity, server) in [
            ("account", accounts.clone()),
            ("contact", server_records(&remote, "contact").await.unwrap()),
        ] {
            let device = device_records(store, entity).unwrap();
            let diff = differences(entity, &device, &server);
            assert!(diff.is_empty(), "device and server differ: {diff:#?}");
        }
    }

    /// One round: edits, the fault at `target`, a sync that must recover by retrying, then the
    /// faults stop and the next sync converges. Returns the retry messages the user saw.
    async fn round(&mut self, target: &Target, fault: Fault, expect: &Expect) {
        self.prepare_round().await;
        let marker = format!("marker-{}", self.round);
        let remote = self.world.remote();
        assert!(remote.record("account", &marker).await.unwrap().is_none());
        self.arm(target, fault.clone()).await;
        let seen = watch_errors(&self.device);
        let mut events = self.device.engine().subscribe();
        let last = sync(&self.device, Trigger::Manual).await;
        let mut journal = Vec::new();
        while let Ok(event) = events.try_recv() {
            if let EngineEvent::Journal(e) = event
                && e.kind == JournalKind::Sync
            {
                journal.push(e.detail);
            }
        }
        let context = format!("{fault:?} at {target:?}");
        assert_eq!(last.error, None, "one fault is retried away: {context}");
        let retry = journal
            .iter()
            .find(|d| d.contains("retrying in"))
            .unwrap_or_else(|| panic!("no retry in the journal for {context}: {journal:#?}"));
        for words in expect.message {
            assert!(
                retry.contains(words),
                "{context}: {retry:?} lacks {words:?}"
            );
        }
        assert!(retry.contains("(attempt 2/4)"), "{retry}");
        if expect.status_visible {
            let seen = seen.lock().unwrap().clone();
            assert!(
                seen.iter().any(|s| s == retry),
                "{context}: the status showed {seen:?}, not {retry:?}"
            );
        }
        if let Some(note) = expect.note {
            let log = self.world.control.requests(1000).await.unwrap().requests;
            let start = log
                .iter()
                .rposition(|e| e.path.ends_with(&marker))
                .expect("the round's marker is in the log");
            let same: Vec<_> = log[start + 1..]
                .iter()
                .filter(|e| {
                    e.method == target.method
                        && e.path.split('?').next() == Some(target.path.as_str())
                })
                .collect();
            assert!(
                same.iter().any(|e| e.fault.as_deref() == Some(note)),
                "{context}: the fault hit the targeted request: {same:#?}"
            );
            assert!(
                same.len() > target.nth as usize,
                "{context}: the faulted request was retried: {same:#?}"
            );
        }
        self.world.control.clear_faults().await.unwrap();
        let next = sync(&self.device, Trigger::Manual).await;
        assert_eq!(next.error, None, "{context}: the next sync");
        self.assert_converged().await;
    }
}

/// Every `last_error` the status shows from now on.
fn watch_errors(device: &Client) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut rx = device.engine().watch_status();
    let out = seen.clone();
    tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let error = rx.borrow_and_update().last_error.clone();
            if let Some(e) = error {
                let mut v = out.lock().unwrap();
                if v.last() != Some(&e) {
                    v.push(e);
                }
            }
        }
    });
    seen
}

/// What the user must be told, and how the request log marks the fault.
struct Expect {
    message: &'static [&'static str],
    /// How the request log marks the faulted request; `None` for a stall: the client gives up
    /// and closes the connection, so the server drops the request unanswered and unlogged.
    note: Option<&'static str>,
    /// The retry waits long enough (≥ 0.2 s) for a watcher of the status to see it.
    status_visible: bool,
}

/// Runs `fault` at every request index of a sync (or only at `only` indices).
async fn at_every_request(fault: Fault, expect: Expect, only: Option<&[usize]>) {
    let mut bench = Bench::new().await;
    let targets = bench.learn_requests().await;
    let names: Vec<String> = targets
        .iter()
        .map(|t| format!("{} {}#{}", t.method, t.path, t.nth))
        .collect();
    assert!(
        targets.len() >= 9
            && names[0] == "GET /api/v1/session#1"
            && names.contains(&"POST /api/v1/batch#1".to_string())
            && names.contains(&"GET /api/v1/entities/account#2".to_string()),
        "every phase has a request: {names:#?}"
    );
    eprintln!("a sync of {} requests: {names:#?}", targets.len());
    for (i, target) in targets.iter().enumerate() {
        if only.is_some_and(|o| !o.contains(&i)) {
            continue;
        }
        bench.round(target, fault.clone(), &expect).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_of_a_sync_survives_a_500() {
    at_every_request(
        Fault::Status {
            status: 500,
            retry_after_s: None,
        },
        Expect {
            message: &["the sync server is unavailable (500)", "retrying in"],
            note: Some("status"),
            status_visible: true,
        },
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_with_retry_after_is_honored_at_connect_upload_and_download() {
    // Retry-After: 1 costs a real second per round: the first request, the upload batch and the
    // second account page (requested ahead of time).
    at_every_request(
        Fault::Status {
            status: 503,
            retry_after_s: Some(1),
        },
        Expect {
            message: &[
                "the sync server is unavailable (503); it asks to retry after 1 s",
                "retrying in 1.0 s",
            ],
            note: Some("status"),
            status_visible: true,
        },
        Some(&[0, 2, 4]),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_of_a_sync_survives_a_429() {
    // `Retry-After: 0`: retried at once, so the status may change before a watcher sees it; the
    // journal (the Log screen) still says it.
    at_every_request(
        Fault::Status {
            status: 429,
            retry_after_s: Some(0),
        },
        Expect {
            message: &["the sync server is unavailable (429)", "retrying in 0.0 s"],
            note: Some("status"),
            status_visible: false,
        },
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_of_a_sync_survives_a_connection_reset() {
    at_every_request(
        Fault::Reset,
        Expect {
            message: &[
                "the sync server's answer was cut off or unreadable",
                "retrying in",
            ],
            note: Some("reset"),
            status_visible: true,
        },
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_of_a_sync_survives_its_response_dropped_after_commit() {
    at_every_request(
        Fault::DropAfterCommit,
        Expect {
            message: &[
                "the sync server's answer was cut off or unreadable",
                "retrying in",
            ],
            note: Some("drop_after_commit"),
            status_visible: true,
        },
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_of_a_sync_survives_a_body_cut_short() {
    at_every_request(
        Fault::CloseMidBody,
        Expect {
            message: &[
                "the sync server's answer was cut off or unreadable",
                "retrying in",
            ],
            note: Some("close_mid_body"),
            status_visible: true,
        },
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_of_a_sync_survives_a_stall_longer_than_the_timeout() {
    at_every_request(
        Fault::Latency {
            ms: TIMEOUT.as_millis() as u64 + 600,
        },
        Expect {
            message: &["the sync server did not answer within 1 s", "retrying in"],
            note: None,
            status_visible: true,
        },
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_outlasting_the_retries_fails_the_sync_with_the_reason_and_the_next_converges() {
    let mut bench = Bench::new().await;
    bench.prepare_round().await;
    bench
        .world
        .control
        .fault(
            Some("POST"),
            Some("/api/v1/batch"),
            4,
            Fault::Status {
                status: 500,
                retry_after_s: None,
            },
        )
        .await
        .unwrap();
    let mut events = bench.device.engine().subscribe();
    let last = sync(&bench.device, Trigger::Manual).await;
    let error = last.error.expect("four 500s in a row fail the sync");
    assert_eq!(error, "the sync server is unavailable (500)", "{error}");
    assert!(last.flags.web_error);
    let mut attempts = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::Journal(e) = event
            && e.detail.starts_with("upload: ")
        {
            attempts.push(e.detail);
        }
    }
    assert_eq!(attempts.len(), 3, "{attempts:#?}");
    for (n, a) in attempts.iter().enumerate() {
        assert!(a.contains(&format!("(attempt {}/4)", n + 2)), "{a}");
    }
    let status = bench.device.engine().status();
    assert_eq!(
        status.last_error.as_deref(),
        Some("the sync server is unavailable (500)")
    );
    assert_eq!(
        status.pending_uploads, 3,
        "nothing is lost: all still pending"
    );
    let next = sync(&bench.device, Trigger::Manual).await;
    assert_eq!(next.error, None);
    bench.assert_converged().await;
}
