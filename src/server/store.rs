//! Rows of the server database and the SQL that reads and writes them one at a time. The change
//! sequence (`seq`) is global: every write of a record or file takes the next number, and a
//! record's ETag is its seq.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::problem::ApiError;
use crate::project::Project;
use crate::wire::{Fields, Record};

/// Tombstones are kept for this many changes; delta tokens older than a purged tombstone are
/// `410 Gone`. Large enough that a device syncing daily keeps its token in this demo.
pub const TOMBSTONE_RETENTION: u64 = 10_000;

pub fn etag(seq: u64) -> String {
    format!("W/\"{seq}\"")
}

/// How stored timestamps are written: RFC 3339, UTC, milliseconds.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The single `state` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub epoch: String,
    pub seq: u64,
    pub horizon: u64,
}

pub fn state(conn: &Connection) -> rusqlite::Result<State> {
    conn.prepare_cached("SELECT epoch, seq, horizon FROM state WHERE id = 1")?
        .query_row([], |r| {
            Ok(State {
                epoch: r.get(0)?,
                seq: r.get(1)?,
                horizon: r.get(2)?,
            })
        })
}

/// A record row as stored, tombstones included.
#[derive(Debug, Clone)]
pub struct Row {
    pub seq: u64,
    pub deleted: bool,
    pub fields: String,
    pub modified_on: String,
    pub modified_by: String,
}

impl Row {
    /// The parameters `?1`..`?7` of [`put_row`] and [`replace_row`].
    fn params<'a>(&'a self, entity: &'a str, id: &'a str) -> impl rusqlite::Params + 'a {
        (
            self.seq,
            entity,
            id,
            self.deleted,
            &self.fields,
            &self.modified_on,
            &self.modified_by,
        )
    }

    pub fn to_record(&self, id: &str) -> Result<Record, ApiError> {
        let fields: Fields = serde_json::from_str(&self.fields).map_err(ApiError::internal)?;
        let modified_on = DateTime::parse_from_rfc3339(&self.modified_on)
            .map_err(ApiError::internal)?
            .to_utc();
        Ok(Record {
            id: id.to_string(),
            etag: etag(self.seq),
            fields,
            modified_on,
            modified_by: self.modified_by.clone(),
        })
    }
}

pub fn row(conn: &Connection, entity: &str, id: &str) -> rusqlite::Result<Option<Row>> {
    conn.prepare_cached(
        "SELECT seq, deleted, fields, modified_on, modified_by FROM records WHERE entity = ?1 AND id = ?2",
    )?
    .query_row(params![entity, id], |r| {
        Ok(Row {
            seq: r.get(0)?,
            deleted: r.get(1)?,
            fields: r.get(2)?,
            modified_on: r.get(3)?,
            modified_by: r.get(4)?,
        })
    })
    .optional()
}

/// The live record, if any (a tombstone is no record).
pub fn record(conn: &Connection, entity: &str, id: &str) -> Result<Option<Record>, ApiError> {
    match row(conn, entity, id)? {
        Some(row) if !row.deleted => Ok(Some(row.to_record(id)?)),
        _ => Ok(None),
    }
}

/// Inserts or replaces a record (or tombstone) at a new seq.
pub fn put_row(tx: &Transaction, entity: &str, id: &str, row: &Row) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO records (seq, entity, id, deleted, fields, modified_on, modified_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (entity, id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted,
             fields = excluded.fields, modified_on = excluded.modified_on,
             modified_by = excluded.modified_by",
    )?
    .execute(row.params(entity, id))?;
    Ok(())
}

/// Gives a record the precondition found a new seq, in its own row: a plain update, without the
/// insert attempt an upsert makes first.
pub fn replace_row(tx: &Transaction, entity: &str, id: &str, row: &Row) -> rusqlite::Result<()> {
    let changed = tx
        .prepare_cached(
            "UPDATE records SET seq = ?1, deleted = ?4, fields = ?5, modified_on = ?6, modified_by = ?7
             WHERE entity = ?2 AND id = ?3",
        )?
        .execute(row.params(entity, id))?;
    match changed {
        1 => Ok(()),
        n => Err(rusqlite::Error::StatementChangedRows(n)),
    }
}

/// Hands out change numbers inside one write transaction and stores the last one at the end.
pub struct SeqAllocator {
    next: u64,
    start: u64,
}

impl SeqAllocator {
    pub fn begin(tx: &Transaction) -> rusqlite::Result<SeqAllocator> {
        let seq = state(tx)?.seq;
        Ok(SeqAllocator {
            next: seq,
            start: seq,
        })
    }

    /// The last number handed out (or the high-water mark before the transaction).
    pub fn last(&self) -> u64 {
        self.next
    }

    pub fn take(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// Writes the new high-water mark and purges tombstones that fell out of retention.
    pub fn finish(self, tx: &Transaction) -> rusqlite::Result<()> {
        if self.next != self.start {
            tx.prepare_cached("UPDATE state SET seq = ?1 WHERE id = 1")?
                .execute([self.next])?;
            purge_tombstones(tx, TOMBSTONE_RETENTION)?;
        }
        Ok(())
    }
}

/// Deletes tombstones more than `keep` changes old. Returns how many, and the new horizon:
/// a delta token below it may have missed a deletion, so it is no longer honored.
pub fn purge_tombstones(tx: &Transaction, keep: u64) -> rusqlite::Result<(u64, u64)> {
    let now = state(tx)?;
    let cutoff = now.seq.saturating_sub(keep);
    let newest_purged: Option<u64> = tx
        .prepare_cached("SELECT max(seq) FROM records WHERE deleted = 1 AND seq <= ?1")?
        .query_row([cutoff], |r| r.get(0))?;
    let Some(newest_purged) = newest_purged else {
        return Ok((0, now.horizon));
    };
    let purged = tx
        .prepare_cached("DELETE FROM records WHERE deleted = 1 AND seq <= ?1")?
        .execute([newest_purged])?;
    let horizon = now.horizon.max(newest_purged);
    tx.prepare_cached("UPDATE state SET horizon = ?1 WHERE id = 1")?
        .execute([horizon])?;
    Ok((purged as u64, horizon))
}

/// The newest published project.
pub fn current_project(conn: &Connection) -> Result<Project, ApiError> {
    let json: String = conn
        .prepare_cached("SELECT json FROM projects ORDER BY version DESC LIMIT 1")?
        .query_row([], |r| r.get(0))?;
    serde_json::from_str(&json).map_err(ApiError::internal)
}

pub fn insert_project(
    tx: &Transaction,
    project: &Project,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let json = serde_json::to_string(project)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.prepare_cached("INSERT INTO projects (version, json, published_on) VALUES (?1, ?2, ?3)")?
        .execute(params![project.version, json, timestamp(at)])?;
    Ok(())
}
