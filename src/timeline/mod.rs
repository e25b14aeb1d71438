//! A picture of syncs, built from the journal alone: four lanes — the sync's phases as bars,
//! the user's saves and UI transactions, the server's controls and business-logic delays, and
//! the findings (conflicts, lost edits) — on an ordinal axis. Scenarios run on a frozen
//! virtual clock, where a whole sync happens at one instant, so the axis is the journal's
//! order: one column per drawn row, labelled with the virtual time wherever it changes. The
//! TUI's Timeline screen and the SVG export both draw this value.

mod classify;
pub mod svg;

use chrono::{DateTime, Utc};

pub use classify::{
    LostCause, Reading, SCENARIO_SERVER_ACTOR, SaveMark, ServerMark, SyncNote, read,
};

use crate::rules::{Phase, SyncMode};
use crate::store::{JournalEntry, RecordChange};

/// One swimlane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    Sync,
    User,
    Server,
    Findings,
}

impl Lane {
    pub const ALL: [Lane; 4] = [Lane::Sync, Lane::User, Lane::Server, Lane::Findings];

    pub fn label(self) -> &'static str {
        match self {
            Lane::Sync => "Sync",
            Lane::User => "User",
            Lane::Server => "Server",
            Lane::Findings => "Findings",
        }
    }
}

/// What an item on a lane is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// A sync phase (bar).
    Phase {
        phase: Phase,
        mode: SyncMode,
    },
    /// The sync holding before its entity phases for UI transactions (bar).
    WaitsForUi {
        mode: SyncMode,
    },
    SyncNote(SyncNote),
    Save(SaveMark),
    Create(SaveMark),
    Delete(SaveMark),
    /// Clearances held from tryEnterUiTransaction to the last leave (span).
    UiTransaction,
    Server(ServerMark),
    /// A business-logic delay holding the server's writes (span).
    Delay,
    Conflict,
    Lost(LostCause),
}

impl ItemKind {
    pub fn lane(self) -> Lane {
        match self {
            ItemKind::Phase { .. } | ItemKind::WaitsForUi { .. } | ItemKind::SyncNote(_) => {
                Lane::Sync
            }
            ItemKind::Save(_)
            | ItemKind::Create(_)
            | ItemKind::Delete(_)
            | ItemKind::UiTransaction => Lane::User,
            ItemKind::Server(_) | ItemKind::Delay => Lane::Server,
            ItemKind::Conflict | ItemKind::Lost(_) => Lane::Findings,
        }
    }

    /// Bars and spans cover columns; marks sit on one.
    pub fn is_extent(self) -> bool {
        matches!(
            self,
            ItemKind::Phase { .. }
                | ItemKind::WaitsForUi { .. }
                | ItemKind::UiTransaction
                | ItemKind::Delay
        )
    }

    /// The character that draws it in the terminal: distinct per kind, so the picture reads
    /// without colour (a background bar is `░`, a foreground bar `█`).
    pub fn glyph(self) -> char {
        match self {
            ItemKind::Phase {
                mode: SyncMode::Background,
                ..
            } => '░',
            ItemKind::Phase {
                mode: SyncMode::Foreground,
                ..
            } => '█',
            ItemKind::WaitsForUi { .. } => '┄',
            ItemKind::SyncNote(SyncNote::Requested) => '>',
            ItemKind::SyncNote(SyncNote::Skipped) => '-',
            ItemKind::SyncNote(SyncNote::Deferred) => '~',
            ItemKind::SyncNote(SyncNote::Failed) => 'F',
            ItemKind::Save(SaveMark::Allowed) => 's',
            ItemKind::Save(SaveMark::Refused) => 'x',
            ItemKind::Save(SaveMark::Waited) => 'w',
            ItemKind::Save(SaveMark::Concurrent) => '!',
            ItemKind::Save(SaveMark::Rebased) => 'r',
            ItemKind::Create(SaveMark::Refused) => 'X',
            ItemKind::Create(_) => '+',
            ItemKind::Delete(SaveMark::Refused) => '%',
            ItemKind::Delete(_) => '#',
            ItemKind::UiTransaction => '═',
            ItemKind::Server(ServerMark::Fault) => 'f',
            ItemKind::Server(ServerMark::BackofficeEdit) => 'e',
            ItemKind::Server(ServerMark::BackofficeDelete) => 'd',
            ItemKind::Server(ServerMark::Publish) => 'p',
            ItemKind::Delay => '▓',
            ItemKind::Conflict => 'C',
            ItemKind::Lost(LostCause::OverwrittenBySync) => 'L',
            ItemKind::Lost(LostCause::ServerWins) => 'W',
        }
    }

