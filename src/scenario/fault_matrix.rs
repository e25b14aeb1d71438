//! `autosync play --matrix faults`: "would this problem also happen if the network dropped
//! mid-upload?" answered for every fault at every request. The scenario runs once without a
//! fault, which lists its device-API requests; then once per (fault kind × request), the fault
//! hitting exactly that request; each run's end is compared with the fault-free one.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use serde::Serialize;

use super::format::LoadedScenario;
use super::runner::{Injection, RunError, RunOptions, Summary, TimelineEntry, run};
use crate::app::App;
use crate::auditor::LossCause;
use crate::wire::{Fault, RequestLogEntry};

/// At most this many faulted runs; beyond it, requests are sampled evenly (every distinct
/// sync and phase first). The count made is reported.
pub const MAX_RUNS: usize = 60;
/// Faulted runs at a time: each spends most of its time waiting (latency, `Retry-After`).
const AT_ONCE: usize = 4;

/// The faults tried at each request.
pub fn kinds() -> Vec<(&'static str, Fault)> {
    vec![
        // A true TCP refusal cannot be aimed at one request on a kept-alive connection; a
        // reset before the request runs is what the client sees of it: no answer, nothing done.
        ("connection reset (refused)", Fault::Reset),
        (
            "503, Retry-After 1 s",
            Fault::Status {
                status: 503,
                retry_after_s: Some(1),
            },
        ),
        ("latency 800 ms", Fault::Latency { ms: 800 }),
        ("answer lost after commit", Fault::DropAfterCommit),
        ("body cut mid-way", Fault::CloseMidBody),
    ]
}

/// Where a request stands in the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    /// 0-based among the run's device-API requests.
    pub index: usize,
    /// 1-based: which sync (counted by its Connect request) it belongs to.
    pub sync: usize,
    pub phase: &'static str,
    pub method: String,
    pub path: String,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "#{} sync {} {} {} {}",
            self.index + 1,
            self.sync,
            self.phase,
            self.method,
            self.path
        )
    }
}

/// One faulted run.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub fault: &'static str,
    pub at: Place,
    pub summary: Summary,
    /// What differs from the fault-free run, in words; empty: no effect.
    pub changes: Vec<String>,
    /// The server logged the fault on a request of this run (a run can take another path
    /// than the fault-free one and end before reaching the request).
    pub hit: bool,
}

/// The whole matrix.
#[derive(Debug, Clone, Serialize)]
pub struct FaultMatrix {
    pub scenario: String,
    pub baseline: Summary,
    pub requests: Vec<Place>,
    /// Runs possible (kinds × requests) and made.
    pub possible: usize,
    pub rows: Vec<Row>,
}

impl FaultMatrix {
    pub fn with_effect(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| !r.changes.is_empty())
    }

    pub fn without_effect(&self) -> usize {
        self.rows.iter().filter(|r| r.changes.is_empty()).count()
    }
}

fn phase_of(path: &str) -> &'static str {
    let path = path.split('?').next().unwrap_or(path);
    match path {
        "/api/v1/session" => "Connect",
        "/api/v1/project" => "Customization",
        "/api/v1/batch" => "Upload",
        p if p.starts_with("/api/v1/files/attachments") => "Attachments",
        p if p.starts_with("/api/v1/files/documents") => "Cloud documents",
        p if p.starts_with("/api/v1/files/emails") => "Emails",
        p if p.starts_with("/api/v1/entities/") => "Download",
        _ => "other",
    }
}

/// The run's requests as places: which sync, which phase.
pub fn places(requests: &[RequestLogEntry]) -> Vec<Place> {
    let mut sync = 0;
    requests
        .iter()
        .enumerate()
        .map(|(index, r)| {
            let path = r.path.split('?').next().unwrap_or(&r.path).to_string();
            if path == "/api/v1/session" {
                sync += 1;
            }
            Place {
                index,
                sync: sync.max(1),
                phase: phase_of(&path),
                method: r.method.clone(),
                path,
            }
        })
        .collect()
}

/// The requests to fault when not all can be: the first request of each (sync, phase), spread
/// evenly over the run when even those are too many, then others spread evenly, up to `budget`.
fn sample(places: &[Place], budget: usize) -> Vec<usize> {
    if places.len() <= budget {
        return (0..places.len()).collect();
    }
    let mut seen = std::collections::BTreeSet::new();
    let firsts: Vec<usize> = places
        .iter()
        .filter(|p| seen.insert((p.sync, p.phase)))
        .map(|p| p.index)
        .collect();
    let mut chosen = evenly(&firsts, budget);
    let all: Vec<usize> = (0..places.len()).filter(|i| !chosen.contains(i)).collect();
    let room = budget - chosen.len();
    chosen.extend(evenly(&all, room));
    chosen.sort_unstable();
    chosen
}

