//! The server's WAL checkpointer: a thread with a connection of its own copies the WAL into the
//! database, so that no write request has to. Left to SQLite, the commit that takes the WAL past
//! 1,000 pages copies it and waits for the disk before it answers: in an upload of 10,000 edits
//! that was about a tenth of the server's time (profile 12 in docs/PERFORMANCE.md).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use rusqlite::Connection;
use rusqlite::hooks::Wal;

use super::db::OpenError;

/// WAL pages (4 KB each) after a commit beyond which the thread is woken: SQLite's own
/// `wal_autocheckpoint`, so the database file is brought up to date as often as before.
const WAKE_AT: i32 = 1000;

/// WAL pages beyond which the writer copies the WAL itself, in the commit, as SQLite would have:
/// with commits every few milliseconds the thread may never quite catch up, and SQLite restarts
/// the WAL only when a write begins with all of it copied. This bounds the WAL at about 32 MB.
const WRITER_CHECKPOINTS_AT: i32 = 8000;

/// Wakes the checkpoint thread after commits; the thread ends when the writer's connection (and
/// with it the hook that holds the sender) is dropped.
pub struct Checkpointer {
    #[cfg_attr(not(test), allow(dead_code))]
    done: Arc<AtomicU64>,
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
        // One pending wake is enough: commits during a checkpoint are copied by the next one.
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let counted = done.clone();
        std::thread::Builder::new()
            .name("autosync-server-checkpoint".into())
            .spawn(move || {
                while woken.recv().is_ok() {
                    // PASSIVE: never waits for, nor blocks, a reader or the writer. A failure
                    // (or a checkpoint already running) leaves the work to the next one.
                    if conn
                        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                        .is_ok()
                    {
                        counted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .map_err(|source| OpenError::Thread {
                path: path.to_path_buf(),
                source,
            })?;
        writer
            .wal_hook(Some(move |wal: &mut Wal, pages: i32| {
                if pages >= WRITER_CHECKPOINTS_AT {
                    // A failed checkpoint is not the commit's failure: SQLite's own hook
                    // ignores it too, and the next commit tries again.
                    let _ = wal.checkpoint();
                } else if pages >= WAKE_AT {
                    let _ = wake.try_send(());
                }
                Ok(())
            }))
            .map_err(sqlite)?;
        Ok(Checkpointer { done })
    }

    /// Checkpoints the thread has run.
    #[cfg(test)]
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::server::db::Db;

    /// Commits that take the WAL past 1,000 pages wake the thread, which copies it.
    #[tokio::test]
    async fn the_thread_checkpoints_after_the_wal_passes_a_thousand_pages() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("server.db"), |tx| {
            crate::server::seed::seed(tx, chrono::Utc::now()).map(|_| ())
        })
        .unwrap();
        assert_eq!(db.checkpoints(), 0, "nothing to copy yet");
        // 15 commits of about 100 pages each.
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
        let waited = Instant::now();
        while db.checkpoints() == 0 && waited.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(db.checkpoints() > 0, "no checkpoint ran on the thread");
    }
}
