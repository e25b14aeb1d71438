//! Downloaded pages: applied in bounded transactions, each carrying the download's position
//! (the `next` cursor, or on the last page the delta token) so the position never runs ahead
//! of the data it stands for — nor behind it.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::journal::JournalEntry;
use super::merge::write_server_version;
use super::outbox::Pending;
use super::records;
use super::{Result, Store, to_json};
use super::{conflicts, deletes, outbox};
use crate::rules::ConcurrentEdit;
use crate::wire::{PageRecord, Record};

/// Where the download of one entity stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeltaPosition {
    /// The token of the last complete download; `None` before the first.
    pub token: Option<String>,
    /// The next page of a download in progress (resume here after a crash).
    pub cursor: Option<String>,
    /// The download in progress is a full one after `410 Gone`: at its end, every local record
    /// it did not deliver is one the server deleted meanwhile.
    pub reconciling: bool,
}

/// Where a chunk of a page leaves the download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageEnd {
    /// More chunks of this page follow: position unchanged.
    Partial,
    /// The page is applied; the next page is at this cursor.
    Next(String),
    /// The download is complete; the delta token for the next one.
    Complete(String),
}

/// What applying a chunk did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub upserted: usize,
    pub deleted: usize,
    /// Edits overwritten by the server's version (No action).
    pub overwritten: Vec<JournalEntry>,
    /// A full download after `410 Gone` ended with this chunk, removing this many local
    /// records the server no longer has.
    pub reconciled: Option<usize>,
}

/// The server's version of a record as a download delivers it: a [`Record`], or a
/// [`PageRecord`] whose fields are still the server's JSON text, stored as it is.
pub trait ServerRecord {
    fn id(&self) -> &str;
    fn etag(&self) -> &str;
    /// The fields as the JSON text the device stores.
    fn fields_json(&self) -> Cow<'_, str>;
    /// The whole record, for one the device has pending edits of.
    fn to_record(&self) -> Cow<'_, Record>;
}

impl ServerRecord for Record {
    fn id(&self) -> &str {
        &self.id
    }
    fn etag(&self) -> &str {
        &self.etag
    }
    fn fields_json(&self) -> Cow<'_, str> {
        Cow::Owned(to_json(&self.fields))
    }
    fn to_record(&self) -> Cow<'_, Record> {
        Cow::Borrowed(self)
    }
}

impl ServerRecord for PageRecord {
    fn id(&self) -> &str {
        &self.id
    }
    fn etag(&self) -> &str {
        &self.etag
    }
    fn fields_json(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.fields.as_str())
    }
    fn to_record(&self) -> Cow<'_, Record> {
        Cow::Owned(PageRecord::to_record(self))
    }
}

impl Store {
    pub fn delta_position(&self, entity: &str) -> Result<DeltaPosition> {
        self.query_row(
            "SELECT token, cursor, reconciling FROM delta WHERE entity = ?1",
            [entity],
            |r| {
                Ok(DeltaPosition {
                    token: r.get(0)?,
                    cursor: r.get(1)?,
                    reconciling: r.get(2)?,
                })
            },
        )
        .optional()
        .map(Option::unwrap_or_default)
        .map_err(|e| self.err(e))
    }

