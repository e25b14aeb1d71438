//! The administrator's side of Woodford: a draft of the published project's Configuration and
//! On Conflict strategies, and the next project version it makes. One function builds the next
//! version for the Woodford screen and for the scenario step `configure`; the server validates
//! and numbers what is published.

use std::collections::BTreeMap;

use crate::project::Project;
use crate::settings::{
    AutoSync, BackgroundBehavior, ConflictStrategy, ProjectConfig, SettingKey, SyncBeforeSwitch,
};

/// The Configuration settings in the order "Configure Woodford" lists them.
pub const SETTINGS: [SettingKey; 9] = [
    SettingKey::RequireSyncLogin,
    SettingKey::AutoSync,
    SettingKey::BackgroundSync,
    SettingKey::SavePassword,
    SettingKey::AutoSyncInterval,
    SettingKey::SyncBeforeOnline,
    SettingKey::SyncBeforeOffline,
    SettingKey::BackgroundDownload,
    SettingKey::BackgroundSyncBehavior,
];

/// The intervals ← and → step through (seconds; 0 is off); any other is typed.
pub const INTERVAL_STEPS: [u64; 6] = [0, 45, 60, 300, 900, 3600];

/// A row of the draft: a Configuration setting, or an entity's On Conflict strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Setting(SettingKey),
    OnConflict(String),
}

/// A setting as Woodford names it.
pub fn setting_label(key: SettingKey) -> &'static str {
    match key {
        SettingKey::AutoSync => "Trigger Auto Sync",
        SettingKey::AutoSyncInterval => "Auto Sync Interval (seconds)",
        SettingKey::BackgroundSync => "Background sync",
        SettingKey::SavePassword => "Save password",
        SettingKey::RequireSyncLogin => "Require Sync Login",
        SettingKey::SyncBeforeOnline => "Sync before going Online",
        SettingKey::SyncBeforeOffline => "Sync before going Offline",
        SettingKey::BackgroundDownload => "Background Download",
        SettingKey::BackgroundSyncBehavior => "Background sync behavior",
    }
}

/// What the interval field takes: a whole number of seconds.
pub fn parse_interval(text: &str) -> Result<u64, String> {
    let text = text.trim();
    text.parse::<u64>().map_err(|_| {
        format!("Auto Sync Interval: `{text}` is not a number of seconds (0 or more; 0 is off)")
    })
}

/// The value `delta` steps away from `current` among `values`, going round at either end.
fn cycle<T: Copy + PartialEq>(values: &[T], current: T, delta: i64) -> T {
    let index = values.iter().position(|v| *v == current).unwrap_or(0) as i64;
    values[(index + delta).rem_euclid(values.len() as i64) as usize]
}

fn on_off(value: bool) -> String {
    if value { "On" } else { "Off" }.to_string()
}

/// What the administrator changes: the whole Configuration (values and locks) and the On
/// Conflict strategy of each entity. Starts as the published project's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub configuration: ProjectConfig,
    pub on_conflict: BTreeMap<String, ConflictStrategy>,
}

impl Draft {
    /// The draft that changes nothing: the project as published.
    pub fn of(project: &Project) -> Draft {
        Draft {
            configuration: project.configuration.clone(),
            on_conflict: project
                .entities
                .iter()
                .map(|e| (e.name.clone(), e.on_conflict))
                .collect(),
        }
    }
}

impl Draft {
    /// Every row: the settings, then each entity's On Conflict.
    pub fn rows(&self) -> Vec<Row> {
        SETTINGS
            .into_iter()
            .map(Row::Setting)
            .chain(self.on_conflict.keys().cloned().map(Row::OnConflict))
            .collect()
    }

    /// The row's value in words.
    pub fn value(&self, row: &Row) -> String {
        let c = &self.configuration;
        match row {
            Row::OnConflict(entity) => self
                .on_conflict
                .get(entity)
                .map(ToString::to_string)
                .unwrap_or_default(),
            Row::Setting(key) => match key {
                SettingKey::RequireSyncLogin => on_off(c.require_sync_login),
                SettingKey::AutoSync => c.trigger_auto_sync.to_string(),
                SettingKey::BackgroundSync => on_off(c.background_sync),
                SettingKey::SavePassword => on_off(c.save_password),
                SettingKey::AutoSyncInterval if c.auto_sync_interval == 0 => "0 (off)".into(),
                SettingKey::AutoSyncInterval => c.auto_sync_interval.to_string(),
                SettingKey::SyncBeforeOnline => c.sync_before_online.to_string(),
                SettingKey::SyncBeforeOffline => c.sync_before_offline.to_string(),
                SettingKey::BackgroundDownload => on_off(c.background_download),
                SettingKey::BackgroundSyncBehavior => c.background_sync_behavior.to_string(),
            },
        }
    }

