//! Sync Errors: conflicts kept for the user (Manual Action) and how the user resolves them.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::deletes;
use super::journal::{self, JournalData, JournalEntry, JournalKind, Resolved, UserChoice};
use super::outbox::{self, PendingOp};
use super::records;
use super::sent;
use super::{Result, Store, StoreError, from_json, to_json};
use crate::wire::{Fields, Record};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConflictKind {
    /// Changed on the device and on the server since the last sync (`412`).
    ChangedOnBoth,
    /// Edited on the device, deleted on the server (`404`).
    DeletedOnServer,
    /// Deleted on the device, edited on the server (`412` on the `DELETE`).
    DeletedOnDevice,
    /// The server refused the operation for a reason a retry cannot fix (a `4xx` other than
    /// `401` and `412`); its problem detail is in [`Conflict::problem`].
    RefusedByServer,
}

/// One Sync Errors item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub id: i64,
    pub entity: String,
    pub record_id: String,
    pub kind: ConflictKind,
    /// The fields the device changed, with the device's values (its pending changes now).
    pub device_changes: Fields,
    /// The whole device record, as the device has it now (the form shows the same).
    pub device_record: Fields,
    /// The server's latest known version: when the conflict was found, or a newer one a later
    /// download brought (`None`: deleted on the server, or for a refused create, not there).
    pub server: Option<Record>,
    pub detected_at: DateTime<Utc>,
    /// What the server said when it refused the operation ([`ConflictKind::RefusedByServer`]).
    pub problem: Option<String>,
}

/// The Sync Errors actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserResolution {
    /// Clear Error & Retry with the device's values over the server's current version.
    RetryWithMine,
    /// Take Server Version: the device's changes are discarded.
    TakeServer,
    /// Merge: for each conflicting field, the value chosen (device or server).
    Merge(Fields),
    /// Clear Error & Ignore: the device keeps its values, which are not uploaded.
    Ignore,
}

impl UserResolution {
    /// Which action it is, without the merge's values (what the journal keeps).
    pub fn choice(&self) -> UserChoice {
        match self {
            UserResolution::RetryWithMine => UserChoice::RetryWithMine,
            UserResolution::TakeServer => UserChoice::TakeServer,
            UserResolution::Merge(_) => UserChoice::Merge,
            UserResolution::Ignore => UserChoice::Ignore,
        }
    }
}

impl Store {
    /// Manual Action: keep the conflict for the user; the op's outbox rows stay, held.
    pub fn keep_conflict(
        &mut self,
        op: &PendingOp,
        kind: ConflictKind,
        server: Option<&Record>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.write(|tx| {
            let id = insert(tx, op, kind, server, None, now)?;
            journal_kept(
                tx,
                op,
                format!("{kind:?}: kept under Sync Errors (Manual Action)"),
                now,
            )?;
            Ok(id)
        })
    }

