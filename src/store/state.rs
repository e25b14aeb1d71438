//! What the device remembers about synchronization, the user's settings, the applied project
//! and the saved password — small values kept as JSON in `meta`, the password in `secret`.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::{Result, Store, StoreError, meta_json, put_meta};
use crate::project::Project;
use crate::rules::{SavedPassword, SettingsOrigin, SettingsWrite, SyncMode, Trigger};
use crate::settings::UserSettings;

/// The result flags the product exposes to scripts about the last sync: what it brought, and
/// how it ended. "Was background sync" is the sync's mode ([`LastSync::mode`]). Stored as the
/// product's flag set, so a profile written before reads the same.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FlagSet", into = "FlagSet")]
pub struct SyncFlags {
    pub customization_ready: bool,
    pub customization_downloaded: bool,
    pub data_errors: bool,
    pub end: SyncEnd,
}

/// How a sync ended: one of these, never two.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SyncEnd {
    #[default]
    Completed,
    /// Cancelled, or stopped by the device itself.
    Aborted,
    /// A request failed once connected (the server answered an error, timed out…).
    WebError,
    /// The server could not be reached or refused the sign-in, or the connect request itself
    /// failed — `web_error` when it failed that way.
    ConnectFailed { web_error: bool },
}

impl SyncFlags {
    pub fn succeeded(&self) -> bool {
        self.end == SyncEnd::Completed
    }

    pub fn aborted(&self) -> bool {
        self.end == SyncEnd::Aborted
    }

    pub fn web_error(&self) -> bool {
        matches!(
            self.end,
            SyncEnd::WebError | SyncEnd::ConnectFailed { web_error: true }
        )
    }

    pub fn connect_failed(&self) -> bool {
        matches!(self.end, SyncEnd::ConnectFailed { .. })
    }
}

/// The flags as the product names them and the profile stores them.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct FlagSet {
    customization_ready: bool,
    customization_downloaded: bool,
    data_errors: bool,
    aborted: bool,
    web_error: bool,
    connect_failed: bool,
}

impl From<FlagSet> for SyncFlags {
    fn from(f: FlagSet) -> SyncFlags {
        let end = match (f.aborted, f.connect_failed, f.web_error) {
            (true, _, _) => SyncEnd::Aborted,
            (false, true, web_error) => SyncEnd::ConnectFailed { web_error },
            (false, false, true) => SyncEnd::WebError,
            (false, false, false) => SyncEnd::Completed,
        };
        SyncFlags {
            customization_ready: f.customization_ready,
            customization_downloaded: f.customization_downloaded,
            data_errors: f.data_errors,
            end,
        }
    }
}

