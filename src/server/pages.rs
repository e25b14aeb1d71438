//! Incremental download of an entity, page by page. A page is written as JSON straight from the
//! SQLite rows: the stored field JSON is copied into the page as it is, never parsed, and only one
//! page is ever held in memory, so a 100,000-record first sync costs little more than reading it.

use axum::http::StatusCode;
use rusqlite::Connection;

use super::problem::ApiError;
use super::store::{State, etag};
use super::tokens::{Cursor, DeltaToken};
use crate::wire::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, PageQuery};

/// The part of the change sequence a page reads: `after < seq <= upto`, for a download of
/// everything after `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub since: u64,
    pub after: u64,
    pub upto: u64,
}

/// Turns the query into a window, refusing tokens the server cannot read (`400`) or no longer
/// honors (`410`: issued before a reset, or older than a purged tombstone).
pub fn window(state: &State, query: &PageQuery) -> Result<(Window, u32), ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_LIMIT);
    if limit == 0 || limit > MAX_PAGE_LIMIT {
        return Err(ApiError::bad_request(
            "invalid-limit",
            format!("limit must be 1 to {MAX_PAGE_LIMIT}, not {limit}"),
        )
        .with_field("limit"));
    }
    let window = match (&query.since, &query.cursor) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "invalid-query",
                "send either `since` (to start a download) or `cursor` (to continue one), not both",
            )
            .with_field("cursor"));
        }
        (None, None) => Window {
            since: 0,
            after: 0,
            upto: state.seq,
        },
        (Some(since), None) => {
            let since = since_token(state, since)?;
            within_horizon(state, since)?;
            Window {
                since,
                after: since,
                upto: state.seq,
            }
        }
        (None, Some(cursor)) => {
            let c = Cursor::decode(cursor).map_err(|_| undecodable("cursor"))?;
            same_epoch(state, &c.epoch, c.upto <= state.seq)?;
            within_horizon(state, c.since)?;
            Window {
                since: c.since,
                after: c.after,
                upto: c.upto,
            }
        }
    };
    Ok((window, limit))
}

/// The change number a `since` delta token stands for, if this server still knows it.
pub fn since_token(state: &State, text: &str) -> Result<u64, ApiError> {
    let token = DeltaToken::decode(text).map_err(|_| undecodable("since"))?;
    same_epoch(state, &token.epoch, token.seq <= state.seq)?;
    Ok(token.seq)
}

fn undecodable(param: &str) -> ApiError {
    ApiError::bad_request(
        "invalid-token",
        format!("`{param}` is not a token this server issued; start over without it"),
    )
    .with_field(param)
}

fn gone(detail: &str) -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        "token-expired",
        format!("{detail}; download everything again without `since`"),
    )
}

fn same_epoch(state: &State, epoch: &str, plausible: bool) -> Result<(), ApiError> {
    if epoch != state.epoch || !plausible {
        return Err(gone(
            "this token was issued before the server's data was reset",
        ));
    }
    Ok(())
}

fn within_horizon(state: &State, since: u64) -> Result<(), ApiError> {
    // A full download (since 0) needs no tombstones, so purging cannot invalidate it.
    if since != 0 && since < state.horizon {
        return Err(gone("deletions after this token have been forgotten"));
    }
    Ok(())
}

/// How many changes (records and, after a token, deletions) a download's window holds: the
/// `total` its first page announces, so a client can show "220,000 / 300,240". One indexed
/// range count, only for a first page: cursor pages carry none.
pub fn window_total(conn: &Connection, entity: &str, window: Window) -> Result<u64, ApiError> {
    let sql = if window.since == 0 {
        "SELECT count(*) FROM records WHERE entity = ?1 AND seq > ?2 AND seq <= ?3 AND deleted = 0"
    } else {
        "SELECT count(*) FROM records WHERE entity = ?1 AND seq > ?2 AND seq <= ?3"
    };
    Ok(conn
        .prepare_cached(sql)?
        .query_row(rusqlite::params![entity, window.after, window.upto], |r| {
            r.get(0)
        })?)
}

const FIRST_PAGE: &str = "SELECT seq, id, deleted, fields, modified_on, modified_by FROM records
    WHERE entity = ?1 AND seq > ?2 AND seq <= ?3 AND deleted = 0 ORDER BY seq LIMIT ?4";
const DELTA_PAGE: &str = "SELECT seq, id, deleted, fields, modified_on, modified_by FROM records
    WHERE entity = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq LIMIT ?4";

