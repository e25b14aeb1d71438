//! The fault at every request of a sync, retried away, and the fault outlasting the retries.

use autosync::engine::EngineEvent;
use autosync::rules::Trigger;
use autosync::store::JournalKind;
use autosync::wire::Fault;

use crate::bench::*;
use crate::engine_common::*;

impl Bench {
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
    assert!(last.flags.web_error());
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
        status.pending_uploads, 4,
        "nothing is lost: all still pending (two edits, a create, a delete)"
    );
    let next = sync(&bench.device, Trigger::Manual).await;
    assert_eq!(next.error, None);
    bench.assert_converged().await;
}