    /// Whether the row's setting is locked (`None`: On Conflict has no lock).
    pub fn locked(&self, row: &Row) -> Option<bool> {
        match row {
            Row::Setting(key) => Some(self.configuration.is_locked(*key)),
            Row::OnConflict(_) => None,
        }
    }

    /// The row's previous (`delta` -1) or next (+1) value, going round.
    pub fn step(&mut self, row: &Row, delta: i64) {
        let c = &mut self.configuration;
        let flip = |v: bool| cycle(&[false, true], v, delta);
        match row {
            Row::OnConflict(entity) => {
                if let Some(s) = self.on_conflict.get_mut(entity) {
                    *s = cycle(&ConflictStrategy::ALL, *s, delta);
                }
            }
            Row::Setting(key) => match key {
                SettingKey::RequireSyncLogin => c.require_sync_login = flip(c.require_sync_login),
                SettingKey::AutoSync => {
                    c.trigger_auto_sync = cycle(&AutoSync::ALL, c.trigger_auto_sync, delta);
                }
                SettingKey::BackgroundSync => c.background_sync = flip(c.background_sync),
                SettingKey::SavePassword => c.save_password = flip(c.save_password),
                SettingKey::AutoSyncInterval => {
                    // A typed value steps to the preset on its side.
                    let now = c.auto_sync_interval;
                    c.auto_sync_interval = if INTERVAL_STEPS.contains(&now) {
                        cycle(&INTERVAL_STEPS, now, delta)
                    } else if delta > 0 {
                        INTERVAL_STEPS.into_iter().find(|s| *s > now).unwrap_or(0)
                    } else {
                        INTERVAL_STEPS
                            .into_iter()
                            .rev()
                            .find(|s| *s < now)
                            .unwrap_or(0)
                    };
                }
                SettingKey::SyncBeforeOnline => {
                    c.sync_before_online =
                        cycle(&SyncBeforeSwitch::ALL, c.sync_before_online, delta);
                }
                SettingKey::SyncBeforeOffline => {
                    c.sync_before_offline =
                        cycle(&SyncBeforeSwitch::ALL, c.sync_before_offline, delta);
                }
                SettingKey::BackgroundDownload => {
                    c.background_download = flip(c.background_download);
                }
                SettingKey::BackgroundSyncBehavior => {
                    c.background_sync_behavior =
                        cycle(&BackgroundBehavior::ALL, c.background_sync_behavior, delta);
                }
            },
        }
    }

    pub fn toggle_lock(&mut self, key: SettingKey) {
        let locked = &mut self.configuration.locked;
        if !locked.remove(&key) {
            locked.insert(key);
        }
    }

    pub fn set_interval(&mut self, seconds: u64) {
        self.configuration.auto_sync_interval = seconds;
    }

    /// Whether the row differs from `published` (its value or its lock).
    pub fn changed(&self, published: &Draft, row: &Row) -> bool {
        self.value(row) != published.value(row) || self.locked(row) != published.locked(row)
    }
}

/// Why a draft or a `configure` step cannot make a project.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("`{key}`: {message}")]
    Configuration { key: String, message: String },
    #[error("on_conflict: the project has no entity `{0}`")]
    UnknownEntity(String),
}

/// The next version of `current`: its entities and forms, with the draft's Configuration and
/// On Conflict strategies. The server gives it its number when it publishes it; this one is
/// what the server will give (the current version plus one).
pub fn next_project(current: &Project, draft: &Draft) -> Result<Project, DraftError> {
    if let Some(unknown) = draft
        .on_conflict
        .keys()
        .find(|name| current.entity(name).is_none())
    {
        return Err(DraftError::UnknownEntity(unknown.clone()));
    }
    let mut next = current.clone();
    next.version = current.version + 1;
    next.configuration = draft.configuration.clone();
    for entity in &mut next.entities {
        if let Some(strategy) = draft.on_conflict.get(&entity.name) {
            entity.on_conflict = *strategy;
        }
    }
    Ok(next)
}

