//! Attachments, cloud documents and emails downloaded by the non-blocking phases.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store};

impl Store {
    pub fn file_token(&self, kind: &str) -> Result<Option<String>> {
        self.query_row(
            "SELECT token FROM file_tokens WHERE kind = ?1",
            [kind],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| self.err(e))
    }

    /// Whether this exact version of a file is already on the device.
    pub fn has_file(&self, kind: &str, id: &str, etag: &str) -> Result<bool> {
        self.conn()
            .prepare_cached("SELECT 1 FROM files WHERE kind = ?1 AND id = ?2 AND etag = ?3")
            .and_then(|mut s| s.exists(params![kind, id, etag]))
            .map_err(|e| self.err(e))
    }

    pub fn save_file(
        &mut self,
        kind: &str,
        id: &str,
        name: &str,
        etag: &str,
        content: &[u8],
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO files (kind, id, name, etag, content) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (kind, id) DO UPDATE SET name = excluded.name, etag = excluded.etag, content = excluded.content",
                params![kind, id, name, etag, content],
            )
            .map(|_| ())
        })
    }

    /// Stored after every file of the listing is saved, so the token never runs ahead of them.
    pub fn set_file_token(&mut self, kind: &str, token: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO file_tokens (kind, token) VALUES (?1, ?2) ON CONFLICT (kind) DO UPDATE SET token = excluded.token",
                params![kind, token],
            )
            .map(|_| ())
        })
    }

    pub fn file_count(&self, kind: &str) -> Result<usize> {
        self.query_row("SELECT count(*) FROM files WHERE kind = ?1", [kind], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n as usize)
        .map_err(|e| self.err(e))
    }
}
