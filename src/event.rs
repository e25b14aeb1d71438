//! One JSON-lines schema for every event autosync writes out: `autosync play --json`, the Log's
//! export and the journal rows behind the TUI's Log. Each line has the human text beside typed
//! data — the `kind`, and the record, field and values it is about — so a script filters on
//! `kind` and reads `new` instead of parsing the text. docs/SCENARIOS.md documents it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{JournalData, JournalEntry};

/// The kinds a scenario's timeline adds to the journal's (`edit`, `uploaded`, `overwritten`,
/// `server_wins`, `conflict`, `save`, `sync`, `ui_transaction`, `app`).
pub mod kind {
    /// What a scenario step did (the user, the app's life, the server, the clock, a wait).
    pub const STEP: &str = "step";
    /// An expectation that did not hold.
    pub const CHECK: &str = "check";
    /// A lost edit the auditor found at the end of a run.
    pub const AUDITOR: &str = "auditor";
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub kind: String,
    /// Who: `user`, `app`, `sync`, `server`, `clock`, `scenario`, `check`, `auditor`, or the
    /// journal's actor (`sync`, the user's name, `custom command (JSBridge)`, …).
    pub actor: String,
    /// In words, as the timeline and the Log show it.
    pub text: String,
    /// The journal's sequence number, for a journal row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// What a journal row stands for, typed (a sync decision, a save's rule and wait, a phase,
    /// a sync's end); absent for rows that are words only. Files written before it had none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<JournalData>,
    /// The scenario the event belongs to (`autosync play`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
}

impl Event {
    /// An event with no record, field or values.
    pub fn plain(at: DateTime<Utc>, kind: &str, actor: &str, text: impl Into<String>) -> Event {
        Event {
            at,
            kind: kind.to_string(),
            actor: actor.to_string(),
            text: text.into(),
            seq: None,
            entity: None,
            record: None,
            field: None,
            old: None,
            new: None,
            data: None,
            scenario: None,
        }
    }

    /// A journal row as an event; `text` is how it reads (the timeline adds the record).
    pub fn from_journal(entry: &JournalEntry, actor: &str, text: impl Into<String>) -> Event {
        Event {
            seq: (entry.seq > 0).then_some(entry.seq),
            entity: entry.entity.clone(),
            record: entry.record_id.clone(),
            field: entry.field.clone(),
            old: entry.old.clone(),
            new: entry.new.clone(),
            data: entry.data.clone(),
            ..Event::plain(entry.at, entry.kind.as_str(), actor, text)
        }
    }
}

impl From<&JournalEntry> for Event {
    fn from(entry: &JournalEntry) -> Event {
        Event::from_journal(entry, &entry.actor, entry.detail.clone())
    }
}
