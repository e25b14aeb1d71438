//! The server's SQLite file: its one writer and its few readers (the schema is `schema`'s).
//! Requests' database work runs on tokio's blocking threads, never on the async workers; writers
//! queue on an async lock so that a write held open by slow business logic parks no thread but
//! its own. Only closing the file, as the server shuts down, runs where the server is dropped.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::Semaphore;

use super::problem::ApiError;
use super::schema::{self, SCHEMA_VERSION};
use super::wal::Checkpointer;

/// Concurrent read transactions (and open read connections).
const READERS: usize = 4;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The writer's page cache, in KiB (`PRAGMA cache_size` takes KiB negated).
const WRITER_CACHE_KIB: i64 = 16_384;

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
    #[error("cannot start the checkpoint thread of the server database {}: {source}", path.display())]
    Thread {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub struct Db {
    /// Copies the WAL into the database beside the writer. First, so that its thread stops
    /// before the writer closes (fields drop in order, after [`Db`]'s `Drop`).
    #[cfg_attr(not(test), allow(dead_code))]
    checkpointer: Checkpointer,
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
        if found < SCHEMA_VERSION {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sqlite)?;
            if found == 0 {
                schema::create(&tx).map_err(sqlite)?;
                seed(&tx).map_err(sqlite)?;
            } else {
                tracing::info!(from = found, to = SCHEMA_VERSION, path = %path.display(), "migrating the server database");
                schema::migrate(&tx, found).map_err(sqlite)?;
            }
            tx.commit().map_err(sqlite)?;
        }
        // The thread, not the write requests, copies the WAL from now on (see `wal`).
        let checkpointer = Checkpointer::start(path, &mut conn)?;
        Ok(Db {
            checkpointer,
            path: path.to_path_buf(),
            writer: Arc::new(tokio::sync::Mutex::new(conn)),
            readers: Arc::new(Mutex::new(Vec::new())),
            read_permits: Arc::new(Semaphore::new(READERS)),
        })
    }

    /// Checkpoints the WAL thread has run.
    #[cfg(test)]
    pub fn checkpoints(&self) -> u64 {
        self.checkpointer.done()
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

/// The writer is the server's last connection: the idle readers close first here, the WAL
/// thread next (the first field), so the writer's close copies what is left of the WAL and
/// removes it while the server shuts down. A read-only reader closing last could not, and the
/// thread would do it after the server was gone, beside whatever runs next.
impl Drop for Db {
    fn drop(&mut self) {
        self.readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
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
/// store, see `Store::configure`). The one partial index, `records_tombstones`, is matched by
/// the literal `deleted = 1` of the queries that use it, never by a bound value.
fn stable_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map(|_| ())
}
