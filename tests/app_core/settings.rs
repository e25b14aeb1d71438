//! Setup's settings and the Sync screen: keys turned into setting changes and engine commands.

use crate::app_common::fixture::*;
use crate::app_common::key;
use autosync::app::{Action, App, Effect, EffectResult, Reloaded};
use autosync::engine::Command;
use autosync::rules::Trigger;
use autosync::settings::{AutoSync, SettingChange};
use crossterm::event::KeyCode;

use super::*;

#[test]
fn enter_on_setup_cycles_auto_sync_through_the_lock_rule() {
    let mut app = fixture(AutoSync::OnStart, Vec::new());
    app.update(Action::OpenSetup);
    let effects = app.update(Action::Select);
    let next = SettingChange::AutoSync(AutoSync::OnChange);
    assert_eq!(effects, vec![Effect::ChangeSetting(next.clone())]);
    assert_eq!(
        app.settings().unwrap().auto_sync,
        AutoSync::OnStart,
        "nothing changes before the device says so"
    );
    let effects = answer(
        &mut app,
        EffectResult::SettingChanged {
            change: next,
            outcome: Ok(()),
        },
    );
    assert_eq!(message(&app), "Auto Sync: On Change (saved)");
    let [Effect::Reload(reload)] = effects.as_slice() else {
        panic!("the saved setting is read back: {effects:?}");
    };
    assert!(reload.settings && reload.checklist && reload.journal_after.is_some());
    answer(
        &mut app,
        EffectResult::Reloaded(Box::new(Reloaded {
            settings: Some(device_settings(AutoSync::OnChange)),
            ..Reloaded::default()
        })),
    );
    assert_eq!(app.effective().unwrap().auto_sync, AutoSync::OnChange);

    // A locked setting is refused by the device with the reason, and the view stays.
    app.update(Action::Select);
    answer(
        &mut app,
        EffectResult::SettingChanged {
            change: SettingChange::AutoSync(AutoSync::OnStartAndChange),
            outcome: Err("Auto Sync is locked by the project".into()),
        },
    );
    assert_eq!(message(&app), "Auto Sync is locked by the project");
    assert_eq!(app.effective().unwrap().auto_sync, AutoSync::OnChange);
}
#[test]
fn the_sync_key_sends_the_manual_trigger_to_the_engine() {
    let mut app = fixture(AutoSync::OnStart, Vec::new());
    let action = autosync::tui::keymap::map_key(&app, key(KeyCode::Char('s'))).expect("s on Home");
    assert_eq!(action, Action::PressSync);
    let effects = app.update(action);
    assert_eq!(
        effects,
        vec![Effect::Engine(Command::Trigger(Trigger::Manual))]
    );
    assert_eq!(message(&app), "Synchronizing…");
}
/// Erases the focused input and types `text`, as keys.
fn retype(app: &mut App, text: &str) {
    let len = app.focused_input().map_or(0, |i| i.value().chars().count());
    for _ in 0..len {
        app.update(Action::Input(key(KeyCode::Backspace)));
    }
    for c in text.chars() {
        app.update(Action::Input(key(KeyCode::Char(c))));
    }
}

#[test]
fn the_sync_screen_edits_url_and_user_name_checks_the_url_and_saves_them_before_signing_in() {
    use autosync::app::{LoginField, SyncScreen};
    let mut app = fixture(AutoSync::Never, Vec::new());
    let mut view = device_settings(AutoSync::Never);
    view.password_saved = false;
    answer(
        &mut app,
        EffectResult::Reloaded(Box::new(Reloaded {
            settings: Some(view),
            ..Reloaded::default()
        })),
    );
    app.update(Action::PressSync);
    let login = |app: &App| match app.sync_screen() {
        Some(SyncScreen::Login { fields, .. }) => Some(fields.clone()),
        _ => None,
    };
    let fields = login(&app).expect("the password is not saved: the sync screen asks");
    assert_eq!(fields.url.value(), FIXTURE_SERVER);
    assert_eq!(fields.user.value(), "demo");
    assert_eq!(fields.focus, LoginField::Password, "the password first");

    // Tab goes round: URL, user name, password.
    app.update(Action::NextField);
    assert_eq!(login(&app).unwrap().focus, LoginField::Url);
    retype(&mut app, "ftp//nowhere");
    app.update(Action::PrevField);
    app.update(Action::PrevField);
    assert_eq!(login(&app).unwrap().focus, LoginField::UserName);
    retype(&mut app, "alice");
    app.update(Action::NextField);
    retype(&mut app, "wonderland");
    assert_eq!(login(&app).unwrap().password.value(), "wonderland");

    // A URL that does not parse: said so, nothing saved, the screen stays with what was typed.
    let effects = app.update(Action::EndEdit);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::ChangeSetting(_) | Effect::EnterPassword(_))),
        "{effects:?}"
    );
    assert!(
        message(&app).contains("Server URL `ftp//nowhere` is not a server address"),
        "{}",
        message(&app)
    );
    assert_eq!(login(&app).unwrap().user.value(), "alice");

    // Fixed: the URL and the user name are saved to the profile, then the password goes.
    app.update(Action::NextField);
    retype(&mut app, "http://127.0.0.1:40001");
    let effects = app.update(Action::EndEdit);
    let asked: Vec<&Effect> = effects
        .iter()
        .filter(|e| matches!(e, Effect::ChangeSetting(_) | Effect::EnterPassword(_)))
        .collect();
    assert_eq!(
        asked,
        vec![
            &Effect::ChangeSetting(SettingChange::ServerUrl("http://127.0.0.1:40001".into())),
            &Effect::ChangeSetting(SettingChange::UserName("alice".into())),
            &Effect::EnterPassword("wonderland".into()),
        ]
    );
}
