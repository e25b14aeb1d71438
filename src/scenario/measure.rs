//! How a scenario run ended, beyond the fields it touched: what is still pending, where the
//! device and the server differ, how many records the server has, the lost edits by cause, and
//! the device-API requests the run made. The fault matrix compares these against the fault-free
//! run; the behavior matrices print some of them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::auditor::{LossCause, LostEdit};
use crate::control::Control;
use crate::invariants::{device_records, differences, server_records};
use crate::remote::Remote;
use crate::store::Store;
use crate::wire::RequestLogEntry;

/// The end of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EndState {
    /// Records with changes waiting for upload.
    pub pending: usize,
    /// Unresolved Sync Errors items.
    pub sync_errors: usize,
    /// Records whose version or fields differ between the device and the server.
    pub differing: usize,
    /// Live records on the server, per entity.
    pub server_records: BTreeMap<String, usize>,
    /// Lost edits the auditor found, by cause.
    pub lost_by_cause: BTreeMap<LossCause, usize>,
}

/// Reads the device (`profile`) and the server (through the device API, with no fault armed).
/// What cannot be read is left at zero: the run's own checks say why.
pub async fn end_state(profile: &Path, server_url: &str) -> EndState {
    let mut end = EndState::default();
    let mut device = BTreeMap::new();
    let entities: Vec<String> = match Store::open(profile) {
        Ok(store) => {
            end.pending = store.pending_count().unwrap_or(0);
            end.sync_errors = store.unresolved_count().unwrap_or(0);
            let names: Vec<String> = store
                .project()
                .ok()
                .flatten()
                .map(|p| p.entities.iter().map(|e| e.name.clone()).collect())
                .unwrap_or_default();
            for name in &names {
                if let Ok(records) = device_records(&store, name) {
                    device.insert(name.clone(), records);
                }
            }
            names
        }
        Err(_) => Vec::new(),
    };
    let Ok(remote) = Remote::new(server_url, "demo", "demo") else {
        return end;
    };
    for entity in entities {
        let Ok(server) = server_records(&remote, &entity).await else {
            continue;
        };
        end.server_records.insert(entity.clone(), server.len());
        if let Some(device) = device.get(&entity) {
            end.differing += differences(&entity, device, &server).len();
        }
    }
    end
}

/// Lost edits counted by cause.
pub fn by_cause(lost: &[LostEdit]) -> BTreeMap<LossCause, usize> {
    let mut out = BTreeMap::new();
    for l in lost {
        *out.entry(l.cause).or_insert(0) += 1;
    }
    out
}

/// The device-API requests the server has logged, oldest first (at most the log's capacity).
pub async fn device_requests(control: &Control) -> Vec<RequestLogEntry> {
    control
        .requests(crate::server::REQUEST_LOG_CAPACITY)
        .await
        .map(|log| {
            log.requests
                .into_iter()
                .filter(|r| r.path.starts_with("/api/v1/"))
                .collect()
        })
        .unwrap_or_default()
}
