//! The journal of a scenario's server: the setup's delays written as the Server panel's delay
//! control writes itself ([`ControlCall::journal_entry`]; a server step journals itself the same
//! way, `runner::step`), so that the journal alone tells what the server did and the timeline
//! (`crate::timeline`) can draw it.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::app::ControlCall;
use crate::store::{JournalEntry, Store};
use crate::timeline::SCENARIO_SERVER_ACTOR;

/// Journals the setup's business-logic delays, which hold from the first step on, as the
/// Server panel's delay control journals itself.
pub fn record_setup(
    profile: &Path,
    at: DateTime<Utc>,
    delays: &BTreeMap<String, u64>,
) -> Result<(), String> {
    let entries: Vec<JournalEntry> = delays
        .iter()
        .map(|(entity, ms)| {
            let call = ControlCall::SetDelay {
                entity: entity.clone(),
                ms: *ms,
            };
            call.journal_entry(at, SCENARIO_SERVER_ACTOR, call.describe(None))
        })
        .collect();
    append(profile, &entries)
}

fn append(profile: &Path, entries: &[JournalEntry]) -> Result<(), String> {
    if entries.is_empty() {
        return Ok(());
    }
    Store::open(profile)
        .and_then(|mut s| s.append_journal(entries))
        .map_err(|e| format!("cannot journal the server step: {e}"))
}
