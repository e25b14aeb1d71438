//! "Force customization download": how a new project version reaches the device.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::SyncMode;
use crate::settings::AutoSync;

/// What a synchronization does on finding a newer published project version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UpdateAction {
    /// Background sync with auto sync and Background Download: flag it; "the sync button is
    /// replaced by a down-facing arrow button".
    FlagUpdateAvailable,
    /// Background sync without the feature's prerequisites: apply nothing, show nothing; the
    /// next foreground sync applies it.
    LeaveForNextForegroundSync,
    /// Foreground sync: download and apply it (after uploading every local change).
    ApplyNow,
}

impl fmt::Display for UpdateAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UpdateAction::FlagUpdateAvailable => {
                "project update available: the Sync button becomes a down arrow"
            }
            UpdateAction::LeaveForNextForegroundSync => {
                "project update found; it is applied by the next foreground sync (auto sync or Background Download is off)"
            }
            UpdateAction::ApplyNow => "project update is downloaded and applied by this foreground sync",
        })
    }
}

/// "This feature requires that you enable automatic synchronization": Auto Sync is not Never,
/// or an Auto Sync Interval is set (the interval "forces the background auto sync" on its own).
pub fn auto_sync_enabled(auto_sync: AutoSync, interval_seconds: u64) -> bool {
    auto_sync != AutoSync::Never || interval_seconds > 0
}

/// "An update of the project customization cannot be launched during an automatic, background
/// synchronization. When, during a background synchronization, the app discovers that there's a
/// project update available, the sync button is replaced by a down-facing arrow button."
/// "This feature requires that you enable automatic synchronization. Additionally, the option
/// Background Download in Woodford's Configuration must be set to true."
///
/// `auto_sync_enabled`: [`auto_sync_enabled`].
pub fn on_newer_project(
    mode: SyncMode,
    auto_sync_enabled: bool,
    background_download: bool,
) -> UpdateAction {
    match mode {
        SyncMode::Foreground => UpdateAction::ApplyNow,
        SyncMode::Background if auto_sync_enabled && background_download => {
            UpdateAction::FlagUpdateAvailable
        }
        SyncMode::Background => UpdateAction::LeaveForNextForegroundSync,
    }
}

/// Whether the new customization may be applied now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApplyGate {
    Apply,
    UploadFirst { pending: usize },
}

impl fmt::Display for ApplyGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyGate::Apply => {
                f.write_str("every local change is uploaded: the update may be applied")
            }
            ApplyGate::UploadFirst { pending } => write!(
                f,
                "{pending} local change(s) must be uploaded before the update is applied"
            ),
        }
    }
}

/// "In order for new customization to be applied, all local changes from the device must be
/// uploaded to the server in order to maintain data integrity."
pub fn may_apply_update(pending_uploads: usize) -> ApplyGate {
    if pending_uploads == 0 {
        ApplyGate::Apply
    } else {
        ApplyGate::UploadFirst {
            pending: pending_uploads,
        }
    }
}

/// "As soon as the metadata download (project update) is complete, the sync switches again to
/// background mode, so that the user can start working with the app." *Interpretation*: with
/// Background sync off the user chose the sync screen, so the sync stays in the foreground.
pub fn after_update_applied(background_sync: bool) -> SyncMode {
    if background_sync {
        SyncMode::Background
    } else {
        SyncMode::Foreground
    }
}
