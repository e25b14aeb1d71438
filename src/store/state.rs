//! What the device remembers about synchronization, the user's settings, the applied project
//! and the saved password — small values kept as JSON in `meta`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Result, Store};
use crate::project::Project;
use crate::rules::{SyncMode, Trigger};
use crate::settings::UserSettings;

/// The result flags the product exposes to scripts about the last sync.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncFlags {
    pub customization_ready: bool,
    pub customization_downloaded: bool,
    pub data_errors: bool,
    pub aborted: bool,
    pub web_error: bool,
    pub connect_failed: bool,
    pub was_background: bool,
}

impl SyncFlags {
    pub fn succeeded(&self) -> bool {
        !(self.aborted || self.web_error || self.connect_failed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSync {
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    pub mode: SyncMode,
    pub trigger: Trigger,
    pub flags: SyncFlags,
    /// In words a user understands, when the sync failed.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    pub last: Option<LastSync>,
    pub last_successful: Option<LastSync>,
    /// Version of the project applied on this device (0: none yet).
    pub applied_version: u32,
    /// A background sync found this newer version; the down arrow shows.
    pub update_available: Option<u32>,
}

const SYNC_STATE: &str = "sync_state";
const SETTINGS: &str = "settings";
const PROJECT: &str = "project";
const PASSWORD: &str = "password";

impl Store {
    pub fn sync_state(&self) -> Result<SyncState> {
        Ok(self.meta(SYNC_STATE)?.unwrap_or_default())
    }

    pub fn set_sync_state(&mut self, state: &SyncState) -> Result<()> {
        self.set_meta(SYNC_STATE, state)
    }

    pub fn settings(&self) -> Result<Option<UserSettings>> {
        self.meta(SETTINGS)
    }

    pub fn set_settings(&mut self, settings: &UserSettings) -> Result<()> {
        self.set_meta(SETTINGS, settings)
    }

    pub fn project(&self) -> Result<Option<Project>> {
        self.meta(PROJECT)
    }

    pub fn set_project(&mut self, project: &Project) -> Result<()> {
        self.set_meta(PROJECT, project)
    }

    /// The saved password; `None` when Save password is off or none was entered.
    pub fn password(&self) -> Result<Option<String>> {
        self.meta(PASSWORD)
    }

    /// Saves the password (the database file is readable by its owner only), or forgets it.
    pub fn set_password(&mut self, password: Option<&str>) -> Result<()> {
        match password {
            Some(p) => self.set_meta(PASSWORD, &p),
            None => self.delete_meta(PASSWORD),
        }
    }
}
