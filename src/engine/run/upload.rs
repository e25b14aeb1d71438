//! The Upload phase: the outbox, merged per record, sent 100 operations per batch; each answer
//! settled — acknowledged, or a conflict decided by the entity's On Conflict strategy.

use super::*;
use crate::project::Entity;

impl SyncRun {
    pub(super) async fn upload(&mut self) -> Result<(), Stop> {
        self.enter_entity_phase(Phase::Upload).await?;
        let snapshot = self.store.outbox_snapshot()?;
        self.snapshot = Some(snapshot);
        self.count(Phase::Upload, Wake::Now, 0, Some(0));
        let project = self
            .store
            .project()?
            .ok_or_else(|| Stop::Local("no project on this device".into()))?;
        // An empty outbox uploads nothing: no checkpointer thread for it (a no-op sync).
        if snapshot == 0 {
            return Ok(());
        }
        let checkpointer = self.store.start_checkpointer().ok();
        let result = self.upload_rounds(&project, snapshot).await;
        let ended = self.store.end_checkpointer(checkpointer);
        result?;
        Ok(ended?)
    }

    async fn upload_rounds(&mut self, project: &Project, snapshot: i64) -> Result<(), Stop> {
        let mut done = 0u64;
        let mut tally = Tally::default();
        for _round in 0..MAX_UPLOAD_ROUNDS {
            let ops = self.store.pending_ops(snapshot)?;
            if ops.is_empty() {
                break;
            }
            let total = done + ops.len() as u64;
            for op in &ops {
                let item = tally.entry(project, &op.entity);
                item.total = item.total.map(|t| t + 1);
            }
            // The snapshot is taken: edits saved from now on are "during this sync".
            self.count_upload(Wake::Now, done, total, &tally);
            let mut retargeted = false;
            // Remembered before anything leaves: an answer lost from here on is recognized.
            self.store.record_sent(&ops)?;
            let batches: Vec<Vec<BatchOperation>> = ops
                .chunks(MAX_BATCH_OPERATIONS)
                .map(|chunk| chunk.iter().map(to_operation).collect())
                .collect();
            let mut ahead: Option<Ahead<BatchResponse>> = None;
            let mut counted = tokio::time::Instant::now();
            for (i, chunk) in ops.chunks(MAX_BATCH_OPERATIONS).enumerate() {
                let first = match ahead.take() {
                    Some(ahead) => ahead.outcome().await,
                    None => None,
                };
                let operations = &batches[i];
                let response = self
                    .call_from("upload", first, |r| {
                        let operations = operations.clone();
                        async move { r.batch(operations).await }
                    })
                    .await?;
                // Send the next batch now: the server runs it while this one is settled here.
                // Each record is in one operation of the round, so no batch depends on how an
                // earlier one is settled; a batch sent but never settled (the sync stopped) is
                // recognized as our own write when the next sync sends it again.
                if let Some(next) = batches.get(i + 1)
                    && self.check().is_ok()
                {
                    let (remote, next) = (self.remote.clone(), next.clone());
                    ahead = Some(Ahead::send(async move { remote.batch(next).await }).await);
                }
                if response.results.len() != chunk.len() {
                    return Err(Stop::Remote(RemoteError::Broken(format!(
                        "{} results for {} operations",
                        response.results.len(),
                        chunk.len()
                    ))));
                }
                // Acknowledged operations are settled together, one transaction for a run of
                // them; anything else is settled on its own, in order, after the run before it.
                let mut acknowledged: Vec<(&PendingOp, Record)> = Vec::new();
                for (op, result) in chunk.iter().zip(response.results) {
                    let entity = project.entity(&op.entity);
                    match self.acknowledged(entity, op, result) {
                        Answer::Took(record) => {
                            // A replayed send is done; the edits saved after it go next round.
                            retargeted |= op.whole.is_some();
                            acknowledged.push((op, record));
                        }
                        Answer::Gone(status) => {
                            self.complete(std::mem::take(&mut acknowledged), snapshot)?;
                            self.store.complete_delete(op, status, self.now())?;
                        }
                        Answer::Other(result) => {
                            self.complete(std::mem::take(&mut acknowledged), snapshot)?;
                            retargeted |=
                                self.settle(op.whole(), *result, entity, snapshot).await?;
                        }
                    }
                }
                self.complete(acknowledged, snapshot)?;
                done += chunk.len() as u64;
                for op in chunk {
                    tally.entry(project, &op.entity).done += 1;
                }
                self.count_upload(Wake::step(done, total), done, total, &tally);
                // Counting what is pending scans the outbox: a few times a second is enough
                // for the status, and once more when the round is done.
                if counted.elapsed() >= RECOUNT_EVERY || i + 1 == batches.len() {
                    self.refresh_counts();
                    counted = tokio::time::Instant::now();
                }
                self.step_aside().await;
            }
            if !retargeted {
                break;
            }
        }
        Ok(())
    }