    /// The server refused `op` for a reason a retry cannot fix: its rows stay, marked with the
    /// error so they are not uploaded again blindly, and a Sync Errors item shows the server's
    /// `problem` with the user's choices. `server`: the server's current version, if known.
    pub fn refuse_op(
        &mut self,
        op: &PendingOp,
        problem: &str,
        server: Option<&Record>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE seq = ?1",
            )?;
            for seq in &op.seqs {
                stmt.execute(params![seq, problem])?;
            }
            let id = insert(
                tx,
                op,
                ConflictKind::RefusedByServer,
                server,
                Some(problem),
                now,
            )?;
            journal_kept(tx, op, format!("{problem}: kept under Sync Errors"), now)?;
            Ok(id)
        })
    }

    /// Pending records the server refused: (entity, id, the server's problem).
    pub fn rejected_ops(&self) -> Result<Vec<(String, String, String)>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT entity, record_id, last_error FROM outbox WHERE last_error IS NOT NULL GROUP BY entity, record_id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    pub fn unresolved_conflicts(&self) -> Result<Vec<Conflict>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT id, entity, record_id, kind, device_changes, device_record, server_record, detected_at, problem FROM conflicts WHERE resolved_at IS NULL ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let kind: String = r.get(3)?;
                let changes: String = r.get(4)?;
                let device: String = r.get(5)?;
                let server: Option<String> = r.get(6)?;
                let at: String = r.get(7)?;
                Ok(Conflict {
                    id: r.get(0)?,
                    entity: r.get(1)?,
                    record_id: r.get(2)?,
                    kind: from_json(&kind)?,
                    device_changes: from_json(&changes)?,
                    device_record: from_json(&device)?,
                    server: server.map(|s| from_json(&s)).transpose()?,
                    detected_at: DateTime::parse_from_rfc3339(&at)
                        .map(|d| d.to_utc())
                        .unwrap_or_default(),
                    problem: r.get(8)?,
                })
            })
            .map_err(|e| self.err(e))?;
        let mut conflicts = rows
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        for c in &mut conflicts {
            self.as_the_device_has_it(c)?;
        }
        Ok(conflicts)
    }

    /// The device's side of a sync error is what the device has now — the record the form
    /// shows, the changes still pending — not a copy from when it was found: the user may have
    /// edited it since.
    fn as_the_device_has_it(&self, conflict: &mut Conflict) -> Result<()> {
        let (entity, id) = (&conflict.entity, &conflict.record_id);
        if let Some(local) = records::read(self.conn(), entity, id).map_err(|e| self.err(e))? {
            conflict.device_record = local.fields;
        }
        let rows = outbox::rows_for(self.conn(), entity, id).map_err(|e| self.err(e))?;
        if !rows.is_empty() {
            conflict.device_changes = rows
                .iter()
                .flat_map(|r| r.changes.iter())
                .map(|(f, (_, new))| (f.clone(), new.clone()))
                .collect();
        }
        Ok(())
    }

    /// The record a sync error (resolved or not) is about.
    pub fn conflict_record(&self, conflict_id: i64) -> Result<Option<(String, String)>> {
        use rusqlite::OptionalExtension;
        self.query_row(
            "SELECT entity, record_id FROM conflicts WHERE id = ?1",
            [conflict_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(|e| self.err(e))
    }

    pub fn unresolved_count(&self) -> Result<usize> {
        self.query_row(
            "SELECT count(*) FROM conflicts WHERE resolved_at IS NULL",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n as usize)
        .map_err(|e| self.err(e))
    }

    /// Applies a Sync Errors action. Every outcome is journaled.
    pub fn resolve(
        &mut self,
        conflict_id: i64,
        resolution: &UserResolution,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let conflict = self
            .unresolved_conflicts()?
            .into_iter()
            .find(|c| c.id == conflict_id)
            .ok_or_else(|| {
                StoreError::Invalid(format!("sync error {conflict_id} is not unresolved"))
            })?;
        let (entity, id) = (conflict.entity.clone(), conflict.record_id.clone());
        let label = match resolution {
            UserResolution::RetryWithMine => {
                "Clear Error & Retry: the device's values will be uploaded over the server's"
            }
            UserResolution::TakeServer => {
                "Take Server Version: the device's changes were discarded by the user"
            }
            UserResolution::Merge(_) => "Merge: the chosen values will be uploaded",
            UserResolution::Ignore => {
                "Clear Error & Ignore: the device keeps its values; they are not uploaded"
            }
        };
        let refused = conflict.kind == ConflictKind::RefusedByServer;
        let deleted_here = conflict.kind == ConflictKind::DeletedOnDevice;
        self.write(|tx| {
            let rows = outbox::rows_for(tx, &entity, &id)?;
            let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
            // Manual Action kept the record as the device had it; the device now takes the
            // server's version with its own pending changes on top.
            let mine_on = |server: &Record| {
                let mut fields = server.fields.clone();
                for (f, (_, new)) in rows.iter().flat_map(|r| r.changes.iter()) {
                    fields.insert(f.clone(), new.clone());
                }
                fields
            };
            let local = records::read(tx, &entity, &id)?;
            // A refused create was never on the server; a refused update was.
            let on_server = local.as_ref().is_some_and(|l| l.etag.is_some());
            let device = local
                .map(|r| r.fields)
                .unwrap_or(conflict.device_record.clone());
            sent::forget(tx, &entity, &id)?;
            match (resolution, &conflict.server) {
                (UserResolution::RetryWithMine, _) if refused => {
                    // The same operation again: the server said no, the user says try again.
                    tx.execute(
                        "UPDATE outbox SET last_error = NULL WHERE entity = ?1 AND record_id = ?2",
                        params![entity, id],
                    )?;
                }
                (UserResolution::TakeServer, None) if refused && on_server => {
                    // The server's version is not known here: forget the device's changes and
                    // the record's ETag, so the next sync's download brings it whole.
                    outbox::delete_rows(tx, &seqs)?;
                    records::remove(tx, &entity, &id)?;
                    tx.execute("DELETE FROM delta WHERE entity = ?1", [&entity])?;
                }
                (UserResolution::RetryWithMine, Some(server)) if deleted_here => {
                    // The delete again, against the server's version the user saw.
                    deletes::retry_delete(tx, &entity, &id, &server.etag)?;
                }
                (UserResolution::Ignore, _) if deleted_here => {
                    // The device keeps its delete; the server keeps the record.
                    outbox::delete_rows(tx, &seqs)?;
                }
                (UserResolution::RetryWithMine, Some(server)) => {
                    // Same rows, new base: the next upload overwrites the server's version.
                    records::upsert(tx, &entity, &id, Some(&server.etag), &mine_on(server))?;
                }
                (UserResolution::RetryWithMine, None) => {
                    outbox::delete_rows(tx, &seqs)?;
                    let changes = device
                        .iter()
                        .map(|(f, v)| (f.clone(), (String::new(), v.clone())))
                        .collect();
                    outbox::insert(tx, &entity, &id, "create", &changes, None, now)?;
                    records::upsert(tx, &entity, &id, None, &device)?;
                }
                (UserResolution::TakeServer, server) => {
                    outbox::delete_rows(tx, &seqs)?;
                    match server {
                        Some(s) => records::upsert(tx, &entity, &id, Some(&s.etag), &s.fields)?,
                        None => records::remove(tx, &entity, &id)?,
                    }
                }
                (UserResolution::Merge(chosen), server) => {
                    outbox::delete_rows(tx, &seqs)?;
                    let base = server
                        .as_ref()
                        .map(|s| s.fields.clone())
                        .unwrap_or_default();
                    let mut merged = base.clone();
                    merged.extend(chosen.clone());
                    let changes: std::collections::BTreeMap<String, (String, String)> = merged
                        .iter()
                        .filter(|(f, v)| base.get(*f) != Some(*v) || server.is_none())
                        .map(|(f, v)| {
                            (
                                f.clone(),
                                (base.get(f).cloned().unwrap_or_default(), v.clone()),
                            )
                        })
                        .collect();
                    let etag = server.as_ref().map(|s| s.etag.as_str());
                    if !changes.is_empty() {
                        outbox::insert(
                            tx,
                            &entity,
                            &id,
                            if server.is_some() { "update" } else { "create" },
                            &changes,
                            etag,
                            now,
                        )?;
                    }
                    records::upsert(tx, &entity, &id, etag, &merged)?;
                }
                (UserResolution::Ignore, Some(server)) if !refused => {
                    outbox::delete_rows(tx, &seqs)?;
                    records::upsert(tx, &entity, &id, Some(&server.etag), &mine_on(server))?;
                }
                (UserResolution::Ignore, _) => outbox::delete_rows(tx, &seqs)?,
            }
            tx.execute(
                "UPDATE conflicts SET resolved_at = ?2, resolution = ?3 WHERE id = ?1",
                params![conflict_id, now.to_rfc3339(), label],
            )?;
            journal::insert(
                tx,
                &JournalEntry::event(now, JournalKind::Conflict, actor, label)
                    .with_data(JournalData::Resolved(Resolved::User(resolution.choice())))
                    .about(&entity, &id),
            )
        })
    }
}

/// "Manual Action: the record is listed under Sync Errors ... until the user resolves it": until
/// then a download leaves the record as the device has it and puts the server's newer version
/// (`None`: its delete) in the record's Sync Errors item instead. True when `id` is held so.
/// A refused operation holds nothing: the download writes under its pending changes as always.
/// A device delete held stays one: only the server's version it is shown against is newer.
pub(crate) fn hold_server_version(
    tx: &rusqlite::Transaction,
    entity: &str,
    id: &str,
    server: Option<&Record>,
) -> rusqlite::Result<bool> {
    let kind = match server {
        Some(_) => ConflictKind::ChangedOnBoth,
        None => ConflictKind::DeletedOnServer,
    };
    let held = tx
        .prepare_cached(
            "UPDATE conflicts SET kind = CASE WHEN kind = ?7 THEN kind ELSE ?3 END,
                 server_record = ?4, server_etag = ?5
             WHERE entity = ?1 AND record_id = ?2 AND resolved_at IS NULL AND kind <> ?6",
        )?
        .execute(params![
            entity,
            id,
            to_json(&kind),
            server.map(to_json),
            server.map(|s| s.etag.clone()),
            to_json(&ConflictKind::RefusedByServer),
            to_json(&ConflictKind::DeletedOnDevice)
        ])?;
    Ok(held > 0)
}

/// The journal's line for a conflict kept for the user under Sync Errors.
fn journal_kept(
    tx: &rusqlite::Transaction,
    op: &PendingOp,
    detail: String,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    journal::insert(
        tx,
        &JournalEntry::event(now, JournalKind::Conflict, "sync", detail)
            .with_data(JournalData::KeptForUser)
            .about(&op.entity, &op.id),
    )
}

/// A new Sync Errors item for `op`.
fn insert(
    tx: &rusqlite::Transaction,
    op: &PendingOp,
    kind: ConflictKind,
    server: Option<&Record>,
    problem: Option<&str>,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    sent::forget(tx, &op.entity, &op.id)?;
    let device = records::read(tx, &op.entity, &op.id)?
        .map(|r| r.fields)
        .unwrap_or_default();
    tx.execute(
        "INSERT INTO conflicts (entity, record_id, kind, device_changes, device_record, server_record, server_etag, detected_at, problem) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            op.entity,
            op.id,
            to_json(&kind),
            to_json(&op.fields),
            to_json(&device),
            server.map(to_json),
            server.map(|s| s.etag.clone()),
            now.to_rfc3339(),
            problem
        ],
    )?;
    Ok(tx.last_insert_rowid())
}
