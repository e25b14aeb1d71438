//! The device's local database (SQLite): records with their server ETags, the outbox of
//! pending changes, delta tokens, sync state, conflicts, settings and the journal.
//!
//! WAL lets the UI read while the sync writes; `busy_timeout` makes a writer wait for the
//! other instead of failing; every write transaction is `BEGIN IMMEDIATE`, because a deferred
//! read-then-write transaction fails with SQLITE_BUSY_SNAPSHOT without waiting.

mod checkpoint;
mod conflicts;
mod deletes;
mod delta;
mod files;
mod journal;
mod merge;
mod outbox;
mod records;
mod sent;
mod state;

pub use checkpoint::Checkpointer;
pub use conflicts::{Conflict, ConflictKind, UserResolution};
pub use delta::{ApplyReport, DeltaPosition, PageEnd};
pub use journal::{
    Acknowledged, JournalData, JournalEntry, JournalKind, ModeSwitchStep, OnlineSaveOutcome,
    ProjectStep, ReconcileStep, RecordChange, Resolved, ServerStep, SettingOutcome,
    UiTransactionCall, UserChoice,
};
pub use outbox::{PendingKind, PendingOp};
pub use records::{LocalRecord, SaveReport};
pub use state::{FailureCause, LastSync, SyncEnd, SyncFlags, SyncState};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How long a writer waits for the other writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The page cache of the sync's connection ([`Store::grow_page_cache`]), in KiB: with 2 MB
/// most record updates of an upload's settle read their page from the file (measured: the
/// settle of 10,000 edits 608 -> 314 ms).
const SYNC_PAGE_CACHE_KIB: i64 = 16_384;

/// Prepared statements kept per connection. rusqlite keeps 16, fewer than one sync cycles
/// through (the upload's settle alone uses a dozen), so statements were evicted and parsed again.
const STATEMENT_CACHE: usize = 96;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("local database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("local database {path}: stored {what} is unreadable: {detail}")]
    Corrupt {
        path: PathBuf,
        what: String,
        detail: String,
    },
    #[error(
        "local database {path}: schema version {found} is newer than this autosync ({supported})"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One connection to the local database. The UI and the sync engine each open their own.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// Schema migrations, in order; `PRAGMA user_version` is how many have run.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE records (
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    etag TEXT,                      -- NULL: created on the device, not yet on the server
    fields TEXT NOT NULL,           -- JSON object of field -> value
    PRIMARY KEY (entity, id)
) WITHOUT ROWID;
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    record_id TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    changes TEXT NOT NULL,          -- JSON object of field -> [old, new]
    base_etag TEXT,
    idempotency_key TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX outbox_record ON outbox (entity, record_id);
CREATE TABLE delta (
    entity TEXT PRIMARY KEY,
    token TEXT,                     -- delta token of the last complete download
    cursor TEXT                     -- next page of a download in progress
) WITHOUT ROWID;
CREATE TABLE conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    record_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    device_changes TEXT NOT NULL,
    device_record TEXT NOT NULL,
    server_record TEXT,
    server_etag TEXT,
    detected_at TEXT NOT NULL,
    resolved_at TEXT,
    resolution TEXT
);
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    entity TEXT,
    record_id TEXT,
    field TEXT,
    old TEXT,
    new TEXT,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE files (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    etag TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE TABLE file_tokens (kind TEXT PRIMARY KEY, token TEXT NOT NULL) WITHOUT ROWID;
"#,
    r#"
-- What the last upload of each pending record sent, until its answer is settled: a lost answer
-- is then recognized as our own write, and a create is replayed with its original body and key.
CREATE TABLE outbox_sent (
    entity TEXT NOT NULL,
    record_id TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('create', 'update')),
    fields TEXT NOT NULL,           -- JSON object of field -> value, as sent
    base_etag TEXT,
    idempotency_key TEXT NOT NULL,
    upto_seq INTEGER NOT NULL,      -- the newest outbox row the send carried
    PRIMARY KEY (entity, record_id)
) WITHOUT ROWID;
-- The server's problem detail of an operation it refused (a Sync Errors item).
ALTER TABLE conflicts ADD COLUMN problem TEXT;
-- Operations an earlier version left refused in the outbox, with no sign: Sync Errors items now.
INSERT INTO conflicts (entity, record_id, kind, device_changes, device_record, detected_at, problem)
    SELECT o.entity, o.record_id, '"RefusedByServer"', '{}',
           coalesce((SELECT r.fields FROM records r WHERE r.entity = o.entity AND r.id = o.record_id), '{}'),
           max(o.created_at), max(o.last_error)
    FROM outbox o WHERE o.last_error IS NOT NULL GROUP BY o.entity, o.record_id;
