//! A scenario's server steps as journal rows, written as the Server panel writes its controls
//! (`app::demo`): their words, and the step as the row's data, so that the journal alone tells
//! what the server did and the timeline (`crate::timeline`) can draw it.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::format::StepAction;
use crate::store::{JournalData, JournalEntry, JournalKind, ServerStep, Store};
use crate::timeline::SCENARIO_SERVER_ACTOR;
use crate::wire::FaultRule;

/// Journals `action` when it is a server step (publish, backoffice edit or delete, delay,
/// fault); any other step journals itself through the App.
pub fn record_step(profile: &Path, at: DateTime<Utc>, action: &StepAction) -> Result<(), String> {
    let (text, record, step) = match action {
        StepAction::Publish { asset } => (
            format!("published project {asset}"),
            None,
            ServerStep::Published,
        ),
        StepAction::Configure {
            configuration,
            on_conflict,
        } => (
            format!(
                "published project from Woodford {}",
                configure_text(configuration, on_conflict)
            ),
            None,
            ServerStep::Published,
        ),
        StepAction::ServerEdit {
            entity,
            id,
            fields,
            as_user,
        } => {
            let values = fields
                .iter()
                .map(|(k, v)| format!("{k} = \"{v}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let who = as_user.as_deref().unwrap_or("backoffice");
            (
                format!("{who} edited {entity} {id} on the server: {values}"),
                Some((entity, id)),
                ServerStep::BackofficeEdit,
            )
        }
        StepAction::ServerDelete { entity, id } => (
            format!("backoffice deleted {entity} {id} on the server"),
            Some((entity, id)),
            ServerStep::BackofficeDelete,
        ),
        StepAction::Delay { entity, ms } => (delay_text(entity, *ms), None, delay(entity, *ms)),
        StepAction::Fault {
            method,
            path,
            count,
            fault,
        } => {
            let rule = FaultRule {
                method: method.clone(),
                path_prefix: path.clone(),
                count: *count,
                after: 0,
                fault: fault.clone(),
            };
            let text = format!("fault injected: {}", crate::app::describe_fault(&rule));
            (text, None, ServerStep::Fault)
        }
        _ => return Ok(()),
    };
    let mut entry = JournalEntry::event(at, JournalKind::App, SCENARIO_SERVER_ACTOR, text)
        .with_data(JournalData::Server(step));
    if let Some((entity, id)) = record {
        entry.entity = Some(entity.clone());
        entry.record_id = Some(id.clone());
    }
    append(profile, &[entry])
}

/// A `configure` step's changes in words: `background_sync_behavior = "NoAction", On Conflict
/// of account: Manual` (the journal's line and the step's description).
pub(crate) fn configure_text(
    configuration: &toml::Table,
    on_conflict: &BTreeMap<String, crate::settings::ConflictStrategy>,
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

/// Journals the setup's business-logic delays, which hold from the first step on.
pub fn record_setup(
    profile: &Path,
    at: DateTime<Utc>,
    delays: &BTreeMap<String, u64>,
) -> Result<(), String> {
    let entries: Vec<JournalEntry> = delays
        .iter()
        .map(|(entity, ms)| {
            JournalEntry::event(
                at,
                JournalKind::App,
                SCENARIO_SERVER_ACTOR,
                delay_text(entity, *ms),
            )
            .with_data(JournalData::Server(delay(entity, *ms)))
        })
        .collect();
    append(profile, &entries)
}

/// The Server panel's words for a delay (`app::effect`).
fn delay_text(entity: &str, ms: u64) -> String {
    format!("business-logic delay on {entity} writes: {ms} ms")
}

fn delay(entity: &str, ms: u64) -> ServerStep {
    ServerStep::Delay {
        entity: entity.to_string(),
        ms,
    }
}

fn append(profile: &Path, entries: &[JournalEntry]) -> Result<(), String> {
    if entries.is_empty() {
        return Ok(());
    }
    Store::open(profile)
        .and_then(|mut s| s.append_journal(entries))
        .map_err(|e| format!("cannot journal the server step: {e}"))
}

/// The journal rows after `seq`, oldest first (empty when the profile cannot be read: the
/// run's checks have already said why).
pub fn journal_after(profile: &Path, seq: i64) -> Vec<JournalEntry> {
    Store::open(profile)
        .and_then(|s| s.journal(seq, usize::MAX >> 1))
        .unwrap_or_default()
}