    /// The server's version of an operation it took: its answer to a `200`/`201`, or the
    /// current version in a `412` when that is our own earlier write whose answer was lost.
    /// Any other result comes back to be settled by [`SyncRun::settle`]. `entity`: the op's, in
    /// the project this sync read once.
    fn acknowledged(&self, entity: Option<&Entity>, op: &PendingOp, result: BatchResult) -> Answer {
        match result {
            // Deleted, or gone already: a retried delete whose first answer was lost finds
            // nothing to delete, which is what it asked for.
            BatchResult {
                status: status @ (200 | 204 | 404 | 410),
                ..
            } if op.kind == PendingKind::Delete => Answer::Gone(status),
            BatchResult {
                status: 200 | 201,
                record: Some(record),
                ..
            } => Answer::Took(record),
            BatchResult {
                status: 412,
                problem: Some(ref problem),
                ..
            } if op.kind != PendingKind::Delete
                && problem
                    .current
                    .as_ref()
                    .is_some_and(|c| is_own_write(&self.job.user, entity, op, c)) =>
            {
                Answer::Took(problem.current.clone().expect("checked"))
            }
            other => Answer::Other(Box::new(other)),
        }
    }

    /// Settles acknowledged operations in one transaction and announces the edits it overwrote.
    fn complete(&mut self, done: Vec<(&PendingOp, Record)>, snapshot: i64) -> Result<(), Stop> {
        let policy = rules::concurrent_edit(self.job.behavior);
        let lost = self
            .store
            .complete_ops(&done, snapshot, policy, self.now())?;
        self.announce(lost);
        Ok(())
    }

    /// Settles the result of an operation the server did not take (see [`SyncRun::acknowledged`]);
    /// true when it must be uploaded again (Device Wins).
    async fn settle(
        &mut self,
        op: &PendingOp,
        result: BatchResult,
        entity: Option<&Entity>,
        snapshot: i64,
    ) -> Result<bool, Stop> {
        let strategy = entity.map(|e| e.on_conflict).unwrap_or_default();
        let now = self.now();
        let policy = rules::concurrent_edit(self.job.behavior);
        let current = result.problem.as_ref().and_then(|p| p.current.clone());
        match (result.status, result.record) {
            (412, _) if op.kind == PendingKind::Delete && current.is_some() => {
                let server = current.expect("checked");
                self.settle_delete(op, &server, entity, strategy)
            }
            (412, _) | (404, _) if matches!(op.kind, PendingKind::Update) => {
                let server = if result.status == 412 { current } else { None };
                let device = self
                    .store
                    .record(&op.entity, &op.id)?
                    .map(|r| r.fields)
                    .unwrap_or_default();
                let resolution =
                    rules::resolve_conflict(strategy, &op.fields, &device, server.is_none());
                self.journal_entry(
                    JournalEntry::event(now, JournalKind::Conflict, "sync", resolution.to_string())
                        .with_data(JournalData::Resolved(Resolved::Strategy(
                            resolution.clone(),
                        )))
                        .about(&op.entity, &op.id),
                );
                match resolution {
                    ConflictResolution::TakeServer { .. }
                    | ConflictResolution::DeleteLocally { .. } => {
                        let lost =
                            self.store
                                .discard_op(op, server.as_ref(), snapshot, policy, now)?;
                        self.announce(lost);
                        Ok(false)
                    }
                    ConflictResolution::UploadChangedFields { fields }
                    | ConflictResolution::UploadWholeRecord { fields } => {
                        let etag = server.as_ref().map(|s| s.etag.clone());
                        self.store.retarget_op(op, &fields, etag.as_deref(), now)?;
                        Ok(true)
                    }
                    ConflictResolution::Recreate { fields } => {
                        self.store.retarget_op(op, &fields, None, now)?;
                        Ok(true)
                    }
                    ConflictResolution::KeepForUser => {
                        let kind = if server.is_some() {
                            ConflictKind::ChangedOnBoth
                        } else {
                            ConflictKind::DeletedOnServer
                        };
                        self.store.keep_conflict(op, kind, server.as_ref(), now)?;
                        self.flags.data_errors = true;
                        Ok(false)
                    }
                }
            }
            (status, _) => {
                let detail = result
                    .problem
                    .map(|p| p.detail)
                    .unwrap_or_else(|| "no detail".into());
                let error = format!(
                    "the server refused {} {} ({status}): {detail}",
                    op.entity, op.id
                );
                // The server's version beside the device's, for the user's choice; a create
                // the server refused has none.
                let server = match op.kind {
                    PendingKind::Update | PendingKind::Delete => {
                        self.remote.record(&op.entity, &op.id).await.ok().flatten()
                    }
                    PendingKind::Create { .. } => None,
                };
                self.store.refuse_op(op, &error, server.as_ref(), now)?;
                self.flags.data_errors = true;
                self.journal(error, JournalData::UploadRefused { status });
                Ok(false)
            }
        }
    }

