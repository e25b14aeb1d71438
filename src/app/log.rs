//! The log: the journal as a timeline (triggers, skipped auto syncs with reasons, phases with
//! durations, saves, UI transactions, conflicts, lost edits), filterable by kind, exportable
//! as JSON lines; and the auditor's lost edits.

use std::path::{Path, PathBuf};

use super::App;
use super::state::*;
use crate::store::{JournalData, JournalEntry, JournalKind};

/// Lines the log keeps in memory (the export writes the whole journal).
pub const MAX_LINES: usize = 5000;

fn line_text(e: &JournalEntry) -> String {
    let target = match (&e.entity, &e.record_id) {
        (Some(entity), Some(id)) => format!("{entity} {id}"),
        _ => String::new(),
    };
    match &e.field {
        Some(field) => {
            let old = e
                .old
                .as_deref()
                .map(|o| format!("\"{o}\" → "))
                .unwrap_or_default();
            let new = e
                .new
                .as_deref()
                .map(|n| format!("\"{n}\""))
                .unwrap_or_else(|| "—".into());
            let detail = if e.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", e.detail)
            };
            format!("{target} {field}: {old}{new}{detail}")
        }
        None if target.is_empty() => e.detail.clone(),
        None => format!("{target}: {}", e.detail),
    }
}

/// A sync line that starts a phase.
fn starts_phase(line: &LogLine) -> bool {
    matches!(line.entry.data, Some(JournalData::Phase(_)))
}

/// A sync line that ends the phase before it: the next phase, or the sync's end.
fn ends_phase(line: &LogLine) -> bool {
    matches!(
        line.entry.data,
        Some(JournalData::Phase(_) | JournalData::SyncEnded { .. })
    )
}

impl App {
    /// Journal lines read after the last one seen (a line seen already is skipped: two reloads
    /// can overlap).
    pub(super) fn journal_read(&mut self, entries: Vec<JournalEntry>) {
        for e in entries {
            if e.seq <= self.journal_seq {
                continue;
            }
            self.journal_seq = e.seq;
            let line = LogLine {
                seq: e.seq,
                at: e.at,
                text: line_text(&e),
                kind: e.kind,
                actor: e.actor.clone(),
                duration: None,
                entry: e,
            };
            if ends_phase(&line)
                && let Some(open) = self
                    .log
                    .iter_mut()
                    .rev()
                    .take(200)
                    .find(|l| starts_phase(l))
                && open.duration.is_none()
            {
                open.duration = Some(line.at - open.at);
            }
            self.log.push(line);
        }
        if self.log.len() > MAX_LINES {
            let excess = self.log.len() - MAX_LINES;
            self.log.drain(..excess);
        }
        self.refresh_timeline();
    }

    pub(super) fn filter_log(&mut self, filter: Option<JournalKind>) {
        match self.stack.last_mut() {
            Some(Screen::Log(state)) => {
                state.filter = filter;
                state.selected = None;
            }
            _ => self.warn("The filter works on the log"),
        }
    }

    /// Opens one line of the log in full (the log keeps its place beneath).
    pub(super) fn open_log_entry(&mut self, seq: i64) {
        match self.log.iter().find(|l| l.seq == seq) {
            Some(line) => {
                let line = line.clone();
                self.push(Screen::LogEntry(Box::new(LogEntryState { line })));
            }
            None => self.warn("That line is no longer in the log"),
        }
    }

    /// The log lines the log screen shows (its filter applied).
    pub fn filtered_log(&self) -> Vec<&LogLine> {
        let filter = match self.stack.last() {
            Some(Screen::Log(state)) => state.filter,
            _ => None,
        };
        self.log
            .iter()
            .filter(|l| filter.is_none_or(|k| l.kind == k))
            .collect()
    }

    pub(super) fn filtered_log_len(&self) -> usize {
        self.filtered_log().len()
    }

    /// The next filter in the cycle, for the `f` key.
    pub fn next_log_filter(&self) -> Option<JournalKind> {
        let current = match self.stack.last() {
            Some(Screen::Log(state)) => state.filter,
            _ => None,
        };
        let i = LOG_FILTERS.iter().position(|f| *f == current).unwrap_or(0);
        LOG_FILTERS[(i + 1) % LOG_FILTERS.len()]
    }

    /// The export's answer from the driver ([`crate::driver::export_journal`]).
    pub(super) fn exported(&mut self, path: &Path, outcome: Result<(usize, PathBuf), String>) {
        match outcome {
            Ok((n, written)) => self.success(format!(
                "Exported {n} journal entries to {}",
                written.display()
            )),
            Err(e) => self.error(format!("Cannot export the log to {}: {e}", path.display())),
        }
    }
}