    /// After `410 Gone`: the next download of `entity` is a full one, and since the server
    /// forgot which records it deleted, the records that download does not deliver are removed
    /// at its end (see [`Store::apply_chunk`]). Survives a restart: a resumed full download
    /// still reconciles.
    pub fn start_full_download(&mut self, entity: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM delta_seen WHERE entity = ?1", [entity])?;
            tx.execute(
                "INSERT INTO delta (entity, token, cursor, reconciling) VALUES (?1, NULL, NULL, 1)
                 ON CONFLICT (entity) DO UPDATE SET token = NULL, cursor = NULL, reconciling = 1",
                [entity],
            )
            .map(|_| ())
        })
    }

    /// Applies one chunk of a downloaded page in one transaction, with the position it leads to.
    /// A record with pending device edits keeps them on top unless `policy` overwrites the ones
    /// saved after `snapshot`; an id deleted on the server that the device edited stays for the
    /// upload to settle by the entity's On Conflict strategy. The download passes its records as
    /// the JSON text the server sent ([`PageRecord`]); tests pass whole [`Record`]s.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_chunk<R: ServerRecord>(
        &mut self,
        entity: &str,
        records: &[R],
        deleted: &[String],
        end: &PageEnd,
        snapshot: i64,
        policy: ConcurrentEdit,
        now: DateTime<Utc>,
    ) -> Result<ApplyReport> {
        // An empty last page that leaves the position where it is (a delta with nothing new)
        // has nothing to write: no write transaction for it.
        if let (true, PageEnd::Complete(token)) = (records.is_empty() && deleted.is_empty(), end) {
            let at = self.delta_position(entity)?;
            if at.token.as_deref() == Some(token.as_str()) && at.cursor.is_none() && !at.reconciling
            {
                return Ok(ApplyReport::default());
            }
        }
        self.write(|tx| {
            let mut report = ApplyReport::default();
            // A first sync (and most others) meets no pending edit of this entity at all: then
            // one query answers for the whole chunk instead of one per record.
            let any_pending = tx
                .prepare_cached("SELECT 1 FROM outbox WHERE entity = ?1 LIMIT 1")?
                .exists([entity])?;
            let mut put = records::Put::new(tx)?;
            let mut inserted = 0i64;
            let reconciling: bool = tx
                .prepare_cached("SELECT reconciling FROM delta WHERE entity = ?1")?
                .query_row([entity], |r| r.get(0))
                .optional()?
                .unwrap_or(false);
            if reconciling {
                let mut seen = tx.prepare_cached(
                    "INSERT OR IGNORE INTO delta_seen (entity, id) VALUES (?1, ?2)",
                )?;
                for record in records {
                    seen.execute(params![entity, record.id()])?;
                }
            }
            // One outbox query per record or deleted id says what the device holds of it.
            let pending = |id: &str| match any_pending {
                true => outbox::pending_for(tx, entity, id),
                false => Ok(Pending::Nothing),
            };
            for record in records {
                match pending(record.id())? {
                    Pending::Nothing => {
                        inserted += i64::from(put.record(entity, record.id(), Some(record.etag()), record.fields_json().as_ref())?);
                    }
                    held => {
                        let record = record.to_record();
                        // A record the user deleted stays gone until its delete is settled: a
                        // newer server version meets it at the upload (or in its Sync Errors item).
                        let kept = conflicts::hold_server_version(tx, entity, &record.id, Some(&record))?;
                        if !kept && held != Pending::Delete {
                            report.overwritten.extend(write_server_version(tx, entity, &record, snapshot, policy, now)?);
                        }
                    }
                }
                report.upserted += 1;
            }
            records::add_to_count(tx, entity, inserted)?;
            for id in deleted {
                match pending(id)? {
                    Pending::Delete => deletes::deleted_on_both(tx, entity, id, now)?,
                    Pending::Nothing => {
                        records::remove(tx, entity, id)?;
                        report.deleted += 1;
                    }
                    Pending::Changes => {
                        conflicts::hold_server_version(tx, entity, id, None)?;
                    }
                }
            }
            match end {
                PageEnd::Partial => {}
                PageEnd::Next(cursor) => {
                    tx.execute(
                        "INSERT INTO delta (entity, cursor) VALUES (?1, ?2) ON CONFLICT (entity) DO UPDATE SET cursor = excluded.cursor",
                        params![entity, cursor],
                    )?;
                }
                PageEnd::Complete(token) => {
                    if reconciling {
                        report.reconciled = Some(remove_unseen(tx, entity)?);
                    }
                    tx.execute(
                        "INSERT INTO delta (entity, token, cursor, reconciling) VALUES (?1, ?2, NULL, 0) ON CONFLICT (entity) DO UPDATE SET token = excluded.token, cursor = NULL, reconciling = 0",
                        params![entity, token],
                    )?;
                }
            }
            Ok(report)
        })
    }
}

/// The end of a full download after `410 Gone`: removes the local records of `entity` it did
/// not deliver — the server deleted them while our token was expired. Kept: records with
/// pending changes (the upload settles them by the entity's On Conflict strategy, as any edit of
/// a record deleted on the server) and records the server never had (created here, not
/// uploaded). Returns how many were removed.
fn remove_unseen(tx: &rusqlite::Transaction, entity: &str) -> rusqlite::Result<usize> {
    let removed = tx.execute(
        "DELETE FROM records WHERE entity = ?1 AND etag IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM delta_seen s WHERE s.entity = records.entity AND s.id = records.id)
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.entity = records.entity AND o.record_id = records.id)",
        [entity],
    )?;
    records::add_to_count(tx, entity, -(removed as i64))?;
    tx.execute("DELETE FROM delta_seen WHERE entity = ?1", [entity])?;
    Ok(removed)
}
