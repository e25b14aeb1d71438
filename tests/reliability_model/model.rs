//! The reference model of what each Background sync behavior promises, the rounds a case is
//! made of, and the in-memory server the store level syncs against.

use std::collections::{BTreeMap, BTreeSet};

use autosync::settings::BackgroundBehavior;
use autosync::wire::{Fields, Record};
use proptest::prelude::*;

use super::*;

/// One thing that happens while a sync runs, at a point chosen by `at` (taken modulo the
/// number of points the sync turns out to have).
#[derive(Debug, Clone)]
pub(super) enum During {
    /// The user saves a new value of a field.
    Save { at: u8, record: usize, field: usize },
    /// Someone edits a field on the server after this device's upload (another user, or the
    /// business logic); the download brings it.
    ServerEdit { record: usize, field: usize },
}

#[derive(Debug, Clone)]
pub(super) struct Round {
    /// Saves before the sync starts (they are in its upload snapshot).
    pub(super) before: Vec<(usize, usize)>,
    pub(super) during: Vec<During>,
}

pub(super) fn round() -> impl Strategy<Value = Round> {
    let save = (0..RECORDS, 0..FIELDS.len());
    let during = prop_oneof![
        3 => (any::<u8>(), 0..RECORDS, 0..FIELDS.len())
            .prop_map(|(at, record, field)| During::Save { at, record, field }),
        1 => (0..RECORDS, 0..FIELDS.len())
            .prop_map(|(record, field)| During::ServerEdit { record, field }),
    ];
    (
        proptest::collection::vec(save, 0..4),
        proptest::collection::vec(during, 0..5),
    )
        .prop_map(|(before, during)| Round { before, during })
}

/// The in-memory server: records with an ETag counter, and what changed since the device's
/// last download.
pub(super) struct Server {
    pub(super) records: BTreeMap<String, (u64, Fields)>,
    pub(super) changed: BTreeSet<String>,
    pub(super) writes: u64,
}

impl Server {
    pub(super) fn new() -> Server {
        let mut records = BTreeMap::new();
        for r in 0..RECORDS {
            let fields = FIELDS
                .iter()
                .map(|f| (f.to_string(), format!("init-{r}-{f}")))
                .collect();
            records.insert(format!("r{r}"), (0, fields));
        }
        Server {
            records,
            changed: BTreeSet::new(),
            writes: 0,
        }
    }

    pub(super) fn write(&mut self, id: &str, fields: &Fields) -> Record {
        self.writes += 1;
        let entry = self.records.get_mut(id).expect("known record");
        entry.0 = self.writes;
        entry.1.extend(fields.clone());
        self.changed.insert(id.to_string());
        self.record(id)
    }

    pub(super) fn record(&self, id: &str) -> Record {
        let (etag, fields) = &self.records[id];
        Record {
            id: id.to_string(),
            etag: format!("e{etag}"),
            fields: fields.clone(),
            modified_on: now(),
            modified_by: "demo".into(),
        }
    }
}

/// One user edit as the reference model sees it.
#[derive(Debug, Clone)]
pub(super) struct ModelEdit {
    pub(super) record: String,
    pub(super) field: String,
    pub(super) value: String,
    /// Saved while a sync ran (after its upload snapshot), and that sync has not yet written
    /// the record.
    pub(super) exposed: bool,
    pub(super) lost: bool,
}

pub(super) struct Model {
    pub(super) edits: Vec<ModelEdit>,
}

impl Model {
    /// The sync wrote the server's version of `record`: under No action every exposed edit of
    /// it is lost; under the other behaviors it is re-applied on top.
    pub(super) fn server_version_written(&mut self, record: &str, behavior: BackgroundBehavior) {
        for e in self.edits.iter_mut().filter(|e| e.record == record) {
            if e.exposed && behavior == BackgroundBehavior::NoAction {
                e.lost = true;
                e.exposed = false;
            }
        }
    }

    pub(super) fn sync_ended(&mut self) {
        for e in &mut self.edits {
            e.exposed = false;
        }
    }

    /// The lost edits the auditor must report: the newest edit of each field, when lost.
    pub(super) fn expected_lost(&self) -> BTreeSet<(String, String, String)> {
        let mut newest: BTreeMap<(String, String), &ModelEdit> = BTreeMap::new();
        for e in &self.edits {
            newest.insert((e.record.clone(), e.field.clone()), e);
        }
        newest
            .into_values()
            .filter(|e| e.lost)
            .map(|e| (e.record.clone(), e.field.clone(), e.value.clone()))
            .collect()
    }
}
