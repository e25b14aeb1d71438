//! The App core on its own: an App built from a fixture view of the device, actions applied,
//! the state and the returned effects checked — no server, no SQLite, no runtime. The driver's
//! answers are written here as the driver would give them.

mod app_common;

use app_common::fixture::*;
use app_common::{T0, key};
use autosync::app::{
    Action, App, Dialog, Effect, EffectResult, FormOrigin, GateView, Reloaded, SaveBy, Screen,
    ScreenKind,
};
use autosync::device::SaveOutcome;
use autosync::engine::{Command, SyncStatus};
use autosync::rules::{Phase, SaveRefusal, Trigger};
use autosync::settings::{AutoSync, BackgroundBehavior, SettingChange};
use autosync::store::{Conflict, ConflictKind, LocalRecord, UserResolution};
use autosync::wire::Record;
use chrono::DateTime;
use crossterm::event::KeyCode;

fn message(app: &App) -> String {
    app.message().map(|m| m.text.clone()).unwrap_or_default()
}

fn account() -> LocalRecord {
    LocalRecord {
        entity: "account".into(),
        id: "acc-0001".into(),
        etag: Some("e1".into()),
        fields: fields(&[("name", "Acme"), ("city", "Brno"), ("rating", "Warm")]),
    }
}

/// Opens acc-0001's form, answering the record load and the form's opening as the driver does.
fn open_account(app: &mut App) {
    let effects = app.update(Action::OpenRecord {
        entity: "account".into(),
        id: "acc-0001".into(),
    });
    assert_eq!(
        effects,
        vec![Effect::LoadRecord {
            entity: "account".into(),
            id: "acc-0001".into()
        }]
    );
    assert_eq!(
        app.screen_kind(),
        ScreenKind::Home,
        "no form before the record is read"
    );
    let effects = answer(
        app,
        EffectResult::RecordLoaded {
            entity: "account".into(),
            id: "acc-0001".into(),
            record: Ok(Some(account())),
        },
    );
    assert_eq!(
        effects,
        vec![Effect::OpenForm],
        "the device counts the form open"
    );
    answer(
        app,
        EffectResult::Gate(GateView {
            open_forms: 1,
            held: 0,
        }),
    );
    assert_eq!(app.top_form().unwrap().title, "Acme");
    assert_eq!(app.ui_gate().open_forms, 1);
}

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
fn a_save_is_an_effect_and_a_refusal_is_shown_with_the_edits_kept() {
    let mut app = fixture(AutoSync::OnStart, Vec::new());
    open_account(&mut app);
    app.update(Action::EditField {
        field: "city".into(),
        value: "Praha".into(),
    });
    let effects = app.update(Action::Save);
    assert_eq!(
        effects,
        vec![Effect::Save {
            entity: "account".into(),
            id: "acc-0001".into(),
            values: fields(&[("city", "Praha")]),
            by: SaveBy::Form,
        }]
    );
    assert_eq!(
        app.top_form().unwrap().notice,
        None,
        "the form claims nothing before the store answers"
    );
    let reason = SaveRefusal::BlockedByBackgroundSync {
        behavior: BackgroundBehavior::BlockSave,
        phase: Phase::Upload,
    };
    answer(
        &mut app,
        EffectResult::Saved {
            entity: "account".into(),
            id: "acc-0001".into(),
            values: fields(&[("city", "Praha")]),
            by: SaveBy::Form,
            outcome: Ok(SaveOutcome::Refused(reason)),
        },
    );
    let form = app.top_form().unwrap();
    assert_eq!(
        form.notice.as_ref().unwrap().text,
        format!("Save refused: {reason}")
    );
    assert_eq!(message(&app), format!("Save refused: {reason}"));
    assert!(form.is_dirty(), "the edits are kept");
    assert_eq!(form.field("city").unwrap().stored, "Brno");
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

#[test]
fn quitting_with_unsaved_edits_asks_then_closes_the_form_and_stops_the_engine() {
    let mut app = fixture(AutoSync::OnStart, Vec::new());
    open_account(&mut app);
    app.update(Action::EditField {
        field: "city".into(),
        value: "Praha".into(),
    });
    assert!(app.update(Action::Quit).is_empty(), "it asks first");
    assert!(matches!(app.dialog(), Some(Dialog::Discard { .. })));
    assert!(!app.is_quitting());
    let effects = app.update(Action::ConfirmDiscard);
    assert_eq!(
        effects,
        vec![
            Effect::CloseForm,
            Effect::Engine(Command::Shutdown),
            Effect::Quit
        ]
    );
    assert!(app.is_quitting());
    assert!(
        app.update(Action::OpenSetup).is_empty(),
        "nothing happens after quitting"
    );
}

#[test]
fn a_conflict_resolution_is_an_effect_and_the_resolved_conflict_leaves() {
    let at = DateTime::parse_from_rfc3339(T0).unwrap().to_utc();
    let conflict = Conflict {
        id: 7,
        entity: "contact".into(),
        record_id: "con-0001".into(),
        kind: ConflictKind::ChangedOnBoth,
        device_changes: fields(&[("job_title", "Device Title")]),
        device_record: fields(&[("job_title", "Device Title")]),
        server: Some(Record {
            id: "con-0001".into(),
            etag: "s2".into(),
            fields: fields(&[("job_title", "Server Title")]),
            modified_on: at,
            modified_by: "backoffice".into(),
        }),
        detected_at: at,
        problem: None,
    };
    let mut app = fixture(AutoSync::OnStart, vec![conflict]);
    app.update(Action::OpenSyncErrors);
    app.update(Action::OpenConflict { conflict_id: 7 });
    assert_eq!(app.screen_kind(), ScreenKind::Conflict);
    let effects = app.update(Action::Resolve {
        conflict_id: 7,
        resolution: UserResolution::TakeServer,
    });
    assert_eq!(
        effects,
        vec![Effect::Resolve {
            conflict_id: 7,
            resolution: UserResolution::TakeServer
        }]
    );
    let effects = answer(
        &mut app,
        EffectResult::Resolved {
            resolution: UserResolution::TakeServer,
            outcome: Ok(()),
        },
    );
    assert_eq!(
        message(&app),
        "Take Server Version: the server's values are on the device"
    );
    let [Effect::Reload(reload)] = effects.as_slice() else {
        panic!("the conflicts are read again: {effects:?}");
    };
    assert!(reload.conflicts && reload.counts);
    answer(
        &mut app,
        EffectResult::Reloaded(Box::new(Reloaded {
            conflicts: Some(Ok(Vec::new())),
            ..Reloaded::default()
        })),
    );
    assert_eq!(
        app.screen_kind(),
        ScreenKind::SyncErrors,
        "the resolved conflict's detail closes"
    );
    assert!(app.conflicts().is_empty());
}

#[test]
fn a_too_small_terminal_refuses_everything_but_quitting() {
    let mut app = fixture(AutoSync::OnStart, Vec::new());
    app.update(Action::Resize {
        width: 40,
        height: 10,
    });
    assert!(app.update(Action::PressSync).is_empty());
    assert!(
        message(&app).starts_with("The terminal is too small"),
        "{}",
        message(&app)
    );
    assert!(matches!(app.screen(), Screen::Home(_)));
    app.update(Action::Resize {
        width: 80,
        height: 24,
    });
    assert_eq!(message(&app), "", "the warning answered nothing shown now");
    let effects = app.update(Action::Quit);
    assert_eq!(
        effects,
        vec![Effect::Engine(Command::Shutdown), Effect::Quit]
    );
}

fn lost_city() -> autosync::auditor::LostEdit {
    autosync::auditor::LostEdit {
        entity: "account".into(),
        id: "acc-0001".into(),
        field: "city".into(),
        value: "Praha".into(),
        saved_at: DateTime::parse_from_rfc3339(T0).unwrap().to_utc(),
        cause: autosync::auditor::LossCause::OverwrittenBySync,
        detail: "the sync wrote the server's version over it".into(),
        device_value: Some("Brno".into()),
        server_value: None,
    }
}

#[test]
fn home_shows_the_auditors_lost_edits_and_opens_their_list_and_keeps_the_count_true() {
    use autosync::app::HomeItem;
    let mut app = fixture(AutoSync::OnStart, Vec::new());
    let lost_item = |app: &App| {
        app.home_items()
            .into_iter()
            .position(|i| matches!(i, HomeItem::LostEdits { .. }))
    };
    assert_eq!(lost_item(&app), None, "absent while the auditor found none");

    let found = Reloaded {
        lost: Some(vec![lost_city(), lost_city()]),
        ..Reloaded::default()
    };
    answer(&mut app, EffectResult::Reloaded(Box::new(found)));
    let at = lost_item(&app).expect("the line shows once the auditor found some");
    assert_eq!(app.home_items()[at], HomeItem::LostEdits { count: 2 });
    assert_eq!(at, 0, "first on Home when there are no sync errors");

    // Enter on it opens the Log, which lists the lost edits (and reads the auditor again).
    let effects = app.update(Action::Pick(at));
    assert_eq!(app.screen_kind(), ScreenKind::Log);
    assert!(
        matches!(effects.as_slice(), [Effect::Reload(r)] if r.lost),
        "{effects:?}"
    );
    app.update(Action::OpenHome);

    // A save changes the journal: the driver is asked for the auditor's findings again.
    open_account(&mut app);
    app.update(Action::EditField {
        field: "city".into(),
        value: "Praha".into(),
    });
    app.update(Action::Save);
    let effects = answer(
        &mut app,
        EffectResult::Saved {
            entity: "account".into(),
            id: "acc-0001".into(),
            values: fields(&[("city", "Praha")]),
            by: SaveBy::Form,
            outcome: Ok(SaveOutcome::Unchanged),
        },
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Reload(r) if r.lost)),
        "{effects:?}"
    );
    // The auditor now finds nothing: the line goes.
    let none = Reloaded {
        lost: Some(Vec::new()),
        ..Reloaded::default()
    };
    answer(&mut app, EffectResult::Reloaded(Box::new(none)));
    assert_eq!(lost_item(&app), None);
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

