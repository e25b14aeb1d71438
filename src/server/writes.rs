//! The write path: creates, updates and deletes with their preconditions (ETags, idempotency
//! keys), the business logic, and the business-logic delay. The single-record endpoints, the
//! batch endpoint and the control API all come through here, so they cannot disagree.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, SubsecRound, Utc};
use rusqlite::{Transaction, params};

use super::logic::{self, LogicError};
use super::problem::ApiError;
use super::store::{self, Row, SeqAllocator};
use crate::project::{Entity, Project};
use crate::wire::{BatchOperation, Fields, Record};

/// One write, as the endpoints describe it.
#[derive(Debug, Clone)]
pub enum Op {
    Create {
        entity: String,
        id: String,
        /// `None` only for the control API, which needs no replay protection.
        idempotency_key: Option<String>,
        fields: Fields,
    },
    Update {
        entity: String,
        id: String,
        if_match: Option<String>,
        fields: Fields,
    },
    Delete {
        entity: String,
        id: String,
        if_match: Option<String>,
    },
}

impl From<BatchOperation> for Op {
    fn from(op: BatchOperation) -> Op {
        match op {
            BatchOperation::Create {
                entity,
                id,
                idempotency_key,
                fields,
            } => Op::Create {
                entity,
                id,
                idempotency_key: Some(idempotency_key),
                fields,
            },
            BatchOperation::Update {
                entity,
                id,
                if_match,
                fields,
            } => Op::Update {
                entity,
                id,
                if_match,
                fields,
            },
            BatchOperation::Delete {
                entity,
                id,
                if_match,
            } => Op::Delete {
                entity,
                id,
                if_match,
            },
        }
    }
}

impl Op {
    pub fn entity(&self) -> &str {
        match self {
            Op::Create { entity, .. } | Op::Update { entity, .. } | Op::Delete { entity, .. } => {
                entity
            }
        }
    }
}

/// The status and record of a write that succeeded (no record for a delete).
pub type Outcome = Result<(StatusCode, Option<Record>), ApiError>;

/// Who writes, when, and against which project.
pub struct Writer<'a> {
    pub user: &'a str,
    pub now: DateTime<Utc>,
    pub project: &'a Project,
    /// Business-logic delay of an entity, if any.
    pub delay: &'a dyn Fn(&str) -> Duration,
}

