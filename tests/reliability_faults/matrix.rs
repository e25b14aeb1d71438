//! The matrix: a fault at every request of a sync, outlasting the retries so the sync fails
//! there, × then the user edits the same records again (the round's accounts, and the account
//! created in the round) × then a sync. For updates, creates and deletes (each round deletes an
//! account, which cannot be edited again) alike it must end with nothing pending, no Sync
//! Errors item, no device value discarded (Server Wins or overwritten), no lost edit or delete
//! by the auditor, every newest value on the server, every create exactly once, every delete
//! gone from the server, and the device equal to the server.
//!
//! A fault outlasting the retries costs the engine's back-off (0.2 + 0.4 + 0.8 s, plus jitter),
//! so the request indices are shared among [`LANES`] devices, each with its own server, that
//! run at once. A round that does not converge is reported with everything wrong in it, and its
//! lane goes on with a fresh device; the test fails at the end with every such round.

use autosync::rules::Trigger;
use autosync::wire::Fault;

use crate::bench::*;
use crate::engine_common::*;

/// Devices (each with its own server) that take turns at the request indices.
const LANES: usize = 3;

impl Bench {
    /// One round of the matrix; what went wrong in it, one line each.
    async fn fail_then_edit_again(&mut self, target: &Target, fault: Fault) -> Vec<String> {
        let since = self.journal_end();
        let (edits, creates) = (self.edits.len(), self.creates.len());
        self.prepare_round().await;
        let r = self.round;
        let edited: Vec<String> = self.edits[edits..]
            .iter()
            .map(|(_, id, _, _)| id.clone())
            .collect();
        let created: Vec<String> = self.creates[creates..]
            .iter()
            .map(|(id, _)| id.clone())
            .collect();
        self.arm_outlasting(target, fault).await;
        let failed = sync(&self.device, Trigger::Manual).await;
        self.world.control.clear_faults().await.unwrap();
        let mut problems = Vec::new();
        if failed.error.is_none() {
            problems.push("the fault did not outlast the retries: the sync succeeded".into());
        }
        for id in &edited {
            let value = format!("City {r} {id} again");
            match self.save(id, &[("city", &value)]) {
                Ok(()) => self.expect_edit(id, "city", &value),
                Err(e) => problems.push(e),
            }
        }
        for id in &created {
            let value = format!("Created {r} then edited");
            match self.save(id, &[("city", &value)]) {
                Ok(()) => self.expect_edit(id, "city", &value),
                Err(e) => problems.push(e),
            }
        }
        let last = sync(&self.device, Trigger::Manual).await;
        if let Some(e) = last.error {
            problems.push(format!("the sync after the edits failed: {e}"));
        }
        problems.extend(self.convergence_problems(since).await);
        problems
    }
}

/// One lane: the rounds at `indices`, on `bench` (or a new device).
async fn lane(
    fault: &Fault,
    targets: &[Target],
    indices: Vec<usize>,
    bench: Option<Bench>,
) -> Vec<String> {
    let mut bench = match bench {
        Some(b) => b,
        None => Bench::new().await,
    };
    let mut failures = Vec::new();
    for i in indices {
        let t = &targets[i];
        let problems = bench.fail_then_edit_again(t, fault.clone()).await;
        eprintln!(
            "{fault:?} at #{i} {} {}#{}: {}",
            t.method,
            t.path,
            t.nth,
            if problems.is_empty() {
                "converged".to_string()
            } else {
                format!("{} problem(s)", problems.len())
            }
        );
        if !problems.is_empty() {
            failures.push(format!(
                "{fault:?} at request #{i} ({} {}#{}), then the same records edited again:\n    {}",
                t.method,
                t.path,
                t.nth,
                problems.join("\n    ")
            ));
            // That device did not converge: the next rounds start on a fresh one.
            bench = Bench::new().await;
        }
    }
    failures
}

async fn every_request_failed_then_edited_again(fault: Fault) {
    let mut first = Bench::new().await;
    let targets = first.learn_requests().await;
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
    let share =
        |lane: usize| -> Vec<usize> { (0..targets.len()).filter(|i| i % LANES == lane).collect() };
    let (a, b, c) = tokio::join!(
        lane(&fault, &targets, share(0), Some(first)),
        lane(&fault, &targets, share(1), None),
        lane(&fault, &targets, share(2), None),
    );
    let failures: Vec<String> = [a, b, c].concat();
    assert!(
        failures.is_empty(),
        "{} of {} rounds did not converge:\n{}",
        failures.len(),
        targets.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_answer_dropped_after_commit_past_the_retries_then_edited_again_converges() {
    every_request_failed_then_edited_again(Fault::DropAfterCommit).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_failing_with_500_past_the_retries_then_edited_again_converges() {
    every_request_failed_then_edited_again(Fault::Status {
        status: 500,
        retry_after_s: None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_reset_past_the_retries_then_edited_again_converges() {
    every_request_failed_then_edited_again(Fault::Reset).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_cut_short_past_the_retries_then_edited_again_converges() {
    every_request_failed_then_edited_again(Fault::CloseMidBody).await;
}
