//! "You have the option to Lock each field. If you do so, the users won't be able to change
//! these settings in their apps."

use crate::settings::{ProjectConfig, SettingChange, SettingError, SettingKey, UserSettings};

/// Whether the user may change this setting on the Setup screen.
pub fn is_changeable(config: &ProjectConfig, key: SettingKey) -> Result<(), SettingError> {
    if config.is_locked(key) {
        Err(SettingError::Locked(key))
    } else {
        Ok(())
    }
}

/// Applies a Setup-screen change. A locked setting is refused with an error that says the
/// administrator locked it, and nothing changes.
pub fn change_setting(
    user: &UserSettings,
    config: &ProjectConfig,
    change: SettingChange,
) -> Result<UserSettings, SettingError> {
    if let Some(key) = change.key() {
        is_changeable(config, key)?;
    }
    let mut next = user.clone();
    match change {
        SettingChange::AutoSync(v) => next.auto_sync = v,
        SettingChange::BackgroundSync(v) => next.background_sync = v,
        SettingChange::SavePassword(v) => next.save_password = v,
        SettingChange::ServerUrl(v) => next.server_url = v,
        SettingChange::UserName(v) => next.user_name = v,
    }
    Ok(next)
}
