//! The server's WAL checkpointer: a thread with a connection of its own copies the WAL into the
//! database, so that no write request has to. Left to SQLite, the commit that takes the WAL past
//! 1,000 pages copies it and waits for the disk before it answers: in an upload of 10,000 edits
//! that was about a tenth of the server's CPU (profile 12 in docs/PERFORMANCE.md).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::Connection;
use rusqlite::hooks::Wal;

use super::db::OpenError;

/// WAL pages (4 KB each) after a commit beyond which the thread is woken: SQLite's own
/// `wal_autocheckpoint`, so the database file is brought up to date as often as before.
const WAKE_AT: i32 = 1000;

/// WAL pages beyond which the writer copies the WAL itself, in the commit, as SQLite would have:
/// with commits every few milliseconds the thread may never quite catch up, and SQLite restarts
/// the WAL only when a write begins with all of it copied. This bounds the WAL at about 32 MB
/// (unless a reader holds an old snapshot, which keeps any WAL from restarting).
const WRITER_CHECKPOINTS_AT: i32 = 8000;

/// Wakes the checkpoint thread after commits, and stops it when dropped (see `Db`'s `Drop`:
/// before the writer closes, so that no checkpoint runs after the server is gone).
pub struct Checkpointer {
    wake: mpsc::SyncSender<()>,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    #[cfg_attr(not(test), allow(dead_code))]
    done: Arc<AtomicU64>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // A wake already pending wakes it just as well.
        let _ = self.wake.try_send(());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Checkpointer {
    /// Opens the thread's connection to `path` and hooks `writer`'s commits to it. The writer no
    /// longer checkpoints on its own below [`WRITER_CHECKPOINTS_AT`] (the hook replaces SQLite's
    /// automatic checkpoint, so `wal_autocheckpoint` must not be set on `writer` afterwards).
    pub fn start(path: &Path, writer: &mut Connection) -> Result<Checkpointer, OpenError> {
        let sqlite = |source| OpenError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(sqlite)?;
        let done = Arc::new(AtomicU64::new(0));
        let stopping = Arc::new(AtomicBool::new(false));
        // One pending wake is enough: commits during a checkpoint are copied by the next one.
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let (counted, stop) = (done.clone(), stopping.clone());
        let thread = std::thread::Builder::new()
            .name("autosync-server-checkpoint".into())
            .spawn(move || {
                while woken.recv().is_ok() && !stop.load(Ordering::SeqCst) {
                    // PASSIVE: never waits for, nor blocks, a reader or the writer. A failure
                    // (or a checkpoint already running) leaves the work to the next one.
                    let busy = conn
                        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(0));
                    if let Ok(0) = busy {
                        counted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .map_err(|source| OpenError::Thread {
                path: path.to_path_buf(),
                source,
            })?;
        let hook_wake = wake.clone();
        writer
            .wal_hook(Some(move |wal: &mut Wal, pages: i32| {
                if pages >= WRITER_CHECKPOINTS_AT {
                    // A failed checkpoint is not the commit's failure: SQLite's own hook
                    // ignores it too, and the next commit tries again.
                    let _ = wal.checkpoint();
                } else if pages >= WAKE_AT {
                    let _ = hook_wake.try_send(());
                }
                Ok(())
            }))
            .map_err(sqlite)?;
        Ok(Checkpointer {
            wake,
            stopping,
            thread: Some(thread),
            done,
        })
    }

    /// Checkpoints the thread has completed.
    #[cfg(test)]
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use crate::server::db::Db;

    /// A new server database in `dir`, then 15 commits of about 100 WAL pages each.
    async fn open_and_write_1500_pages(dir: &Path) -> Db {
        let db = Db::open(&dir.join("server.db"), |tx| {
            crate::server::seed::seed(tx, chrono::Utc::now()).map(|_| ())
        })
        .unwrap();
        assert_eq!(db.checkpoints(), 0, "nothing to copy yet");
        for n in 0..15 {
            db.write(move |tx| {
                tx.execute(
                    "INSERT INTO files (kind, id, name, content_type, content)
                     VALUES ('test', ?1, 'n', 'application/octet-stream', zeroblob(400000))",
                    [format!("f{n}")],
                )?;
                Ok(())
            })
            .await
            .unwrap();
        }
        db
    }

    /// Commits that take the WAL past 1,000 pages wake the thread, which copies it.
    #[tokio::test]
    async fn the_thread_checkpoints_after_the_wal_passes_a_thousand_pages() {
        let dir = tempfile::tempdir().unwrap();
        let db = open_and_write_1500_pages(dir.path()).await;
        let waited = Instant::now();
        while db.checkpoints() == 0 && waited.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(db.checkpoints() > 0, "no checkpoint ran on the thread");
    }

    /// The server's last connection is the writer's, closed with the database (after a read,
    /// so an idle reader is open too): what is left of the WAL is copied and the file removed
    /// by then, not later by the thread, beside whatever runs next.
    #[tokio::test]
    async fn the_wal_is_gone_when_the_database_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = open_and_write_1500_pages(dir.path()).await;
        db.read(|tx| Ok(crate::server::store::state(tx)?.seq))
            .await
            .unwrap();
        drop(db);
        assert!(
            !dir.path().join("server.db-wal").exists(),
            "the WAL outlived the database"
        );
    }
}
