//! Conflicts and concurrent edits: what an entity's On Conflict strategy does, and what happens
//! to an edit the user saved while the sync was writing the same record.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::settings::{BackgroundBehavior, ConflictStrategy};

/// What the upload does about a record changed on the device and on the server since the last
/// sync (`412`), or edited on the device and deleted on the server (`404`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConflictResolution {
    /// Server Wins: "server version replaces the device's; the action is logged". The device
    /// values listed are discarded — autosync reports them as lost, never silently.
    TakeServer { discarded: BTreeMap<String, String> },
    /// Device Wins: "only the fields changed on the device are uploaded; server edits to other
    /// fields survive; same field → device value".
    UploadChangedFields { fields: BTreeMap<String, String> },
    /// Device Wins (Full): "the whole device record is uploaded; server edits are lost".
    UploadWholeRecord { fields: BTreeMap<String, String> },
    /// Manual Action: "the record is listed under Sync Errors ... until the user resolves it".
    KeepForUser,
    /// The server deleted the record and the device wins: create it again with the device's
    /// values (*interpretation* of Device Wins for edit-versus-delete).
    Recreate { fields: BTreeMap<String, String> },
    /// The server deleted the record and the server wins: delete it on the device too.
    DeleteLocally { discarded: BTreeMap<String, String> },
}

impl fmt::Display for ConflictResolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>().join(", ");
        match self {
            ConflictResolution::TakeServer { discarded } => write!(
                f,
                "Server Wins: the server version replaced the device's; device values of {} discarded",
                names(discarded)
            ),
            ConflictResolution::UploadChangedFields { fields } => write!(
                f,
                "Device Wins: re-uploaded the changed fields {}",
                names(fields)
            ),
            ConflictResolution::UploadWholeRecord { .. } => f.write_str(
                "Device Wins (Full): uploaded the whole device record; server edits are lost",
            ),
            ConflictResolution::KeepForUser => {
                f.write_str("Manual Action: listed under Sync Errors until you resolve it")
            }
            ConflictResolution::Recreate { .. } => f.write_str(
                "deleted on the server; the device wins, so the record is created again",
            ),
            ConflictResolution::DeleteLocally { discarded } => write!(
                f,
                "deleted on the server; Server Wins, so it was deleted here and device values of {} discarded",
                names(discarded)
            ),
        }
    }
}

/// Decides a conflict by strategy. `device_changes` are the fields the device changed (new
/// values); `device_record` is the whole device record; `server_deleted` is true for `404`.
pub fn resolve_conflict(
    strategy: ConflictStrategy,
    device_changes: &BTreeMap<String, String>,
    device_record: &BTreeMap<String, String>,
    server_deleted: bool,
) -> ConflictResolution {
    match (strategy, server_deleted) {
        (ConflictStrategy::Manual, _) => ConflictResolution::KeepForUser,
        (ConflictStrategy::ServerWins, false) => ConflictResolution::TakeServer {
            discarded: device_changes.clone(),
        },
        (ConflictStrategy::ServerWins, true) => ConflictResolution::DeleteLocally {
            discarded: device_changes.clone(),
        },
        (ConflictStrategy::DeviceWins, false) => ConflictResolution::UploadChangedFields {
            fields: device_changes.clone(),
        },
        (ConflictStrategy::DeviceWinsFull, false) => ConflictResolution::UploadWholeRecord {
            fields: device_record.clone(),
        },
        (ConflictStrategy::DeviceWins | ConflictStrategy::DeviceWinsFull, true) => {
            ConflictResolution::Recreate {
                fields: device_record.clone(),
            }
        }
    }
}

