//! One log line in full: its whole text, wrapped, and the journal row it came from.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::log::duration;
use crate::app::LogEntryState;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, state: &LogEntryState, theme: &Theme) {
    let line = &state.line;
    let entry = &line.entry;
    let title = format!(" Log line #{} ", line.seq);
    let block = Block::bordered().title(title).title_style(theme.title());
    let mut lines = vec![Line::raw(line.text.clone()), Line::raw("")];
    let mut row = |label: &str, value: String| {
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<10}"), theme.dim()),
            Span::raw(value),
        ]));
    };
    row(
        "Time",
        line.at.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
    );
    row("Kind", line.kind.as_str().to_string());
    row("Actor", line.actor.clone());
    if let Some(d) = line.duration {
        row("Duration", duration(d));
    }
    let quoted = |v: &Option<String>| v.as_ref().map(|v| format!("\"{v}\""));
    for (label, value) in [
        ("Entity", entry.entity.clone()),
        ("Record", entry.record_id.clone()),
        ("Field", entry.field.clone()),
        ("Old", quoted(&entry.old)),
        ("New", quoted(&entry.new)),
    ] {
        if let Some(value) = value {
            row(label, value);
        }
    }
    if !entry.detail.is_empty() {
        row("Detail", entry.detail.clone());
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}
