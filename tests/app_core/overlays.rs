//! The overlays: the help, a dialog and the sync screen stack in one fixed order.

use crate::app_common::fixture::*;
use autosync::app::{Action, App, Dialog, Screen};
use autosync::engine::SyncStatus;
use autosync::rules::Phase;
use autosync::settings::AutoSync;

use super::*;

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
