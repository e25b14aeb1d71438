//! A step in words, for the timeline: who acts and what they do; and the phase a wait target
//! names.

use super::format::{StepAction, WaitFor};
use crate::rules::Phase;

pub(super) fn phase_of(w: &WaitFor) -> Option<Phase> {
    Some(match w {
        WaitFor::Connect => Phase::Connect,
        WaitFor::Customization => Phase::Customization,
        WaitFor::Upload => Phase::Upload,
        WaitFor::Download => Phase::Download,
        WaitFor::Attachments => Phase::Attachments,
        WaitFor::CloudDocuments => Phase::CloudDocuments,
        WaitFor::Emails => Phase::Emails,
        WaitFor::Idle | WaitFor::UiTransactions => return None,
    })
}

pub(super) fn actor_of(action: &StepAction) -> &'static str {
    match action {
        StepAction::Publish { .. }
        | StepAction::Configure { .. }
        | StepAction::ServerEdit { .. }
        | StepAction::ServerDelete { .. }
        | StepAction::Delay { .. }
        | StepAction::Fault { .. } => "server",
        StepAction::Clock(_) => "clock",
        StepAction::Wait { .. } | StepAction::Check => "scenario",
        _ => "user",
    }
}

/// The step in words for the timeline.
pub fn describe(action: &StepAction) -> String {
    match action {
        StepAction::Open { entity, id } => format!("opens {entity} {id}"),
        StepAction::Edit { field, value } => format!("types {field} = \"{value}\""),
        StepAction::Save => "presses Save".into(),
        StepAction::Create { entity, id, .. } => format!("creates {entity} {id}"),
        StepAction::Delete {
            entity: Some(entity),
            id: Some(id),
        } => format!("deletes {entity} {id}"),
        StepAction::Delete { .. } => "deletes the open record (and confirms)".into(),
        StepAction::Cancel => "cancels the form's edits".into(),
        StepAction::Close => "closes the form".into(),
        StepAction::Discard => "confirms: discard the edits".into(),
        StepAction::KeepEditing => "answers: keep editing".into(),
        StepAction::CancelSync => "cancels the sync".into(),
        StepAction::Sync => "presses Sync".into(),
        StepAction::DownArrow => "presses the down arrow".into(),
        StepAction::Setting {
            auto_sync,
            background_sync,
            save_password,
        } => {
            let mut parts = Vec::new();
            if let Some(v) = auto_sync {
                parts.push(format!("Auto Sync = {v}"));
            }
            if let Some(v) = background_sync {
                parts.push(format!(
                    "Background sync = {}",
                    if *v { "On" } else { "Off" }
                ));
            }
            if let Some(v) = save_password {
                parts.push(format!("Save password = {}", if *v { "On" } else { "Off" }));
            }
            format!("sets {}", parts.join(", "))
        }
        StepAction::Password { .. } => "types the password".into(),
        StepAction::SwitchMode => "asks to switch between online and offline".into(),
        StepAction::Answer { choice } => format!("answers \"{choice}\""),
        StepAction::EnterUiTransaction => "calls tryEnterUiTransaction".into(),
        StepAction::LeaveUiTransaction => "calls leaveUiTransaction".into(),
        StepAction::CustomCommand => "runs the form's custom command".into(),
        StepAction::Resolve {
            entity, id, choice, ..
        } => format!("resolves the sync error of {entity} {id}: {choice:?}"),
        StepAction::Restart => "restarts the app".into(),
        StepAction::Background => "sends the app to the background".into(),
        StepAction::Resume => "brings the app back from the background".into(),
        StepAction::Network { connected } => format!(
            "turns the network {}",
            if *connected { "on" } else { "off" }
        ),
        StepAction::Publish { asset } => format!("publishes project {asset}"),
        StepAction::Configure {
            configuration,
            on_conflict,
        } => format!(
            "Woodford: publishes the project {}",
            configure_text(configuration, on_conflict)
        ),
        StepAction::ServerEdit {
            entity,
            id,
            fields,
            as_user,
        } => format!(
            "{} edits {entity} {id}: {}",
            as_user.as_deref().unwrap_or("backoffice"),
            fields
                .iter()
                .map(|(k, v)| format!("{k} = \"{v}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        StepAction::ServerDelete { entity, id } => format!("backoffice deletes {entity} {id}"),
        StepAction::Delay { entity, ms } => format!("business-logic delay on {entity}: {ms} ms"),
        StepAction::Fault {
            count, fault, path, ..
        } => format!(
            "fault {fault:?} on the next {count} request(s) to {}",
            path.as_deref().unwrap_or("any path")
        ),
        StepAction::Clock(advance) => format!(
            "advances {}",
            crate::app::signed_duration(advance.duration())
        ),
        StepAction::Wait { until } => format!("waits until {until:?}"),
        StepAction::Check => "checks".into(),
    }
}

/// A `configure` step's changes in words: `background_sync_behavior = "NoAction", On Conflict
/// of account: Manual` (the step's description).
fn configure_text(
    configuration: &toml::Table,
    on_conflict: &std::collections::BTreeMap<String, crate::settings::ConflictStrategy>,
) -> String {
    let changes: Vec<String> = configuration
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .chain(
            on_conflict
                .iter()
                .map(|(entity, s)| format!("On Conflict of {entity}: {s}")),
        )
        .collect();
    format!("with {}", changes.join(", "))
}
