//! Home: the auditor's lost edits, and the too-small terminal.

use crate::app_common::T0;
use crate::app_common::fixture::*;
use autosync::app::{Action, App, Effect, EffectResult, Reloaded, SaveBy, Screen, ScreenKind};
use autosync::device::SaveOutcome;
use autosync::engine::Command;
use autosync::settings::AutoSync;
use chrono::DateTime;

use super::*;

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
