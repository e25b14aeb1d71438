//! The App core's work on the world, as data: control-API calls, online saves, the custom
//! command's timer, quitting. `App::update` returns effects; the driver
//! ([`crate::device::driver`]) performs them and feeds the answering `Action` back.

use std::path::PathBuf;

use crate::device::OnlineSave;
use crate::wire::{FaultRule, Fields};

/// Work for the driver.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Write the journal as JSON lines beside `path` (never over an earlier export).
    ExportLog { path: PathBuf },
    /// A call to the demo server's control API.
    Control(ControlCall),
    /// Online mode: save the form's changed fields straight to the server (`If-Match`).
    SaveOnline {
        entity: String,
        id: String,
        values: Fields,
    },
    /// Wake the custom command for its next record after `after_ms` milliseconds.
    CustomStep { run: u64, after_ms: u64 },
    /// The user quit: the driver stops (the App has already shut its engine down).
    Quit,
}

/// A demo control that the server carries out.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlCall {
    PublishV2,
    /// Edit a record on the server as another user (`backoffice`).
    Edit {
        entity: String,
        id: String,
        fields: Fields,
    },
    /// Delete a record on the server as another user.
    Delete {
        entity: String,
        id: String,
    },
    SetDelay {
        entity: String,
        ms: u64,
    },
    Fault(FaultRule),
}

/// What an effect did, fed back as `Action::EffectDone`.
#[derive(Debug, Clone, PartialEq)]
pub enum EffectResult {
    /// The export ended: how many entries, and the file they went to.
    Exported {
        path: PathBuf,
        outcome: Result<(usize, PathBuf), String>,
    },
    /// A control-API call ended: what the server did, or why it could not.
    Control {
        call: ControlCall,
        outcome: Result<String, String>,
    },
    /// An online save ended.
    OnlineSaved {
        entity: String,
        id: String,
        outcome: OnlineSave,
    },
    /// Time for the custom command's next record.
    CustomStepDue { run: u64 },
    /// Nothing to report (quit).
    Nothing,
}
