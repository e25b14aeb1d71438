//! Records on the device, and the user's saves: each save writes the record, its outbox row and
//! its journal rows in one transaction, so a saved edit is never without its pending upload.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{CachedStatement, OptionalExtension, Transaction, params};
use serde::Serialize;

use super::journal::{self, JournalEntry, RecordChange};
use super::outbox;
use super::{Result, Store, StoreError, from_json, to_json};
use crate::wire::{Fields, Record};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalRecord {
    pub entity: String,
    pub id: String,
    /// `None` until the server has the record.
    pub etag: Option<String>,
    pub fields: Fields,
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveReport {
    /// The outbox row written; `None` when nothing changed.
    pub outbox_seq: Option<i64>,
    pub changed: Vec<String>,
    /// Time spent waiting for the write lock (the sync was writing).
    pub waited: Duration,
}

pub(crate) fn read(
    tx: &rusqlite::Connection,
    entity: &str,
    id: &str,
) -> rusqlite::Result<Option<LocalRecord>> {
    tx.prepare_cached("SELECT etag, fields FROM records WHERE entity = ?1 AND id = ?2")?
        .query_row(params![entity, id], |r| {
            let fields: String = r.get(1)?;
            Ok(LocalRecord {
                entity: entity.to_string(),
                id: id.to_string(),
                etag: r.get(0)?,
                fields: from_json(&fields)?,
            })
        })
        .optional()
}

const INSERT: &str = "INSERT INTO records (entity, id, etag, fields) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT (entity, id) DO NOTHING";
const UPDATE: &str = "UPDATE records SET etag = ?3, fields = ?4 WHERE entity = ?1 AND id = ?2";

/// Inserts a record or replaces its ETag and fields, and keeps its entity's count. Updates
/// first: a save or a settled upload mostly meets a record that is there.
pub(crate) fn upsert(
    tx: &Transaction,
    entity: &str,
    id: &str,
    etag: Option<&str>,
    fields: &Fields,
) -> rusqlite::Result<()> {
    let fields = to_json(fields);
    let values = params![entity, id, etag, fields];
    if tx.prepare_cached(UPDATE)?.execute(values)? == 0 {
        tx.prepare_cached(INSERT)?.execute(values)?;
        add_to_count(tx, entity, 1)?;
    }
    Ok(())
}

/// Inserts records or replaces their ETag and fields (JSON), its two statements taken from the
/// cache once for a whole chunk of the download; inserts first, as a download mostly brings
/// new records. The caller keeps the count ([`add_to_count`]). Not one `ON CONFLICT DO
/// UPDATE`, which cannot tell an insert from an update.
pub(crate) struct Put<'t> {
    insert: CachedStatement<'t>,
    update: CachedStatement<'t>,
}

