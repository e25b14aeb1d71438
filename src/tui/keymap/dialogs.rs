//! The bindings of the dialogs and the sign-in screen, which take the keys over the screen
//! beneath them (the contexts' table is [`super::table`]).

use super::Key::*;
use super::table::{CURSOR, HELP, TEXT, answer, bind, moves};
use super::{Bar, Binding};
use crate::app::Action;
use crate::rules::SwitchChoice;

/// The Sync-before dialog (AskUserToSync / WarnUserMustSync).
pub(super) fn mode_dialog() -> Vec<Binding> {
    vec![
        bind(
            &[Left, Right, Tab, BackTab],
            "choose a button",
            Bar::No,
            moves,
        ),
        bind(
            &[Enter],
            "press the selected button",
            Bar::Yes("press"),
            |app, _| app.select_action(),
        ),
        bind(
            &[Char('s')],
            "Sync, then switch",
            Bar::Yes("Sync, then switch"),
            |_, _| answer(SwitchChoice::SyncThenSwitch),
        ),
        bind(
            &[Char('w')],
            "Switch without sync",
            Bar::Yes("Switch without sync"),
            |_, _| answer(SwitchChoice::SwitchWithoutSync),
        ),
        bind(&[Char('c'), Esc], "Cancel", Bar::Yes("Cancel"), |_, _| {
            answer(SwitchChoice::Cancel)
        }),
        HELP,
    ]
}

/// The unsaved-changes dialog: keeping is the default.
pub(super) fn discard() -> Vec<Binding> {
    vec![
        bind(
            &[Enter, Char('n'), Esc],
            "keep the edits and go on editing",
            Bar::Yes("keep editing"),
            |_, _| Some(Action::KeepEditing),
        ),
        bind(
            &[Char('d')],
            "discard the unsaved edits",
            Bar::Yes("discard"),
            |_, _| Some(Action::ConfirmDiscard),
        ),
        HELP,
    ]
}

/// The delete dialog: keeping the record is the default.
pub(super) fn confirm_delete() -> Vec<Binding> {
    vec![
        bind(
            &[Enter, Char('n'), Esc],
            "keep the record",
            Bar::Yes("keep"),
            |_, _| Some(Action::KeepEditing),
        ),
        bind(
            &[Char('d')],
            "delete the record on the device (the next sync deletes it on the server)",
            Bar::Yes("delete"),
            |_, _| Some(Action::ConfirmDelete),
        ),
        HELP,
    ]
}

/// The sign-in screen: URL, user name and password.
pub(super) fn login() -> Vec<Binding> {
    vec![
        bind(
            &[Enter],
            "sign in and synchronize",
            Bar::Yes("sync"),
            |_, _| Some(Action::EndEdit),
        ),
        bind(&[Esc], "cancel", Bar::Yes("cancel"), |_, _| {
            Some(Action::CancelSync)
        }),
        bind(
            &[Tab],
            "next input (URL, user name, password)",
            Bar::Yes("next"),
            |_, _| Some(Action::NextField),
        ),
        bind(&[BackTab], "previous input", Bar::No, |_, _| {
            Some(Action::PrevField)
        }),
        TEXT,
        CURSOR,
    ]
}
