//! The invariants every sync must keep, checked by `autosync soak` and shared with the
//! reliability tests: device equals server, no download position ahead of its data, and a sync
//! run to its end.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use tokio::sync::broadcast::error::RecvError;

use crate::engine::{Command, EngineEvent, EngineHandle};
use crate::remote::{Remote, RemoteError};
use crate::rules::{SyncActivity, Trigger};
use crate::store::{LocalRecord, Store, StoreError};
use crate::wire::{FileKind, Record};

/// Every live record of `entity` on the server, by id (a full download, without `since`).
pub async fn server_records(
    remote: &Remote,
    entity: &str,
) -> Result<BTreeMap<String, Record>, RemoteError> {
    let mut out = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = remote.page(entity, None, cursor.as_deref(), 5000).await?;
        for record in page.records {
            out.insert(record.id.clone(), record);
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(out),
        }
    }
}

/// Every record of `entity` on the device, by id.
pub fn device_records(
    store: &Store,
    entity: &str,
) -> Result<BTreeMap<String, LocalRecord>, StoreError> {
    let primary = store
        .project()?
        .and_then(|p| p.entity(entity).map(|e| e.primary_field.clone()))
        .unwrap_or_else(|| "name".into());
    Ok(store
        .list(entity, &primary, "", usize::MAX >> 1, 0)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect())
}

/// Records of the device that a download may not overwrite yet: pending, refused or held by
/// an unresolved conflict.
pub fn unsettled_ids(store: &Store) -> Result<BTreeSet<(String, String)>, StoreError> {
    let mut ids: BTreeSet<(String, String)> = store
        .pending_ops(i64::MAX)?
        .into_iter()
        .map(|op| (op.entity, op.id))
        .collect();
    ids.extend(
        store
            .rejected_ops()?
            .into_iter()
            .map(|(entity, id, _)| (entity, id)),
    );
    ids.extend(
        store
            .unresolved_conflicts()?
            .into_iter()
            .map(|c| (c.entity, c.record_id)),
    );
    Ok(ids)
}

/// How the device's records of `entity` differ from the server's (ETag and fields), one line
/// per record; empty when they are equal.
pub fn differences(
    entity: &str,
    device: &BTreeMap<String, LocalRecord>,
    server: &BTreeMap<String, Record>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (id, s) in server {
        match device.get(id) {
            None => out.push(format!("{entity} {id}: on the server, not on the device")),
            Some(d) if d.etag.as_deref() != Some(s.etag.as_str()) => out.push(format!(
                "{entity} {id}: device has version {:?}, server {}",
                d.etag, s.etag
            )),
            Some(d) if d.fields != s.fields => out.push(format!(
                "{entity} {id}: device fields {:?} differ from the server's {:?}",
                d.fields, s.fields
            )),
            Some(_) => {}
        }
    }
    for id in device.keys().filter(|id| !server.contains_key(*id)) {
        out.push(format!("{entity} {id}: on the device, not on the server"));
    }
    out
}

