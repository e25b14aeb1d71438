//! Expectations: what a step promises, checked against the App (what the user sees), the
//! device's store and the server.

use std::path::PathBuf;

use serde::Serialize;

use super::format::{Expect, HomeButton, SaveExpect, SyncExpect};
use crate::app::{App, DialogButton, HomeItem};
use crate::control::Control;
use crate::device::AppMode;
use crate::rules::{DecisionOutcome, SyncActivity};
use crate::store::{
    JournalData, JournalEntry, JournalKind, SettingOutcome, Store, UiTransactionCall,
};
use crate::timeline::{Reading, SaveMark};

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// 1-based step number.
    pub step: usize,
    /// The step's line in the scenario file.
    pub line: usize,
    pub what: String,
    pub expected: String,
    pub actual: String,
}

/// What a step left behind, beyond the App's state.
#[derive(Debug, Clone)]
pub struct StepObservation {
    /// Journal lines written during the step.
    pub journal: Vec<JournalEntry>,
    pub syncs_since_start: usize,
    pub profile: PathBuf,
}

fn fail(what: &str, expected: impl ToString, actual: impl ToString) -> Failure {
    Failure {
        step: 0,
        line: 0,
        what: what.into(),
        expected: expected.to_string(),
        actual: actual.to_string(),
    }
}

/// The automatic-sync decision of the step, from its journal: the last decision, and its words.
fn sync_decision(journal: &[JournalEntry]) -> (SyncExpect, String) {
    let decision = journal.iter().rev().find_map(|e| match &e.data {
        Some(JournalData::Decision(d)) => d.outcome().map(|o| (o, e.detail.clone())),
        _ => None,
    });
    match decision {
        None => (SyncExpect::None, "no sync decision".into()),
        Some((outcome, text)) => (
            match outcome {
                DecisionOutcome::Started => SyncExpect::Started,
                DecisionOutcome::Skipped => SyncExpect::Skipped,
                DecisionOutcome::Deferred => SyncExpect::Deferred,
            },
            text,
        ),
    }
}

/// The step's last save: under which rule (as the timeline reads it), whether it waited for
/// the sync's write lock, and its words.
fn save_outcome(journal: &[JournalEntry]) -> Option<(SaveExpect, bool, String)> {
    let e = journal.iter().rev().find(|e| e.kind == JournalKind::Save)?;
    let Some(Reading::Save { mark, .. }) = crate::timeline::read(e) else {
        return None;
    };
    // A save of any kind may wait for the lock, not only an allowed one: read apart.
    let waited = matches!(
        e.data,
        Some(JournalData::Save {
            waited_ms: Some(_),
            ..
        })
    );
    let kind = match mark {
        SaveMark::Allowed | SaveMark::Waited => SaveExpect::Allowed,
        SaveMark::Refused => SaveExpect::Refused,
        SaveMark::Concurrent => SaveExpect::Concurrent,
        SaveMark::Rebased => SaveExpect::Rebased,
    };
    Some((kind, waited, e.detail.clone()))
}

/// Adds a failure when the step expects `want` of `what` and it is not `got()`.
fn expect_eq<T: PartialEq + ToString>(
    failures: &mut Vec<Failure>,
    what: &str,
    want: Option<T>,
    got: impl FnOnce() -> T,
) {
    if let Some(want) = want {
        let got = got();
        if got != want {
            failures.push(fail(what, want, got));
        }
    }
}

/// The count Home shows on the item `count` reads (0 when Home has no such item).
fn home_count(app: &App, count: fn(&HomeItem) -> Option<usize>) -> usize {
    app.home_items().iter().find_map(count).unwrap_or(0)
}

fn field_value(fields: Option<&crate::wire::Fields>, field: &str) -> String {
    fields
        .and_then(|f| f.get(field).cloned())
        .unwrap_or_else(|| "(no such record or field)".into())
}

