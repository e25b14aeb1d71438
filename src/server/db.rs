//! The server's SQLite file: its schema, its one writer and its few readers. All database work
//! runs on tokio's blocking threads, never on the async workers; writers queue on an async lock
//! so that a write held open by slow business logic parks no thread but its own.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::Semaphore;

use super::problem::ApiError;

/// Bumped whenever the schema below changes; a file with a newer version is refused.
pub const SCHEMA_VERSION: i64 = 1;

/// Concurrent read transactions (and open read connections).
const READERS: usize = 4;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The writer's page cache, in KiB (`PRAGMA cache_size` takes KiB negated).
const WRITER_CACHE_KIB: i64 = 16_384;

const SCHEMA: &str = r#"
-- One row: the data epoch (new at every seed or reset, so older tokens are recognized as
-- unknown), the newest change number, and the horizon below which tombstones were purged.
CREATE TABLE state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch TEXT NOT NULL,
    seq INTEGER NOT NULL,
    horizon INTEGER NOT NULL
);
-- Every published project version; the highest is the one devices see.
CREATE TABLE projects (
    version INTEGER PRIMARY KEY,
    json TEXT NOT NULL,
    published_on TEXT NOT NULL
);
-- Records and tombstones. `seq` is the rowid: a write moves the row to a new, higher seq, so a
-- download reads a seq range in order straight from the table.
CREATE TABLE records (
    seq INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    fields TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    modified_by TEXT NOT NULL
);
CREATE UNIQUE INDEX records_by_id ON records (entity, id);
CREATE INDEX records_by_seq ON records (entity, seq);
CREATE INDEX records_tombstones ON records (deleted, seq);
-- The stored outcome of each create made with an Idempotency-Key, per user.
CREATE TABLE idempotency (
    user TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (user, key)
);
CREATE TABLE files (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE UNIQUE INDEX files_by_id ON files (kind, id);
"#;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open the server database {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "the server database {} has schema version {found}, newer than this autosync understands ({SCHEMA_VERSION}); use a newer autosync or another --data-dir",
        path.display()
    )]
    TooNew { path: PathBuf, found: i64 },
}

pub struct Db {
    path: PathBuf,
    writer: Arc<tokio::sync::Mutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    read_permits: Arc<Semaphore>,
}

impl Db {
    /// Opens (creating if needed) the database at `path`. A new file gets the schema and then
    /// `seed`, in one transaction, so a crash never leaves a half-seeded file behind.
    pub fn open(
        path: &Path,
        seed: impl FnOnce(&Transaction) -> rusqlite::Result<()>,
    ) -> Result<Db, OpenError> {
        let sqlite = |source| OpenError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(sqlite)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        // Writes land on random pages of the id index: SQLite's 2 MB default cache held too
        // few of them, so most lookups of a batch went to the file. It fills with what the
        // writer reads and writes (batches, seeding, generated data), up to this size.
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)
            .map_err(sqlite)?;
        stable_plans(&conn).map_err(sqlite)?;
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(sqlite)?;
        if found > SCHEMA_VERSION {
            return Err(OpenError::TooNew {
                path: path.to_path_buf(),
                found,
            });
        }
        if found == 0 {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sqlite)?;
            tx.execute_batch(SCHEMA).map_err(sqlite)?;
            seed(&tx).map_err(sqlite)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(sqlite)?;
            tx.commit().map_err(sqlite)?;
        }
        Ok(Db {
            path: path.to_path_buf(),
            writer: Arc::new(tokio::sync::Mutex::new(conn)),
            readers: Arc::new(Mutex::new(Vec::new())),
            read_permits: Arc::new(Semaphore::new(READERS)),
        })
    }

    /// Runs `f` in a read transaction, so everything it reads is one consistent snapshot.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        // The permit bounds open connections and blocking threads however many requests wait.
        let permit = self
            .read_permits
            .clone()
            .acquire_owned()
            .await
            .map_err(ApiError::internal)?;
        let readers = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let idle = readers.lock().unwrap_or_else(PoisonError::into_inner).pop();
            let mut conn = match idle {
                Some(conn) => conn,
                None => open_reader(&path)?,
            };
            let result = conn.transaction().map_err(ApiError::from).and_then(|tx| {
                let out = f(&tx);
                tx.finish()?;
                out
            });
            readers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            result
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Runs `f` in an immediate write transaction and commits it when `f` succeeds. Writes are
    /// serialized here, so `f` can read, decide and write without anyone in between.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let mut conn = self.writer.clone().lock_owned().await;
        tokio::task::spawn_blocking(move || {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
        .map_err(ApiError::internal)?
    }
}

fn open_reader(path: &Path) -> Result<Connection, ApiError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    stable_plans(&conn)?;
    Ok(conn)
}

/// Query plans that never depend on bound values: otherwise SQLite expires a statement whose
/// plan looked at one (an `=` on a parameter, a bound `LIMIT`) as soon as rusqlite's
/// cache clears its bindings, and every page and file list was parsed again (as the device's
/// store, see `Store::configure`).
fn stable_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map(|_| ())
}
