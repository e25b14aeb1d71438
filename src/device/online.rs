//! Online mode's save: straight to the server with `If-Match`, journaled like any save.

use chrono::{DateTime, Utc};

use crate::store::{
    Acknowledged, JournalData, JournalEntry, JournalKind, OnlineSaveOutcome, RecordChange, Store,
    StoreError,
};
use crate::wire::Fields;

/// What an online save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnlineSave {
    /// The server stored it (after its business logic); the device has the server's version.
    Saved(crate::wire::Record),
    /// `412`: the record changed on the server since the form read it. Nothing was written.
    Conflict {
        current: Option<crate::wire::Record>,
    },
    /// The server refused or could not be reached; nothing was written.
    Failed(String),
}

/// Online mode's save on a given connection to the profile (the TUI runs it in a task of its
/// own while the `Device` keeps answering keys). Everything it did is journaled.
pub async fn save_online_in(
    store: &mut Store,
    now: DateTime<Utc>,
    entity: &str,
    id: &str,
    values: &Fields,
) -> Result<OnlineSave, StoreError> {
    let Some(local) = store.record(entity, id)? else {
        return Ok(OnlineSave::Failed(format!(
            "{entity} {id} is not on this device"
        )));
    };
    let Some(settings) = store.settings()? else {
        return Ok(OnlineSave::Failed("this profile has no settings".into()));
    };
    let Some(password) = store.password()? else {
        return Ok(OnlineSave::Failed("password is not saved".into()));
    };
    let remote =
        match crate::remote::Remote::new(&settings.server_url, &settings.user_name, &password) {
            Ok(r) => r,
            Err(e) => return Ok(OnlineSave::Failed(e.to_string())),
        };
    let etag = local.etag.clone().unwrap_or_default();
    let outcome = match remote.update(entity, id, &etag, values).await {
        Ok(record) => {
            store.take_server_version(entity, &record)?;
            OnlineSave::Saved(record)
        }
        Err(crate::remote::RemoteError::Rejected { problem }) if problem.status == 412 => {
            OnlineSave::Conflict {
                current: problem.current.clone(),
            }
        }
        Err(e) => OnlineSave::Failed(e.to_string()),
    };
    let actor = settings.user_name.as_str();
    let (detail, data) = match &outcome {
        OnlineSave::Saved(r) => (
            format!("online save: stored on the server as {}", r.etag),
            OnlineSaveOutcome::Saved {
                etag: r.etag.clone(),
            },
        ),
        OnlineSave::Conflict { .. } => (
            "online save: conflict (412): the record changed on the server; nothing was written"
                .to_string(),
            OnlineSaveOutcome::Conflict,
        ),
        OnlineSave::Failed(e) => (
            format!("online save failed: {e}"),
            OnlineSaveOutcome::Failed,
        ),
    };
    let mut entries = vec![
        JournalEntry::event(now, JournalKind::Save, actor, detail)
            .with_data(JournalData::OnlineSave(data))
            .about(entity, id),
    ];
    if let OnlineSave::Saved(record) = &outcome {
        for (field, value) in values
            .iter()
            .filter(|(f, v)| local.fields.get(*f) != Some(*v))
        {
            let old = local.fields.get(field).map(String::as_str);
            entries.push(JournalEntry::user_field(
                RecordChange::Edit,
                now,
                actor,
                entity,
                id,
                field,
                old,
                value,
                "saved online",
            ));
            entries.push(
                JournalEntry::field(
                    now,
                    JournalKind::Uploaded,
                    "online",
                    entity,
                    id,
                    field,
                    None,
                    Some(value),
                    format!("acknowledged as {}", record.etag),
                )
                .with_data(JournalData::Acknowledged(Acknowledged::Value {
                    etag: record.etag.clone(),
                })),
            );
        }
    }
    store.append_journal(&entries)?;
    Ok(outcome)
}