/// What the upload does about a record the device deleted and the server edited since (`412`
/// on its `DELETE`). Server Wins and Device Wins follow their words: the server's version, or
/// the device's delete (*interpretation*: the device's "version" of a deleted record is its
/// absence, so both Device Wins strategies delete it on the server, and the server's edits go).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeleteConflict {
    /// Server Wins: the server's version comes back to the device; the device's delete is
    /// discarded and journaled as the device's discarded change.
    RestoreServer,
    /// Device Wins (either): the delete is sent again against the server's current ETag.
    DeleteOnServer,
    /// Manual Action: listed under Sync Errors until the user resolves it.
    KeepForUser,
}

impl fmt::Display for DeleteConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeleteConflict::RestoreServer => {
                "deleted on the device, edited on the server; Server Wins, so the server's version is back and the device's delete was discarded"
            }
            DeleteConflict::DeleteOnServer => {
                "deleted on the device, edited on the server; the device wins, so it is deleted on the server and the server's edits are lost"
            }
            DeleteConflict::KeepForUser => {
                "deleted on the device, edited on the server; Manual Action: listed under Sync Errors until you resolve it"
            }
        })
    }
}

/// Decides a device delete against a server edit by strategy.
pub fn resolve_delete_conflict(strategy: ConflictStrategy) -> DeleteConflict {
    match strategy {
        ConflictStrategy::ServerWins => DeleteConflict::RestoreServer,
        ConflictStrategy::DeviceWins | ConflictStrategy::DeviceWinsFull => {
            DeleteConflict::DeleteOnServer
        }
        ConflictStrategy::Manual => DeleteConflict::KeepForUser,
    }
}

/// What a device delete against a server edit leaves on both sides under `strategy` — the Sync
/// Errors "what if" view of such an item: the server's version, or nothing (deleted, or waiting
/// for the user).
pub fn what_if_delete(
    strategy: ConflictStrategy,
    server_record: Option<&BTreeMap<String, String>>,
) -> Option<BTreeMap<String, String>> {
    match resolve_delete_conflict(strategy) {
        DeleteConflict::RestoreServer => server_record.cloned(),
        DeleteConflict::DeleteOnServer | DeleteConflict::KeepForUser => None,
    }
}

/// The field values each strategy would leave on both sides — the Sync Errors "what if" view.
pub fn what_if(
    strategy: ConflictStrategy,
    device_changes: &BTreeMap<String, String>,
    device_record: &BTreeMap<String, String>,
    server_record: Option<&BTreeMap<String, String>>,
) -> Option<BTreeMap<String, String>> {
    match resolve_conflict(
        strategy,
        device_changes,
        device_record,
        server_record.is_none(),
    ) {
        ConflictResolution::TakeServer { .. } => server_record.cloned(),
        ConflictResolution::UploadChangedFields { fields } => {
            let mut merged = server_record.cloned().unwrap_or_default();
            merged.extend(fields);
            Some(merged)
        }
        ConflictResolution::UploadWholeRecord { fields }
        | ConflictResolution::Recreate { fields } => Some(fields),
        ConflictResolution::KeepForUser | ConflictResolution::DeleteLocally { .. } => None,
    }
}

/// What writing the server's version of a record does to an edit the user saved on the device
/// while this sync was running (after its upload snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ConcurrentEdit {
    /// No action: the server's version is written over the record and the edit is gone — the
    /// reference's "concurrent changes in both client and server may (in rare cases) cause data
    /// inconsistency or even data loss". The auditor reports it.
    Overwritten,
    /// The edit is re-applied on top of the server's version and uploaded by the next sync:
    /// Rebase always; the Block behaviors too, for the edits they let through outside the
    /// entity phases, so they never lose one.
    Rebased,
}

/// Decides the fate of a concurrent edit when the sync writes the server's version over it.
pub fn concurrent_edit(behavior: BackgroundBehavior) -> ConcurrentEdit {
    match behavior {
        BackgroundBehavior::NoAction => ConcurrentEdit::Overwritten,
        BackgroundBehavior::BlockSave
        | BackgroundBehavior::BlockSaveAndDeferSync
        | BackgroundBehavior::Rebase => ConcurrentEdit::Rebased,
    }
}
