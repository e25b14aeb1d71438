//! The outbox: pending changes, one row per save, uploaded by the next sync. Rows of one record
//! are merged into one operation at upload time; rows saved after the upload's snapshot stay
//! for the next sync.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};

use super::records;
use super::sent::{self, Sent};
use super::{Result, Store, from_json, to_json};
use crate::wire::Fields;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutboxRow {
    pub seq: i64,
    pub op: String,
    pub changes: BTreeMap<String, (String, String)>,
    pub idempotency_key: String,
}

/// How a pending record goes to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingKind {
    /// `PUT` with `If-None-Match: *`; the key makes a retry after a lost response safe.
    Create { idempotency_key: String },
    /// `PATCH` with `If-Match: base_etag`.
    Update,
    /// `DELETE` with `If-Match: base_etag`; the record has left the device's lists already.
    /// A `404`/`410` answer is a success: a retry after a lost answer finds it gone.
    Delete,
}

/// The merged pending change of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOp {
    pub entity: String,
    pub id: String,
    pub kind: PendingKind,
    /// For a create: every field; for an update: the changed fields' newest values; for a
    /// delete: what an earlier, unsettled update of the record sent (empty if none), so that a
    /// `412` carrying exactly that is recognized as our own write.
    pub fields: Fields,
    pub base_etag: Option<String>,
    /// The outbox rows this operation carries.
    pub seqs: Vec<i64>,
    /// An earlier send of this record whose answer never came is replayed exactly as it was
    /// sent (this op), and edits saved after it follow once it is settled: then this holds the
    /// whole pending change, which a conflict or a refusal is decided on.
    pub whole: Option<Box<PendingOp>>,
}

/// The operations [`Store::pending_ops`] merges, in the order of each record's first row; with
/// its unsettled send and the seq of its first row the server did not refuse, if any.
#[derive(Default)]
struct Merged {
    ops: Vec<(PendingOp, Option<Sent>, Option<i64>)>,
    index: HashMap<(String, String), usize>,
}

impl Merged {
    /// Adds one row of [`Store::pending_ops`]'s query (they come in seq order): the first of
    /// its record starts the record's operation ([`start_op`]), every row of an update adds its
    /// changes' newest values.
    fn add(&mut self, row: &rusqlite::Row) -> rusqlite::Result<()> {
        let (entity, id) = (row.get_ref(0)?.as_str()?, row.get_ref(1)?.as_str()?);
        let seq: i64 = row.get(2)?;
        let changes: BTreeMap<String, (String, String)> = from_json(row.get_ref(4)?.as_str()?)?;
        let not_refused: bool = row.get(13)?;
        // A record's rows mostly follow one another: the last op is looked at before the index.
        let last = self
            .ops
            .len()
            .checked_sub(1)
            .filter(|&i| self.ops[i].0.entity == entity && self.ops[i].0.id == id);
        let key = || (entity.to_string(), id.to_string());
        let at = match last.or_else(|| self.index.get(&key()).copied()) {
            Some(at) => at,
            None => {
                let key = key();
                let (op, sent) = start_op(row, key.clone())?;
                self.ops.push((op, sent, None));
                self.index.insert(key, self.ops.len() - 1);
                self.ops.len() - 1
            }
        };
        let (op, _, first) = &mut self.ops[at];
        if not_refused && first.is_none() {
            *first = Some(seq);
        }
        op.seqs.push(seq);
        if op.kind == PendingKind::Update {
            for (f, (_, new)) in changes {
                op.fields.insert(f, new);
            }
        }
        Ok(())
    }

    /// The operations in upload order: by each record's first row not refused, records with
    /// none left out, an unsettled send replayed first.
    fn into_ops(self) -> Vec<PendingOp> {
        let mut ops: Vec<(i64, PendingOp, Option<Sent>)> = self
            .ops
            .into_iter()
            .filter_map(|(op, sent, first)| first.map(|first| (first, op, sent)))
            .collect();
        ops.sort_by_key(|(first, ..)| *first);
        ops.into_iter()
            .map(|(_, op, sent)| match sent {
                Some(sent) => replay(op, sent),
                None => op,
            })
            .collect()
    }
}

