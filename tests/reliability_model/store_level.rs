//! Store level: the real local database against the in-memory server, hundreds of cases.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use autosync::auditor::{self, LossCause};
use autosync::rules::{self, Phase, SyncActivity, SyncMode};
use autosync::settings::BackgroundBehavior;
use autosync::store::{PageEnd, Store};
use autosync::wire::{Fields, Record};
use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, TestCaseError, TestRunner};

use super::model::*;
use super::*;

static CASES_WITH_LOSSES: AtomicUsize = AtomicUsize::new(0);

struct Case {
    behavior: BackgroundBehavior,
    store: Store,
    server: Server,
    model: Model,
    next_value: usize,
    token: usize,
}

impl Case {
    fn new(dir: &std::path::Path, behavior: BackgroundBehavior) -> Case {
        let mut store = Store::open(&dir.join("device.db")).unwrap();
        let server = Server::new();
        let all: Vec<Record> = server.records.keys().map(|id| server.record(id)).collect();
        store
            .apply_chunk(
                ENTITY,
                &all,
                &[],
                &PageEnd::Complete("t0".into()),
                0,
                rules::concurrent_edit(behavior),
                now(),
            )
            .unwrap();
        Case {
            behavior,
            store,
            server,
            model: Model { edits: Vec::new() },
            next_value: 0,
            token: 0,
        }
    }

    /// A user save through the gate at `activity`; returns whether it was saved.
    fn save(&mut self, record: usize, field: usize, activity: SyncActivity) -> bool {
        if !rules::save_gate(self.behavior, activity).is_allowed() {
            return false;
        }
        self.next_value += 1;
        let (id, field) = (format!("r{record}"), FIELDS[field].to_string());
        let value = format!("user-{}", self.next_value);
        let mut values = Fields::new();
        values.insert(field.clone(), value.clone());
        let report = self
            .store
            .save_edit(ENTITY, &id, &values, "Save button", now())
            .unwrap();
        assert!(report.outbox_seq.is_some(), "a new value always changes");
        self.model.edits.push(ModelEdit {
            record: id,
            field,
            value,
            exposed: matches!(activity, SyncActivity::Running { .. }),
            lost: false,
        });
        true
    }

    fn server_edit(&mut self, record: usize, field: usize) {
        self.next_value += 1;
        let mut values = Fields::new();
        values.insert(
            FIELDS[field].to_string(),
            format!("server-{}", self.next_value),
        );
        self.server.write(&format!("r{record}"), &values);
    }

    /// One background sync with `during` happening at its points.
    fn sync(&mut self, during: &[During]) {
        let policy = rules::concurrent_edit(self.behavior);
        let running = |phase| SyncActivity::Running {
            mode: SyncMode::Background,
            phase,
        };
        let snapshot = self.store.outbox_snapshot().unwrap();
        let ops = self.store.pending_ops(snapshot).unwrap();
        // Points: before each op's answer and after the last (upload), after the upload (the
        // server edits land there), then after each downloaded page, then after the download.
        let saves: Vec<(usize, usize, usize)> = during
            .iter()
            .filter_map(|d| match d {
                During::Save { at, record, field } => Some((*at as usize, *record, *field)),
                During::ServerEdit { .. } => None,
            })
            .collect();
        let server_edits: Vec<(usize, usize)> = during
            .iter()
            .filter_map(|d| match d {
                During::ServerEdit { record, field } => Some((*record, *field)),
                During::Save { .. } => None,
            })
            .collect();
        // The download's pages are known once the server edits are in: the uploaded records
        // and the edited ones. The point count is fixed up front from an upper bound.
        let mut download: BTreeSet<String> = self.server.changed.clone();
        download.extend(ops.iter().map(|o| o.id.clone()));
        download.extend(server_edits.iter().map(|(r, _)| format!("r{r}")));
        let points = ops.len() + 1 + download.len() + 1;
        let saves_at = |point: usize| -> Vec<(usize, usize)> {
            saves
                .iter()
                .filter(|(at, _, _)| at % points == point)
                .map(|(_, r, f)| (*r, *f))
                .collect()
        };
        let mut point = 0;
        for op in &ops {
            for (r, f) in saves_at(point) {
                self.save(r, f, running(Phase::Upload));
            }
            point += 1;
            let answer = self.server.write(&op.id, &op.fields);
            self.store
                .complete_op(op, &answer, snapshot, policy, now())
                .unwrap();
            self.model.server_version_written(&op.id, self.behavior);
        }
        for (r, f) in saves_at(point) {
            self.save(r, f, running(Phase::Upload));
        }
        point += 1;
        for (r, f) in server_edits {
            self.server_edit(r, f);
        }
        let pages: Vec<String> = std::mem::take(&mut self.server.changed)
            .into_iter()
            .collect();
        assert!(pages.len() <= download.len());
        self.token += 1;
        for (i, id) in pages.iter().enumerate() {
            let end = if i + 1 == pages.len() {
                PageEnd::Complete(format!("t{}", self.token))
            } else {
                PageEnd::Next(format!("c{}-{i}", self.token))
            };
            let record = self.server.record(id);
            self.store
                .apply_chunk(ENTITY, &[record], &[], &end, snapshot, policy, now())
                .unwrap();
            self.model.server_version_written(id, self.behavior);
            for (r, f) in saves_at(point) {
                self.save(r, f, running(Phase::Download));
            }
            point += 1;
        }
        // Saves left over (pages fewer than the bound) land after the download, during the
        // Attachments phase, which never blocks.
        while point < points {
            for (r, f) in saves_at(point) {
                self.save(r, f, running(Phase::Attachments));
            }
            point += 1;
        }
        self.model.sync_ended();
    }

