//! The App core's asynchronous work, as data: control-API calls, online saves, the custom
//! command's timer, quitting. `App::update` returns effects; a driver runs them with
//! [`run_effect`] and feeds the resulting [`Action`] back. The TUI runs them in tasks; the
//! headless scenario runner awaits them inline.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::client::OnlineSave;
use crate::clock::Clock;
use crate::control::Control;
use crate::store::Store;
use crate::wire::{FaultRule, Fields};

use super::action::Action;

/// Work for the driver.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Write the journal as JSON lines beside `path` (never over an earlier export).
    ExportLog { path: PathBuf },
    /// Write the timeline as an SVG picture beside `path` (never over an earlier export).
    ExportTimeline {
        path: PathBuf,
        timeline: crate::timeline::Timeline,
    },
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
    /// The timeline's export ended: the file it went to.
    TimelineExported {
        path: PathBuf,
        outcome: Result<PathBuf, String>,
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

/// What effects need from the world: the control API (absent with an external server), the
/// profile (online saves open their own connection to it) and the clock.
#[derive(Debug, Clone)]
pub struct EffectContext {
    pub control: Option<Control>,
    pub profile: PathBuf,
    pub clock: Clock,
}

/// Runs one effect to its end and returns the action that reports it.
pub async fn run_effect(effect: Effect, ctx: &EffectContext) -> Action {
    let result = match effect {
        Effect::ExportLog { path } => {
            let outcome = export_journal(&ctx.profile, &path);
            EffectResult::Exported { path, outcome }
        }
        Effect::ExportTimeline { path, timeline } => {
            let outcome = super::timeline::write_timeline(&path, &timeline);
            EffectResult::TimelineExported { path, outcome }
        }
        Effect::Control(call) => {
            let outcome = match &ctx.control {
                Some(control) => control_call(control, &call).await,
                None => Err("not available with an external server".to_string()),
            };
            EffectResult::Control { call, outcome }
        }
        Effect::SaveOnline { entity, id, values } => {
            let outcome = save_online(&ctx.profile, &ctx.clock, &entity, &id, &values).await;
            EffectResult::OnlineSaved {
                entity,
                id,
                outcome,
            }
        }
        Effect::CustomStep { run, after_ms } => {
            tokio::time::sleep(Duration::from_millis(after_ms)).await;
            EffectResult::CustomStepDue { run }
        }
        Effect::Quit => EffectResult::Nothing,
    };
    Action::EffectDone(result)
}

async fn control_call(control: &Control, call: &ControlCall) -> Result<String, String> {
    let describe = |fields: &Fields| {
        fields
            .iter()
            .map(|(k, v)| format!("{k} = \"{v}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match call {
        ControlCall::PublishV2 => control.publish_asset("v2").await.map(|p| {
            format!(
                "published project version {} ({}); a background sync will show the down arrow",
                p.version, p.name
            )
        }),
        ControlCall::Edit { entity, id, fields } => control
            .edit(entity, id, fields.clone(), None)
            .await
            .map(|_| {
                format!(
                    "backoffice edited {entity} {id} on the server: {}",
                    describe(fields)
                )
            }),
        ControlCall::Delete { entity, id } => control
            .delete(entity, id)
            .await
            .map(|()| format!("backoffice deleted {entity} {id} on the server")),
        ControlCall::SetDelay { entity, ms } => control
            .set_delay(entity, *ms)
            .await
            .map(|()| format!("business-logic delay on {entity} writes: {ms} ms")),
        ControlCall::Fault(rule) => control
            .fault(
                rule.method.as_deref(),
                rule.path_prefix.as_deref(),
                rule.count,
                rule.fault.clone(),
            )
            .await
            .map(|()| format!("fault injected: {}", super::demo::describe_fault(rule))),
    }
    .map_err(|e| e.to_string())
}

/// Online mode's save, on its own connection to the profile: the same steps as
/// `Client::save_online` (which needs the `Client` across the network wait, and the App keeps
/// the `Client` to answer keys meanwhile).
async fn save_online(
    profile: &Path,
    clock: &Clock,
    entity: &str,
    id: &str,
    values: &Fields,
) -> OnlineSave {
    match save_online_inner(profile, clock, entity, id, values).await {
        Ok(outcome) => outcome,
        Err(e) => OnlineSave::Failed(e),
    }
}

async fn save_online_inner(
    profile: &Path,
    clock: &Clock,
    entity: &str,
    id: &str,
    values: &Fields,
) -> Result<OnlineSave, String> {
    let mut store = Store::open(profile).map_err(|e| e.to_string())?;
    crate::client::save_online_in(&mut store, clock.now(), entity, id, values)
        .await
        .map_err(|e| e.to_string())
}

/// Writes the journal as JSON lines ([`crate::event::Event`]) to `path`, or, when a file is
/// there already, to `path` with `-2`, `-3`, … before its extension: nothing is replaced.
pub(super) fn export_journal(
    profile: &std::path::Path,
    path: &std::path::Path,
) -> Result<(usize, PathBuf), String> {
    use std::io::Write;
    let store = Store::open(profile).map_err(|e| e.to_string())?;
    let (file, path) = create_new_beside(path).map_err(|e| e.to_string())?;
    let mut out = std::io::BufWriter::new(file);
    let (mut after, mut count) = (0, 0);
    loop {
        let batch = store.journal(after, 5000).map_err(|e| e.to_string())?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for entry in &batch {
            let event = crate::event::Event::from(entry);
            serde_json::to_writer(&mut out, &event).map_err(|e| e.to_string())?;
            out.write_all(b"\n").map_err(|e| e.to_string())?;
            count += 1;
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok((count, path))
}

/// Creates `path`, or the first free `stem-N.ext` beside it.
pub(super) fn create_new_beside(
    path: &std::path::Path,
) -> std::io::Result<(std::fs::File, PathBuf)> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let mut candidate = path.to_path_buf();
    for n in 2..1000 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => return Ok((file, candidate)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                candidate = path.with_file_name(format!("{stem}-{n}{ext}"));
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "999 exports of that name exist already",
    ))
}