    /// The legend's words for it.
    pub fn legend(self) -> &'static str {
        match self {
            ItemKind::Phase {
                mode: SyncMode::Background,
                ..
            } => "background sync phase",
            ItemKind::Phase {
                mode: SyncMode::Foreground,
                ..
            } => "foreground sync phase",
            ItemKind::WaitsForUi { .. } => "sync waits for UI transactions",
            ItemKind::SyncNote(SyncNote::Requested) => "sync requested",
            ItemKind::SyncNote(SyncNote::Skipped) => "automatic sync not started",
            ItemKind::SyncNote(SyncNote::Deferred) => "sync deferred (form open)",
            ItemKind::SyncNote(SyncNote::Failed) => "sync failed",
            ItemKind::Save(SaveMark::Allowed) => "save allowed",
            ItemKind::Save(SaveMark::Refused) => "save refused",
            ItemKind::Save(SaveMark::Waited) => "save waited for the sync",
            ItemKind::Save(SaveMark::Concurrent) => "save during sync (No action)",
            ItemKind::Save(SaveMark::Rebased) => "save rebased (Rebase)",
            ItemKind::Create(SaveMark::Refused) => "create refused",
            ItemKind::Create(_) => "create",
            ItemKind::Delete(SaveMark::Refused) => "delete refused",
            ItemKind::Delete(_) => "delete",
            ItemKind::UiTransaction => "UI transaction held",
            ItemKind::Server(ServerMark::Fault) => "fault armed",
            ItemKind::Server(ServerMark::BackofficeEdit) => "backoffice edit",
            ItemKind::Server(ServerMark::BackofficeDelete) => "backoffice delete",
            ItemKind::Server(ServerMark::Publish) => "project published",
            ItemKind::Delay => "business logic holds writes",
            ItemKind::Conflict => "conflict",
            ItemKind::Lost(LostCause::OverwrittenBySync) => "lost edit: overwritten by the sync",
            ItemKind::Lost(LostCause::ServerWins) => "lost edit: discarded by Server Wins",
        }
    }
}

/// One thing on a lane: a bar or span over columns `from..=to`, or a mark (`from == to`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemKind,
    pub from: usize,
    pub to: usize,
    /// The journal row it stands for (its start, for a bar or span).
    pub seq: i64,
    /// Short words: the phase, or the record a save or finding is about.
    pub label: String,
}

/// One column of the axis: a journal row that is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub seq: i64,
    pub at: DateTime<Utc>,
}

/// The picture of a stretch of journal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    pub columns: Vec<Column>,
    pub items: Vec<Item>,
}

/// An extent still open while the journal is read.
struct Open {
    kind: ItemKind,
    from: usize,
    seq: i64,
    label: String,
}

