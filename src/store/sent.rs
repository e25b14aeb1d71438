//! What the last upload of each pending record sent, kept until its answer is settled. When an
//! answer is lost (the server committed, the device never heard), the next sync sends exactly
//! the same operation again — same body, same base ETag, same idempotency key — so the server
//! can recognize the replay (a create) and the device can recognize its own write (a `412`
//! whose current version is what was sent). Edits saved after that send follow as updates.

use rusqlite::{Transaction, params};

use super::outbox::{PendingKind, PendingOp};
use super::{Result, Store, to_json};
use crate::wire::Fields;

/// One unsettled send of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sent {
    pub kind: PendingKind,
    pub fields: Fields,
    pub base_etag: Option<String>,
    /// The newest outbox row the send carried: rows after it were saved later.
    pub upto_seq: i64,
}

/// The record's send is settled (acknowledged, a conflict decided, refused, or resolved by the
/// user): nothing of it is replayed.
pub(crate) fn forget(tx: &Transaction, entity: &str, id: &str) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM outbox_sent WHERE entity = ?1 AND record_id = ?2")?
        .execute(params![entity, id])?;
    Ok(())
}

impl Store {
    /// Remembers what is about to be sent for each of `ops`, in one transaction, before the
    /// request leaves: an answer lost after this point is recognized by the next sync.
    pub fn record_sent(&mut self, ops: &[PendingOp]) -> Result<()> {
        if ops.is_empty() {
            return Ok(());
        }
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO outbox_sent (entity, record_id, op, fields, base_etag, idempotency_key, upto_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (entity, record_id) DO UPDATE SET op = excluded.op, fields = excluded.fields,
                     base_etag = excluded.base_etag, idempotency_key = excluded.idempotency_key,
                     upto_seq = excluded.upto_seq",
            )?;
            for op in ops {
                let (name, key) = match &op.kind {
                    PendingKind::Create { idempotency_key } => ("create", idempotency_key.as_str()),
                    PendingKind::Update => ("update", ""),
                    // A delete is the same request however often it is sent, and a retry that
                    // finds the record gone is a success: nothing to remember but what an
                    // earlier update sent (kept, for recognizing its own write in a `412`).
                    PendingKind::Delete => continue,
                };
                let upto = op.seqs.iter().copied().max().unwrap_or(0);
                stmt.execute(params![
                    op.entity,
                    op.id,
                    name,
                    to_json(&op.fields),
                    op.base_etag,
                    key,
                    upto
                ])?;
            }
            Ok(())
        })
    }
}
