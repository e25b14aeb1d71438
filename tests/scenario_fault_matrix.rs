//! `autosync play --matrix faults` on the shipped race and idempotent-create scenarios: one run
//! per (fault kind × request), each fault landing on its request, and none costing an edit or
//! duplicating a record (issue 11's guarantees), so every run folds into "no effect".

use std::path::Path;
use std::process::Command;

use autosync::auditor::LossCause;
use autosync::scenario::fault_matrix::{self, MAX_RUNS};
use autosync::scenario::load;

async fn matrix_of(file: &str) -> fault_matrix::FaultMatrix {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/scenarios")
        .join(file);
    let loaded = load(&path).unwrap();
    fault_matrix::run_matrix(&loaded).await.unwrap()
}

fn check(m: &fault_matrix::FaultMatrix) {
    let kinds = fault_matrix::kinds();
    assert_eq!(m.possible, kinds.len() * m.requests.len());
    assert_eq!(
        m.rows.len(),
        m.possible.min(MAX_RUNS - MAX_RUNS % kinds.len())
    );
    for (label, _) in &kinds {
        assert!(
            m.rows.iter().any(|r| r.fault == *label),
            "{label} was tried"
        );
    }
    assert!(
        m.rows.iter().any(|r| r.at.phase == "Upload"),
        "the upload is faulted"
    );
    for row in &m.rows {
        assert!(row.hit, "{} at {} reached its request", row.fault, row.at);
        let unexplained = row
            .summary
            .end
            .lost_by_cause
            .get(&LossCause::Unexplained)
            .copied()
            .unwrap_or(0);
        assert_eq!(
            unexplained, 0,
            "{} at {}: {:?}",
            row.fault, row.at, row.changes
        );
        assert!(
            !row.changes.iter().any(|c| c.starts_with("duplicates")),
            "{} at {}: {:?}",
            row.fault,
            row.at,
            row.changes
        );
    }
    let table = fault_matrix::table(m);
    assert!(
        table.contains(&format!("no effect: {} run(s)", m.without_effect())),
        "{table}"
    );
    assert_eq!(m.with_effect().count() + m.without_effect(), m.rows.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idempotent_create_under_every_fault_at_every_request() {
    let m = matrix_of("idempotent-create-after-lost-response.toml").await;
    check(&m);
    assert!(
        m.requests.len() * fault_matrix::kinds().len() > MAX_RUNS,
        "two syncs make more requests than the budget: {} requests",
        m.requests.len()
    );
    assert!(m.requests.iter().any(|p| p.sync == 2));
}

/// The race through the command, as a user runs it: one JSON object per faulted run, then the
/// counts; every fault lands, none costs an edit or duplicates a record, and the race's own loss
/// stays the race's.
#[test]
fn the_race_under_every_fault_at_every_request_through_the_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_autosync"))
        .args(["play", "--matrix", "faults", "--json"])
        .arg("assets/scenarios/race-no-action.toml")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (last, rows) = lines.split_last().unwrap();
    assert_eq!(last["runs"].as_u64().unwrap() as usize, rows.len());
    assert_eq!(
        last["possible"].as_u64().unwrap() as usize,
        rows.len(),
        "one request sync: every (fault, request) is run"
    );
    assert!(last["seconds"].as_f64().unwrap() < 60.0, "{last}");
    assert_eq!(
        last["baseline"]["end"]["lost_by_cause"]["OverwrittenBySync"], 1,
        "{last}"
    );
    for (label, _) in fault_matrix::kinds() {
        assert!(
            rows.iter().any(|r| r["fault"] == label),
            "{label} was tried"
        );
    }
    assert!(rows.iter().any(|r| r["at"]["phase"] == "Upload"));
    let mut no_effect = 0;
    for row in rows {
        assert_eq!(row["hit"], true, "the fault reached its request: {row}");
        let changes: Vec<&str> = row["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert!(
            !changes
                .iter()
                .any(|c| c.starts_with("duplicates") || c.starts_with("lost (Unexplained)")),
            "{row}"
        );
        assert_eq!(
            row["summary"]["end"]["lost_by_cause"]["Unexplained"],
            serde_json::Value::Null,
            "{row}"
        );
        no_effect += usize::from(changes.is_empty());
    }
    assert_eq!(last["no_effect"].as_u64().unwrap() as usize, no_effect);
}
