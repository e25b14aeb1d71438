//! The auditor: compares the journal of user edits with the final state on the device and on
//! the server, and reports every edit that was lost — which value, when, and what lost it.
//! The real product loses such edits silently; autosync never does. It knows the user's creates
//! and deletes too: a create that never reached the server, and a delete undone — the record
//! back on the device, or still on the server, with nothing pending — are losses with a cause.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::store::{JournalEntry, JournalKind, RecordChange, Store, StoreError};
use crate::wire::Fields;

/// What made an edit disappear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum LossCause {
    /// No action: the sync wrote the server's version over an edit saved while it ran.
    OverwrittenBySync,
    /// The entity's On Conflict strategy is Server Wins.
    ServerWins,
    /// The user chose Take Server Version or Ignore under Sync Errors.
    DiscardedByUser,
    /// Neither on the device, nor on the server, nor pending, and no journal line says why.
    Unexplained,
}

/// What a lost delete reports as its field and value: the whole record was the change.
pub const DELETED_RECORD: (&str, &str) = ("(record)", "(deleted)");

/// One lost edit (or lost delete: field and value are [`DELETED_RECORD`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LostEdit {
    pub entity: String,
    pub id: String,
    pub field: String,
    /// The value the user saved, which is gone.
    pub value: String,
    pub saved_at: DateTime<Utc>,
    pub cause: LossCause,
    /// The journal's explanation, when there is one.
    pub detail: String,
    pub device_value: Option<String>,
    pub server_value: Option<String>,
}

type Key = (String, String, String);

fn key(e: &JournalEntry) -> Option<Key> {
    Some((e.entity.clone()?, e.record_id.clone()?, e.field.clone()?))
}

/// Audits the device. `server` answers a record's current fields on the server (`None`: not
/// there, or unknown); it is asked only about edits that look lost on the device.
pub fn audit(
    store: &Store,
    server: impl FnMut(&str, &str) -> Option<Fields>,
) -> Result<Vec<LostEdit>, StoreError> {
    audit_journal(store, &read_journal(store)?, server)
}

/// The whole journal, oldest first, read in pages.
pub fn read_journal(store: &Store) -> Result<Vec<JournalEntry>, StoreError> {
    let mut journal = Vec::new();
    let mut after = 0;
    loop {
        let batch = store.journal(after, 10_000)?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        journal.extend(batch);
    }
    Ok(journal)
}

/// [`audit`] over a journal read already ([`read_journal`]): whoever needs the journal too
/// reads it once.
pub fn audit_journal(
    store: &Store,
    journal: &[JournalEntry],
    mut server: impl FnMut(&str, &str) -> Option<Fields>,
) -> Result<Vec<LostEdit>, StoreError> {
    // The newest edit per field; earlier ones were superseded by the user.
    let mut newest: BTreeMap<Key, &JournalEntry> = BTreeMap::new();
    for e in journal.iter().filter(|e| e.kind == JournalKind::Edit) {
        if let Some(k) = key(e) {
            newest.insert(k, e);
        }
    }
    let mut later: HashMap<Key, Vec<&JournalEntry>> = HashMap::new();
    for e in journal.iter().filter(|e| e.kind != JournalKind::Edit) {
        if let Some(k) = key(e) {
            later.entry(k).or_default().push(e);
        }
    }
    let held: Vec<(String, String)> = store
        .unresolved_conflicts()?
        .into_iter()
        .map(|c| (c.entity, c.record_id))
        .collect();
    // The user's newest delete of each record: edits saved before it were superseded by it.
    let mut deletes: BTreeMap<(String, String), &JournalEntry> = BTreeMap::new();
    for e in journal.iter().filter(|e| is_user_delete(e)) {
        if let (Some(entity), Some(id)) = (&e.entity, &e.record_id) {
            deletes.insert((entity.clone(), id.clone()), e);
        }
    }
    let mut lost = Vec::new();
    for ((entity, id, field), edit) in newest {
        let Some(value) = edit.new.clone() else {
            continue;
        };
        if deletes
            .get(&(entity.clone(), id.clone()))
            .is_some_and(|d| d.seq > edit.seq)
        {
            continue;
        }
        let events: Vec<&&JournalEntry> = later
            .get(&(entity.clone(), id.clone(), field.clone()))
            .map(|v| v.iter().filter(|e| e.seq > edit.seq).collect())
            .unwrap_or_default();
        let delivered = events
            .iter()
            .any(|e| e.kind == JournalKind::Uploaded && e.new.as_deref() == Some(value.as_str()));
        let device = store.record(&entity, &id)?;
        let device_value = device.as_ref().and_then(|r| r.fields.get(&field).cloned());
        let pending = store.pending_value(&entity, &id, &field)?.as_deref() == Some(value.as_str());
        let waiting_for_user = held.contains(&(entity.clone(), id.clone()));
        if delivered || pending || waiting_for_user {
            continue;
        }
        let server_value = server(&entity, &id).and_then(|f| f.get(&field).cloned());
        if server_value.as_deref() == Some(value.as_str()) {
            continue;
        }
        let explanation = events
            .iter()
            .rev()
            .find(|e| matches!(e.kind, JournalKind::Overwritten | JournalKind::ServerWins));
        let user_discard = journal.iter().any(|e| {
            e.seq > edit.seq
                && e.kind == JournalKind::Conflict
                && e.actor != "sync"
                && e.entity.as_deref() == Some(entity.as_str())
                && e.record_id.as_deref() == Some(id.as_str())
        });
        let (cause, detail) = match explanation {
            Some(e) if e.kind == JournalKind::Overwritten => {
                (LossCause::OverwrittenBySync, e.detail.clone())
            }
            Some(e) => (LossCause::ServerWins, e.detail.clone()),
            None if user_discard => (
                LossCause::DiscardedByUser,
                "the user resolved the sync error without this value".into(),
            ),
            None if edit.record_change() == Some(RecordChange::Create) && device.is_none() => (
                LossCause::Unexplained,
                "a record created on the device is neither on the device, nor on the server, nor pending".into(),
            ),
            None => (LossCause::Unexplained, "no journal line explains it".into()),
        };
        lost.push(LostEdit {
            entity,
            id,
            field,
            value,
            saved_at: edit.at,
            cause,
            detail,
            device_value,
            server_value,
        });
    }
    for ((entity, id), delete) in deletes {
        if let Some(found) = lost_delete(store, journal, &held, &mut server, &entity, &id, delete)?
        {
            lost.push(found);
        }
    }
    Ok(lost)
}