    /// A device delete met a server edit (`412`): our own earlier update whose answer was lost
    /// (the delete goes again against it), or another's edit, decided by the On Conflict
    /// strategy. True when the delete must be sent again.
    fn settle_delete(
        &mut self,
        op: &PendingOp,
        server: &Record,
        entity: Option<&Entity>,
        strategy: crate::settings::ConflictStrategy,
    ) -> Result<bool, Stop> {
        let now = self.now();
        // The delete knows what an unsettled update of the record sent (empty: none).
        if !op.fields.is_empty() && is_own_write(&self.job.user, entity, op, server) {
            self.store.retarget_delete(op, &server.etag)?;
            return Ok(true);
        }
        let decision = rules::resolve_delete_conflict(strategy);
        self.journal_entry(
            JournalEntry::event(now, JournalKind::Conflict, "sync", decision.to_string())
                .with_data(JournalData::Resolved(Resolved::DeleteStrategy(decision)))
                .about(&op.entity, &op.id),
        );
        match decision {
            DeleteConflict::RestoreServer => {
                let discarded = self.store.discard_delete(op, server, now)?;
                self.announce(vec![discarded]);
                Ok(false)
            }
            DeleteConflict::DeleteOnServer => {
                self.store.retarget_delete(op, &server.etag)?;
                Ok(true)
            }
            DeleteConflict::KeepForUser => {
                self.store
                    .keep_conflict(op, ConflictKind::DeletedOnDevice, Some(server), now)?;
                self.flags.data_errors = true;
                Ok(false)
            }
        }
    }
}

/// A `412` whose current version is exactly what we sent, written by `user` (us): the answer to
/// an earlier attempt was lost after the server committed it. `entity`: the op's, in the
/// project the sync read once (not once per `412`).
fn is_own_write(user: &str, entity: Option<&Entity>, op: &PendingOp, current: &Record) -> bool {
    // A replayed write may not match the fields the server rewrites.
    let rewritten = |f: &str| {
        crate::project::computed_by_server(f)
            || entity
                .and_then(|e| e.field(f))
                .is_some_and(|f| f.rewritten_by_server())
    };
    current.modified_by == user
        && op
            .fields
            .iter()
            .all(|(f, v)| current.fields.get(f) == Some(v) || rewritten(f))
}

/// What the server did with an uploaded operation (see [`SyncRun::acknowledged`]).
enum Answer {
    /// Took it: its version of the record.
    Took(Record),
    /// A delete the server did, or found done already: the status it answered.
    Gone(u16),
    /// Anything else, to be settled by [`SyncRun::settle`].
    Other(Box<BatchResult>),
}

fn to_operation(op: &PendingOp) -> BatchOperation {
    match &op.kind {
        PendingKind::Create { idempotency_key } => BatchOperation::Create {
            entity: op.entity.clone(),
            id: op.id.clone(),
            idempotency_key: idempotency_key.clone(),
            fields: op.fields.clone(),
        },
        PendingKind::Delete => BatchOperation::Delete {
            entity: op.entity.clone(),
            id: op.id.clone(),
            if_match: op.base_etag.clone(),
        },
        PendingKind::Update => BatchOperation::Update {
            entity: op.entity.clone(),
            id: op.id.clone(),
            if_match: op.base_etag.clone(),
            fields: op.fields.clone(),
        },
    }
}
