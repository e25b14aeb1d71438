//! Which password a sync the user asks for signs in with, as the App core asks the sign-in and
//! keeping rules (`rules::sign_in`, `rules::typed_password`, `rules::keep_typed_password`): when
//! Sync opens the sign-in screen, and when a password typed earlier serves the sync.

use crate::app_common::fixture::*;
use autosync::app::{Action, App, DeviceSettings, Effect, EffectResult, Reloaded, SyncScreen};
use autosync::engine::Command;
use autosync::rules::{LoginReason, Trigger};
use autosync::settings::{AutoSync, EffectiveSettings, SettingChange};

/// The fixture device with Save password, Require Sync Login and a saved password as given.
fn device(save_password: bool, require_sync_login: bool, password_saved: bool) -> DeviceSettings {
    let mut device = device_settings(AutoSync::OnStart);
    let project = device.project.as_mut().unwrap();
    project.configuration.require_sync_login = require_sync_login;
    project.configuration.locked.clear();
    let settings = device.settings.as_mut().unwrap();
    settings.save_password = save_password;
    device.effective = Some(EffectiveSettings::resolve(settings, &project.configuration));
    device.password_saved = password_saved;
    device
}

fn app_on(device: DeviceSettings) -> App {
    let mut app = fixture(AutoSync::OnStart, Vec::new());
    reload(&mut app, device);
    app
}

fn reload(app: &mut App, device: DeviceSettings) {
    let view = Reloaded {
        settings: Some(device),
        ..Reloaded::default()
    };
    answer(app, EffectResult::Reloaded(Box::new(view)));
}

fn asks(app: &App) -> Option<LoginReason> {
    match app.sync_screen() {
        Some(SyncScreen::Login { reason, .. }) => Some(*reason),
        _ => None,
    }
}

fn starts_sync(effects: &[Effect]) -> bool {
    effects.contains(&Effect::Engine(Command::Trigger(Trigger::Manual)))
}

/// Sync on a device that must ask: the sign-in screen for `reason`, no sync yet; the password
/// typed there is handed to the device, and the sync waiting for it starts once it is kept.
fn sign_in_on_the_screen(app: &mut App, reason: LoginReason) {
    let effects = app.update(Action::PressSync);
    assert_eq!(asks(app), Some(reason), "{effects:?}");
    assert!(!starts_sync(&effects), "{effects:?}");
    let effects = app.update(Action::EnterPassword("wonderland".into()));
    assert!(effects.contains(&Effect::EnterPassword("wonderland".into())));
    let effects = answer(app, EffectResult::PasswordEntered(Ok(())));
    assert!(
        starts_sync(&effects),
        "the waiting sync starts: {effects:?}"
    );
    assert_eq!(asks(app), None);
}

#[test]
fn save_password_off_a_password_typed_once_serves_the_session() {
    let mut app = app_on(device(false, false, false));
    sign_in_on_the_screen(&mut app, LoginReason::PasswordNotSaved);
    let effects = app.update(Action::PressSync);
    assert_eq!(
        asks(&app),
        None,
        "typed earlier this session: not asked again"
    );
    assert!(starts_sync(&effects), "{effects:?}");
}

#[test]
fn require_sync_login_asks_at_each_sync_even_with_the_password_saved() {
    let mut app = app_on(device(true, true, true));
    sign_in_on_the_screen(&mut app, LoginReason::SyncLoginRequired);
    let effects = app.update(Action::PressSync);
    assert_eq!(
        asks(&app),
        Some(LoginReason::SyncLoginRequired),
        "the password served the one sync it was typed for"
    );
    assert!(!starts_sync(&effects), "{effects:?}");
}

#[test]
fn under_require_sync_login_a_password_entered_before_sync_serves_the_next_sync_only() {
    let mut app = app_on(device(true, true, true));
    app.update(Action::EnterPassword("wonderland".into()));
    let effects = answer(&mut app, EffectResult::PasswordEntered(Ok(())));
    assert!(!starts_sync(&effects), "no sync was waiting: {effects:?}");
    let effects = app.update(Action::PressSync);
    assert_eq!(asks(&app), None, "typed for the sync about to start");
    assert!(starts_sync(&effects), "{effects:?}");
    let effects = app.update(Action::PressSync);
    assert_eq!(asks(&app), Some(LoginReason::SyncLoginRequired));
    assert!(!starts_sync(&effects), "{effects:?}");
}

#[test]
fn a_password_saved_on_the_device_is_gone_with_save_password_off() {
    let mut app = app_on(device(true, false, false));
    sign_in_on_the_screen(&mut app, LoginReason::PasswordNotSaved);
    // Save password on: the device saved it, and says so in its next view.
    reload(&mut app, device(true, false, true));
    let effects = app.update(Action::PressSync);
    assert_eq!(asks(&app), None, "signs in with the saved password");
    assert!(starts_sync(&effects), "{effects:?}");
    let effects = app.update(Action::ChangeSetting(SettingChange::SavePassword(false)));
    assert!(effects.contains(&Effect::ChangeSetting(SettingChange::SavePassword(false))));
    answer(
        &mut app,
        EffectResult::SettingChanged {
            change: SettingChange::SavePassword(false),
            outcome: Ok(()),
        },
    );
    reload(&mut app, device(false, false, false));
    let effects = app.update(Action::PressSync);
    assert_eq!(
        asks(&app),
        Some(LoginReason::PasswordNotSaved),
        "it was saved, not held for the session: it is asked for again"
    );
    assert!(!starts_sync(&effects), "{effects:?}");
}

/// A password kept for the session (Save password off) does not stand in for the login that
/// Require Sync Login asks at each sync once the administrator turns it on: Sync asks, and
/// keeps asking at each sync after.
#[test]
fn a_session_password_does_not_skip_require_sync_login_turned_on_later() {
    let mut app = app_on(device(false, false, false));
    sign_in_on_the_screen(&mut app, LoginReason::PasswordNotSaved);
    // The device applied a project whose Configuration turns Require Sync Login on.
    reload(&mut app, device(false, true, false));
    let effects = app.update(Action::PressSync);
    assert_eq!(
        asks(&app),
        Some(LoginReason::SyncLoginRequired),
        "{effects:?}"
    );
    assert!(!starts_sync(&effects), "{effects:?}");
    app.update(Action::Back);
    sign_in_on_the_screen(&mut app, LoginReason::SyncLoginRequired);
    let effects = app.update(Action::PressSync);
    assert_eq!(
        asks(&app),
        Some(LoginReason::SyncLoginRequired),
        "{effects:?}"
    );
}
