//! The App core on its own: an App built from a fixture view of the device, actions applied,
//! the state and the returned effects checked — no server, no SQLite, no runtime. The driver's
//! answers are written here as the driver would give them.
//!
//! The modules: `settings` (Setup and the Sync screen), `forms`, `conflicts`, `home`,
//! `overlays` (help, dialog and sync screen stacking), `sign_in` (which password a sync signs in
//! with).

#[path = "../app_common/mod.rs"]
mod app_common;

use crate::app_common::fixture::*;
use autosync::app::{Action, App, Effect, EffectResult, GateView, ScreenKind};
use autosync::store::LocalRecord;

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

mod conflicts;
mod forms;
mod home;
mod overlays;
mod settings;
mod sign_in;