/// New and Delete as effects: the list's new form names a missing required field without any
/// effect, then asks the device to create; the form's delete asks in a dialog, Enter-equivalent
/// keeping declines, and only the confirmation asks the device to delete.
#[test]
fn new_and_delete_are_effects_after_the_required_field_and_the_confirmation() {
    use autosync::rules::{SaveDecision, UploadsWith};
    use autosync::store::SaveReport;
    let mut app = fixture(AutoSync::OnStart, Vec::new());
    app.update(Action::OpenList {
        entity: "account".into(),
    });
    let effects = app.update(Action::NewRecord);
    assert_eq!(effects, vec![Effect::OpenForm]);
    let form = app.top_form().expect("the new record's form");
    assert_eq!((form.id.as_str(), form.origin), ("", FormOrigin::New));
    app.update(Action::EditField {
        field: "city".into(),
        value: "Praha".into(),
    });
    assert!(
        app.update(Action::Save).is_empty(),
        "no name: nothing to create"
    );
    assert_eq!(
        app.top_form().unwrap().notice.as_ref().unwrap().text,
        "Account Name is required: type it before saving the new record"
    );
    app.update(Action::EditField {
        field: "name".into(),
        value: "Nový s.r.o.".into(),
    });
    let values = fields(&[("city", "Praha"), ("name", "Nový s.r.o.")]);
    assert_eq!(
        app.update(Action::Save),
        vec![Effect::Create {
            entity: "account".into(),
            id: None,
            values: values.clone(),
        }]
    );
    let saved = SaveOutcome::Saved {
        decision: SaveDecision::Allow,
        report: SaveReport {
            outbox_seq: Some(1),
            changed: vec!["city".into(), "name".into()],
            waited: std::time::Duration::ZERO,
        },
        uploads: UploadsWith::NextSync,
    };
    answer(
        &mut app,
        EffectResult::Created {
            entity: "account".into(),
            values,
            outcome: Ok(("new-id".into(), saved.clone())),
        },
    );
    let form = app.top_form().unwrap();
    assert_eq!(
        (form.id.as_str(), form.origin),
        ("new-id", FormOrigin::Stored)
    );
    assert_eq!(form.title, "Nový s.r.o.");
    assert!(!form.is_dirty(), "what was typed is stored now");
    assert!(
        message(&app).starts_with("Created on the device"),
        "{}",
        message(&app)
    );

    assert!(app.update(Action::DeleteRecord).is_empty(), "it asks first");
    assert!(matches!(
        app.dialog(),
        Some(Dialog::ConfirmDelete { id, .. }) if id == "new-id"
    ));
    let enter = autosync::tui::keymap::map_key(&app, key(KeyCode::Enter));
    assert_eq!(enter, Some(Action::KeepEditing), "Enter keeps the record");
    assert!(app.update(Action::KeepEditing).is_empty());
    assert!(app.dialog().is_none());
    app.update(Action::DeleteRecord);
    assert_eq!(
        app.update(Action::ConfirmDelete),
        vec![Effect::Delete {
            entity: "account".into(),
            id: "new-id".into(),
        }]
    );
    let effects = answer(
        &mut app,
        EffectResult::Deleted {
            entity: "account".into(),
            id: "new-id".into(),
            outcome: Ok(saved),
        },
    );
    assert!(effects.contains(&Effect::CloseForm), "{effects:?}");
    assert_eq!(app.screen_kind(), ScreenKind::List);
    assert!(
        message(&app).starts_with("Deleted on the device"),
        "{}",
        message(&app)
    );
}