    fn audit(&self) -> Vec<auditor::LostEdit> {
        auditor::audit(&self.store, |entity, id| {
            assert_eq!(entity, ENTITY);
            self.server.records.get(id).map(|(_, f)| f.clone())
        })
        .unwrap()
    }
}

fn check_store_case(behavior: BackgroundBehavior, rounds: &[Round]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let mut case = Case::new(dir.path(), behavior);
    for round in rounds {
        for (r, f) in &round.before {
            prop_assert!(case.save(*r, *f, SyncActivity::Idle));
        }
        case.sync(&round.during);
    }
    let lost = case.audit();
    let reported: BTreeSet<(String, String, String)> = lost
        .iter()
        .map(|l| (l.id.clone(), l.field.clone(), l.value.clone()))
        .collect();
    prop_assert_eq!(
        reported.len(),
        lost.len(),
        "one report per field: {:?}",
        lost
    );
    for l in &lost {
        prop_assert_eq!(l.cause, LossCause::OverwrittenBySync, "{:?}", l);
    }
    let expected = case.model.expected_lost();
    if !expected.is_empty() {
        CASES_WITH_LOSSES.fetch_add(1, Ordering::Relaxed);
    }
    if behavior != BackgroundBehavior::NoAction {
        prop_assert!(expected.is_empty(), "the model loses nothing here");
    }
    prop_assert_eq!(
        &reported,
        &expected,
        "auditor vs model under {:?}",
        behavior
    );
    // A quiet sync settles everything that is pending: device and server agree.
    case.sync(&[]);
    prop_assert_eq!(case.store.pending_count().unwrap(), 0);
    prop_assert_eq!(case.store.count_mismatches().unwrap(), []);
    prop_assert_eq!(case.store.count(ENTITY).unwrap(), case.server.records.len());
    for id in case.server.records.keys() {
        let device = case.store.record(ENTITY, id).unwrap().unwrap();
        prop_assert_eq!(&device.fields, &case.server.records[id].1, "{}", id);
    }
    // Still exactly the same verdict after everything settled.
    let after: BTreeSet<(String, String, String)> = case
        .audit()
        .iter()
        .map(|l| (l.id.clone(), l.field.clone(), l.value.clone()))
        .collect();
    prop_assert_eq!(after, expected);
    Ok(())
}

#[test]
fn store_level_every_behavior_matches_the_reference_model() {
    let cases = if long() { 3000 } else { 300 };
    let mut runner = TestRunner::new(PropConfig {
        cases,
        failure_persistence: None,
        ..PropConfig::default()
    });
    let strategy = (behavior(), proptest::collection::vec(round(), 1..4));
    runner
        .run(&strategy, |(behavior, rounds)| {
            check_store_case(behavior, &rounds)
        })
        .unwrap();
    let with_losses = CASES_WITH_LOSSES.load(Ordering::Relaxed);
    eprintln!("{cases} cases, {with_losses} where No action lost edits");
    assert!(
        with_losses >= cases as usize / 20,
        "the generator must reach the race: only {with_losses} of {cases} cases lost an edit"
    );
}

/// The race of the reference, spelled out: a save during the upload of the same record.
#[test]
fn store_level_the_race_itself_loses_the_edit_only_under_no_action() {
    for behavior in BackgroundBehavior::ALL {
        let rounds = [Round {
            before: vec![(0, 0)],
            during: vec![During::Save {
                at: 0,
                record: 0,
                field: 1,
            }],
        }];
        let dir = tempfile::tempdir().unwrap();
        let mut case = Case::new(dir.path(), behavior);
        for (r, f) in &rounds[0].before {
            case.save(*r, *f, SyncActivity::Idle);
        }
        case.sync(&rounds[0].during);
        let lost = case.audit();
        let saved_during = case.model.edits.len() == 2;
        match behavior {
            BackgroundBehavior::NoAction => {
                assert!(saved_during);
                assert_eq!(case.model.expected_lost().len(), 1);
                assert_eq!(lost.len(), 1, "{lost:?}");
                assert_eq!(lost[0].field, "phone");
            }
            BackgroundBehavior::Rebase => {
                assert!(saved_during);
                assert!(lost.is_empty(), "{lost:?}");
            }
            _ => {
                assert!(
                    !saved_during,
                    "{behavior:?} refuses the save during the upload"
                );
                assert!(lost.is_empty(), "{lost:?}");
            }
        }
    }
}