/// Checks that no download position of the device is ahead of the data it stands for: the
/// device's records, with the rest of an interrupted download (from its cursor) and every change
/// after its delta token laid over them, must be exactly the server's. A position *behind* its
/// data is harmless (the changes are downloaded again) and passes. Records the device may not
/// overwrite yet (pending, refused, in conflict) are left out. Files: every file the server
/// has is on the device or listed after the device's file token.
///
/// Takes the profile's path: the database is read before and after the server is asked, never
/// held across a request (a connection is not `Sync`).
pub async fn check_positions(profile: &Path, remote: &Remote) -> Result<(), String> {
    type View = BTreeMap<String, Option<String>>;
    let local = |e: StoreError| e.to_string();
    let (unsettled, entities, file_tokens) = {
        let store = Store::open(profile).map_err(local)?;
        let project = store
            .project()
            .map_err(local)?
            .ok_or("the device has no project yet")?;
        let mut entities: Vec<(String, crate::store::DeltaPosition, View)> = Vec::new();
        for entity in project.entities.iter().map(|e| e.name.clone()) {
            let position = store.delta_position(&entity).map_err(local)?;
            let view: View = device_records(&store, &entity)
                .map_err(local)?
                .into_iter()
                .map(|(id, r)| (id, r.etag))
                .collect();
            entities.push((entity, position, view));
        }
        let mut file_tokens = Vec::new();
        for kind in [FileKind::Attachments, FileKind::Documents, FileKind::Emails] {
            if let Some(token) = store.file_token(kind.as_str()).map_err(local)? {
                file_tokens.push((kind, token));
            }
        }
        (unsettled_ids(&store).map_err(local)?, entities, file_tokens)
    };
    let mut problems = Vec::new();
    for (entity, position, mut view) in entities {
        if position.token.is_none() && position.cursor.is_none() {
            continue;
        }
        let mut overlay = |page: crate::wire::EntityPage| {
            for r in page.records {
                view.insert(r.id, Some(r.etag));
            }
            for id in page.deleted {
                view.remove(&id);
            }
            (page.next, page.delta_token)
        };
        let fail = |e: RemoteError| format!("{entity}: {e}");
        let mut since = position.token.clone();
        let mut cursor = position.cursor.clone();
        // The rest of a download in progress, then everything after the token it ends with.
        while let Some(c) = cursor.take() {
            let page = remote
                .page(&entity, None, Some(&c), 5000)
                .await
                .map_err(fail)?;
            let (next, token) = overlay(page);
            cursor = next;
            if token.is_some() {
                since = token;
            }
        }
        let mut next_cursor: Option<String> = None;
        loop {
            let page = remote
                .page(&entity, since.as_deref(), next_cursor.as_deref(), 5000)
                .await
                .map_err(fail)?;
            let (next, _) = overlay(page);
            match next {
                Some(n) => next_cursor = Some(n),
                None => break,
            }
        }
        let server = server_records(remote, &entity).await.map_err(fail)?;
        let skip = |id: &str| unsettled.contains(&(entity.clone(), id.to_string()));
        for (id, record) in &server {
            if skip(id) {
                continue;
            }
            match view.get(id) {
                Some(Some(etag)) if *etag == record.etag => {}
                other => problems.push(format!(
                    "{entity} {id}: the server has {} but the device, caught up from its position {position:?}, has {other:?}",
                    record.etag
                )),
            }
        }
        for id in view
            .keys()
            .filter(|id| !server.contains_key(*id) && !skip(id))
        {
            problems.push(format!(
                "{entity} {id}: deleted on the server, still on the device after catching up"
            ));
        }
    }
    let mut listed = Vec::new();
    for (kind, token) in file_tokens {
        let after: BTreeSet<String> = remote
            .files(kind, Some(&token))
            .await
            .map_err(|e| e.to_string())?
            .files
            .into_iter()
            .map(|f| f.id)
            .collect();
        let all = remote.files(kind, None).await.map_err(|e| e.to_string())?;
        listed.push((kind, after, all.files));
    }
    let store = Store::open(profile).map_err(local)?;
    for (kind, after, files) in listed {
        for file in files {
            let here = store
                .has_file(kind.as_str(), &file.id, &file.etag)
                .map_err(local)?;
            if !here && !after.contains(&file.id) {
                problems.push(format!(
                    "{} {}: the file token is ahead of the files on the device",
                    kind.as_str(),
                    file.id
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Sends a manual sync once the engine is idle and returns how it ended.
pub async fn sync_once(engine: &EngineHandle) -> crate::store::LastSync {
    engine.wait_for(|s| s.activity == SyncActivity::Idle).await;
    let mut events = engine.subscribe();
    engine.send(Command::Trigger(Trigger::Manual));
    loop {
        match events.recv().await {
            Ok(EngineEvent::Finished(last)) => {
                engine.wait_for(|s| s.activity == SyncActivity::Idle).await;
                return last;
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => {
                let now = chrono::Utc::now();
                return crate::store::LastSync {
                    started: now,
                    ended: now,
                    mode: crate::rules::SyncMode::Foreground,
                    trigger: Trigger::Manual,
                    flags: Default::default(),
                    error: Some("the engine stopped".into()),
                    cause: None,
                };
            }
        }
    }
}
