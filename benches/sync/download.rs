//! The first sync against its baseline: the same rows inserted with one prepared statement in
//! one transaction, into the same schema, with the same pragmas, in the order the sync gets them.

use std::path::Path;
use std::time::{Duration, Instant};

use autosync::store::Store;
use rusqlite::{Connection, TransactionBehavior, params};

/// One device row as the sync stores it.
pub struct Row {
    entity: String,
    id: String,
    etag: Option<String>,
    fields: String,
}

/// The rows of a synced profile, in the order the download delivered them: entity by entity
/// (the project's order), each by the server's change number (the number in the ETag).
pub fn rows_of(profile: &Path) -> Vec<Row> {
    let conn = Connection::open(profile).expect("open the synced profile");
    let mut stmt = conn
        .prepare("SELECT entity, id, etag, fields FROM records")
        .expect("select the records");
    let mut rows: Vec<Row> = stmt
        .query_map([], |r| {
            Ok(Row {
                entity: r.get(0)?,
                id: r.get(1)?,
                etag: r.get(2)?,
                fields: r.get(3)?,
            })
        })
        .and_then(|rows| rows.collect())
        .expect("read the records");
    let seq = |etag: &Option<String>| -> u64 {
        etag.as_deref()
            .map(|e| e.trim_matches(|c: char| !c.is_ascii_digit()))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    rows.sort_by_key(|r| (r.entity != "account", seq(&r.etag)));
    rows
}

/// Inserts `rows` into a new database made by `Store::open` (the device schema, WAL,
/// `synchronous = NORMAL`) with one prepared statement in one transaction.
pub fn raw_insert(rows: &[Row], path: &Path) -> Duration {
    drop(Store::open(path).expect("create the baseline database"));
    let mut conn = Connection::open(path).expect("open the baseline database");
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .expect("pragmas");
    let started = Instant::now();
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .expect("begin");
    {
        let mut insert = tx
            .prepare("INSERT INTO records (entity, id, etag, fields) VALUES (?1, ?2, ?3, ?4)")
            .expect("prepare");
        for r in rows {
            insert
                .execute(params![r.entity, r.id, r.etag, r.fields])
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
    started.elapsed()
}
