//! The server database's schema, and the migration of a file an older autosync wrote.
//! `PRAGMA user_version` is the schema version of a file.

use rusqlite::Transaction;

/// Bumped whenever the schema below changes; a file with a newer version is refused.
pub const SCHEMA_VERSION: i64 = 2;

/// Everything but the records.
const TABLES: &str = r#"
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

/// Records and tombstones. A record keeps its row (`rid`) for good; a write gives it the next
/// change number (`seq`), so only the seq index entry moves. A download reads a seq range of an
/// entity in order from `records_by_seq`, which also counts a window without reading rows.
const RECORDS: &str = r#"
CREATE TABLE records (
    rid INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    fields TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    modified_by TEXT NOT NULL
);
CREATE UNIQUE INDEX records_by_id ON records (entity, id);
CREATE INDEX records_by_seq ON records (entity, seq, deleted);
CREATE INDEX records_tombstones ON records (seq) WHERE deleted = 1;
"#;

/// Creates the schema of a new file.
pub fn create(tx: &Transaction) -> rusqlite::Result<()> {
    tx.execute_batch(TABLES)?;
    tx.execute_batch(RECORDS)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
}

/// Brings a file of schema version `found` (1 ..= [`SCHEMA_VERSION`]) up to date, in the
/// caller's transaction: nothing changes unless all of it succeeds.
pub fn migrate(tx: &Transaction, found: i64) -> rusqlite::Result<()> {
    if found < 2 {
        // Version 1 kept `seq` as the rowid, so every write moved the whole row and all three
        // of its index entries. Records keep their seq (their ETag) and order.
        tx.execute_batch("ALTER TABLE records RENAME TO records_v1;")?;
        tx.execute_batch(
            "DROP INDEX records_by_id; DROP INDEX records_by_seq; DROP INDEX records_tombstones;",
        )?;
        tx.execute_batch(RECORDS)?;
        tx.execute_batch(
            "INSERT INTO records (entity, id, seq, deleted, fields, modified_on, modified_by)
                 SELECT entity, id, seq, deleted, fields, modified_on, modified_by
                 FROM records_v1 ORDER BY seq;
             DROP TABLE records_v1;",
        )?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, TransactionBehavior};

    use super::*;

    /// The schema autosync wrote before version 2, as it was.
    const V1: &str = r#"
        CREATE TABLE state (id INTEGER PRIMARY KEY CHECK (id = 1), epoch TEXT NOT NULL,
            seq INTEGER NOT NULL, horizon INTEGER NOT NULL);
        CREATE TABLE projects (version INTEGER PRIMARY KEY, json TEXT NOT NULL,
            published_on TEXT NOT NULL);
        CREATE TABLE records (seq INTEGER PRIMARY KEY, entity TEXT NOT NULL, id TEXT NOT NULL,
            deleted INTEGER NOT NULL, fields TEXT NOT NULL, modified_on TEXT NOT NULL,
            modified_by TEXT NOT NULL);
        CREATE UNIQUE INDEX records_by_id ON records (entity, id);
        CREATE INDEX records_by_seq ON records (entity, seq);
        CREATE INDEX records_tombstones ON records (deleted, seq);
        CREATE TABLE idempotency (user TEXT NOT NULL, key TEXT NOT NULL,
            fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,
            PRIMARY KEY (user, key));
        CREATE TABLE files (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL,
            name TEXT NOT NULL, content_type TEXT NOT NULL, content BLOB NOT NULL);
        CREATE UNIQUE INDEX files_by_id ON files (kind, id);
        INSERT INTO state VALUES (1, 'e1', 7, 3);
        INSERT INTO records VALUES (5, 'contact', 'c1', 0, '{"full_name":"Ann"}', '2026-01-01T00:00:05.000Z', 'ann');
        INSERT INTO records VALUES (7, 'contact', 'c2', 1, '{}', '2026-01-01T00:00:07.000Z', 'bob');
        INSERT INTO records VALUES (6, 'account', 'a1', 0, '{"name":"Acme"}', '2026-01-01T00:00:06.000Z', 'ann');
        PRAGMA user_version = 1;
    "#;

    type Rows = Vec<(u64, String, String, bool, String)>;

    fn rows(conn: &Connection) -> Rows {
        conn.prepare("SELECT seq, entity, id, deleted, fields FROM records ORDER BY seq")
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn a_version_1_file_keeps_every_record_and_its_seq() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        let before = rows(&conn);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        migrate(&tx, 1).unwrap();
        tx.commit().unwrap();
        assert_eq!(rows(&conn), before);
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        // The tombstone index holds tombstones only, and the purge query finds them by it, with
        // the server's stable plans (which never look at the bound cutoff).
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .unwrap();
        let plan: String = conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT max(seq) FROM records WHERE deleted = 1 AND seq <= ?1",
                [9],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("records_tombstones"), "{plan}");
        // An update keeps the record's row and moves it to a new seq.
        let rid = |conn: &Connection| -> i64 {
            conn.query_row("SELECT rid FROM records WHERE id = 'c1'", [], |r| r.get(0))
                .unwrap()
        };
        let was = rid(&conn);
        conn.execute("UPDATE records SET seq = 8 WHERE id = 'c1'", [])
            .unwrap();
        assert_eq!(rid(&conn), was);
    }

    /// Through `Db::open`: a version-1 file is migrated (its records keep their ETags), and a
    /// file newer than this autosync is refused with its path and version, left as it was.
    #[test]
    fn a_version_1_file_opens_migrated_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        Connection::open(&path).unwrap().execute_batch(V1).unwrap();
        let db = crate::server::db::Db::open(&path, |_| panic!("a migrated file is not seeded"))
            .unwrap();
        drop(db);
        let conn = Connection::open(&path).unwrap();
        let etag = crate::server::store::record(&conn, "contact", "c1")
            .unwrap()
            .map(|r| r.etag);
        assert_eq!(etag.as_deref(), Some("W/\"5\""));
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        let refused = crate::server::db::Db::open(&path, |_| Ok(()))
            .err()
            .unwrap();
        let message = refused.to_string();
        assert!(
            message.contains(&path.display().to_string()) && message.contains("schema version 3"),
            "{message}"
        );
    }
}
