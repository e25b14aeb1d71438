//! A fixture view of a device for App-core tests that start no server, no SQLite and no
//! runtime: the App built from it, and the driver's answers written as values.

use std::path::PathBuf;

use autosync::app::{Action, App, DeviceSettings, Effect, EffectResult, Reloaded, Start};
use autosync::clock::Clock;
use autosync::device::AppMode;
use autosync::engine::SyncStatus;
use autosync::settings::{AutoSync, EffectiveSettings, UserSettings};
use autosync::store::{Conflict, SyncState};
use autosync::wire::Fields;
use chrono::DateTime;

use super::T0;

/// The fixture's server, as a demo profile on a loopback port has it.
pub const FIXTURE_SERVER: &str = "http://127.0.0.1:40000";

pub fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The device's settings as a fresh demo profile has them: project v1's defaults, the
/// password saved, offline.
pub fn device_settings(auto_sync: AutoSync) -> DeviceSettings {
    let project = autosync::assets::project_v1();
    let mut settings = UserSettings::from_project(&project.configuration, FIXTURE_SERVER, "demo");
    settings.auto_sync = auto_sync;
    DeviceSettings {
        effective: Some(EffectiveSettings::resolve(
            &settings,
            &project.configuration,
        )),
        settings: Some(settings),
        project: Some(project),
        password_saved: true,
        mode: AppMode::Offline,
    }
}

/// A synchronized device (Auto Sync `auto_sync`, project v1) with no sync running and
/// `conflicts` waiting.
pub fn fixture(auto_sync: AutoSync, conflicts: Vec<Conflict>) -> App {
    let mut app = App::new(Start {
        status: SyncStatus::default(),
        mode: AppMode::Offline,
        has_control: true,
        profile: PathBuf::from("/fixture/profile.db"),
        clock: Clock::frozen(DateTime::parse_from_rfc3339(T0).unwrap().to_utc()),
    });
    let effects = app.start();
    assert!(
        matches!(effects.as_slice(), [Effect::Reload(r)] if r.settings && r.counts && r.conflicts),
        "the App first asks for its view of the device: {effects:?}"
    );
    let view = Reloaded {
        settings: Some(device_settings(auto_sync)),
        counts: Some(Vec::new()),
        conflicts: Some(Ok(conflicts)),
        journal: Some(Ok(Vec::new())),
        checklist: Some((SyncState::default(), 0)),
        ..Reloaded::default()
    };
    let effects = answer(&mut app, EffectResult::Reloaded(Box::new(view)));
    assert!(effects.is_empty(), "{effects:?}");
    app
}

/// The driver's answer to an effect, handed to the App.
pub fn answer(app: &mut App, result: EffectResult) -> Vec<Effect> {
    app.update(Action::EffectDone(result))
}
