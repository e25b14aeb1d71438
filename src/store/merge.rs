//! Where the server's version of a record meets the device's pending edits: an acknowledged
//! upload, a Server Wins discard and a downloaded record all write the server's version through
//! [`write_server_version`], which decides the fate of edits saved during the sync by the
//! concurrent-edit rule (No action overwrites them, Rebase keeps them on top). Above `records`,
//! `outbox`, `sent` and `journal`, which each only touch their own table.

use chrono::{DateTime, Utc};
use rusqlite::Transaction;

use super::journal::{self, Acknowledged, JournalData, JournalEntry, JournalKind, RecordChange};
use super::outbox::{self, OutboxRow, PendingOp, delete_rows, rows_for};
use super::records::{self, upsert};
use super::sent;
use super::{Result, Store};
use crate::rules::ConcurrentEdit;
use crate::wire::Record;

/// Writes the server's version of a record over the device's, deciding the fate of edits the
/// user saved after `snapshot` (during this sync) by `policy`; edits saved before it that are
/// still pending (held by a conflict or a failed upload) are always kept on top. Returns the
/// journal entries of edits that were overwritten.
pub(crate) fn write_server_version(
    tx: &Transaction,
    entity: &str,
    server: &Record,
    snapshot: i64,
    policy: ConcurrentEdit,
    now: DateTime<Utc>,
) -> rusqlite::Result<Vec<JournalEntry>> {
    let rows = outbox::rows_for(tx, entity, &server.id)?;
    let (concurrent, earlier): (Vec<OutboxRow>, Vec<OutboxRow>) =
        rows.into_iter().partition(|r| r.seq > snapshot);
    let mut lost = Vec::new();
    let kept = if policy == ConcurrentEdit::Overwritten && !concurrent.is_empty() {
        for row in &concurrent {
            if row.op == "delete" {
                lost.push(super::deletes::journal_lost_delete(
                    tx,
                    (entity, &server.id),
                    JournalKind::Overwritten,
                    "No action: the sync wrote the server's version over a delete saved while it ran",
                    now,
                )?);
            }
            for (field, (_, new)) in &row.changes {
                if server.fields.get(field) == Some(new) {
                    continue;
                }
                let e = JournalEntry::field(
                    now,
                    JournalKind::Overwritten,
                    "sync",
                    entity,
                    &server.id,
                    field,
                    Some(new),
                    server.fields.get(field).map(String::as_str),
                    "No action: the sync wrote the server's version over an edit saved while it ran",
                )
                .with_data(JournalData::Lost {
                    change: RecordChange::Edit,
                    server_deleted: false,
                });
                journal::insert(tx, &e)?;
                lost.push(e);
            }
            outbox::delete_rows(tx, &[row.seq])?;
        }
        earlier
    } else {
        earlier.into_iter().chain(concurrent).collect()
    };
    if kept.iter().any(|r| r.op == "delete") {
        // The user deleted it meanwhile and that delete is kept: the record stays gone, and the
        // delete goes against the version just written (our own), not a stale one.
        super::deletes::retry_delete(tx, entity, &server.id, &server.etag)?;
        records::remove(tx, entity, &server.id)?;
        return Ok(lost);
    }
    let mut fields = server.fields.clone();
    for row in &kept {
        for (field, (_, new)) in &row.changes {
            fields.insert(field.clone(), new.clone());
        }
    }
    upsert(tx, entity, &server.id, Some(&server.etag), &fields)?;
    Ok(lost)
}

/// An uploaded operation the server acknowledged with `server`, settled inside the caller's
/// transaction ([`Store::complete_op`] settles one in its own): the op's outbox rows
/// are done, each uploaded value is journaled, the server's version is written (concurrent
/// edits per `policy`). Returns the overwritten edits.
pub(crate) fn complete_in(
    tx: &Transaction,
    op: &PendingOp,
    server: &Record,
    snapshot: i64,
    policy: ConcurrentEdit,
    now: DateTime<Utc>,
) -> rusqlite::Result<Vec<JournalEntry>> {
    outbox::delete_rows(tx, &op.seqs)?;
    sent::forget(tx, &op.entity, &op.id)?;
    for (field, value) in &op.fields {
        journal::insert(
            tx,
            &JournalEntry::field(
                now,
                JournalKind::Uploaded,
                "sync",
                &op.entity,
                &op.id,
                field,
                None,
                Some(value),
                format!("acknowledged as {}", server.etag),
            )
            .with_data(JournalData::Acknowledged(Acknowledged::Value {
                etag: server.etag.clone(),
            })),
        )?;
    }
    write_server_version(tx, &op.entity, server, snapshot, policy, now)
}

impl Store {
    /// The server accepted `op` and answered with `server`: the op's rows are done, the server's
    /// version is written (concurrent edits per `policy`). Returns the overwritten edits.
    pub fn complete_op(
        &mut self,
        op: &PendingOp,
        server: &Record,
        snapshot: i64,
        policy: ConcurrentEdit,
        now: DateTime<Utc>,
    ) -> Result<Vec<JournalEntry>> {
        self.write(|tx| complete_in(tx, op, server, snapshot, policy, now))
    }

    /// [`Store::complete_op`] for the acknowledged operations of one upload batch, in order, in
    /// one transaction: one commit per batch instead of one per record. The writer lock is held
    /// for about as long as a download chunk holds it. Returns the overwritten edits, in order.
    pub fn complete_ops(
        &mut self,
        done: &[(&PendingOp, Record)],
        snapshot: i64,
        policy: ConcurrentEdit,
        now: DateTime<Utc>,
    ) -> Result<Vec<JournalEntry>> {
        if done.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx| {
            let mut lost = Vec::new();
            for (op, server) in done {
                lost.extend(complete_in(tx, op, server, snapshot, policy, now)?);
            }
            Ok(lost)
        })
    }

    /// Server Wins: the server's version replaces the device's; the op's values are discarded
    /// and journaled so the loss is visible. `server = None`: the server deleted the record.
    pub fn discard_op(
        &mut self,
        op: &PendingOp,
        server: Option<&Record>,
        snapshot: i64,
        policy: ConcurrentEdit,
        now: DateTime<Utc>,
    ) -> Result<Vec<JournalEntry>> {
        self.write(|tx| {
            delete_rows(tx, &op.seqs)?;
            sent::forget(tx, &op.entity, &op.id)?;
            let mut lost = Vec::new();
            for (field, value) in &op.fields {
                let server_value = server.and_then(|s| s.fields.get(field)).map(String::as_str);
                if server_value == Some(value.as_str()) {
                    continue;
                }
                let detail = match server {
                    Some(_) => "Server Wins: the server's version replaced this device value",
                    None => "Server Wins: the record was deleted on the server",
                };
                let e = JournalEntry::field(
                    now,
                    JournalKind::ServerWins,
                    "sync",
                    &op.entity,
                    &op.id,
                    field,
                    Some(value),
                    server_value,
                    detail,
                )
                .with_data(JournalData::Lost {
                    change: RecordChange::Edit,
                    server_deleted: server.is_none(),
                });
                journal::insert(tx, &e)?;
                lost.push(e);
            }
            match server {
                Some(s) => lost.extend(write_server_version(
                    tx, &op.entity, s, snapshot, policy, now,
                )?),
                None => {
                    delete_rows(
                        tx,
                        &rows_for(tx, &op.entity, &op.id)?
                            .iter()
                            .map(|r| r.seq)
                            .collect::<Vec<_>>(),
                    )?;
                    records::remove(tx, &op.entity, &op.id)?;
                }
            }
            Ok(lost)
        })
    }
}
