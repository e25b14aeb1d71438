//! The sync's WAL checkpointer: while a download applies chunk after chunk, a thread of its own
//! copies the WAL into the database so that no user's save has to, and the WAL stays short.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

use super::{Result, Store, StoreError};

/// SQLite's `wal_autocheckpoint` unless a connection changes it: pages of WAL.
const DEFAULT_AUTOCHECKPOINT: i64 = 1000;

/// Checkpointer threads running in this process.
static CHECKPOINTERS: AtomicUsize = AtomicUsize::new(0);

/// A sync's checkpointer is copying the WAL: a save can leave the checkpoint to it.
fn checkpointer_running() -> bool {
    CHECKPOINTERS.load(Ordering::SeqCst) > 0
}

/// How often the sync's checkpointer copies the WAL into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(20);
/// WAL pages (4 KB each) beyond which the sync lets the WAL start over (see
/// [`Store::keep_wal_short`]).
const RESTART_AT: i64 = 4000;

/// The WAL's length in pages when a checkpointer last copied it. One value for the process: two
/// syncs of two databases at once (tests) at worst make one checkpoint too many or too few.
static WAL_PAGES: AtomicI64 = AtomicI64::new(0);

/// Checkpoints the WAL from a thread and a connection of its own while a download writes chunk
/// after chunk (or an upload settles batch after batch). Left to SQLite, the connection that
/// commits when the WAL passes 1,000 pages copies it into the database and waits for the disk
/// (`fsync`) before it writes on: on a first sync that is about a third of the time spent
/// applying. Here the sync's connection does not checkpoint; the thread copies the WAL every
/// 20 ms (`PASSIVE`: it never waits for, nor blocks, a reader or a writer). Every chunk is
/// committed as before, checkpoints are as durable as before (`synchronous = NORMAL`), and other
/// connections checkpoint as always, except saves, which leave it to the thread while it runs.
pub struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Dropping the sender wakes the thread, which ends after its current checkpoint.
        self.stop.take();
    }
}

/// Runs a `PASSIVE` checkpoint; the number of pages in the WAL, if it ran. A failure (or
/// `SQLITE_BUSY`: another checkpoint is running) leaves the work to the next one, as SQLite's
/// own checkpoints do.
fn checkpoint(conn: &Connection) -> Option<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
        .ok()
}

impl Store {
    /// Starts checkpointing beside this connection until [`Store::end_checkpointer`]; this
    /// connection stops checkpointing on its own meanwhile.
    pub fn start_checkpointer(&mut self) -> Result<Checkpointer> {
        let conn = Connection::open(&self.path).map_err(|e| self.err(e))?;
        self.conn
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(|e| self.err(e))?;
        let (stop, stopped) = mpsc::channel::<()>();
        CHECKPOINTERS.fetch_add(1, Ordering::SeqCst);
        let spawned = std::thread::Builder::new()
            .name("autosync-checkpoint".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_EVERY)
                {
                    if let Some(pages) = checkpoint(&conn) {
                        WAL_PAGES.store(pages, Ordering::SeqCst);
                    }
                }
                CHECKPOINTERS.fetch_sub(1, Ordering::SeqCst);
            });
        match spawned {
            Ok(thread) => Ok(Checkpointer {
                stop: Some(stop),
                thread: Some(thread),
            }),
            Err(e) => {
                CHECKPOINTERS.fetch_sub(1, Ordering::SeqCst);
                let _ = self
                    .conn
                    .pragma_update(None, "wal_autocheckpoint", DEFAULT_AUTOCHECKPOINT);
                Err(StoreError::Invalid(format!(
                    "cannot start the checkpoint thread: {e}"
                )))
            }
        }
    }

    /// Between two of its transactions, a sync with a checkpointer lets a long WAL start over.
    /// SQLite starts the WAL from its beginning only when a transaction begins with all of it
    /// copied, and with a sync committing every few milliseconds the checkpointer is never quite
    /// done: the WAL would grow with the download (40 MB per 100,000 records). So once it has
    /// passed 16 MB, the sync copies the rest itself, here, between its transactions: its next
    /// transaction starts the WAL over. A user's save is not held up (a `PASSIVE` checkpoint takes
    /// no write lock); the sync waits for the copy and the disk, every 16 MB of WAL.
    pub fn keep_wal_short(&mut self) {
        if WAL_PAGES.load(Ordering::SeqCst) >= RESTART_AT && checkpoint(&self.conn).is_some() {
            WAL_PAGES.store(0, Ordering::SeqCst);
        }
    }

    /// Stops the checkpointer (if there is one) and waits for its last checkpoint; this
    /// connection checkpoints on its own again (SQLite's default). A WAL long enough to make the
    /// next commit elsewhere checkpoint is copied now, by the sync, so that commit need not.
    pub fn end_checkpointer(&mut self, checkpointer: Option<Checkpointer>) -> Result<()> {
        let Some(mut checkpointer) = checkpointer else {
            return Ok(());
        };
        checkpointer.stop.take();
        if let Some(thread) = checkpointer.thread.take() {
            let _ = thread.join();
        }
        if WAL_PAGES.load(Ordering::SeqCst) >= DEFAULT_AUTOCHECKPOINT
            && checkpoint(&self.conn).is_some()
        {
            WAL_PAGES.store(0, Ordering::SeqCst);
        }
        self.conn
            .pragma_update(None, "wal_autocheckpoint", DEFAULT_AUTOCHECKPOINT)
            .map_err(|e| self.err(e))
    }

    /// While a sync's checkpointer copies the WAL (see `Store::start_checkpointer`), a save
    /// leaves checkpointing to it: otherwise the save's commit, finding a WAL longer than 1,000
    /// pages, would copy the last pages itself and wait for the disk (up to 200 ms measured).
    /// True when this connection's automatic checkpoint was turned off for the save.
    pub(super) fn defer_checkpoint(&mut self) -> bool {
        checkpointer_running()
            && self
                .conn
                .pragma_update(None, "wal_autocheckpoint", 0)
                .is_ok()
    }

    /// Turns this connection's automatic checkpoint back on after [`Store::defer_checkpoint`].
    /// Should that fail, other connections checkpoint as always.
    pub(super) fn resume_checkpoint(&mut self, deferred: bool) {
        if deferred {
            let _ = self
                .conn
                .pragma_update(None, "wal_autocheckpoint", DEFAULT_AUTOCHECKPOINT);
        }
    }
}