/// Checks every expectation of `expect`; returns those that failed. The server is read through
/// its control API, which armed faults never touch, so a check never uses one up.
pub async fn check(
    expect: &Expect,
    seen: &StepObservation,
    app: &App,
    server: &Control,
) -> Vec<Failure> {
    let mut failures = Vec::new();
    let status = app.status();
    if let Some(want) = expect.sync {
        let (got, text) = sync_decision(&seen.journal);
        if got != want {
            failures.push(fail(
                "sync",
                format!("{want:?}"),
                format!("{got:?} ({text})"),
            ));
        }
    }
    if !expect.reasons.is_empty() {
        let (_, text) = sync_decision(&seen.journal);
        for word in &expect.reasons {
            if !text.contains(word.as_str()) {
                failures.push(fail(
                    "reasons",
                    format!("the decision to mention \"{word}\""),
                    text.clone(),
                ));
            }
        }
    }
    if let Some(phase) = &expect.phase {
        let got = match status.activity {
            SyncActivity::Idle => "idle".to_string(),
            SyncActivity::Running { phase, .. } => format!("{phase:?}"),
            SyncActivity::WaitingForUiTransactions { .. } => "waiting".to_string(),
        };
        if !got.eq_ignore_ascii_case(phase) {
            failures.push(fail("phase", phase, got));
        }
    }
    if let Some(want) = expect.save {
        // "waited" is about the write lock, not the rule: an allowed save of any kind may wait.
        match save_outcome(&seen.journal) {
            Some((_, true, _)) if want == SaveExpect::Waited => {}
            Some((got, _, _)) if got == want => {}
            Some((got, _, text)) => failures.push(fail(
                "save",
                format!("{want:?}"),
                format!("{got:?} ({text})"),
            )),
            None => failures.push(fail("save", format!("{want:?}"), "no save in this step")),
        }
    }
    if let Some(want) = expect.home {
        let got = if status.update_available.is_some() {
            HomeButton::DownArrow
        } else {
            HomeButton::Sync
        };
        if got != want {
            failures.push(fail("home", format!("{want:?}"), format!("{got:?}")));
        }
    }
    expect_eq(&mut failures, "conflicts", expect.conflicts, || {
        status.unresolved_conflicts
    });
    expect_eq(&mut failures, "pending", expect.pending, || {
        status.pending_uploads
    });
    let store = Store::open(&seen.profile).ok();
    for (key, want) in &expect.client {
        let parts: Vec<&str> = key.split('/').collect();
        let record = store
            .as_ref()
            .and_then(|s| s.record(parts[0], parts[1]).ok().flatten());
        let got = field_value(record.as_ref().map(|r| &r.fields), parts[2]);
        if &got != want {
            failures.push(fail(&format!("client {key}"), want, got));
        }
    }
    for (key, want) in &expect.server {
        let parts: Vec<&str> = key.split('/').collect();
        let record = server.record(parts[0], parts[1]).await.ok().flatten();
        let got = field_value(record.as_ref().map(|r| &r.fields), parts[2]);
        if &got != want {
            failures.push(fail(&format!("server {key}"), want, got));
        }
    }
    if let Some(want) = expect.lost {
        let lost = match &store {
            Some(store) => {
                let mut records = std::collections::BTreeMap::new();
                for e in store
                    .journal(0, usize::MAX >> 1)
                    .unwrap_or_default()
                    .iter()
                    .filter(|e| e.kind == JournalKind::Edit)
                {
                    if let (Some(entity), Some(id)) = (&e.entity, &e.record_id) {
                        records.entry((entity.clone(), id.clone())).or_insert(None);
                    }
                }
                for ((entity, id), fields) in records.iter_mut() {
                    *fields = server
                        .record(entity, id)
                        .await
                        .ok()
                        .flatten()
                        .map(|r| r.fields);
                }
                crate::auditor::audit(store, |e, i| {
                    records
                        .get(&(e.to_string(), i.to_string()))
                        .cloned()
                        .flatten()
                })
                .unwrap_or_default()
            }
            None => Vec::new(),
        };
        if lost.len() != want {
            let list = lost
                .iter()
                .map(|l| {
                    format!(
                        "{} {} {} = \"{}\" ({:?})",
                        l.entity, l.id, l.field, l.value, l.cause
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            failures.push(fail("lost", want, format!("{} [{list}]", lost.len())));
        }
    }
    if !expect.last_result.is_empty() {
        let last = status.last.as_ref();
        for word in &expect.last_result {
            let holds = last.is_some_and(|l| match word.as_str() {
                "ok" => l.flags.succeeded(),
                "failed" => !l.flags.succeeded(),
                "data_errors" => l.flags.data_errors,
                "customization_ready" => l.flags.customization_ready,
                "customization_downloaded" => l.flags.customization_downloaded,
                "connect_failed" => l.flags.connect_failed(),
                "web_error" => l.flags.web_error(),
                "aborted" => l.flags.aborted(),
                _ => false,
            });
            if !holds {
                failures.push(fail(
                    "last_result",
                    word,
                    last.map_or("no sync yet".to_string(), |l| {
                        format!("{:?} {}", l.flags, l.error.clone().unwrap_or_default())
                    }),
                ));
            }
        }
    }
    if let Some(want) = &expect.last_mode {
        let got = status
            .last
            .as_ref()
            .map_or("none".to_string(), |l| l.mode.to_string());
        if &got != want {
            failures.push(fail("last_mode", want, got));
        }
    }
    if let Some(want) = &expect.mode {
        let got = match app.mode() {
            AppMode::Online => "online",
            AppMode::Offline => "offline",
        };
        if got != want {
            failures.push(fail("mode", want, got));
        }
    }
    if let Some(want) = &expect.ui_transaction {
        let got = seen.journal.iter().rev().find_map(|e| match e.data {
            Some(JournalData::UiTransaction(UiTransactionCall::Entered { .. })) => Some("entered"),
            Some(JournalData::UiTransaction(UiTransactionCall::Refused)) => Some("refused"),
            _ => None,
        });
        if got != Some(want.as_str()) {
            failures.push(fail(
                "ui_transaction",
                want,
                got.unwrap_or("no tryEnterUiTransaction in this step"),
            ));
        }
    }
    if let Some(want) = &expect.setting {
        let got = seen.journal.iter().rev().find_map(|e| match e.data {
            Some(JournalData::Setting(SettingOutcome::Refused)) => Some("locked"),
            Some(JournalData::Setting(SettingOutcome::Changed)) => Some("changed"),
            _ => None,
        });
        if got != Some(want.as_str()) {
            failures.push(fail(
                "setting",
                want,
                got.unwrap_or("no setting change in this step"),
            ));
        }
    }
    expect_eq(&mut failures, "syncs", expect.syncs, || {
        seen.syncs_since_start
    });
    if let Some(want) = expect.running_mode {
        let want = crate::rules::SyncMode::from(want);
        match status.activity.mode() {
            Some(got) if got == want => {}
            Some(got) => failures.push(fail("running_mode", want, got)),
            None => failures.push(fail("running_mode", want, "no sync running")),
        }
    }
    expect_eq(&mut failures, "home_errors", expect.home_errors, || {
        home_count(app, |item| match item {
            HomeItem::SyncErrors { count } => Some(*count),
            _ => None,
        })
    });
    if let Some(want) = &expect.dialog {
        let got = app.dialog().map(|d| (d.kind(), d.buttons()));
        let holds = match (&got, want.kind.kind()) {
            (None, None) => true,
            (Some((kind, buttons)), Some(want_kind)) => {
                *kind == want_kind && want.buttons.as_ref().is_none_or(|b| b == buttons)
            }
            _ => false,
        };
        if !holds {
            let show = |kind: String, buttons: Option<&Vec<DialogButton>>| match buttons {
                Some(b) => format!("{kind} {b:?}"),
                None => kind,
            };
            failures.push(fail(
                "dialog",
                show(format!("{:?}", want.kind), want.buttons.as_ref()),
                match &got {
                    Some((kind, buttons)) => show(format!("{kind:?}"), Some(buttons)),
                    None => "no dialog open".into(),
                },
            ));
        }
    }
    expect_eq(&mut failures, "home_lost", expect.home_lost, || {
        home_count(app, |item| match item {
            HomeItem::LostEdits { count } => Some(*count),
            _ => None,
        })
    });
    expect_eq(
        &mut failures,
        "project_version",
        expect.project_version,
        || {
            store
                .as_ref()
                .and_then(|s| s.sync_state().ok())
                .map_or(0, |s| s.applied_version)
        },
    );
    failures
}