/// What a published project asks of devices, in a line for the timeline: the Background sync
/// behavior, the interval, and the locked settings.
pub fn describe(project: &Project) -> String {
    let c = &project.configuration;
    let locked: Vec<&str> = SETTINGS
        .into_iter()
        .filter(|k| c.is_locked(*k))
        .map(setting_label)
        .collect();
    format!(
        "Background sync behavior {}, Trigger Auto Sync {}, interval {} s, locked: {}",
        c.background_sync_behavior,
        c.trigger_auto_sync,
        c.auto_sync_interval,
        if locked.is_empty() {
            "none".to_string()
        } else {
            locked.join(", ")
        }
    )
}

/// `configuration` with `overrides` (keys and values as in a project file's `[configuration]`)
/// written over it: a `configure` step's changes. Unknown keys and bad values are refused with
/// the key they are about.
pub fn with_overrides(
    configuration: &ProjectConfig,
    overrides: &toml::Table,
) -> Result<ProjectConfig, DraftError> {
    let mut changed = configuration.clone();
    for (key, value) in overrides {
        changed = with_override(&changed, key, value)?;
    }
    Ok(changed)
}

/// `configuration` with the one setting `key` set to `value`: one key at a time, so a value the
/// setting cannot take is refused with that key.
fn with_override(
    configuration: &ProjectConfig,
    key: &str,
    value: &toml::Value,
) -> Result<ProjectConfig, DraftError> {
    let refused = |key: &str, message: String| DraftError::Configuration {
        key: key.to_string(),
        message,
    };
    let mut table = toml::Table::try_from(configuration)
        .map_err(|e| refused("configuration", e.to_string()))?;
    if !table.contains_key(key) {
        let keys = table.keys().cloned().collect::<Vec<_>>().join(", ");
        return Err(refused(
            key,
            format!("not a Configuration setting (one of: {keys})"),
        ));
    }
    table.insert(key.to_string(), value.clone());
    toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| refused(key, e.message().trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{BackgroundBehavior, SettingKey};

    #[test]
    fn the_next_project_carries_the_draft_and_the_next_version() {
        let current = crate::assets::project_v1();
        let mut draft = Draft::of(&current);
        draft.configuration.background_sync_behavior = BackgroundBehavior::BlockSave;
        draft.configuration.locked.insert(SettingKey::AutoSync);
        draft
            .on_conflict
            .insert("account".into(), ConflictStrategy::Manual);
        let next = next_project(&current, &draft).unwrap();
        assert_eq!(next.version, current.version + 1);
        assert_eq!(
            next.configuration.background_sync_behavior,
            BackgroundBehavior::BlockSave
        );
        assert!(next.configuration.is_locked(SettingKey::AutoSync));
        assert_eq!(
            next.entity("account").unwrap().on_conflict,
            ConflictStrategy::Manual
        );
        assert_eq!(next.entities.len(), current.entities.len());
        draft
            .on_conflict
            .insert("invoice".into(), ConflictStrategy::Manual);
        assert_eq!(
            next_project(&current, &draft),
            Err(DraftError::UnknownEntity("invoice".into()))
        );
    }

    #[test]
    fn every_row_steps_round_and_back() {
        let published = Draft::of(&crate::assets::project_v1());
        for row in published.rows() {
            let mut draft = published.clone();
            let mut seen = vec![draft.value(&row)];
            draft.step(&row, 1);
            assert!(draft.changed(&published, &row), "{row:?} does not change");
            while draft.value(&row) != published.value(&row) {
                seen.push(draft.value(&row));
                assert!(
                    seen.len() <= INTERVAL_STEPS.len(),
                    "{row:?} never comes round"
                );
                draft.step(&row, 1);
            }
            draft.step(&row, 1);
            draft.step(&row, -1);
            assert_eq!(draft, published, "{row:?}: ← undoes →");
        }
    }

    #[test]
    fn overrides_name_the_key_they_cannot_take() {
        let base = ProjectConfig::default();
        let ok: toml::Table =
            toml::from_str("background_sync_behavior = \"BlockSave\"\nauto_sync_interval = 45")
                .unwrap();
        let changed = with_overrides(&base, &ok).unwrap();
        assert_eq!(
            changed.background_sync_behavior,
            BackgroundBehavior::BlockSave
        );
        assert_eq!(changed.auto_sync_interval, 45);
        let unknown: toml::Table = toml::from_str("colour = \"red\"").unwrap();
        assert!(matches!(
            with_overrides(&base, &unknown),
            Err(DraftError::Configuration { key, .. }) if key == "colour"
        ));
        let bad: toml::Table = toml::from_str("background_sync_behavior = \"Sometimes\"").unwrap();
        assert!(matches!(
            with_overrides(&base, &bad),
            Err(DraftError::Configuration { key, .. }) if key == "background_sync_behavior"
        ));
    }
}