/// The operation a record's first pending row starts (a create takes the record's fields, an
/// update starts empty), with the record's unsettled send, from a row of `pending_ops`' query.
fn start_op(
    row: &rusqlite::Row,
    (entity, id): (String, String),
) -> rusqlite::Result<(PendingOp, Option<Sent>)> {
    let op: String = row.get(3)?;
    let kind = match op.as_str() {
        "create" => PendingKind::Create {
            idempotency_key: row.get(5)?,
        },
        "delete" => PendingKind::Delete,
        _ => PendingKind::Update,
    };
    let fields = match row.get_ref(7)?.as_str_or_null()? {
        Some(json) => from_json(json)?,
        None => Fields::new(),
    };
    let sent = match row.get::<_, Option<String>>(8)? {
        Some(op) => Some(Sent {
            kind: if op == "create" {
                PendingKind::Create {
                    idempotency_key: row.get(11)?,
                }
            } else {
                PendingKind::Update
            },
            fields: from_json(row.get_ref(9)?.as_str()?)?,
            base_etag: row.get(10)?,
            upto_seq: row.get(12)?,
        }),
        None => None,
    };
    let op = PendingOp {
        entity,
        id,
        kind,
        fields,
        base_etag: row.get(6)?,
        seqs: Vec::new(),
        whole: None,
    };
    Ok((op, sent))
}

impl PendingOp {
    /// The pending change a conflict or a refusal is decided on: all of it.
    pub fn whole(&self) -> &PendingOp {
        self.whole.as_deref().unwrap_or(self)
    }
}

/// The operation that replays an unsettled send: exactly what was sent, carrying the rows it
/// carried; the later rows wait for the next round, with `whole` for a conflict's decision.
/// A delete replaces whatever was sent before it: it goes as it is, knowing what was sent.
fn replay(op: PendingOp, sent: Sent) -> PendingOp {
    if op.kind == PendingKind::Delete {
        let fields = match sent.kind {
            PendingKind::Update => sent.fields,
            _ => Fields::new(),
        };
        return PendingOp { fields, ..op };
    }
    let seqs: Vec<i64> = op
        .seqs
        .iter()
        .copied()
        .filter(|s| *s <= sent.upto_seq)
        .collect();
    if seqs.is_empty() {
        // The rows that send carried are gone (settled since): nothing to replay.
        return op;
    }
    let later = seqs.len() < op.seqs.len();
    PendingOp {
        entity: op.entity.clone(),
        id: op.id.clone(),
        kind: sent.kind,
        fields: sent.fields,
        base_etag: sent.base_etag,
        seqs,
        whole: later.then(|| Box::new(op)),
    }
}

pub(crate) fn insert(
    tx: &Transaction,
    entity: &str,
    id: &str,
    op: &str,
    changes: &BTreeMap<String, (String, String)>,
    base_etag: Option<&str>,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO outbox (entity, record_id, op, changes, base_etag, idempotency_key, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![entity, id, op, to_json(changes), base_etag, uuid::Uuid::new_v4().to_string(), now.to_rfc3339()])?;
    Ok(tx.last_insert_rowid())
}

/// What the outbox holds for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pending {
    Nothing,
    /// Changes, none of them a delete.
    Changes,
    /// A delete (and maybe changes before it).
    Delete,
}

/// What the outbox holds for the record, in one query.
pub(crate) fn pending_for(
    tx: &rusqlite::Connection,
    entity: &str,
    id: &str,
) -> rusqlite::Result<Pending> {
    tx.prepare_cached(
        "SELECT COUNT(*), COALESCE(MAX(op = 'delete'), 0) FROM outbox WHERE entity = ?1 AND record_id = ?2",
    )?
    .query_row(params![entity, id], |r| {
        let (rows, delete): (i64, bool) = (r.get(0)?, r.get(1)?);
        Ok(match (rows, delete) {
            (0, _) => Pending::Nothing,
            (_, true) => Pending::Delete,
            (_, false) => Pending::Changes,
        })
    })
}