/// Writes one page of `entity` as an `EntityPage` JSON object, with `total` on a first page.
pub fn write_page(
    conn: &Connection,
    entity: &str,
    epoch: &str,
    window: Window,
    limit: u32,
    total: Option<u64>,
) -> Result<Vec<u8>, ApiError> {
    // A first download has nothing to delete, so it skips tombstones.
    let sql = if window.since == 0 {
        FIRST_PAGE
    } else {
        DELTA_PAGE
    };
    let mut stmt = conn.prepare_cached(sql)?;
    // One row more than the page tells whether another page follows.
    let mut rows = stmt.query(rusqlite::params![
        entity,
        window.after,
        window.upto,
        limit + 1
    ])?;
    let mut out = Vec::with_capacity(256 * limit.min(1000) as usize);
    let mut deleted = Vec::new();
    let mut count = 0;
    let mut written = 0;
    let mut last = window.after;
    let mut more = false;
    out.extend_from_slice(b"{\"records\":[");
    while let Some(row) = rows.next()? {
        if count == limit {
            more = true;
            break;
        }
        count += 1;
        let seq: u64 = row.get(0)?;
        last = seq;
        let id = row.get_ref(1)?.as_str().map_err(ApiError::internal)?;
        if row.get::<_, bool>(2)? {
            deleted.push(id.to_string());
            continue;
        }
        if written > 0 {
            out.push(b',');
        }
        written += 1;
        out.extend_from_slice(b"{\"id\":");
        json_str(&mut out, id)?;
        out.extend_from_slice(b",\"etag\":");
        json_str(&mut out, &etag(seq))?;
        out.extend_from_slice(b",\"fields\":");
        // Only the server writes this column, always with serde_json, so it is valid JSON.
        out.extend_from_slice(row.get_ref(3)?.as_bytes().map_err(ApiError::internal)?);
        out.extend_from_slice(b",\"modified_on\":");
        json_str(
            &mut out,
            row.get_ref(4)?.as_str().map_err(ApiError::internal)?,
        )?;
        out.extend_from_slice(b",\"modified_by\":");
        json_str(
            &mut out,
            row.get_ref(5)?.as_str().map_err(ApiError::internal)?,
        )?;
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"deleted\":");
    serde_json::to_writer(&mut out, &deleted).map_err(ApiError::internal)?;
    if let Some(total) = total {
        out.extend_from_slice(format!(",\"total\":{total}").as_bytes());
    }
    if more {
        let cursor = Cursor {
            epoch: epoch.to_string(),
            since: window.since,
            after: last,
            upto: window.upto,
        };
        let next = format!(
            "/api/v1/entities/{entity}?cursor={}&limit={limit}",
            cursor.encode()
        );
        out.extend_from_slice(b",\"next\":");
        json_str(&mut out, &next)?;
        out.extend_from_slice(b",\"delta_token\":null}");
    } else {
        let token = DeltaToken {
            epoch: epoch.to_string(),
            seq: window.upto,
        };
        out.extend_from_slice(b",\"next\":null,\"delta_token\":");
        json_str(&mut out, &token.encode())?;
        out.push(b'}');
    }
    Ok(out)
}

fn json_str(out: &mut Vec<u8>, s: &str) -> Result<(), ApiError> {
    serde_json::to_writer(&mut *out, s).map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            epoch: "e1".into(),
            seq: 100,
            horizon: 40,
        }
    }

    fn query(since: Option<String>, cursor: Option<String>, limit: Option<u32>) -> PageQuery {
        PageQuery {
            since,
            cursor,
            limit,
        }
    }

    /// A download's pages come one after another from one cached statement on a reader
    /// connection: it is never parsed again for the next page's bindings.
    #[tokio::test]
    async fn the_next_page_reuses_the_prepared_statement() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::server::db::Db::open(&dir.path().join("server.db"), |tx| {
            crate::server::seed::seed(tx, chrono::Utc::now()).map(|_| ())
        })
        .unwrap();
        let reprepared = db
            .read(|tx| {
                let upto = crate::server::store::state(tx)?.seq;
                for after in 0..20 {
                    let window = Window {
                        since: 0,
                        after,
                        upto,
                    };
                    let page = write_page(tx, "account", "e1", window, 5, None)?;
                    assert!(page.starts_with(b"{\"records\":[{"), "page after {after}");
                }
                let stmt = tx.prepare_cached(FIRST_PAGE)?;
                Ok(stmt.get_status(rusqlite::StatementStatus::RePrepare))
            })
            .await
            .unwrap();
        assert_eq!(reprepared, 0, "the page statement was parsed again");
    }

    #[test]
    fn tokens_map_to_windows_or_the_right_refusal() {
        let s = state();
        assert_eq!(
            window(&s, &query(None, None, None)).unwrap(),
            (
                Window {
                    since: 0,
                    after: 0,
                    upto: 100
                },
                1000
            )
        );
        let token = |epoch: &str, seq| {
            Some(
                DeltaToken {
                    epoch: epoch.into(),
                    seq,
                }
                .encode(),
            )
        };
        assert_eq!(
            window(&s, &query(token("e1", 50), None, Some(7)))
                .unwrap()
                .0,
            Window {
                since: 50,
                after: 50,
                upto: 100
            }
        );
        let status = |q| window(&s, &q).unwrap_err().status().as_u16();
        assert_eq!(status(query(token("e0", 50), None, None)), 410);
        assert_eq!(status(query(token("e1", 39), None, None)), 410);
        assert_eq!(status(query(token("e1", 101), None, None)), 410);
        assert_eq!(status(query(Some("garbage!".into()), None, None)), 400);
        assert_eq!(status(query(None, None, Some(0))), 400);
        assert_eq!(status(query(None, None, Some(MAX_PAGE_LIMIT + 1))), 400);
        let cursor = Cursor {
            epoch: "e1".into(),
            since: 50,
            after: 60,
            upto: 90,
        }
        .encode();
        assert_eq!(
            window(&s, &query(None, Some(cursor.clone()), None))
                .unwrap()
                .0,
            Window {
                since: 50,
                after: 60,
                upto: 90
            }
        );
        assert_eq!(status(query(token("e1", 50), Some(cursor), None)), 400);
    }
}
