//! The user's deletes: the record leaves the device at once and an outbox row `delete` (with
//! the ETag it deletes) waits for the upload, so a download cannot bring it back before then;
//! how the upload settles it (gone on the server, or a server edit met it: the On Conflict
//! strategy), and a delete the server made too.

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};

use super::journal::{self, Acknowledged, JournalData, JournalEntry, JournalKind, RecordChange};
use super::outbox::{self, PendingOp, delete_rows, rows_for};
use super::records::{self, SaveReport};
use super::sent;
use super::{Result, Store, StoreError};
use crate::wire::Record;

/// The journal detail of a user's delete (an `Edit` row with no field): the auditor and the
/// timeline read it.
pub const DELETED: &str = "deleted";

/// Journals a delete of the device's that the sync did not keep (the server's version won):
/// the auditor reads the row as the device's lost change.
pub(super) fn journal_lost_delete(
    tx: &Transaction,
    (entity, id): (&str, &str),
    kind: JournalKind,
    detail: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<JournalEntry> {
    let e = JournalEntry::event(now, kind, "sync", detail)
        .with_data(JournalData::Lost {
            change: RecordChange::Delete,
            server_deleted: false,
        })
        .about(entity, id);
    journal::insert(tx, &e)?;
    Ok(e)
}

/// True when the record's pending change is the user's delete.
pub(crate) fn pending_delete(
    tx: &rusqlite::Connection,
    entity: &str,
    id: &str,
) -> rusqlite::Result<bool> {
    tx.prepare_cached(
        "SELECT 1 FROM outbox WHERE entity = ?1 AND record_id = ?2 AND op = 'delete' LIMIT 1",
    )?
    .exists(params![entity, id])
}

/// Whether a create of the record was sent and its answer never came: the server may have it.
fn create_sent(tx: &Transaction, entity: &str, id: &str) -> rusqlite::Result<bool> {
    tx.prepare_cached(
        "SELECT 1 FROM outbox_sent WHERE entity = ?1 AND record_id = ?2 AND op = 'create'",
    )?
    .exists(params![entity, id])
}

/// A delete the server made as well (a download's deleted id, while ours was pending): both
/// sides agree, the delete is settled and a Sync Errors item about it is resolved.
pub(crate) fn deleted_on_both(
    tx: &Transaction,
    entity: &str,
    id: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let seqs: Vec<i64> = rows_for(tx, entity, id)?.iter().map(|r| r.seq).collect();
    delete_rows(tx, &seqs)?;
    sent::forget(tx, entity, id)?;
    let detail = "deleted on the server too: the device's delete is settled";
    tx.execute(
        "UPDATE conflicts SET resolved_at = ?3, resolution = ?4
         WHERE entity = ?1 AND record_id = ?2 AND resolved_at IS NULL",
        params![entity, id, now.to_rfc3339(), detail],
    )?;
    journal::insert(
        tx,
        &JournalEntry::event(now, JournalKind::Uploaded, "sync", detail)
            .with_data(JournalData::Acknowledged(Acknowledged::DeletedOnBothSides))
            .about(entity, id),
    )
}

impl Store {
    /// The user deletes a record: it leaves the device, its pending edits are replaced by one
    /// outbox row `delete` against the ETag the device has, and the journal says so — in one
    /// transaction. A record created here and never sent just loses its pending create; one
    /// whose create was sent without an answer is deleted with `If-Match: *` (the server may
    /// or may not have it; either answer settles it). The report's `outbox_seq` is `None` when
    /// no request is needed.
    pub fn delete_record(
        &mut self,
        entity: &str,
        id: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<SaveReport> {
        let done = self.user_write(|tx| {
            let Some(current) = records::read(tx, entity, id)? else {
                return Ok(None);
            };
            let rows: Vec<i64> = rows_for(tx, entity, id)?.iter().map(|r| r.seq).collect();
            let base = match current.etag.as_deref() {
                Some(etag) => Some(etag.to_string()),
                None if create_sent(tx, entity, id)? => Some("*".to_string()),
                None => None,
            };
            delete_rows(tx, &rows)?;
            if current.etag.is_none() {
                // What a create sent is not recognized in a delete's `412`: nothing to keep.
                sent::forget(tx, entity, id)?;
            }
            records::remove(tx, entity, id)?;
            journal::insert(
                tx,
                &JournalEntry::event(now, JournalKind::Edit, actor, DELETED)
                    .with_data(JournalData::Record(RecordChange::Delete))
                    .about(entity, id),
            )?;
            let seq = match base {
                Some(etag) => Some(outbox::insert(
                    tx,
                    entity,
                    id,
                    "delete",
                    &Default::default(),
                    Some(&etag),
                    now,
                )?),
                None => None,
            };
            Ok(Some(seq))
        });
        let (seq, waited) = done?;
        let Some(outbox_seq) = seq else {
            return Err(StoreError::Invalid(format!(
                "{entity} {id} is not on this device"
            )));
        };
        Ok(SaveReport {
            outbox_seq,
            changed: Vec::new(),
            waited,
        })
    }

    /// The server deleted the record (`204`), or it was gone already (`404`/`410`: a retry
    /// after a lost answer, or deleted there meanwhile): the delete is done.
    pub fn complete_delete(
        &mut self,
        op: &PendingOp,
        status: u16,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            delete_rows(tx, &op.seqs)?;
            sent::forget(tx, &op.entity, &op.id)?;
            let detail = match status {
                204 | 200 => "delete acknowledged by the server".to_string(),
                status => format!("delete settled: the server has no such record ({status})"),
            };
            journal::insert(
                tx,
                &JournalEntry::event(now, JournalKind::Uploaded, "sync", detail)
                    .with_data(JournalData::Acknowledged(Acknowledged::Delete { status }))
                    .about(&op.entity, &op.id),
            )
        })
    }

    /// Sends the delete again against `etag`: Device Wins over a server edit, or our own
    /// earlier update (whose answer was lost) moved the server's ETag.
    pub fn retarget_delete(&mut self, op: &PendingOp, etag: &str) -> Result<()> {
        self.write(|tx| {
            sent::forget(tx, &op.entity, &op.id)?;
            let mut stmt = tx.prepare_cached("UPDATE outbox SET base_etag = ?2 WHERE seq = ?1")?;
            for seq in &op.seqs {
                stmt.execute(params![seq, etag])?;
            }
            Ok(())
        })
    }

    /// Server Wins over the device's delete: the server's version is back on the device and
    /// the delete is journaled as the device's discarded change (the auditor's explanation).
    pub fn discard_delete(
        &mut self,
        op: &PendingOp,
        server: &Record,
        now: DateTime<Utc>,
    ) -> Result<JournalEntry> {
        self.write(|tx| {
            delete_rows(tx, &op.seqs)?;
            sent::forget(tx, &op.entity, &op.id)?;
            records::upsert(tx, &op.entity, &op.id, Some(&server.etag), &server.fields)?;
            journal_lost_delete(
                tx,
                (&op.entity, &op.id),
                JournalKind::ServerWins,
                "Server Wins: the device's delete was discarded; the server's version is back",
                now,
            )
        })
    }

    /// The record's pending change is the user's delete (it is gone from the device's lists).
    pub fn is_pending_delete(&self, entity: &str, id: &str) -> Result<bool> {
        pending_delete(self.conn(), entity, id).map_err(|e| self.err(e))
    }
}

/// Sync Errors → Clear Error & Retry on a delete the server's edit met: the delete goes again
/// against the server's version the user saw.
pub(crate) fn retry_delete(
    tx: &Transaction,
    entity: &str,
    id: &str,
    etag: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE outbox SET base_etag = ?3 WHERE entity = ?1 AND record_id = ?2 AND op = 'delete'",
        params![entity, id, etag],
    )?;
    Ok(())
}