impl Writer<'_> {
    /// Stored timestamps keep milliseconds; the response must say what a later read will.
    fn stamp(&self) -> DateTime<Utc> {
        self.now.trunc_subsecs(3)
    }

    /// Runs the operations in one transaction, each independently: one failing does not undo
    /// another. The business-logic delay of each entity written to is served once, inside the
    /// transaction, so the request really is held open while its write is in progress.
    pub fn run(&self, tx: &Transaction, ops: Vec<Op>) -> rusqlite::Result<Vec<Outcome>> {
        let mut seqs = SeqAllocator::begin(tx)?;
        let mut written = BTreeSet::new();
        let mut outcomes = Vec::with_capacity(ops.len());
        for op in ops {
            let entity = op.entity().to_string();
            let before = seqs.last();
            let outcome = match self.one(tx, &mut seqs, op) {
                Ok(outcome) => outcome,
                // Database failures abort the whole transaction; everything else is the op's.
                Err(Failure::Db(e)) => return Err(e),
                Err(Failure::Api(problem)) => Err(problem),
            };
            // Only a real write runs the logic; a refusal or an idempotent replay does not.
            if seqs.last() != before {
                written.insert(entity);
            }
            outcomes.push(outcome);
        }
        seqs.finish(tx)?;
        let delay: Duration = written.iter().map(|e| (self.delay)(e)).sum();
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        Ok(outcomes)
    }

    fn one(&self, tx: &Transaction, seqs: &mut SeqAllocator, op: Op) -> Result<Outcome, Failure> {
        let entity = self
            .project
            .entity(op.entity())
            .ok_or_else(|| ApiError::unknown_entity(op.entity()))?;
        match op {
            Op::Create {
                id,
                idempotency_key,
                fields,
                ..
            } => self.create(tx, seqs, entity, &id, idempotency_key.as_deref(), fields),
            Op::Update {
                id,
                if_match,
                fields,
                ..
            } => self.update(tx, seqs, entity, &id, if_match.as_deref(), fields),
            Op::Delete { id, if_match, .. } => {
                self.delete(tx, seqs, entity, &id, if_match.as_deref())
            }
        }
    }

    fn create(
        &self,
        tx: &Transaction,
        seqs: &mut SeqAllocator,
        entity: &Entity,
        id: &str,
        key: Option<&str>,
        mut fields: Fields,
    ) -> Result<Outcome, Failure> {
        check_id(id)?;
        logic::check_names(entity, &fields).map_err(|e| logic_problem(entity, e))?;
        let fingerprint =
            serde_json::to_string(&(&entity.name, id, &fields)).map_err(ApiError::internal)?;
        if let Some(key) = key {
            check_key(key)?;
            if let Some(outcome) = self.replay(tx, key, &fingerprint)? {
                return Ok(outcome);
            }
        }
        if let Some(current) = store::record(tx, &entity.name, id)? {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "already-exists",
                format!("`{}` `{id}` exists already", entity.name),
            )
            .with_entity(&entity.name)
            .with_current(current)
            .into());
        }
        logic::apply(entity, &mut fields, self.user).map_err(|e| logic_problem(entity, e))?;
        let record = self.store(tx, seqs, entity, id, &fields, store::put_row)?;
        if let Some(key) = key {
            let body = serde_json::to_string(&record).map_err(ApiError::internal)?;
            tx.prepare_cached(
                "INSERT INTO idempotency (user, key, fingerprint, status, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![self.user, key, fingerprint, StatusCode::CREATED.as_u16(), body])?;
        }
        Ok(Ok((StatusCode::CREATED, Some(record))))
    }

    /// The stored outcome of an earlier create with this key, or `422` if the key was used for
    /// a different request.
    fn replay(
        &self,
        tx: &Transaction,
        key: &str,
        fingerprint: &str,
    ) -> Result<Option<Outcome>, Failure> {
        let stored: Option<(String, u16, String)> = tx
            .prepare_cached(
                "SELECT fingerprint, status, body FROM idempotency WHERE user = ?1 AND key = ?2",
            )?
            .query_row(params![self.user, key], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        let Some((stored_fingerprint, status, body)) = stored else {
            return Ok(None);
        };
        if stored_fingerprint != fingerprint {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                format!("Idempotency-Key `{key}` was already used for a different request"),
            )
            .with_field("Idempotency-Key")
            .into());
        }
        let record: Record = serde_json::from_str(&body).map_err(ApiError::internal)?;
        let status = StatusCode::from_u16(status).map_err(ApiError::internal)?;
        Ok(Some(Ok((status, Some(record)))))
    }

    fn update(
        &self,
        tx: &Transaction,
        seqs: &mut SeqAllocator,
        entity: &Entity,
        id: &str,
        if_match: Option<&str>,
        changes: Fields,
    ) -> Result<Outcome, Failure> {
        logic::check_names(entity, &changes).map_err(|e| logic_problem(entity, e))?;
        let current = self.precondition(tx, entity, id, if_match)?;
        let mut fields = current.fields;
        fields.extend(changes);
        logic::apply(entity, &mut fields, self.user).map_err(|e| logic_problem(entity, e))?;
        let record = self.store(tx, seqs, entity, id, &fields, store::replace_row)?;
        Ok(Ok((StatusCode::OK, Some(record))))
    }

    fn delete(
        &self,
        tx: &Transaction,
        seqs: &mut SeqAllocator,
        entity: &Entity,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<Outcome, Failure> {
        self.precondition(tx, entity, id, if_match)?;
        let row = Row {
            seq: seqs.take(),
            deleted: true,
            fields: "{}".into(),
            modified_on: store::timestamp(self.stamp()),
            modified_by: self.user.to_string(),
        };
        store::replace_row(tx, &entity.name, id, &row)?;
        Ok(Ok((StatusCode::NO_CONTENT, None)))
    }

    /// `428` without `If-Match`, `404` without a record, `412` when the ETag is stale.
    fn precondition(
        &self,
        tx: &Transaction,
        entity: &Entity,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<Record, Failure> {
        let Some(if_match) = if_match else {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition-required",
                "send the record's ETag in If-Match, so a change made meanwhile is not overwritten",
            )
            .with_field("If-Match")
            .into());
        };
        let Some(current) = store::record(tx, &entity.name, id)? else {
            return Err(ApiError::not_found(format!(
                "`{}` `{id}` does not exist (or was deleted)",
                entity.name
            ))
            .with_entity(&entity.name)
            .into());
        };
        let matches =
            if_match.trim() == "*" || if_match.split(',').any(|tag| tag.trim() == current.etag);
        if !matches {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "stale-etag",
                format!(
                    "`{}` `{id}` has changed since {if_match}; it is {} now",
                    entity.name, current.etag
                ),
            )
            .with_entity(&entity.name)
            .with_current(current)
            .into());
        }
        Ok(current)
    }

    /// Writes `fields` at the next seq with `put`: [`store::put_row`] for a create (there may
    /// be a tombstone), [`store::replace_row`] for a record the precondition found.
    fn store(
        &self,
        tx: &Transaction,
        seqs: &mut SeqAllocator,
        entity: &Entity,
        id: &str,
        fields: &Fields,
        put: fn(&Transaction, &str, &str, &Row) -> rusqlite::Result<()>,
    ) -> Result<Record, Failure> {
        let row = Row {
            seq: seqs.take(),
            deleted: false,
            fields: serde_json::to_string(fields).map_err(ApiError::internal)?,
            modified_on: store::timestamp(self.stamp()),
            modified_by: self.user.to_string(),
        };
        put(tx, &entity.name, id, &row)?;
        Ok(Record {
            id: id.to_string(),
            etag: store::etag(row.seq),
            fields: fields.clone(),
            modified_on: self.stamp(),
            modified_by: self.user.to_string(),
        })
    }
}

/// A failed operation: its own problem, or the database's (which fails the request).
enum Failure {
    Api(ApiError),
    Db(rusqlite::Error),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Api(e)
    }
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Db(e)
    }
}

fn logic_problem(entity: &Entity, err: LogicError) -> ApiError {
    match err {
        LogicError::UnknownField(field) => ApiError::bad_request(
            "unknown-field",
            format!("`{}` has no field `{field}`", entity.name),
        )
        .with_entity(&entity.name)
        .with_field(&field),
        LogicError::Invalid { field, message } => {
            ApiError::bad_request("invalid-field", format!("field `{field}`: {message}"))
                .with_entity(&entity.name)
                .with_field(&field)
        }
    }
}

/// Ids are chosen by clients and appear in URLs, so they are kept to URL-safe characters.
pub fn check_id(id: &str) -> Result<(), ApiError> {
    let ok = (1..=128).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.~:@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid-id",
            format!("id `{id}` must be 1 to 128 letters, digits or - _ . ~ : @"),
        )
        .with_field("id"))
    }
}

fn check_key(key: &str) -> Result<(), ApiError> {
    if (1..=255).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid-idempotency-key",
            "an Idempotency-Key is 1 to 255 visible ASCII characters",
        )
        .with_field("Idempotency-Key"))
    }
}