impl Timeline {
    /// The picture of `entries` (oldest first). Rows it does not draw take no column.
    pub fn build<'a>(entries: impl IntoIterator<Item = &'a JournalEntry>) -> Timeline {
        let mut t = Timeline::default();
        let mut mode = SyncMode::Background;
        let mut bar: Option<Open> = None;
        let mut ui: Option<Open> = None;
        let mut delays: Vec<(String, Open)> = Vec::new();
        for entry in entries {
            let Some(reading) = read(entry) else { continue };
            let col = t.columns.len();
            t.columns.push(Column {
                seq: entry.seq,
                at: entry.at,
            });
            let record = record_of(entry);
            let mark = |kind: ItemKind, label: String| Item {
                kind,
                from: col,
                to: col,
                seq: entry.seq,
                label,
            };
            match reading {
                Reading::SyncStarted(m) => {
                    t.close(bar.take(), col);
                    mode = m;
                }
                Reading::PhaseStarted(phase) => {
                    t.close(bar.take(), col);
                    bar = Some(Open {
                        kind: ItemKind::Phase { phase, mode },
                        from: col,
                        seq: entry.seq,
                        label: phase.to_string(),
                    });
                }
                // A count change while already waiting keeps the one bar.
                Reading::WaitsForUi
                    if bar
                        .as_ref()
                        .is_some_and(|b| matches!(b.kind, ItemKind::WaitsForUi { .. })) => {}
                Reading::WaitsForUi => {
                    t.close(bar.take(), col);
                    bar = Some(Open {
                        kind: ItemKind::WaitsForUi { mode },
                        from: col,
                        seq: entry.seq,
                        label: "waits for UI".into(),
                    });
                }
                Reading::SyncEnded { failed } => {
                    t.close(bar.take(), col);
                    if failed {
                        t.items
                            .push(mark(ItemKind::SyncNote(SyncNote::Failed), String::new()));
                    }
                }
                // Its glyph and the legend say it all: no label to crowd the lane.
                Reading::Note(note) => t.items.push(mark(ItemKind::SyncNote(note), String::new())),
                Reading::Save { mark: m, change } => {
                    let kind = match change {
                        RecordChange::Edit => ItemKind::Save(m),
                        RecordChange::Create => ItemKind::Create(m),
                        RecordChange::Delete => ItemKind::Delete(m),
                    };
                    t.items.push(mark(kind, record));
                }
                Reading::UiEnter => {
                    if ui.is_none() {
                        ui = Some(Open {
                            kind: ItemKind::UiTransaction,
                            from: col,
                            seq: entry.seq,
                            label: "UI transaction".into(),
                        });
                    }
                }
                Reading::UiLeave { still_held: 0 } => t.close(ui.take(), col),
                Reading::UiLeave { .. } => {}
                Reading::Server(s) => {
                    let label = if record.is_empty() {
                        ItemKind::Server(s).legend().to_string()
                    } else {
                        record
                    };
                    t.items.push(mark(ItemKind::Server(s), label));
                }
                Reading::Delay { entity, ms } => {
                    if let Some(i) = delays.iter().position(|(e, _)| *e == entity) {
                        let (_, open) = delays.remove(i);
                        t.close(Some(open), col);
                    }
                    if ms > 0 {
                        let open = Open {
                            kind: ItemKind::Delay,
                            from: col,
                            seq: entry.seq,
                            label: format!("{entity} writes +{ms} ms"),
                        };
                        delays.push((entity, open));
                    }
                }
                Reading::Conflict => t.items.push(mark(ItemKind::Conflict, record)),
                Reading::Lost(cause) => {
                    let field = entry.field.as_deref().map(|f| format!(" {f}"));
                    let label = format!("{record}{}", field.unwrap_or_default());
                    t.items.push(mark(ItemKind::Lost(cause), label));
                }
            }
        }
        // What is still open runs to the end of the picture.
        let end = t.columns.len().saturating_sub(1);
        t.close(bar, end);
        t.close(ui, end);
        for (_, open) in delays {
            t.close(Some(open), end);
        }
        t.items.sort_by_key(|i| (i.from, i.to));
        t
    }

    fn close(&mut self, open: Option<Open>, to: usize) {
        if let Some(o) = open {
            self.items.push(Item {
                kind: o.kind,
                from: o.from,
                to: to.max(o.from),
                seq: o.seq,
                label: o.label,
            });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The items of one lane, left to right.
    pub fn lane(&self, lane: Lane) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(move |i| i.kind.lane() == lane)
    }

    /// The axis labels: the first column, and every column whose virtual time differs from the
    /// column before it.
    pub fn ticks(&self) -> Vec<(usize, DateTime<Utc>)> {
        let mut ticks: Vec<(usize, DateTime<Utc>)> = Vec::new();
        for (i, c) in self.columns.iter().enumerate() {
            if ticks.last().is_none_or(|(_, at)| *at != c.at) {
                ticks.push((i, c.at));
            }
        }
        ticks
    }

    /// The kinds the picture holds, in lane order: its legend.
    pub fn legend(&self) -> Vec<ItemKind> {
        let mut kinds: Vec<ItemKind> = Vec::new();
        for lane in Lane::ALL {
            for item in self.lane(lane) {
                // One entry per legend line: every phase of a background sync draws alike.
                if !kinds.iter().any(|k| k.legend() == item.kind.legend()) {
                    kinds.push(item.kind);
                }
            }
        }
        kinds
    }
}

/// `entity id` of the record a row is about, or nothing.
fn record_of(entry: &JournalEntry) -> String {
    match (&entry.entity, &entry.record_id) {
        (Some(e), Some(id)) => format!("{e} {id}"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests;