const ROWS_FOR: &str = "SELECT seq, op, changes, idempotency_key FROM outbox WHERE entity = ?1 AND record_id = ?2 ORDER BY seq";

pub(crate) fn rows_for(
    tx: &rusqlite::Connection,
    entity: &str,
    id: &str,
) -> rusqlite::Result<Vec<OutboxRow>> {
    let mut stmt = tx.prepare_cached(ROWS_FOR)?;
    let rows = stmt.query_map(params![entity, id], |r| {
        let changes: String = r.get(2)?;
        Ok(OutboxRow {
            seq: r.get(0)?,
            op: r.get(1)?,
            changes: from_json(&changes)?,
            idempotency_key: r.get(3)?,
        })
    })?;
    rows.collect()
}

pub(crate) fn delete_rows(tx: &Transaction, seqs: &[i64]) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached("DELETE FROM outbox WHERE seq = ?1")?;
    for seq in seqs {
        stmt.execute([seq])?;
    }
    Ok(())
}

impl Store {
    /// The newest outbox row; edits saved after it are "during this sync".
    pub fn outbox_snapshot(&self) -> Result<i64> {
        self.query_row("SELECT coalesce(max(seq), 0) FROM outbox", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Records with changes waiting for upload.
    pub fn pending_count(&self) -> Result<usize> {
        self.query_row(
            "SELECT count(*) FROM (SELECT DISTINCT entity, record_id FROM outbox)",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n as usize)
        .map_err(|e| self.err(e))
    }

    /// The merged operations for rows up to `snapshot`, oldest first, skipping records held by
    /// an unresolved conflict (they wait for the user) and records whose every row the server
    /// refused. One query reads the pending rows in the order they were saved, straight from
    /// the outbox table, each with its record's ETag (a delete: the ETag it deletes; a create:
    /// also the record's fields) and its unsettled send; the rows of one record are merged
    /// here, and a record uploads in the place of its first row the server did not refuse.
    pub fn pending_ops(&self, snapshot: i64) -> Result<Vec<PendingOp>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT o.entity, o.record_id, o.seq, o.op, o.changes, o.idempotency_key,
                        CASE WHEN o.op = 'delete' THEN o.base_etag ELSE r.etag END,
                        CASE WHEN o.op = 'create' THEN r.fields END,
                        s.op, s.fields, s.base_etag, s.idempotency_key, s.upto_seq,
                        o.last_error IS NULL
                 FROM outbox o
                 LEFT JOIN records r ON r.entity = o.entity AND r.id = o.record_id
                 LEFT JOIN outbox_sent s ON s.entity = o.entity AND s.record_id = o.record_id
                 WHERE o.seq <= ?1
                 AND NOT EXISTS (SELECT 1 FROM conflicts c WHERE c.entity = o.entity AND c.record_id = o.record_id AND c.resolved_at IS NULL)
                 ORDER BY o.seq",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([snapshot]).map_err(|e| self.err(e))?;
        let mut merged = Merged::default();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            merged.add(row).map_err(|e| self.err(e))?;
        }
        Ok(merged.into_ops())
    }

