//! The driver's reads of the device: what a [`Reload`] names, and the records the custom
//! command edits.

use crate::app::{DeviceSettings, EntityCount, LIST_LIMIT, ListPage, Reload, Reloaded};
use crate::device::Device;
use crate::store::Store;

/// Reads what `reload` names.
pub(super) fn reload_view(device: &Device, reload: &Reload) -> Reloaded {
    let store = device.store();
    let mut view = Reloaded::default();
    if reload.settings {
        view.settings = Some(DeviceSettings {
            settings: store.settings().ok().flatten(),
            effective: device.effective().ok(),
            project: store.project().ok().flatten(),
            password_saved: store.password().ok().flatten().is_some(),
            mode: device.mode(),
        });
    }
    if reload.counts {
        let project = store.project().ok().flatten();
        view.counts = Some(
            project
                .iter()
                .flat_map(|p| p.entities.iter())
                .map(|e| EntityCount {
                    name: e.name.clone(),
                    label: e.label.clone(),
                    count: store.count(&e.name).unwrap_or(0),
                })
                .collect(),
        );
    }
    if reload.conflicts {
        view.conflicts = Some(store.unresolved_conflicts().map_err(|e| e.to_string()));
    }
    if let Some(after) = reload.journal_after {
        view.journal = Some(journal_after(store, after));
    }
    if reload.checklist {
        view.checklist = Some((
            store.sync_state().unwrap_or_default(),
            store.unresolved_count().unwrap_or(0),
        ));
    }
    if reload.lost {
        view.lost = Some(crate::auditor::audit(store, |_, _| None).unwrap_or_default());
    }
    view.forms = reload
        .forms
        .iter()
        .map(|(entity, id)| {
            let record = store.record(entity, id).ok().flatten();
            ((entity.clone(), id.clone()), record)
        })
        .collect();
    view.lists = reload
        .lists
        .iter()
        .map(|query| {
            let total = if query.count {
                store
                    .count_matching(&query.entity, &query.primary_field, &query.search)
                    .unwrap_or(0)
            } else {
                query.total
            };
            let selected = query.selected.min(total.saturating_sub(1));
            let offset = selected / LIST_LIMIT * LIST_LIMIT;
            let records = store
                .list(
                    &query.entity,
                    &query.primary_field,
                    &query.search,
                    LIST_LIMIT,
                    offset,
                )
                .unwrap_or_default();
            ListPage {
                query: query.clone(),
                total,
                offset,
                records,
            }
        })
        .collect();
    view
}

/// The journal after `after`; from the start (0), only the newest lines the log keeps — a
/// long-lived profile's journal is long.
fn journal_after(store: &Store, after: i64) -> Result<Vec<crate::store::JournalEntry>, String> {
    let mut after = if after == 0 {
        (last_seq(store) - crate::app::MAX_LOG_LINES as i64).max(0)
    } else {
        after
    };
    let mut lines = Vec::new();
    loop {
        let batch = store.journal(after, 1000).map_err(|e| e.to_string())?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        let full = batch.len() == 1000;
        lines.extend(batch);
        if !full {
            break;
        }
    }
    Ok(lines)
}

/// The journal's newest sequence number, found in O(log n) primary-key lookups.
fn last_seq(store: &Store) -> i64 {
    let exists_after = |seq: i64| store.journal(seq, 1).is_ok_and(|e| !e.is_empty());
    if !exists_after(0) {
        return 0;
    }
    // The smallest `after` with nothing after it is the newest seq.
    let (mut low, mut high) = (0i64, 1i64);
    while exists_after(high) {
        low = high;
        high = high.saturating_mul(2);
    }
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if exists_after(mid) {
            low = mid
        } else {
            high = mid
        }
    }
    high
}

/// The records the custom command edits: an account's contacts; for a contact, the other
/// contacts of its account.
pub(super) fn related_records(store: &Store, entity: &str, id: &str) -> Vec<(String, String)> {
    let account = match entity {
        "account" => Some(id.to_string()),
        "contact" => store
            .record("contact", id)
            .ok()
            .flatten()
            .and_then(|r| r.fields.get("account_id").cloned()),
        _ => None,
    };
    let Some(account) = account else {
        return Vec::new();
    };
    store
        .list("contact", "account_id", &account, 50, 0)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            r.fields.get("account_id") == Some(&account) && !(entity == "contact" && r.id == id)
        })
        .map(|r| ("contact".to_string(), r.id))
        .collect()
}
