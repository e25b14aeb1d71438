//! Forms: a save, New and Delete are effects; unsaved edits are asked about before they go.

use crate::app_common::fixture::*;
use crate::app_common::key;
use autosync::app::{Action, Dialog, Effect, EffectResult, FormOrigin, SaveBy, ScreenKind};
use autosync::device::SaveOutcome;
use autosync::engine::Command;
use autosync::rules::{Phase, SaveRefusal};
use autosync::settings::{AutoSync, BackgroundBehavior};
use crossterm::event::KeyCode;

use super::*;

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