impl<'t> Put<'t> {
    pub(crate) fn new(tx: &'t Transaction) -> rusqlite::Result<Put<'t>> {
        Ok(Put {
            insert: tx.prepare_cached(INSERT)?,
            update: tx.prepare_cached(UPDATE)?,
        })
    }

    /// Writes one record; true when it was new.
    pub(crate) fn record(
        &mut self,
        entity: &str,
        id: &str,
        etag: Option<&str>,
        fields: &str,
    ) -> rusqlite::Result<bool> {
        let inserted = self.insert.execute(params![entity, id, etag, fields])? == 1;
        if !inserted {
            self.update.execute(params![entity, id, etag, fields])?;
        }
        Ok(inserted)
    }
}

/// Removes a record (if there) and keeps its entity's count.
pub(crate) fn remove(tx: &Transaction, entity: &str, id: &str) -> rusqlite::Result<()> {
    let removed = tx
        .prepare_cached("DELETE FROM records WHERE entity = ?1 AND id = ?2")?
        .execute(params![entity, id])?;
    add_to_count(tx, entity, -(removed as i64))
}

/// Adds `n` (negative: removed records) to the count of `entity`'s records, in the transaction
/// that added or removed them: [`Store::count`] reads it instead of counting the rows.
pub(crate) fn add_to_count(tx: &Transaction, entity: &str, n: i64) -> rusqlite::Result<()> {
    if n != 0 {
        tx.prepare_cached(
            "INSERT INTO record_counts (entity, n) VALUES (?1, ?2)
             ON CONFLICT (entity) DO UPDATE SET n = n + excluded.n",
        )?
        .execute(params![entity, n])?;
    }
    Ok(())
}

/// Saves of this process waiting for the write lock. SQLite does not queue writers: a save that
/// finds the lock taken sleeps and tries again (1, 2, 5, 10… ms), and a sync that commits chunk
/// after chunk could take the lock again before each try. So the sync looks here between its
/// transactions and steps aside while a save waits ([`Store::save_waiting`]).
static WAITING_SAVES: AtomicUsize = AtomicUsize::new(0);

/// A save counted in [`WAITING_SAVES`] until dropped (when it has the lock, or gave up).
struct WaitingSave;

impl WaitingSave {
    fn enter() -> WaitingSave {
        WAITING_SAVES.fetch_add(1, Ordering::SeqCst);
        WaitingSave
    }
}

impl Drop for WaitingSave {
    fn drop(&mut self) {
        WAITING_SAVES.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Store {
    /// A user's save (or create) in this process is waiting for the write lock: a sync writing
    /// batch after batch lets it go first.
    pub fn save_waiting(&self) -> bool {
        WAITING_SAVES.load(Ordering::SeqCst) > 0
    }

    /// A user's change (save, create, delete) in one write transaction: counted in
    /// [`WAITING_SAVES`] until it has the lock, with the WAL checkpoint held off meanwhile.
    /// Returns what `f` returned and how long it waited for the lock.
    pub(super) fn user_write<T>(
        &mut self,
        f: impl FnOnce(&Transaction) -> rusqlite::Result<T>,
    ) -> Result<(T, Duration)> {
        let deferred = self.defer_checkpoint();
        let waiting = WaitingSave::enter();
        let done = self.write_timed(|tx| {
            drop(waiting);
            f(tx)
        });
        self.resume_checkpoint(deferred);
        done
    }

    pub fn record(&self, entity: &str, id: &str) -> Result<Option<LocalRecord>> {
        read(self.conn(), entity, id).map_err(|e| self.err(e))
    }

    /// How many records of `entity` the device holds: the count kept beside them (counting
    /// 100,000 rows took most of a cold start).
    pub fn count(&self, entity: &str) -> Result<usize> {
        self.query_row(
            "SELECT n FROM record_counts WHERE entity = ?1",
            [entity],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        // Never negative unless a write forgot its count; `count_mismatches` says which.
        .map(|n| usize::try_from(n.unwrap_or(0)).unwrap_or(0))
        .map_err(|e| self.err(e))
    }

    /// Entities whose kept count ([`Store::count`]) is not the number of their rows, with both:
    /// an invariant the soak and the crash tests check. Counts every row, so slow.
    pub fn count_mismatches(&self) -> Result<Vec<(String, i64, i64)>> {
        self.conn()
            .prepare(
                "SELECT entity, coalesce(k.n, 0), coalesce(r.n, 0) FROM
                 (SELECT entity FROM records UNION SELECT entity FROM record_counts)
                 LEFT JOIN record_counts k USING (entity)
                 LEFT JOIN (SELECT entity, count(*) AS n FROM records GROUP BY entity) r USING (entity)
                 WHERE coalesce(k.n, 0) != coalesce(r.n, 0) ORDER BY entity",
            )
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// How many records of `entity` have a `field` containing `search` (case-insensitive): what
    /// [`Store::list`] pages through.
    pub fn count_matching(&self, entity: &str, field: &str, search: &str) -> Result<usize> {
        if search.is_empty() {
            return self.count(entity);
        }
        self.conn()
            .prepare_cached(
                "SELECT count(*) FROM records WHERE entity = ?1 AND coalesce(json_extract(fields, ?2), '') LIKE ?3 ESCAPE '\\'",
            )
            .and_then(|mut s| {
                s.query_row(
                    params![entity, format!("$.{field}"), like_pattern(search)],
                    |r| r.get::<_, i64>(0),
                )
            })
            .map(|n| n as usize)
            .map_err(|e| self.err(e))
    }

    /// Records of `entity` whose `order_field` contains `search` (case-insensitive), sorted by it.
    pub fn list(
        &self,
        entity: &str,
        order_field: &str,
        search: &str,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<LocalRecord>> {
        let path = format!("$.{order_field}");
        let pattern = like_pattern(search);
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT id, etag, fields FROM records WHERE entity = ?1 AND coalesce(json_extract(fields, ?2), '') LIKE ?3 ESCAPE '\\'
                 ORDER BY json_extract(fields, ?2) COLLATE NOCASE, id LIMIT ?4 OFFSET ?5",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(
                params![entity, path, pattern, limit as i64, offset as i64],
                |r| {
                    let fields: String = r.get(2)?;
                    Ok(LocalRecord {
                        entity: entity.to_string(),
                        id: r.get(0)?,
                        etag: r.get(1)?,
                        fields: from_json(&fields)?,
                    })
                },
            )
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Saves the user's new values for some fields of an existing record: record, outbox row
    /// and journal in one transaction.
    pub fn save_edit(
        &mut self,
        entity: &str,
        id: &str,
        new_values: &Fields,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<SaveReport> {
        let (entity_s, id_s) = (entity.to_string(), id.to_string());
        let saved = self
            .user_write(|tx| {
                let Some(current) = read(tx, entity, id)? else {
                    return Err(rusqlite::Error::QueryReturnedNoRows);
                };
                let changes: BTreeMap<String, (String, String)> = new_values
                    .iter()
                    .filter_map(|(f, new)| {
                        let old = current.fields.get(f).cloned().unwrap_or_default();
                        (old != *new).then(|| (f.clone(), (old, new.clone())))
                    })
                    .collect();
                if changes.is_empty() {
                    return Ok((None, Vec::new()));
                }
                let mut fields = current.fields.clone();
                for (f, (old, new)) in &changes {
                    fields.insert(f.clone(), new.clone());
                    let e = JournalEntry::user_field(
                        RecordChange::Edit,
                        now,
                        actor,
                        entity,
                        id,
                        f,
                        Some(old),
                        new,
                        "saved",
                    );
                    journal::insert(tx, &e)?;
                }
                upsert(tx, entity, id, current.etag.as_deref(), &fields)?;
                let seq = outbox::insert(
                    tx,
                    entity,
                    id,
                    "update",
                    &changes,
                    current.etag.as_deref(),
                    now,
                )?;
                Ok((Some(seq), changes.into_keys().collect()))
            })
            .map_err(|e| match e {
                StoreError::Sqlite {
                    source: rusqlite::Error::QueryReturnedNoRows,
                    ..
                } => StoreError::Invalid(format!("{entity_s} {id_s} is not on this device")),
                other => other,
            });
        let ((seq, changed), waited) = saved?;
        Ok(SaveReport {
            outbox_seq: seq,
            changed,
            waited,
        })
    }

    /// Stores the server's version of a record that has no pending changes (online mode).
    pub fn take_server_version(&mut self, entity: &str, record: &Record) -> Result<()> {
        self.write(|tx| upsert(tx, entity, &record.id, Some(&record.etag), &record.fields))
    }

    /// Creates a record on the device with a client-generated id; it is uploaded as a create.
    pub fn create_record(
        &mut self,
        entity: &str,
        id: &str,
        fields: &Fields,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<SaveReport> {
        let saved = self.user_write(|tx| {
            if read(tx, entity, id)?.is_some() {
                return Err(rusqlite::Error::InvalidParameterName(format!(
                    "{entity} {id} exists already"
                )));
            }
            let changes: BTreeMap<String, (String, String)> = fields
                .iter()
                .map(|(f, v)| (f.clone(), (String::new(), v.clone())))
                .collect();
            for (f, v) in fields {
                let e = JournalEntry::user_field(
                    RecordChange::Create,
                    now,
                    actor,
                    entity,
                    id,
                    f,
                    None,
                    v,
                    journal::CREATED,
                );
                journal::insert(tx, &e)?;
            }
            upsert(tx, entity, id, None, fields)?;
            let seq = outbox::insert(tx, entity, id, "create", &changes, None, now)?;
            Ok((Some(seq), changes.into_keys().collect()))
        });
        let ((seq, changed), waited) = saved?;
        Ok(SaveReport {
            outbox_seq: seq,
            changed,
            waited,
        })
    }
}

/// A `LIKE … ESCAPE '\'` pattern for "contains `search`".
fn like_pattern(search: &str) -> String {
    let escaped = search
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules;
    use crate::settings::BackgroundBehavior;
    use crate::store::PageEnd;

    fn record(id: &str, city: &str) -> Record {
        Record {
            id: id.into(),
            etag: format!("W/\"{id}-{city}\""),
            fields: [("city".to_string(), city.to_string())].into(),
            modified_on: DateTime::UNIX_EPOCH,
            modified_by: "demo".into(),
        }
    }

    fn apply(store: &mut Store, records: &[Record], deleted: &[&str]) {
        let deleted: Vec<String> = deleted.iter().map(|d| d.to_string()).collect();
        let policy = rules::concurrent_edit(BackgroundBehavior::NoAction);
        let end = PageEnd::Complete("t".into());
        store
            .apply_chunk("account", records, &deleted, &end, 0, policy, Utc::now())
            .unwrap();
    }

    /// The count Home shows is kept in the transactions that add or remove records: new and
    /// changed records of a download, deleted ones, a create, a delete.
    #[test]
    fn the_kept_count_follows_every_insert_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("device.db")).unwrap();
        assert_eq!(store.count("account").unwrap(), 0);
        apply(
            &mut store,
            &[record("a", "1"), record("b", "1"), record("c", "1")],
            &[],
        );
        assert_eq!(store.count("account").unwrap(), 3);
        // b changes, d is new, a is deleted, e was never here.
        apply(
            &mut store,
            &[record("b", "2"), record("d", "1")],
            &["a", "e"],
        );
        assert_eq!(store.count("account").unwrap(), 3);
        assert_eq!(
            store.record("account", "b").unwrap().unwrap().fields["city"],
            "2"
        );
        let fields: Fields = [("city".to_string(), "new".to_string())].into();
        store
            .create_record("account", "n", &fields, "demo", Utc::now())
            .unwrap();
        assert_eq!(store.count("account").unwrap(), 4);
        store
            .delete_record("account", "n", "demo", Utc::now())
            .unwrap();
        store
            .delete_record("account", "c", "demo", Utc::now())
            .unwrap();
        assert_eq!(store.count("account").unwrap(), 2);
        assert_eq!(store.count("contact").unwrap(), 0);
        assert_eq!(store.count_mismatches().unwrap(), []);
    }

    /// A profile from before the kept counts gets them counted once, when it is opened.
    #[test]
    fn an_older_profile_gets_its_counts_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.db");
        let mut store = Store::open(&path).unwrap();
        apply(&mut store, &[record("a", "1"), record("b", "1")], &[]);
        let version: i64 = store
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        store
            .conn()
            .execute_batch(&format!(
                "DROP TABLE record_counts; PRAGMA user_version = {};",
                version - 1
            ))
            .unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.count("account").unwrap(), 2);
        assert_eq!(store.count_mismatches().unwrap(), []);
    }

    /// The invariant names an entity whose kept count went wrong.
    #[test]
    fn a_wrong_kept_count_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("device.db")).unwrap();
        apply(&mut store, &[record("a", "1")], &[]);
        store
            .conn()
            .execute("UPDATE record_counts SET n = 5", [])
            .unwrap();
        assert_eq!(
            store.count_mismatches().unwrap(),
            [("account".to_string(), 5, 1)]
        );
    }
}
