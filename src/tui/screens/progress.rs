//! The running sync's progress as Home and the sync screen show it: the line of the phase it is
//! in ("Download · Contacts 220,000 / 300,240 · 41k rec/s · ETA 2 s"), wrapped between its
//! parts, and a gauge of what that line counts — it moves with records, not with phases.

use ratatui::widgets::Gauge;

use super::{text_width, truncate};
use crate::engine::progress::thousands;
use crate::engine::{PhaseProgress, SyncStatus};
use crate::rules::{SyncActivity, SyncMode};
use crate::tui::theme::Theme;

/// What the progress rows show now.
pub(crate) enum Shown {
    /// A phase runs: its line's parts, and how far (`None` without a total: Connect, a download
    /// resumed from a cursor).
    Phase {
        parts: Vec<String>,
        ratio: Option<f64>,
    },
    /// The sync waits before an entity phase: nothing counts, the gauge says why.
    Waiting(String),
}

/// The progress of the running sync; `None` while idle.
pub(crate) fn shown(status: &SyncStatus) -> Option<Shown> {
    match status.activity {
        SyncActivity::Idle => None,
        SyncActivity::Running { phase, .. } => {
            let p = status.phase(phase)?;
            Some(Shown::Phase {
                parts: p.parts(),
                ratio: p.ratio(),
            })
        }
        waiting @ SyncActivity::WaitingForUiTransactions { .. } => {
            Some(Shown::Waiting(waiting.to_string()))
        }
    }
}

impl Shown {
    /// The line after `label` (a column as wide as it, on every row), in rows of `width`:
    /// rows break between the line's parts, and a part wider than a row is cut.
    pub(crate) fn rows(&self, label: &str, width: usize) -> Vec<String> {
        let Shown::Phase { parts, .. } = self else {
            return Vec::new();
        };
        let indent = " ".repeat(text_width(label));
        let room = width.saturating_sub(text_width(label));
        let mut rows: Vec<String> = Vec::new();
        let mut row = String::new();
        for part in parts {
            let part = truncate(part, room);
            if row.is_empty() {
                row = part;
            } else if text_width(&row) + 3 + text_width(&part) <= room {
                row = format!("{row} · {part}");
            } else {
                rows.push(std::mem::replace(&mut row, part));
            }
        }
        rows.push(row);
        rows.into_iter()
            .enumerate()
            .map(|(i, r)| format!("{}{r}", if i == 0 { label } else { &indent }))
            .collect()
    }

    /// The gauge: the percentage when there is a total, after the sync's mode when given
    /// ("background sync 73%"); or why the sync waits ("background: waiting for …").
    pub(crate) fn gauge(&self, mode: Option<SyncMode>, theme: &Theme) -> Gauge<'static> {
        let (text, ratio) = match (self, mode) {
            (Shown::Phase { ratio, .. }, mode) => {
                let mode = mode.map(|m| format!("{m} sync"));
                let percent = ratio.map(|r| format!("{:.0}%", r * 100.0));
                let text: Vec<String> = [mode, percent].into_iter().flatten().collect();
                (text.join(" "), ratio.unwrap_or(0.0))
            }
            (Shown::Waiting(why), Some(mode)) => (format!("{mode}: {why}"), 0.0),
            (Shown::Waiting(why), None) => (why.clone(), 0.0),
        };
        Gauge::default()
            .ratio(ratio)
            .label(text)
            .gauge_style(theme.gauge())
    }
}

/// A phase's own count for the sync screen's table: "3 / 3", "600 records", "20 / 20 files".
pub(crate) fn phase_counts(p: &PhaseProgress) -> String {
    match (p.total, p.done) {
        (Some(total), done) if p.unit() == crate::engine::Unit::Records => {
            format!("{} / {}", thousands(done), thousands(total))
        }
        (Some(total), done) => format!(
            "{} / {} {}",
            thousands(done),
            thousands(total),
            p.unit().plural()
        ),
        (None, done) if done > 0 => format!("{} {}", thousands(done), p.unit().plural()),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_break_between_parts_and_cut_a_part_wider_than_a_row() {
        let shown = Shown::Phase {
            parts: [
                "Download",
                "Contacts 1,220,000 / 3,000,240",
                "41k rec/s",
                "ETA 2 s",
            ]
            .map(String::from)
            .to_vec(),
            ratio: Some(0.4),
        };
        assert_eq!(
            shown.rows("Progress ", 40),
            [
                "Progress Download",
                "         Contacts 1,220,000 / 3,000,240",
                "         41k rec/s · ETA 2 s",
            ]
        );
        assert_eq!(
            shown.rows("", 20),
            ["Download", "Contacts 1,220,000 …", "41k rec/s · ETA 2 s"]
        );
    }
}