impl From<SyncFlags> for FlagSet {
    fn from(f: SyncFlags) -> FlagSet {
        FlagSet {
            customization_ready: f.customization_ready,
            customization_downloaded: f.customization_downloaded,
            data_errors: f.data_errors,
            aborted: f.aborted(),
            web_error: f.web_error(),
            connect_failed: f.connect_failed(),
        }
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

    /// Whether the user has chosen the settings on Setup.
    pub fn settings_origin(&self) -> Result<SettingsOrigin> {
        origin_in(self.conn()).map_err(|e| self.err(e))
    }

    /// Writes settings the rules decided ([`crate::rules::setting_write`]) in one transaction: the
    /// settings, whether the user chose them, and the saved password forgotten when the write
    /// says so — no crash leaves the one without the other.
    pub fn write_settings(&mut self, write: &SettingsWrite) -> Result<()> {
        self.write_settings_if(write, |_| Ok(true)).map(|_| ())
    }

    /// [`Store::write_settings`] for a write the rules decided on `read`, written only if the
    /// stored settings are still `read` — checked in the write transaction. The engine writes the
    /// same settings on its own connection (a first project's defaults); a Setup change decided
    /// on settings it replaced meanwhile would undo them. False then: decide again on the new.
    pub fn write_settings_over(
        &mut self,
        read: &UserSettings,
        write: &SettingsWrite,
    ) -> Result<bool> {
        self.write_settings_if(write, |tx| {
            let stored: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [SETTINGS], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok(stored
                .and_then(|t| serde_json::from_str::<UserSettings>(&t).ok())
                .is_some_and(|now| now == *read))
        })
    }

    /// The write the rule `decide` makes of the settings and their origin
    /// ([`crate::rules::adopt_project_defaults`]), written as [`Store::write_settings`] does — unless
    /// their origin changed meanwhile (the user chose settings on Setup): checked in the same
    /// transaction, so a choice is never overwritten. Returns what was written, if anything.
    pub fn update_settings(
        &mut self,
        decide: impl FnOnce(&UserSettings, SettingsOrigin) -> Option<SettingsWrite>,
    ) -> Result<Option<SettingsWrite>> {
        let Some(current) = self.settings()? else {
            return Ok(None);
        };
        let origin = self.settings_origin()?;
        let Some(write) = decide(&current, origin) else {
            return Ok(None);
        };
        let written = self.write_settings_if(&write, |tx| Ok(origin_in(tx)? == origin))?;
        Ok(written.then_some(write))
    }

    /// Writes `write` when `still` holds for what the write transaction finds; true when it was
    /// written. A forgotten password goes the way [`Store::set_password`] forgets
    /// it: zeroed where it was, and the WAL truncated after the commit.
    fn write_settings_if(
        &mut self,
        write: &SettingsWrite,
        still: impl FnOnce(&Transaction) -> rusqlite::Result<bool>,
    ) -> Result<bool> {
        let text = meta_json(&write.settings)?;
        let forget = write.password == SavedPassword::Forget;
        let apply = |tx: &Transaction| {
            if !still(tx)? {
                return Ok(false);
            }
            put_meta(tx, SETTINGS, &text)?;
            match write.origin {
                SettingsOrigin::Chosen => put_meta(tx, SETTINGS_CHOSEN, "true")?,
                SettingsOrigin::ProfileStart => {
                    tx.execute("DELETE FROM meta WHERE key = ?1", [SETTINGS_CHOSEN])?;
                }
            }
            if forget {
                tx.execute("DELETE FROM secret WHERE key = ?1", [PASSWORD])?;
            }
            Ok(true)
        };
        let written = if forget {
            self.write_secretly(apply)?
        } else {
            self.write(apply)?
        };
        if written
            && forget
            && let Err(e) = self.truncate_wal()
        {
            // The settings and the password's removal are committed; the WAL's old copy of the
            // page goes at the next truncation (the next checkpoint after the readers leave).
            tracing::warn!("after forgetting the password: {e}");
        }
        Ok(written)
    }

    pub fn project(&self) -> Result<Option<Project>> {
        self.meta(PROJECT)
    }

    pub fn set_project(&mut self, project: &Project) -> Result<()> {
        self.set_meta(PROJECT, project)
    }

    /// The saved password; `None` when Save password is off or none was entered.
    pub fn password(&self) -> Result<Option<String>> {
        self.query_row("SELECT value FROM secret WHERE key = ?1", [PASSWORD], |r| {
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
        self.write_secretly(|tx| {
            match password {
                Some(p) => tx.execute(
                    "INSERT INTO secret (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![PASSWORD, p],
                )?,
                None => tx.execute("DELETE FROM secret WHERE key = ?1", [PASSWORD])?,
            };
            Ok(())
        })?;
        if password.is_none() {
            self.truncate_wal()?;
        }
        Ok(())
    }

    /// A write transaction under `secure_delete = ON`: what it deletes is zeroed in the file,
    /// whichever page it was on.
    fn write_secretly<T>(
        &mut self,
        f: impl FnOnce(&Transaction) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let secure = |store: &mut Store, mode: &str| {
            store
                .conn
                .pragma_update(None, "secure_delete", mode)
                .map_err(|e| store.err(e))
        };
        secure(self, "ON")?;
        let written = self.write(f);
        secure(self, "FAST")?;
        written
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

/// Whether the user chose the settings, as `conn` (or a transaction on it) reads it.
fn origin_in(conn: &Connection) -> rusqlite::Result<SettingsOrigin> {
    let chosen: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [SETTINGS_CHOSEN],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match chosen.as_deref() {
        Some("true") => SettingsOrigin::Chosen,
        _ => SettingsOrigin::ProfileStart,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::AutoSync;
    use crate::settings::ProjectConfig;

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

    fn adopt(store: &mut Store) -> Result<Option<SettingsWrite>> {
        let config = published();
        store.update_settings(|current, origin| {
            crate::rules::adopt_project_defaults(current, origin, &config)
        })
    }

    /// Makes every delete of the saved password fail, as a full disk or a crash mid-write would.
    fn refuse_to_forget_the_password(store: &Store) {
        store
            .conn()
            .execute_batch(
                "CREATE TEMP TRIGGER refuse BEFORE DELETE ON secret BEGIN SELECT RAISE(ABORT, 'injected'); END;",
            )
            .unwrap();
    }

    #[test]
    fn the_first_projects_defaults_become_the_settings_and_save_password_off_forgets_it() {
        let (_dir, mut store) = profile();
        let adopted = adopt(&mut store).unwrap().unwrap().settings;
        assert_eq!(adopted.auto_sync, AutoSync::Never);
        assert!(!adopted.background_sync && !adopted.save_password);
        assert_eq!(adopted.server_url, "http://server");
        assert_eq!(store.settings().unwrap(), Some(adopted));
        assert_eq!(store.password().unwrap(), None);
        assert_eq!(
            store.settings_origin().unwrap(),
            SettingsOrigin::ProfileStart,
            "defaults taken are not the user's choice"
        );
    }

    #[test]
    fn the_defaults_and_the_forgotten_password_are_one_write() {
        let (_dir, mut store) = profile();
        let before = store.settings().unwrap();
        refuse_to_forget_the_password(&store);
        assert!(
            adopt(&mut store).is_err(),
            "the password could not be forgotten"
        );
        assert_eq!(
            store.settings().unwrap(),
            before,
            "the settings stay as they were: no Save password off beside a saved password"
        );
        assert_eq!(store.password().unwrap().as_deref(), Some("secret"));
    }

    #[test]
    fn save_password_off_on_setup_and_the_forgotten_password_are_one_write() {
        let (_dir, mut store) = profile();
        let before = store.settings().unwrap().unwrap();
        let off = crate::rules::setting_write(
            &before,
            &ProjectConfig::default(),
            crate::settings::SettingChange::SavePassword(false),
        )
        .unwrap();
        refuse_to_forget_the_password(&store);
        assert!(store.write_settings(&off).is_err());
        assert_eq!(store.settings().unwrap(), Some(before));
        assert_eq!(
            store.settings_origin().unwrap(),
            SettingsOrigin::ProfileStart
        );
        assert_eq!(store.password().unwrap().as_deref(), Some("secret"));
        store
            .conn()
            .execute_batch("DROP TRIGGER temp.refuse")
            .unwrap();
        store.write_settings(&off).unwrap();
        assert_eq!(store.settings().unwrap(), Some(off.settings));
        assert_eq!(store.settings_origin().unwrap(), SettingsOrigin::Chosen);
        assert_eq!(store.password().unwrap(), None);
    }

    #[test]
    fn settings_the_user_chose_stay_chosen() {
        let (_dir, mut store) = profile();
        let mut chosen = store.settings().unwrap().unwrap();
        chosen.auto_sync = AutoSync::OnStart;
        store
            .write_settings(&SettingsWrite {
                settings: chosen.clone(),
                origin: SettingsOrigin::Chosen,
                password: SavedPassword::Keep,
            })
            .unwrap();
        assert_eq!(adopt(&mut store).unwrap(), None);
        assert_eq!(store.settings().unwrap(), Some(chosen));
        assert_eq!(store.password().unwrap().as_deref(), Some("secret"));
    }

    #[test]
    fn a_choice_made_after_the_rule_decided_is_not_overwritten() {
        let (dir, mut store) = profile();
        let mut chosen = store.settings().unwrap().unwrap();
        chosen.auto_sync = AutoSync::OnStart;
        let choice = SettingsWrite {
            settings: chosen.clone(),
            origin: SettingsOrigin::Chosen,
            password: SavedPassword::Keep,
        };
        let config = published();
        let written = store
            .update_settings(|current, origin| {
                let write = crate::rules::adopt_project_defaults(current, origin, &config);
                // The user chooses on another connection while the rule decides.
                let mut other = Store::open(&dir.path().join("device.db")).unwrap();
                other.write_settings(&choice).unwrap();
                write
            })
            .unwrap();
        assert_eq!(written, None);
        assert_eq!(store.settings().unwrap(), Some(chosen));
        assert_eq!(store.password().unwrap().as_deref(), Some("secret"));
    }

    #[test]
    fn a_setup_change_decided_on_settings_replaced_meanwhile_is_not_written() {
        let (dir, mut store) = profile();
        let read = store.settings().unwrap().unwrap();
        let mut change = read.clone();
        change.auto_sync = AutoSync::OnStart;
        let write = SettingsWrite {
            settings: change,
            origin: SettingsOrigin::Chosen,
            password: SavedPassword::Keep,
        };
        // The engine adopts a first project's defaults on its own connection in between.
        let mut engine = Store::open(&dir.path().join("device.db")).unwrap();
        let config = published();
        let adopted = engine
            .update_settings(|current, origin| {
                crate::rules::adopt_project_defaults(current, origin, &config)
            })
            .unwrap()
            .expect("the defaults are adopted");
        assert!(!store.write_settings_over(&read, &write).unwrap());
        assert_eq!(store.settings().unwrap(), Some(adopted.settings.clone()));
        // Decided again on what is stored now, it is written.
        assert!(
            store
                .write_settings_over(&adopted.settings, &write)
                .unwrap()
        );
        assert_eq!(store.settings().unwrap(), Some(write.settings));
    }

    #[test]
    fn the_profile_keeps_the_products_flag_names_and_reads_older_profiles() {
        let failed_connect = SyncFlags {
            data_errors: true,
            end: SyncEnd::ConnectFailed { web_error: true },
            ..SyncFlags::default()
        };
        let json = serde_json::to_value(failed_connect).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "customization_ready": false,
                "customization_downloaded": false,
                "data_errors": true,
                "aborted": false,
                "web_error": true,
                "connect_failed": true,
            })
        );
        assert_eq!(
            serde_json::from_value::<SyncFlags>(json).unwrap(),
            failed_connect
        );
        // Written before the mode stopped being a flag.
        let older = serde_json::json!({
            "customization_ready": true, "customization_downloaded": false, "data_errors": false,
            "aborted": false, "web_error": false, "connect_failed": false, "was_background": true,
        });
        let flags: SyncFlags = serde_json::from_value(older).unwrap();
        assert!(flags.succeeded() && flags.customization_ready);
    }
}