fn is_user_delete(e: &JournalEntry) -> bool {
    e.record_change() == Some(RecordChange::Delete)
}

/// A user's delete that did not hold: the record is on the device again, or still on the
/// server, with nothing pending and no Sync Errors item waiting — found with its cause.
fn lost_delete(
    store: &Store,
    journal: &[JournalEntry],
    held: &[(String, String)],
    server: &mut impl FnMut(&str, &str) -> Option<Fields>,
    entity: &str,
    id: &str,
    delete: &JournalEntry,
) -> Result<Option<LostEdit>, StoreError> {
    // What the journal says of the record after the delete, in one pass over it.
    let later: Vec<&JournalEntry> = journal
        .iter()
        .filter(|e| {
            e.seq > delete.seq
                && e.entity.as_deref() == Some(entity)
                && e.record_id.as_deref() == Some(id)
        })
        .collect();
    // Created again since (a scenario reuses its ids): the delete is history.
    let recreated = later
        .iter()
        .any(|e| e.record_change() == Some(RecordChange::Create));
    let waiting = held.iter().any(|(e, i)| e == entity && i == id);
    if recreated || waiting || store.is_pending_delete(entity, id)? {
        return Ok(None);
    }
    let device = store.record(entity, id)?;
    let on_server = match &device {
        Some(_) => None,
        None => server(entity, id),
    };
    if device.is_none() && on_server.is_none() {
        return Ok(None);
    }
    let explained = later
        .iter()
        .rev()
        .find(|e| matches!(e.kind, JournalKind::ServerWins | JournalKind::Overwritten));
    let (cause, detail) = if let Some(e) = explained {
        let cause = match e.kind {
            JournalKind::Overwritten => LossCause::OverwrittenBySync,
            _ => LossCause::ServerWins,
        };
        (cause, e.detail.clone())
    } else if later
        .iter()
        .any(|e| e.kind == JournalKind::Conflict && e.actor != "sync")
    {
        (
            LossCause::DiscardedByUser,
            "the user resolved the sync error without the delete".into(),
        )
    } else if device.is_some() {
        (
            LossCause::Unexplained,
            "deleted on the device, back on the device after a sync, and no journal line explains it".into(),
        )
    } else {
        (
            LossCause::Unexplained,
            "deleted on the device, still on the server with nothing pending".into(),
        )
    };
    let (field, value) = DELETED_RECORD;
    Ok(Some(LostEdit {
        entity: entity.to_string(),
        id: id.to_string(),
        field: field.to_string(),
        value: value.to_string(),
        saved_at: delete.at,
        cause,
        detail,
        device_value: device.map(|_| "(on the device)".to_string()),
        server_value: on_server.map(|_| "(on the server)".to_string()),
    }))
}
