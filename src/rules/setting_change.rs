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

/// A server URL the device can sign in to: `http` or `https` with a host. What a Setup or sync
/// screen edit must be before it is saved.
pub fn check_server_url(url: &str) -> Result<(), SettingError> {
    let bad = |why: &str| SettingError::BadServerUrl {
        url: url.to_string(),
        why: why.to_string(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("it must start with http:// or https://"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no host"));
    }
    Ok(())
}

/// A user name the device can sign in with: not empty.
pub fn check_user_name(name: &str) -> Result<(), SettingError> {
    if name.trim().is_empty() {
        Err(SettingError::EmptyUserName)
    } else {
        Ok(())
    }
}

/// Applies a Setup-screen change. A locked setting is refused with an error that says the
/// administrator locked it, a URL that does not parse or an empty user name with what is
/// wrong, and nothing changes.
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
        SettingChange::ServerUrl(v) => {
            check_server_url(&v)?;
            next.server_url = v
        }
        SettingChange::UserName(v) => {
            check_user_name(&v)?;
            next.user_name = v
        }
    }
    Ok(next)
}
