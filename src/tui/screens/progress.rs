//! The running sync's progress as Home and the sync screen show it: the line of the phase it is
//! in ("Download · Contacts 220,000 / 300,240 · 41k rec/s · ETA 2 s"), wrapped between its
//! parts, and a gauge of what that line counts — it moves with records, not with phases.

use ratatui::widgets::Gauge;

use super::{text_width, truncate};
use crate::engine::progress::thousands;
use crate::engine::{PhaseProgress, SyncStatus};
use crate::rules::SyncActivity;
use crate::tui::theme::Theme;

/// What the progress rows show now.
pub(crate) struct Shown {
    parts: Vec<String>,
    /// `None` without a total (Connect, a download resumed from a cursor).
    ratio: Option<f64>,
}

/// The progress of the running sync; `None` while idle.
pub(crate) fn shown(status: &SyncStatus) -> Option<Shown> {
    match status.activity {
        SyncActivity::Idle => None,
        SyncActivity::Running { phase, .. } => {
            let p = status.phase(phase)?;
            Some(Shown {
                parts: p.parts(),
                ratio: p.ratio(),
            })
        }
        // Nothing counts while it waits: the screens say what it waits for.
        SyncActivity::WaitingForUiTransactions { .. } => Some(Shown {
            parts: Vec::new(),
            ratio: None,
        }),
    }
}

impl Shown {
    /// The line after `label` (a column as wide as it, on every row), in rows of `width`:
    /// rows break between the line's parts, and a part wider than a row is cut.
    pub(crate) fn rows(&self, label: &str, width: usize) -> Vec<String> {
        if self.parts.is_empty() {
            return Vec::new();
        }
        let indent = " ".repeat(text_width(label));
        let room = width.saturating_sub(text_width(label));
        let mut rows: Vec<String> = Vec::new();
        let mut row = String::new();
        for part in &self.parts {
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

    /// The gauge: `label` and the percentage, when there is a total.
    pub(crate) fn gauge(&self, label: &str, theme: &Theme) -> Gauge<'static> {
        let text = match self.ratio {
            Some(ratio) => format!("{label} {:.0}%", ratio * 100.0).trim().to_string(),
            None => label.to_string(),
        };
        Gauge::default()
            .ratio(self.ratio.unwrap_or(0.0))
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
        let shown = Shown {
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
