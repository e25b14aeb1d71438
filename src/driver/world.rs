//! The effects that wait on the world — the control API, an online save, the custom command's
//! timer, the log export — each run to its end, off the device's connection.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::EffectContext;
use crate::app::{Action, ControlCall, Effect, EffectResult};
use crate::clock::Clock;
use crate::control::Control;
use crate::device::OnlineSave;
use crate::store::Store;
use crate::wire::{Fields, Published};

/// Runs one effect to its end and returns the action that reports it.
pub async fn perform(effect: Effect, ctx: &EffectContext) -> Action {
    let result = match effect {
        Effect::ExportLog { path } => {
            let outcome = export_journal(&ctx.profile, &path);
            EffectResult::Exported { path, outcome }
        }
        Effect::ExportTimeline { path, timeline } => {
            let outcome = write_timeline(&path, &timeline);
            EffectResult::TimelineExported { path, outcome }
        }
        Effect::Control(call) => {
            let outcome = match &ctx.control {
                Some(control) => control_call(control, &call).await.map(|done| done.text),
                None => Err(crate::app::NO_ADMIN_TOKEN.to_string()),
            };
            EffectResult::Control { call, outcome }
        }
        Effect::ReadProject => {
            let result = match &ctx.control {
                Some(control) => control
                    .project()
                    .await
                    .map(Box::new)
                    .map_err(|e| e.to_string()),
                None => Err(crate::app::NO_ADMIN_TOKEN.to_string()),
            };
            EffectResult::ProjectRead(result)
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
        local => unreachable!("{local:?} is a step on the device: `Driver::perform_local` runs it"),
    };
    Action::EffectDone(result)
}

/// A control call done: its words ([`ControlCall::describe`]) and, for a publish, the
/// server's answer.
pub struct ControlDone {
    pub text: String,
    pub published: Option<Published>,
}

/// Carries out a control call — the Server panel's and a scenario's server steps alike, so
/// both say the same of the same action.
pub async fn control_call(control: &Control, call: &ControlCall) -> Result<ControlDone, String> {
    let published = match call {
        ControlCall::PublishAsset(asset) => Some(control.publish_asset(asset).await),
        ControlCall::Publish(project) => Some(
            control
                .publish_toml(&crate::project::project_toml(project))
                .await,
        ),
        ControlCall::Edit {
            entity,
            id,
            fields,
            as_user,
        } => control
            .edit(entity, id, fields.clone(), as_user.as_deref())
            .await
            .map(|_| None)
            .transpose(),
        ControlCall::Delete { entity, id } => control.delete(entity, id).await.err().map(Err),
        ControlCall::SetDelay { entity, ms } => control.set_delay(entity, *ms).await.err().map(Err),
        // The rule as given, its `after` included.
        ControlCall::Fault(rule) => control.arm(rule).await.err().map(Err),
    }
    .transpose()
    .map_err(|e| e.to_string())?;
    Ok(ControlDone {
        text: call.describe(published.as_ref()),
        published,
    })
}

/// Online mode's save, on its own connection to the profile: the network wait must not hold
/// the device, which keeps answering keys meanwhile.
async fn save_online(
    profile: &Path,
    clock: &Clock,
    entity: &str,
    id: &str,
    values: &Fields,
) -> OnlineSave {
    let saved = async {
        let mut store = Store::open(profile).map_err(|e| e.to_string())?;
        crate::device::save_online_in(&mut store, clock.now(), entity, id, values)
            .await
            .map_err(|e| e.to_string())
    };
    saved.await.unwrap_or_else(OnlineSave::Failed)
}

/// Writes the journal as JSON lines ([`crate::event::Event`]) to `path`, or, when a file is
/// there already, to `path` with `-2`, `-3`, … before its extension: nothing is replaced.
pub fn export_journal(profile: &Path, path: &Path) -> Result<(usize, PathBuf), String> {
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

/// The timeline as an SVG picture, written to `path`, or beside it when a file is there already.
fn write_timeline(path: &Path, timeline: &crate::timeline::Timeline) -> Result<PathBuf, String> {
    use std::io::Write;
    let (mut file, written) = create_new_beside(path).map_err(|e| e.to_string())?;
    let doc = crate::timeline::svg::render(&[crate::timeline::svg::Run {
        title: "autosync session",
        timeline,
    }]);
    file.write_all(doc.to_string().as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(written)
}

/// Creates `path`, or the first free `stem-N.ext` beside it.
fn create_new_beside(path: &Path) -> std::io::Result<(std::fs::File, PathBuf)> {
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
