//! The Download phase (paged delta per entity, applied in bounded transactions with its
//! position) and the non-blocking file phases.

use super::*;
use crate::engine::progress::ItemProgress;
use crate::store::Checkpointer;

impl SyncRun {
    pub(super) async fn download(&mut self) -> Result<(), Stop> {
        self.enter_entity_phase(Phase::Download).await?;
        let snapshot = match self.snapshot {
            Some(s) => s,
            None => self.store.outbox_snapshot()?,
        };
        let policy = rules::concurrent_edit(self.job.behavior);
        let project = self
            .store
            .project()?
            .ok_or_else(|| Stop::Local("no project on this device".into()))?;
        // The WAL is checkpointed beside the download (see `Store::start_checkpointer`) from the
        // first page that brings something; with no thread to be had, the download checkpoints
        // on its own as before.
        let mut checkpointer = None;
        let result = self
            .download_entities(&project, snapshot, policy, &mut checkpointer)
            .await;
        let ended = self.store.end_checkpointer(checkpointer.flatten());
        result?;
        ended?;
        self.refresh_counts();
        Ok(())
    }

    async fn download_entities(
        &mut self,
        project: &Project,
        snapshot: i64,
        policy: rules::ConcurrentEdit,
        checkpointer: &mut Option<Option<Checkpointer>>,
    ) -> Result<(), Stop> {
        let mut done = 0u64;
        for (index, (entity, label)) in project
            .entities
            .iter()
            .map(|e| (e.name.clone(), &e.label))
            .enumerate()
        {
            let mut item = ItemProgress {
                label: label.clone(),
                done: 0,
                total: None,
            };
            self.count_item(Wake::Now, done, index, &item);
            let mut restarted = false;
            let position = self.store.delta_position(&entity)?;
            // A download resumed from a cursor ends at the window its first page fixed, before
            // this sync started: then one more delta, from that window's token, brings what the
            // server committed since.
            let mut resumed = position.cursor.is_some();
            let (mut since, mut cursor) = (position.token, position.cursor);
            let mut ahead: Option<Ahead<DownloadPage>> = None;
            loop {
                let limit = self.ctx.page_limit;
                let first = match ahead.take() {
                    Some(ahead) => ahead.outcome().await,
                    None => None,
                };

                let page = self
                    .call_from("download", first, |r| {
                        let (entity, since, cursor) =
                            (entity.clone(), since.clone(), cursor.clone());
                        async move {
                            r.download_page(&entity, since.as_deref(), cursor.as_deref(), limit)
                                .await
                        }
                    })
                    .await;
                let page = match page {
                    Err(Stop::Remote(RemoteError::Gone)) if !restarted => {
                        restarted = true;
                        // The full download counts from its own first page.
                        (item.done, item.total) = (0, None);
                        self.journal(
                            format!("{entity}: {}", RemoteError::Gone),
                            JournalData::Reconcile(ReconcileStep::Restarted {
                                entity: entity.clone(),
                            }),
                        );
                        self.store.start_full_download(&entity)?;
                        (since, cursor, resumed) = (None, None, false);
                        continue;
                    }
                    other => other?,
                };
                // A first page tells how many changes its download holds: what is done of
                // this entity so far plus those (one more delta after a resumed download).
                if let (None, Some(total)) = (&cursor, page.total) {
                    item.total = Some(item.done + total);
                    self.count_item(Wake::Now, done, index, &item);
                }
                let end = match (&page.next, &page.delta_token) {
                    (Some(next), _) => PageEnd::Next(next.clone()),
                    (None, Some(token)) => PageEnd::Complete(token.clone()),
                    (None, None) => {
                        return Err(Stop::Remote(RemoteError::Broken(
                            "a last page without a delta token".into(),
                        )));
                    }
                };
                // Ask for the next page now: the server reads it, and the answer is parsed,
                // while this one is written to the database.
                if let Some(next) = &page.next
                    && self.check().is_ok()
                {
                    let (remote, entity, next) =
                        (self.remote.clone(), entity.clone(), next.clone());
                    ahead = Some(
                        Ahead::send(async move {
                            remote
                                .download_page(&entity, None, Some(&next), limit)
                                .await
                        })
                        .await,
                    );
                }
                if checkpointer.is_none() && !(page.records.is_empty() && page.deleted.is_empty()) {
                    *checkpointer = Some(self.store.start_checkpointer().ok());
                }
                let chunks: Vec<&[PageRecord]> = if page.records.is_empty() {
                    vec![&[]]
                } else {
                    page.records.chunks(APPLY_CHUNK).collect()
                };
                let last = chunks.len() - 1;
                for (i, chunk) in chunks.into_iter().enumerate() {
                    let (deleted, chunk_end) = if i == last {
                        (page.deleted.as_slice(), end.clone())
                    } else {
                        (&[][..], PageEnd::Partial)
                    };
                    let report = self.store.apply_chunk(
                        &entity,
                        chunk,
                        deleted,
                        &chunk_end,
                        snapshot,
                        policy,
                        self.now(),
                    )?;
                    self.announce(report.overwritten);
                    if let Some(removed) = report.reconciled {
                        self.journal(
                            format!(
                                "{entity}: removed {removed} record(s) the server deleted while our delta token expired"
                            ),
                            JournalData::Reconcile(ReconcileStep::Removed {
                                entity: entity.clone(),
                                removed,
                            }),
                        );
                    }
                    let changes = (chunk.len() + deleted.len()) as u64;
                    done += changes;
                    item.done += changes;
                    self.count_item(Wake::WhenDue, done, index, &item);
                    // Let a waiting save take the write lock between chunks.
                    self.step_aside().await;
                }
                match (page.next, page.delta_token) {
                    (Some(next), _) => cursor = Some(next),
                    (None, Some(token)) if resumed => {
                        (since, cursor, resumed) = (Some(token), None, false);
                    }
                    (None, _) => break,
                }
            }
            self.count_item(Wake::Now, done, index, &item);
        }
        Ok(())
    }

    pub(super) async fn files(&mut self, phase: Phase, kind: FileKind) -> Result<(), Stop> {
        self.set_phase(phase);
        let since = self.store.file_token(kind.as_str())?;
        let list = self
            .call("file list", |r| {
                let since = since.clone();
                async move { r.files(kind, since.as_deref()).await }
            })
            .await?;
        let total = list.files.len() as u64;
        self.count(phase, Wake::Now, 0, Some(total));
        for (i, file) in list.files.iter().enumerate() {
            if !self.store.has_file(kind.as_str(), &file.id, &file.etag)? {
                let id = file.id.clone();
                let bytes = self
                    .call("file download", |r| {
                        let id = id.clone();
                        async move { r.file(kind, &id).await }
                    })
                    .await?;
                self.store
                    .save_file(kind.as_str(), &file.id, &file.name, &file.etag, &bytes)?;
            }
            let done = i as u64 + 1;
            self.count(phase, Wake::step(done, total), done, Some(total));
        }
        // An unchanged token needs no write (a no-op sync).
        if since.as_deref() != Some(list.delta_token.as_str()) {
            self.store
                .set_file_token(kind.as_str(), &list.delta_token)?;
        }
        Ok(())
    }
}
