//! Downloaded pages: applied in bounded transactions, each carrying the download's position
//! (the `next` cursor, or on the last page the delta token) so the position never runs ahead
//! of the data it stands for — nor behind it.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::journal::JournalEntry;
use super::outbox;
use super::records::{self, write_server_version};
use super::{Result, Store};
use crate::rules::ConcurrentEdit;
use crate::wire::Record;

/// Where the download of one entity stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeltaPosition {
    /// The token of the last complete download; `None` before the first.
    pub token: Option<String>,
    /// The next page of a download in progress (resume here after a crash).
    pub cursor: Option<String>,
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
}

impl Store {
    pub fn delta_position(&self, entity: &str) -> Result<DeltaPosition> {
        self.conn()
            .query_row(
                "SELECT token, cursor FROM delta WHERE entity = ?1",
                [entity],
                |r| {
                    Ok(DeltaPosition {
                        token: r.get(0)?,
                        cursor: r.get(1)?,
                    })
                },
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| self.err(e))
    }

    /// Forgets the position (after `410 Gone`): the next download starts from scratch.
    pub fn reset_delta(&mut self, entity: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM delta WHERE entity = ?1", [entity])
                .map(|_| ())
        })
    }

    /// Applies one chunk of a downloaded page in one transaction, with the position it leads to.
    /// A record with pending device edits keeps them on top unless `policy` overwrites the ones
    /// saved after `snapshot`; an id deleted on the server that the device edited stays for the
    /// upload to settle by the entity's On Conflict strategy.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_chunk(
        &mut self,
        entity: &str,
        records: &[Record],
        deleted: &[String],
        end: &PageEnd,
        snapshot: i64,
        policy: ConcurrentEdit,
        now: DateTime<Utc>,
    ) -> Result<ApplyReport> {
        self.write(|tx| {
            let mut report = ApplyReport::default();
            let mut has_pending = tx.prepare_cached("SELECT 1 FROM outbox WHERE entity = ?1 AND record_id = ?2 LIMIT 1")?;
            for record in records {
                if has_pending.exists(params![entity, record.id])? {
                    report.overwritten.extend(write_server_version(tx, entity, record, snapshot, policy, now)?);
                } else {
                    records::upsert(tx, entity, &record.id, Some(&record.etag), &record.fields)?;
                }
                report.upserted += 1;
            }
            for id in deleted {
                if outbox::rows_for(tx, entity, id)?.is_empty() {
                    records::remove(tx, entity, id)?;
                    report.deleted += 1;
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
                    tx.execute(
                        "INSERT INTO delta (entity, token, cursor) VALUES (?1, ?2, NULL) ON CONFLICT (entity) DO UPDATE SET token = excluded.token, cursor = NULL",
                        params![entity, token],
                    )?;
                }
            }
            Ok(report)
        })
    }
}
