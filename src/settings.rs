//! The settings vocabulary of the product: what the user picks on the Setup screen, what a
//! Woodford administrator publishes in the project's Configuration, and how a lock decides
//! which of the two applies.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// "Auto Sync: Select when you want your app synchronized: Never, On Start, On Change,
/// On Start & On Change."
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum AutoSync {
    Never,
    OnStart,
    OnChange,
    #[default]
    OnStartAndChange,
}

impl AutoSync {
    pub const ALL: [AutoSync; 4] = [
        AutoSync::Never,
        AutoSync::OnStart,
        AutoSync::OnChange,
        AutoSync::OnStartAndChange,
    ];

    pub fn includes_on_start(self) -> bool {
        matches!(self, AutoSync::OnStart | AutoSync::OnStartAndChange)
    }

    pub fn includes_on_change(self) -> bool {
        matches!(self, AutoSync::OnChange | AutoSync::OnStartAndChange)
    }

    /// The next value in the Setup selector's cycle.
    pub fn next(self) -> AutoSync {
        let i = Self::ALL.iter().position(|v| *v == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }
}

impl fmt::Display for AutoSync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AutoSync::Never => "Never",
            AutoSync::OnStart => "On Start",
            AutoSync::OnChange => "On Change",
            AutoSync::OnStartAndChange => "On Start & On Change",
        })
    }
}

/// "Sync before going Online / Sync before going Offline".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum SyncBeforeSwitch {
    /// "Do not synchronize."
    #[default]
    NoAction,
    /// "Offer the option to synchronize."
    AskUserToSync,
    /// "Require synchronization before continuing."
    WarnUserMustSync,
    /// "Force synchronization."
    ForceSync,
}

impl SyncBeforeSwitch {
    pub const ALL: [SyncBeforeSwitch; 4] = [
        SyncBeforeSwitch::NoAction,
        SyncBeforeSwitch::AskUserToSync,
        SyncBeforeSwitch::WarnUserMustSync,
        SyncBeforeSwitch::ForceSync,
    ];
}

impl fmt::Display for SyncBeforeSwitch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyncBeforeSwitch::NoAction => "NoAction",
            SyncBeforeSwitch::AskUserToSync => "AskUserToSync",
            SyncBeforeSwitch::WarnUserMustSync => "WarnUserMustSync",
            SyncBeforeSwitch::ForceSync => "ForceSync",
        })
    }
}

/// "Background sync behavior": what happens when the user saves while a background sync runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum BackgroundBehavior {
    /// "Block save during sync - forbids form save while background sync is running."
    BlockSave,
    /// "Block save during sync, don't start sync while form is opened."
    BlockSaveAndDeferSync,
    /// "No action - this is the current behavior where concurrent changes in both client and
    /// server may (in rare cases) cause data inconsistency or even data loss."
    #[default]
    NoAction,
    /// autosync's own option, not the product's: never blocks a save and never loses one. Edits
    /// made while the sync runs are re-applied on top of what the server returned.
    Rebase,
}

impl BackgroundBehavior {
    pub const ALL: [BackgroundBehavior; 4] = [
        BackgroundBehavior::BlockSave,
        BackgroundBehavior::BlockSaveAndDeferSync,
        BackgroundBehavior::NoAction,
        BackgroundBehavior::Rebase,
    ];

    /// The two options under which the reference blocks saves during entity phases.
    pub fn blocks_save(self) -> bool {
        matches!(
            self,
            BackgroundBehavior::BlockSave | BackgroundBehavior::BlockSaveAndDeferSync
        )
    }
}

impl fmt::Display for BackgroundBehavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackgroundBehavior::BlockSave => "Block save during sync",
            BackgroundBehavior::BlockSaveAndDeferSync => {
                "Block save during sync, don't start sync while form is opened"
            }
            BackgroundBehavior::NoAction => "No action",
            BackgroundBehavior::Rebase => "Rebase (autosync)",
        })
    }
}

/// An entity's "On Conflict" strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum ConflictStrategy {
    /// Server version replaces the device's; the action is logged.
    #[default]
    ServerWins,
    /// Only the fields changed on the device are uploaded; same field → device value.
    DeviceWins,
    /// The whole device record is uploaded; server edits are lost.
    DeviceWinsFull,
    /// Listed under Sync Errors until the user resolves it.
    Manual,
}

impl ConflictStrategy {
    pub const ALL: [ConflictStrategy; 4] = [
        ConflictStrategy::ServerWins,
        ConflictStrategy::DeviceWins,
        ConflictStrategy::DeviceWinsFull,
        ConflictStrategy::Manual,
    ];
}

impl fmt::Display for ConflictStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConflictStrategy::ServerWins => "Server Wins",
            ConflictStrategy::DeviceWins => "Device Wins",
            ConflictStrategy::DeviceWinsFull => "Device Wins (Full)",
            ConflictStrategy::Manual => "Manual Action",
        })
    }
}

/// Every setting of the project's Configuration that an administrator can lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingKey {
    AutoSync,
    BackgroundSync,
    SavePassword,
    RequireSyncLogin,
    AutoSyncInterval,
    SyncBeforeOnline,
    SyncBeforeOffline,
    BackgroundDownload,
    BackgroundSyncBehavior,
}