/// A device delete against a server edit under Sync Errors: its "what if" view says what each
/// strategy does with a delete, not with an edit.
#[test]
fn the_what_if_of_a_device_delete_is_per_strategy_for_a_delete() {
    use autosync::settings::ConflictStrategy;
    let at = DateTime::parse_from_rfc3339(T0).unwrap().to_utc();
    let server = fields(&[("name", "Alpine Ski House"), ("city", "Edited")]);
    let conflict = Conflict {
        id: 9,
        entity: "account".into(),
        record_id: "acc-0004".into(),
        kind: ConflictKind::DeletedOnDevice,
        device_changes: fields(&[]),
        device_record: fields(&[]),
        server: Some(Record {
            id: "acc-0004".into(),
            etag: "s9".into(),
            fields: server.clone(),
            modified_on: at,
            modified_by: "backoffice".into(),
        }),
        detected_at: at,
        problem: None,
    };
    let app = fixture(AutoSync::OnStart, vec![conflict]);
    let rows = app.what_if_rows(9);
    let by = |s: ConflictStrategy| rows.iter().find(|r| r.strategy == s).unwrap();
    assert_eq!(by(ConflictStrategy::ServerWins).result, Some(server));
    for s in [
        ConflictStrategy::DeviceWins,
        ConflictStrategy::DeviceWinsFull,
    ] {
        assert_eq!(by(s).result, None, "{s}: deleted on the server");
        assert!(
            by(s).note.contains("deleted on the server"),
            "{}",
            by(s).note
        );
    }
    assert!(
        by(ConflictStrategy::Manual).note.contains("Sync Errors"),
        "{}",
        by(ConflictStrategy::Manual).note
    );
}