/// `n` items of `from`, evenly spaced (all of them when there are no more than `n`).
fn evenly(from: &[usize], n: usize) -> Vec<usize> {
    if from.len() <= n {
        return from.to_vec();
    }
    (0..n).map(|k| from[k * from.len() / n]).collect()
}

/// What differs between a faulted run and the fault-free one, in words.
fn changes(base: &Summary, run: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    let mut count = |what: &str, a: usize, b: usize| {
        if a != b {
            out.push(format!("{what} {a} → {b}"));
        }
    };
    count("saves refused", base.saves_refused, run.saves_refused);
    count("conflicts", base.conflicts, run.conflicts);
    count("sync errors", base.end.sync_errors, run.end.sync_errors);
    count("pending at the end", base.end.pending, run.end.pending);
    count("device ≠ server", base.end.differing, run.end.differing);
    for cause in [
        LossCause::OverwrittenBySync,
        LossCause::ServerWins,
        LossCause::DiscardedByUser,
        LossCause::Unexplained,
    ] {
        let get = |s: &Summary| s.end.lost_by_cause.get(&cause).copied().unwrap_or(0);
        count(&format!("lost ({cause:?})"), get(base), get(run));
    }
    for (entity, n) in &run.end.server_records {
        let before = base.end.server_records.get(entity).copied().unwrap_or(0);
        if *n > before {
            out.push(format!(
                "duplicates: {} more {entity} on the server",
                n - before
            ));
        } else if *n < before {
            out.push(format!("{} fewer {entity} on the server", before - n));
        }
    }
    for (field, value) in &run.final_values {
        if base.final_values.get(field) != Some(value) {
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
            out.push(format!(
                "{field} = {} | {} (device | server)",
                show(&value.0),
                show(&value.1)
            ));
        }
    }
    out
}

