//! "Sync before going Online / Sync before going Offline: Perform a synchronization before
//! going into online or offline mode."

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::settings::SyncBeforeSwitch;

/// Which way the user is switching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ModeSwitch {
    GoOnline,
    GoOffline,
}

impl fmt::Display for ModeSwitch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ModeSwitch::GoOnline => "going online",
            ModeSwitch::GoOffline => "going offline",
        })
    }
}

/// A button of the dialog shown before switching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwitchChoice {
    SyncThenSwitch,
    SwitchWithoutSync,
    Cancel,
}

impl fmt::Display for SwitchChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SwitchChoice::SyncThenSwitch => "Sync, then switch",
            SwitchChoice::SwitchWithoutSync => "Switch without sync",
            SwitchChoice::Cancel => "Cancel",
        })
    }
}

/// What happens when the user asks to switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SwitchPlan {
    /// NoAction – "Do not synchronize."
    SwitchNow,
    /// Show a dialog with these buttons.
    Ask { choices: Vec<SwitchChoice> },
    /// ForceSync – "Force synchronization": sync at once, switch only if it succeeds.
    SyncThenSwitch,
}

/// The next step after the user answered the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SwitchStep {
    Switch,
    SyncThenSwitch,
    Stay,
}

/// Whether the switch happens once the sync before it has ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SwitchOutcome {
    Switch,
    Stay { reason: String },
}

/// - NoAction – "Do not synchronize."
/// - AskUserToSync – "Offer the option to synchronize": sync then switch, switch without
///   syncing, or cancel.
/// - WarnUserMustSync – "Require synchronization before continuing": sync then switch, or
///   cancel; no switching without a sync.
/// - ForceSync – "Force synchronization".
///
/// *Interpretation*: the dialogs' exact buttons are not documented; these are the project's.
pub fn plan_switch(setting: SyncBeforeSwitch) -> SwitchPlan {
    match setting {
        SyncBeforeSwitch::NoAction => SwitchPlan::SwitchNow,
        SyncBeforeSwitch::AskUserToSync => SwitchPlan::Ask {
            choices: vec![
                SwitchChoice::SyncThenSwitch,
                SwitchChoice::SwitchWithoutSync,
                SwitchChoice::Cancel,
            ],
        },
        SyncBeforeSwitch::WarnUserMustSync => SwitchPlan::Ask {
            choices: vec![SwitchChoice::SyncThenSwitch, SwitchChoice::Cancel],
        },
        SyncBeforeSwitch::ForceSync => SwitchPlan::SyncThenSwitch,
    }
}

/// Applies the user's answer. A choice the dialog does not offer (e.g. switching without a
/// sync under WarnUserMustSync) is refused with `Err` naming why.
pub fn choose(setting: SyncBeforeSwitch, choice: SwitchChoice) -> Result<SwitchStep, String> {
    match plan_switch(setting) {
        SwitchPlan::Ask { choices } if choices.contains(&choice) => Ok(match choice {
            SwitchChoice::SyncThenSwitch => SwitchStep::SyncThenSwitch,
            SwitchChoice::SwitchWithoutSync => SwitchStep::Switch,
            SwitchChoice::Cancel => SwitchStep::Stay,
        }),
        SwitchPlan::Ask { .. } => Err(format!(
            "{setting}: \"{choice}\" is not offered; synchronization is required before continuing"
        )),
        _ => Err(format!(
            "{setting}: no dialog is shown, so there is nothing to choose"
        )),
    }
}

/// After the sync that precedes a switch. *Interpretation*: when that sync fails, the app
/// stays in its mode under every setting — under WarnUserMustSync and ForceSync because the
/// sync is required, under AskUserToSync because the user chose to sync first and can choose
/// again.
pub fn after_sync(
    setting: SyncBeforeSwitch,
    direction: ModeSwitch,
    sync_succeeded: bool,
) -> SwitchOutcome {
    if sync_succeeded {
        SwitchOutcome::Switch
    } else {
        SwitchOutcome::Stay {
            reason: format!(
                "the synchronization before {direction} failed ({setting}); the mode is unchanged"
            ),
        }
    }
}