-- A full download after `410 Gone`: the ids it delivered, so that at its end every local record
-- the server no longer has is removed.
ALTER TABLE delta ADD COLUMN reconciling INTEGER NOT NULL DEFAULT 0;
-- The saved password, in a table of its own: its page is written only when the password is,
-- so removing it (with secure_delete) and truncating the WAL leaves no copy of its bytes.
CREATE TABLE secret (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO secret (key, value) SELECT key, json_extract(value, '$') FROM meta WHERE key = 'password';
DELETE FROM meta WHERE key = 'password';
CREATE TABLE delta_seen (
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (entity, id)
) WITHOUT ROWID;
"#,
    r#"
-- A journal row's typed data beside its words (JSON of `JournalData`): the decision a sync line
-- stands for, a save's rule and wait. Rows written before have none.
ALTER TABLE journal ADD COLUMN data TEXT;
"#,
    r#"
-- How many records each entity holds, kept in the transactions that add or remove them: Home
-- shows the counts, and counting 100,000 rows one by one took most of a cold start.
CREATE TABLE record_counts (entity TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO record_counts (entity, n) SELECT entity, count(*) FROM records GROUP BY entity;
"#,
];

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Invalid(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        })?;
        restrict_to_owner(path);
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn configure(&mut self) -> Result<()> {
        self.conn
            .set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // rusqlite clears a cached statement's bindings when it is returned, and SQLite then
        // expires any statement whose plan looked at a bound value (an `=` on a parameter
        // does, in 3.54): it was parsed again at its next use, 10-13% of a sync's samples.
        // With the planner's stability guarantee, plans never depend on bound values.
        self.conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(|e| self.err(e))?;
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| self.err(e))?;
        self.conn
            .execute_batch(
                // secure_delete FAST: a deleted row's bytes are zeroed in the page that is
                // written anyway, so a removed password leaves nothing behind in its page.
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = FAST;",
            )
            .map_err(|e| self.err(e))
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let supported = MIGRATIONS.len() as i64;
        if version > supported {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                supported,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let path = self.path.clone();
            self.write(|tx| {
                // Another connection may have migrated since we looked: check under the lock.
                let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                if now > i as i64 {
                    return Ok(());
                }
                tx.execute_batch(sql)?;
                tx.pragma_update(None, "user_version", (i + 1) as i64)?;
                Ok(())
            })
            .map_err(|e| match e {
                StoreError::Sqlite { source, .. } => StoreError::Sqlite { path, source },
                other => other,
            })?;
        }
        Ok(())
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction and commits it.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&Transaction) -> rusqlite::Result<T>,
    ) -> Result<T> {
        self.write_timed(f).map(|(v, _)| v)
    }

    /// Like [`Store::write`], also reporting how long it waited for the write lock.
    pub(crate) fn write_timed<T>(
        &mut self,
        f: impl FnOnce(&Transaction) -> rusqlite::Result<T>,
    ) -> Result<(T, Duration)> {
        let started = Instant::now();
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(wrap)?;
        let waited = started.elapsed();
        let value = f(&tx).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok((value, waited))
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Lets this connection keep [`SYNC_PAGE_CACHE_KIB`] of pages instead of SQLite's 2 MB:
    /// for the sync's own connection, whose settle and download write records on random pages
    /// of the whole table. Pages stay until the connection closes, so the UI's and the engine's
    /// connections keep the default.
    pub fn grow_page_cache(&self) -> Result<()> {
        self.conn
            .pragma_update(None, "cache_size", -SYNC_PAGE_CACHE_KIB)
            .map_err(|e| self.err(e))
    }

    /// `Connection::query_row` through the statement cache: a sync reads the same few rows
    /// every time, and the uncached `query_row` parsed its SQL again at every call.
    pub(crate) fn query_row<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.conn.prepare_cached(sql)?.query_row(params, f)
    }

    /// A JSON value stored under `key` in `meta`.
    pub fn meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let text: Option<String> = self
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| StoreError::Corrupt {
                path: self.path.clone(),
                what: key.into(),
                detail: e.to_string(),
            })
        })
        .transpose()
    }

    pub fn set_meta<T: Serialize>(&mut self, key: &str, value: &T) -> Result<()> {
        let text = meta_json(value)?;
        self.write(|tx| put_meta(tx, key, &text))
    }

    /// `PRAGMA integrity_check`: "ok" for a healthy database.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}

/// The profile holds a saved password: only its owner may read it.
fn restrict_to_owner(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

pub(crate) fn from_json<T: DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn meta_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Writes a JSON value under `key` in `meta`, inside the caller's transaction.
fn put_meta(tx: &Transaction, key: &str, text: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, text])?;
    Ok(())
}
