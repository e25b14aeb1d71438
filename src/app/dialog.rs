//! The modal dialogs — Sync before going Online / Offline, unsaved edits, delete the record —
//! and how a scenario names each one and its buttons.

use crate::rules::{ModeSwitch, SwitchChoice};

/// A modal question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// "Sync before going Online / Offline": AskUserToSync or WarnUserMustSync.
    ModeSwitch {
        direction: ModeSwitch,
        choices: Vec<SwitchChoice>,
        selected: usize,
        refusal: Option<String>,
    },
    /// A form with unsaved edits would close.
    Discard { then: AfterDiscard },
    /// Delete the open record on the device? (`title` names it.)
    ConfirmDelete {
        entity: String,
        id: String,
        title: String,
    },
}

/// Which dialog is open, as a scenario names it (`dialog = { kind = "sync_before_online" }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialogKind {
    SyncBeforeOnline,
    SyncBeforeOffline,
    Discard,
    ConfirmDelete,
}

/// A dialog's button, as a scenario names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialogButton {
    SyncThenSwitch,
    SwitchWithoutSync,
    Cancel,
    KeepEditing,
    Discard,
    KeepRecord,
    Delete,
}

impl Dialog {
    pub fn kind(&self) -> DialogKind {
        match self {
            Dialog::ModeSwitch {
                direction: ModeSwitch::GoOnline,
                ..
            } => DialogKind::SyncBeforeOnline,
            Dialog::ModeSwitch {
                direction: ModeSwitch::GoOffline,
                ..
            } => DialogKind::SyncBeforeOffline,
            Dialog::Discard { .. } => DialogKind::Discard,
            Dialog::ConfirmDelete { .. } => DialogKind::ConfirmDelete,
        }
    }

    /// The buttons in the order the dialog shows them.
    pub fn buttons(&self) -> Vec<DialogButton> {
        match self {
            Dialog::ModeSwitch { choices, .. } => choices
                .iter()
                .map(|c| match c {
                    SwitchChoice::SyncThenSwitch => DialogButton::SyncThenSwitch,
                    SwitchChoice::SwitchWithoutSync => DialogButton::SwitchWithoutSync,
                    SwitchChoice::Cancel => DialogButton::Cancel,
                })
                .collect(),
            // Keep first: it is the default (see the dialog's drawing).
            Dialog::Discard { .. } => vec![DialogButton::KeepEditing, DialogButton::Discard],
            Dialog::ConfirmDelete { .. } => vec![DialogButton::KeepRecord, DialogButton::Delete],
        }
    }
}

/// What happens once unsaved edits are discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterDiscard {
    Back,
    Home,
    Quit,
}
