//! Attachments, cloud documents and emails: listed by change number, downloaded by id. They give
//! the client real non-blocking phases to run after the entities.

use rusqlite::{Connection, OptionalExtension, params};

use super::store::etag;
use crate::wire::{FileInfo, FileKind};

/// Files of `kind` changed after `since`, oldest first.
pub fn list(conn: &Connection, kind: FileKind, since: u64) -> rusqlite::Result<Vec<FileInfo>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, id, name, length(content), content_type FROM files
         WHERE kind = ?1 AND seq > ?2 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![kind.as_str(), since], |r| {
        Ok(FileInfo {
            etag: etag(r.get(0)?),
            id: r.get(1)?,
            name: r.get(2)?,
            size: r.get(3)?,
            content_type: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// A file's bytes.
pub struct Content {
    pub name: String,
    pub content_type: String,
    pub etag: String,
    pub bytes: Vec<u8>,
}

pub fn content(conn: &Connection, kind: FileKind, id: &str) -> rusqlite::Result<Option<Content>> {
    conn.prepare_cached(
        "SELECT seq, name, content_type, content FROM files WHERE kind = ?1 AND id = ?2",
    )?
    .query_row(params![kind.as_str(), id], |r| {
        Ok(Content {
            etag: etag(r.get(0)?),
            name: r.get(1)?,
            content_type: r.get(2)?,
            bytes: r.get(3)?,
        })
    })
    .optional()
}