/// Runs the matrix: the fault-free run, then every sampled (fault × request).
pub async fn run_matrix(loaded: &LoadedScenario) -> Result<FaultMatrix, RunError> {
    let quiet = |_: &TimelineEntry| {};
    let no_screen = |_: usize, _: &App| {};
    let (mut emit, mut screen) = (quiet, no_screen);
    let base = run(loaded, &RunOptions::default(), &mut emit, &mut screen).await?;
    let requests = places(&base.requests);
    let kinds = kinds();
    let possible = kinds.len() * requests.len();
    let per_kind = (MAX_RUNS / kinds.len()).max(1);
    let targets = sample(&requests, per_kind);
    let jobs: Vec<(&'static str, Fault, usize)> = kinds
        .iter()
        .flat_map(|(label, fault)| targets.iter().map(|i| (*label, fault.clone(), *i)))
        .collect();
    let mut rows = Vec::with_capacity(jobs.len());
    for batch in jobs.chunks(AT_ONCE) {
        let runs = batch.iter().map(|(label, fault, index)| async move {
            let options = RunOptions {
                inject: Some(Injection {
                    after: *index as u32,
                    fault: fault.clone(),
                }),
                ..RunOptions::default()
            };
            let (mut emit, mut screen) = (quiet, no_screen);
            let outcome = run(loaded, &options, &mut emit, &mut screen).await;
            (*label, *index, outcome)
        });
        for (label, index, outcome) in join_all(runs).await {
            let outcome = outcome?;
            let hit = outcome.requests.iter().any(|r| r.fault.is_some());
            rows.push(Row {
                fault: label,
                at: requests[index].clone(),
                changes: changes(&base.summary, &outcome.summary),
                summary: outcome.summary,
                hit,
            });
        }
    }
    Ok(FaultMatrix {
        scenario: loaded.scenario.name.clone(),
        baseline: base.summary,
        requests,
        possible,
        rows,
    })
}

/// The table `--matrix faults` prints: rows with an effect, then one "no effect" line.
pub fn table(m: &FaultMatrix) -> String {
    let mut out = format!(
        "{}: every fault at every request\n{} faulted runs of {} possible ({} fault kinds × {} requests{})\n\n",
        m.scenario,
        m.rows.len(),
        m.possible,
        kinds().len(),
        m.requests.len(),
        if m.rows.len() < m.possible {
            format!("; sampled to at most {MAX_RUNS}")
        } else {
            String::new()
        }
    );
    let b = &m.baseline;
    let lost: BTreeMap<String, usize> = b
        .end
        .lost_by_cause
        .iter()
        .map(|(c, n)| (format!("{c:?}"), *n))
        .collect();
    out.push_str(&format!(
        "fault-free: {} requests in {} sync(s); saves refused {}, conflicts {}, lost {} {lost:?}, pending {}, device ≠ server {}\n\n",
        m.requests.len(),
        m.requests.last().map_or(0, |p| p.sync),
        b.saves_refused,
        b.conflicts,
        b.lost_edits,
        b.end.pending,
        b.end.differing
    ));
    let effect: Vec<&Row> = m.with_effect().collect();
    if !effect.is_empty() {
        out.push_str(&format!("{:<27} {:<52} what changed\n", "fault", "where"));
        for row in effect {
            out.push_str(&format!(
                "{:<27} {:<52} {}\n",
                row.fault,
                row.at.to_string(),
                row.changes.join("; ")
            ));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "no effect: {} run(s) ended exactly as the fault-free run\n",
        m.without_effect()
    ));
    let missed = m.rows.iter().filter(|r| !r.hit).count();
    if missed > 0 {
        out.push_str(&format!(
            "({missed} of the runs never reached their request: the fault changed the path before it)\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(index: usize, sync: usize, phase: &'static str) -> Place {
        Place {
            index,
            sync,
            phase,
            method: "GET".into(),
            path: "/api/v1/session".into(),
        }
    }

    #[test]
    fn a_run_that_ends_differently_says_how_and_one_that_does_not_folds() {
        let mut base = Summary::default();
        base.end.server_records.insert("account".into(), 240);
        base.final_values.insert(
            "account/acc-0001/city".into(),
            (Some("A".into()), Some("A".into())),
        );
        let mut worse = base.clone();
        worse.end.server_records.insert("account".into(), 241);
        worse.end.lost_by_cause.insert(LossCause::Unexplained, 1);
        worse.end.pending = 1;
        worse.final_values.insert(
            "account/acc-0001/city".into(),
            (Some("B".into()), Some("A".into())),
        );
        let found = changes(&base, &worse);
        assert!(
            found.contains(&"duplicates: 1 more account on the server".to_string()),
            "{found:?}"
        );
        assert!(
            found.contains(&"lost (Unexplained) 0 → 1".to_string()),
            "{found:?}"
        );
        assert!(
            found.contains(&"pending at the end 0 → 1".to_string()),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|c| c.starts_with("account/acc-0001/city = B | A")),
            "{found:?}"
        );
        assert!(changes(&base, &base.clone()).is_empty());

        let row = |summary: &Summary| Row {
            fault: "body cut mid-way",
            at: place(2, 1, "Upload"),
            changes: changes(&base, summary),
            summary: summary.clone(),
            hit: true,
        };
        let matrix = FaultMatrix {
            scenario: "s".into(),
            baseline: base.clone(),
            requests: vec![
                place(0, 1, "Connect"),
                place(1, 1, "Customization"),
                place(2, 1, "Upload"),
            ],
            possible: 15,
            rows: vec![row(&worse), row(&base), row(&base)],
        };
        let text = table(&matrix);
        assert!(text.contains("3 faulted runs of 15 possible"), "{text}");
        assert!(
            text.contains("body cut mid-way") && text.contains("#3 sync 1 Upload"),
            "{text}"
        );
        assert!(text.contains("no effect: 2 run(s)"), "{text}");
    }

    #[test]
    fn sampling_keeps_every_sync_and_phase_and_stays_within_the_budget() {
        let phases = ["Connect", "Customization", "Upload", "Download"];
        let places: Vec<Place> = (0..40)
            .map(|i| place(i, i / 10 + 1, phases[(i % 10).min(3)]))
            .collect();
        // 16 (sync, phase) pairs fit in 20: each is faulted at its first request.
        let chosen = sample(&places, 20);
        assert_eq!(chosen.len(), 20);
        for sync in 1..=4 {
            for phase in phases {
                let first = places
                    .iter()
                    .find(|p| p.sync == sync && p.phase == phase)
                    .unwrap();
                assert!(
                    chosen.contains(&first.index),
                    "sync {sync} {phase}: {chosen:?}"
                );
            }
        }
        // In 12 they do not: every sync is still faulted somewhere.
        let chosen = sample(&places, 12);
        assert_eq!(chosen.len(), 12);
        for sync in 1..=4 {
            assert!(
                chosen.iter().any(|i| places[*i].sync == sync),
                "sync {sync}: {chosen:?}"
            );
        }
        assert_eq!(sample(&places[..5], 12), vec![0, 1, 2, 3, 4]);
    }
}
