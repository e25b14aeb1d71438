//! What the device remembers about synchronization, the user's settings, the applied project
//! and the saved password — small values kept as JSON in `meta`, the password in `secret`.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Result, Store, StoreError, meta_json, put_meta};
use crate::project::Project;
use crate::rules::{SyncMode, Trigger};
use crate::settings::{ProjectConfig, UserSettings};

/// The result flags the product exposes to scripts about the last sync. "Was background sync"
/// is the sync's mode ([`LastSync::mode`]); a profile written with it as a flag still reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncFlags {
    pub customization_ready: bool,
    pub customization_downloaded: bool,
    pub data_errors: bool,
    pub aborted: bool,
    pub web_error: bool,
    pub connect_failed: bool,
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
    /// Why it failed, where that changes what the device does next (absent in a state stored
    /// before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<FailureCause>,
}

/// A failure the device acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCause {
    /// The server rejected the password the sync signed in with: the next sync asks for it
    /// instead of sending it again.
    PasswordRejected,
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
/// The user changed a setting on Setup: a project's defaults never replace the settings again.
const SETTINGS_CHOSEN: &str = "settings_chosen";

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

    /// The settings a new profile starts from.
    pub fn set_settings(&mut self, settings: &UserSettings) -> Result<()> {
        self.set_meta(SETTINGS, settings)
    }

    /// The settings the user chose on Setup; from now on they stay chosen.
    pub fn choose_settings(&mut self, settings: &UserSettings) -> Result<()> {
        let text = meta_json(settings)?;
        self.write(|tx| {
            put_meta(tx, SETTINGS, &text)?;
            put_meta(tx, SETTINGS_CHOSEN, "true")
        })
    }

    /// "A new device starts from the project's published defaults": the first project a sync
    /// brings sets Auto Sync, Background sync and Save password (the profile was made before
    /// the device knew the project) — unless the user has chosen them on Setup already. Read
    /// checked and written in one transaction, so a choice made meanwhile is never overwritten. Returns
    /// the settings taken, if any; Save password off forgets a saved password.
    pub fn adopt_project_defaults(
        &mut self,
        config: &ProjectConfig,
    ) -> Result<Option<UserSettings>> {
        let Some(settings) = self.settings()? else {
            return Ok(None);
        };
        let next = settings.with_project_defaults(config);
        let next_text = meta_json(&next)?;
        let written = self.write(|tx| {
            let chosen: Option<String> = tx
                .query_row(
                    "SELECT value FROM meta WHERE key = ?1",
                    [SETTINGS_CHOSEN],
                    |r| r.get(0),
                )
                .optional()?;
            if chosen.as_deref() == Some("true") {
                return Ok(false);
            }
            put_meta(tx, SETTINGS, &next_text)?;
            Ok(true)
        })?;
        if !written {
            return Ok(None);
        }
        if !next.save_password {
            self.set_password(None)?;
        }
        Ok(Some(next))
    }

    pub fn project(&self) -> Result<Option<Project>> {
        self.meta(PROJECT)
    }

    pub fn set_project(&mut self, project: &Project) -> Result<()> {
        self.set_meta(PROJECT, project)
    }

    /// The saved password; `None` when Save password is off or none was entered.
    pub fn password(&self) -> Result<Option<String>> {
        self.conn()
            .query_row("SELECT value FROM secret WHERE key = ?1", [PASSWORD], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Saves the password (the database file is readable by its owner only), or forgets it.
    /// Forgetting leaves none of its bytes in any file of the profile: the row is zeroed where
    /// it was (`secure_delete`), and the WAL, which holds earlier copies of its page, is copied
    /// into the database and truncated to nothing.
    pub fn set_password(&mut self, password: Option<&str>) -> Result<()> {
        let secure = |store: &mut Store, mode: &str| {
            store
                .conn
                .pragma_update(None, "secure_delete", mode)
                .map_err(|e| store.err(e))
        };
        secure(self, "ON")?;
        let written = self.write(|tx| {
            match password {
                Some(p) => tx.execute(
                    "INSERT INTO secret (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![PASSWORD, p],
                )?,
                None => tx.execute("DELETE FROM secret WHERE key = ?1", [PASSWORD])?,
            };
            Ok(())
        });
        secure(self, "FAST")?;
        written?;
        if password.is_none() {
            self.truncate_wal()?;
        }
        Ok(())
    }

    /// Copies the whole WAL into the database and truncates it to zero bytes, waiting (up to
    /// the busy timeout) for readers and the writer of other connections to step aside.
    fn truncate_wal(&mut self) -> Result<()> {
        let (busy, _, _): (i64, i64, i64) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(|e| self.err(e))?;
        if busy != 0 {
            return Err(StoreError::Invalid(format!(
                "{}: the password was removed, but another connection kept the WAL from being truncated",
                self.path.display()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::AutoSync;

    fn profile() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("device.db")).unwrap();
        let config = ProjectConfig::default();
        store
            .set_settings(&UserSettings::from_project(
                &config,
                "http://server",
                "anna",
            ))
            .unwrap();
        store.set_password(Some("secret")).unwrap();
        (dir, store)
    }

    fn published() -> ProjectConfig {
        ProjectConfig {
            trigger_auto_sync: AutoSync::Never,
            background_sync: false,
            save_password: false,
            ..ProjectConfig::default()
        }
    }

    #[test]
    fn the_first_projects_defaults_become_the_settings_and_save_password_off_forgets_it() {
        let (_dir, mut store) = profile();
        let adopted = store.adopt_project_defaults(&published()).unwrap().unwrap();
        assert_eq!(adopted.auto_sync, AutoSync::Never);
        assert!(!adopted.background_sync && !adopted.save_password);
        assert_eq!(adopted.server_url, "http://server");
        assert_eq!(store.settings().unwrap(), Some(adopted));
        assert_eq!(store.password().unwrap(), None);
    }

    #[test]
    fn settings_the_user_chose_stay_chosen() {
        let (_dir, mut store) = profile();
        let mut chosen = store.settings().unwrap().unwrap();
        chosen.auto_sync = AutoSync::OnStart;
        store.choose_settings(&chosen).unwrap();
        assert_eq!(store.adopt_project_defaults(&published()).unwrap(), None);
        assert_eq!(store.settings().unwrap(), Some(chosen));
        assert_eq!(store.password().unwrap().as_deref(), Some("secret"));
    }
}
