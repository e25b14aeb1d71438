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
    let parsed = reqwest::Url::parse(url);
    // The refusal repeats the URL, and it is journaled: never with a password in it.
    let shown = match &parsed {
        Ok(u) if !u.username().is_empty() || u.password().is_some() => {
            let mut u = u.clone();
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => url.to_string(),
    };
    let bad = |why: &str| SettingError::BadServerUrl {
        url: shown.clone(),
        why: why.to_string(),
    };
    let parsed = parsed.map_err(|e| bad(&e.to_string()))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // The user name and password have fields of their own; one in the URL would be saved and
        // journaled with it.
        return Err(bad(
            "it must not carry a user name or password: type them in their own fields",
        ));
    }
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

/// Whether the user has chosen the settings on Setup, or they are still the ones the profile
/// started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SettingsOrigin {
    /// The profile's start: the first project a sync brings may still replace them.
    ProfileStart,
    /// Chosen on Setup: from now on they stay chosen.
    Chosen,
}

/// What becomes of the password saved on the device when settings are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SavedPassword {
    Keep,
    /// "Save password" off: the password is not kept on the device.
    Forget,
}

/// Settings to write, where they come from, and what becomes of the saved password with them:
/// one write, so that no crash in between leaves a password the new settings say must not be
/// saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsWrite {
    pub settings: UserSettings,
    pub origin: SettingsOrigin,
    pub password: SavedPassword,
}

/// A Setup-screen change as a write ([`change_setting`]): the settings are chosen from now on,
/// and turning Save password off forgets the saved password.
pub fn setting_write(
    user: &UserSettings,
    config: &ProjectConfig,
    change: SettingChange,
) -> Result<SettingsWrite, SettingError> {
    let password = match change {
        SettingChange::SavePassword(false) => SavedPassword::Forget,
        _ => SavedPassword::Keep,
    };
    Ok(SettingsWrite {
        settings: change_setting(user, config, change)?,
        origin: SettingsOrigin::Chosen,
        password,
    })
}

/// "A new device starts from the project's published defaults": the first project a sync
/// brings sets Auto Sync, Background sync and Save password (the profile was made before the
/// device knew the project); the server and the user stay. Settings the user chose on Setup
/// stay chosen: nothing is written. Save password off forgets a saved password.
pub fn adopt_project_defaults(
    current: &UserSettings,
    origin: SettingsOrigin,
    config: &ProjectConfig,
) -> Option<SettingsWrite> {
    match origin {
        SettingsOrigin::Chosen => None,
        SettingsOrigin::ProfileStart => {
            let settings = current.with_project_defaults(config);
            let password = if settings.save_password {
                SavedPassword::Keep
            } else {
                SavedPassword::Forget
            };
            Some(SettingsWrite {
                settings,
                origin: SettingsOrigin::ProfileStart,
                password,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::AutoSync;

    fn start() -> UserSettings {
        UserSettings::from_project(&ProjectConfig::default(), "http://server", "anna")
    }

    fn published(save_password: bool) -> ProjectConfig {
        ProjectConfig {
            trigger_auto_sync: AutoSync::Never,
            background_sync: false,
            save_password,
            ..ProjectConfig::default()
        }
    }

    #[test]
    fn the_first_project_sets_the_defaults_and_save_password_off_forgets_the_password() {
        let write =
            adopt_project_defaults(&start(), SettingsOrigin::ProfileStart, &published(false))
                .expect("the profile's start takes the project's defaults");
        assert_eq!(write.settings.auto_sync, AutoSync::Never);
        assert!(!write.settings.background_sync && !write.settings.save_password);
        assert_eq!(
            (
                write.settings.server_url.as_str(),
                write.settings.user_name.as_str()
            ),
            ("http://server", "anna"),
            "the server and the user stay"
        );
        assert_eq!(write.origin, SettingsOrigin::ProfileStart);
        assert_eq!(write.password, SavedPassword::Forget);
        let kept = adopt_project_defaults(&start(), SettingsOrigin::ProfileStart, &published(true))
            .unwrap();
        assert_eq!(
            kept.password,
            SavedPassword::Keep,
            "Save password on keeps it"
        );
    }

    #[test]
    fn settings_the_user_chose_are_not_replaced_by_a_projects_defaults() {
        assert_eq!(
            adopt_project_defaults(&start(), SettingsOrigin::Chosen, &published(false)),
            None
        );
    }

    #[test]
    fn a_setup_change_is_chosen_and_only_save_password_off_forgets_the_password() {
        let config = ProjectConfig::default();
        let off = setting_write(&start(), &config, SettingChange::SavePassword(false)).unwrap();
        assert!(!off.settings.save_password);
        assert_eq!(
            (off.origin, off.password),
            (SettingsOrigin::Chosen, SavedPassword::Forget)
        );
        let other =
            setting_write(&start(), &config, SettingChange::AutoSync(AutoSync::Never)).unwrap();
        assert_eq!(
            (other.origin, other.password),
            (SettingsOrigin::Chosen, SavedPassword::Keep)
        );
        let locked = ProjectConfig {
            locked: [crate::settings::SettingKey::SavePassword]
                .into_iter()
                .collect(),
            ..ProjectConfig::default()
        };
        assert_eq!(
            setting_write(&start(), &locked, SettingChange::SavePassword(false)),
            Err(SettingError::Locked(
                crate::settings::SettingKey::SavePassword
            )),
            "refused as the change is"
        );
    }

    #[test]
    fn a_url_with_credentials_is_refused_without_repeating_them() {
        let err = check_server_url("http://demo:wonderland@127.0.0.1:8080/").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("must not carry a user name or password"),
            "{text}"
        );
        assert!(
            !text.contains("wonderland") && !text.contains("demo@"),
            "{text}"
        );
        assert!(check_server_url("http://127.0.0.1:8080/").is_ok());
    }
}