impl fmt::Display for SettingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SettingKey::AutoSync => "Auto Sync",
            SettingKey::BackgroundSync => "Background sync",
            SettingKey::SavePassword => "Save password",
            SettingKey::RequireSyncLogin => "Require Sync Login",
            SettingKey::AutoSyncInterval => "Auto Sync Interval",
            SettingKey::SyncBeforeOnline => "Sync before going Online",
            SettingKey::SyncBeforeOffline => "Sync before going Offline",
            SettingKey::BackgroundDownload => "Background Download",
            SettingKey::BackgroundSyncBehavior => "Background sync behavior",
        })
    }
}

/// The project's Configuration as published by Woodford. Values here are the defaults for the
/// device settings of the same name, and the values that apply where the key is in `locked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProjectConfig {
    pub require_sync_login: bool,
    /// "Trigger Auto Sync: Set up when (if) should automatic synchronization be performed."
    pub trigger_auto_sync: AutoSync,
    pub background_sync: bool,
    pub save_password: bool,
    /// Seconds; 0 = off. "Auto Sync Interval" (a.k.a. Auto Sync Delay).
    pub auto_sync_interval: u64,
    pub sync_before_online: SyncBeforeSwitch,
    pub sync_before_offline: SyncBeforeSwitch,
    pub background_download: bool,
    pub background_sync_behavior: BackgroundBehavior,
    /// "You have the option to Lock each field."
    pub locked: BTreeSet<SettingKey>,
}

impl Default for ProjectConfig {
    fn default() -> Self {
        ProjectConfig {
            require_sync_login: false,
            trigger_auto_sync: AutoSync::OnStartAndChange,
            background_sync: true,
            save_password: true,
            auto_sync_interval: 0,
            sync_before_online: SyncBeforeSwitch::NoAction,
            sync_before_offline: SyncBeforeSwitch::NoAction,
            background_download: true,
            background_sync_behavior: BackgroundBehavior::NoAction,
            locked: BTreeSet::new(),
        }
    }
}

impl ProjectConfig {
    pub fn is_locked(&self, key: SettingKey) -> bool {
        self.locked.contains(&key)
    }
}

/// What the user picks on the Setup screen's Synchronization block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSettings {
    pub auto_sync: AutoSync,
    pub background_sync: bool,
    pub save_password: bool,
    pub server_url: String,
    pub user_name: String,
}

impl UserSettings {
    /// A new device starts from the project's published defaults.
    pub fn from_project(config: &ProjectConfig, server_url: &str, user_name: &str) -> Self {
        UserSettings {
            auto_sync: config.trigger_auto_sync,
            background_sync: config.background_sync,
            save_password: config.save_password,
            server_url: server_url.to_string(),
            user_name: user_name.to_string(),
        }
    }

    /// These settings with the project's published defaults for what the user may pick (Auto
    /// Sync, Background sync, Save password); the server and the user stay.
    pub fn with_project_defaults(&self, config: &ProjectConfig) -> Self {
        UserSettings::from_project(config, &self.server_url, &self.user_name)
    }
}

/// A change the user asks for on the Setup screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingChange {
    AutoSync(AutoSync),
    BackgroundSync(bool),
    SavePassword(bool),
    ServerUrl(String),
    UserName(String),
}

impl SettingChange {
    /// The lockable project setting this change touches, if any.
    pub fn key(&self) -> Option<SettingKey> {
        match self {
            SettingChange::AutoSync(_) => Some(SettingKey::AutoSync),
            SettingChange::BackgroundSync(_) => Some(SettingKey::BackgroundSync),
            SettingChange::SavePassword(_) => Some(SettingKey::SavePassword),
            SettingChange::ServerUrl(_) | SettingChange::UserName(_) => None,
        }
    }
}

/// Refusal of a setting change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("{0}: Locked by the administrator")]
    Locked(SettingKey),
    #[error("Server URL `{url}` is not a server address: {why} (e.g. http://127.0.0.1:8080)")]
    BadServerUrl { url: String, why: String },
    #[error("User name: enter one (it cannot be empty)")]
    EmptyUserName,
}

/// The settings that are in force: the user's choice where a setting is unlocked, the
/// published value where it is locked, and the admin-only values from the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EffectiveSettings {
    pub auto_sync: AutoSync,
    pub background_sync: bool,
    pub save_password: bool,
    pub require_sync_login: bool,
    pub auto_sync_interval: u64,
    pub sync_before_online: SyncBeforeSwitch,
    pub sync_before_offline: SyncBeforeSwitch,
    pub background_download: bool,
    pub background_sync_behavior: BackgroundBehavior,
}

impl EffectiveSettings {
    /// "You have the option to Lock each field. If you do so, the users won't be able to change
    /// these settings in their apps." A locked setting takes the published value.
    pub fn resolve(user: &UserSettings, config: &ProjectConfig) -> Self {
        let pick = |key, user_value: bool, project_value: bool| {
            if config.is_locked(key) {
                project_value
            } else {
                user_value
            }
        };
        EffectiveSettings {
            auto_sync: if config.is_locked(SettingKey::AutoSync) {
                config.trigger_auto_sync
            } else {
                user.auto_sync
            },
            background_sync: pick(
                SettingKey::BackgroundSync,
                user.background_sync,
                config.background_sync,
            ),
            save_password: pick(
                SettingKey::SavePassword,
                user.save_password,
                config.save_password,
            ),
            require_sync_login: config.require_sync_login,
            auto_sync_interval: config.auto_sync_interval,
            sync_before_online: config.sync_before_online,
            sync_before_offline: config.sync_before_offline,
            background_download: config.background_download,
            background_sync_behavior: config.background_sync_behavior,
        }
    }
}