/// The overlays stack as they always did: the help opens over a dialog and closing it returns
/// to the dialog; a foreground sync's screen covers the dialog and gives it back when the sync
/// ends; closing the dialog returns to the form under it.
#[test]
fn the_help_opens_over_a_dialog_and_a_dialog_waits_under_the_sync_screen() {
    use autosync::app::{Focus, Layer};
    use autosync::rules::{SyncActivity, SyncMode};
    let mut app = fixture(AutoSync::OnStart, Vec::new());
    open_account(&mut app);
    app.update(Action::EditField {
        field: "city".into(),
        value: "Praha".into(),
    });
    app.update(Action::Back);
    let on_dialog = |app: &App| {
        matches!(
            app.focus(),
            Focus::On(Layer::Dialog(Dialog::Discard { .. }))
        )
    };
    assert!(on_dialog(&app), "Back on a changed form asks first");
    app.update(Action::Help);
    assert!(
        matches!(
            app.focus(),
            Focus::Help {
                over: Layer::Dialog(Dialog::Discard { .. })
            }
        ),
        "the help lists the dialog's keys"
    );
    app.update(Action::Help);
    assert!(on_dialog(&app), "closing the help returns to the dialog");
    let running = SyncStatus {
        activity: SyncActivity::Running {
            mode: SyncMode::Foreground,
            phase: Phase::Upload,
        },
        ..app.status().clone()
    };
    app.update(Action::Status(running));
    assert!(matches!(app.focus(), Focus::On(Layer::SyncRunning)));
    assert!(
        app.dialog().is_some(),
        "the dialog waits under the sync screen"
    );
    let idle = SyncStatus {
        activity: SyncActivity::Idle,
        ..app.status().clone()
    };
    app.update(Action::Status(idle));
    assert!(on_dialog(&app), "the sync screen closes onto the dialog");
    app.update(Action::KeepEditing);
    assert!(matches!(
        app.focus(),
        Focus::On(Layer::Screen(Screen::Form(_)))
    ));
}