    /// Rewrites `op` so the next upload sends `fields` against `etag` (Device Wins), or as a
    /// create when `etag` is `None` (the server deleted the record).
    pub fn retarget_op(
        &mut self,
        op: &PendingOp,
        fields: &Fields,
        etag: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            delete_rows(tx, &op.seqs)?;
            sent::forget(tx, &op.entity, &op.id)?;
            let local = records::read(tx, &op.entity, &op.id)?;
            let mut local_fields = local.map(|l| l.fields).unwrap_or_default();
            let changes: BTreeMap<String, (String, String)> = fields
                .iter()
                .map(|(f, v)| (f.clone(), (String::new(), v.clone())))
                .collect();
            for (f, v) in fields {
                local_fields.insert(f.clone(), v.clone());
            }
            let op_name = if etag.is_some() { "update" } else { "create" };
            // The rewritten row must upload before any edit saved after it: keep its place by
            // reusing the smallest sequence number of the rows it replaces.
            let seq = insert(tx, &op.entity, &op.id, op_name, &changes, etag, now)?;
            if let Some(first) = op.seqs.first() {
                tx.execute(
                    "UPDATE outbox SET seq = ?1 WHERE seq = ?2",
                    params![first, seq],
                )?;
            }
            records::upsert(tx, &op.entity, &op.id, etag, &local_fields)?;
            Ok(())
        })
    }
}

impl Store {
    /// The newest pending value of one field, if an outbox row carries it.
    pub fn pending_value(&self, entity: &str, id: &str, field: &str) -> Result<Option<String>> {
        let rows = rows_for(self.conn(), entity, id).map_err(|e| self.err(e))?;
        Ok(rows
            .iter()
            .rev()
            .find_map(|r| r.changes.get(field).map(|(_, new)| new.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use rusqlite::StatementStatus;

    /// The settle of an upload looks up each record's outbox rows inside its transaction: the
    /// cached statement is used again as it is, never parsed again (the connection's query
    /// planner stability guarantee, see `Store::configure`), and the rows come in the order
    /// they were saved.
    #[test]
    fn a_records_rows_come_in_order_from_a_statement_prepared_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("device.db")).unwrap();
        let ids: Vec<String> = (0..50).map(|i| format!("c{i}")).collect();
        let (entity, now) = ("contact", Utc::now());
        store
            .write(|tx| {
                for round in 0..3 {
                    for id in &ids {
                        let changes = [("city".to_string(), (String::new(), format!("{round}")))];
                        insert(tx, entity, id, "update", &changes.into(), None, now)?;
                    }
                }
                Ok(())
            })
            .unwrap();
        let reprepared = store
            .write(|tx| {
                for id in &ids {
                    let rows = rows_for(tx, entity, id)?;
                    let cities: Vec<&str> =
                        rows.iter().map(|r| r.changes["city"].1.as_str()).collect();
                    assert_eq!(cities, ["0", "1", "2"], "{id}");
                    assert!(rows.windows(2).all(|w| w[0].seq < w[1].seq));
                }
                Ok(tx
                    .prepare_cached(ROWS_FOR)?
                    .get_status(StatementStatus::RePrepare))
            })
            .unwrap();
        assert_eq!(reprepared, 0, "the statement was parsed again");
    }

    /// A record uploads in the place of its first row the server did not refuse, with all its
    /// rows; a record whose every row was refused waits.
    #[test]
    fn pending_records_come_in_the_order_of_their_first_row_not_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("device.db")).unwrap();
        let now = Utc::now();
        let change = |v: &str| [("city".to_string(), (String::new(), v.to_string()))].into();
        let snapshot = store
            .write(|tx| {
                let a1 = insert(tx, "contact", "a", "update", &change("a1"), None, now)?;
                insert(tx, "contact", "b", "update", &change("b1"), None, now)?;
                insert(tx, "contact", "a", "update", &change("a2"), None, now)?;
                let c1 = insert(tx, "contact", "c", "update", &change("c1"), None, now)?;
                for seq in [a1, c1] {
                    tx.execute(
                        "UPDATE outbox SET last_error = 'refused' WHERE seq = ?1",
                        [seq],
                    )?;
                }
                Ok(c1)
            })
            .unwrap();
        let ops = store.pending_ops(snapshot).unwrap();
        let summary: Vec<(&str, usize, &str)> = ops
            .iter()
            .map(|op| (op.id.as_str(), op.seqs.len(), op.fields["city"].as_str()))
            .collect();
        assert_eq!(summary, [("b", 1, "b1"), ("a", 2, "a2")]);
        assert!(ops[1].seqs.windows(2).all(|w| w[0] < w[1]));
    }
}
