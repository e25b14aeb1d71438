//! The log: the journal as a timeline, filterable by kind, with the auditor's lost edits.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, HighlightSpacing, List, ListItem, ListState, Paragraph};

use super::{item_rows, text_width, truncate};
use crate::app::{App, LogState};
use crate::store::JournalKind;
use crate::tui::mouse::{Hits, Target};
use crate::tui::theme::Theme;

fn kind_style(kind: JournalKind, theme: &Theme) -> ratatui::style::Style {
    match kind {
        JournalKind::Overwritten | JournalKind::ServerWins => theme.error(),
        JournalKind::Conflict => theme.warn(),
        JournalKind::Save | JournalKind::Edit => theme.changed(),
        JournalKind::Uploaded => theme.ok(),
        JournalKind::Sync => theme.title(),
        JournalKind::UiTransaction | JournalKind::App => theme.dim(),
    }
}

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    state: &LogState,
    theme: &Theme,
    hits: &mut Hits,
) {
    let lines = app.filtered_log();
    let filter = state.filter.map(|k| k.as_str()).unwrap_or("all");
    let title = format!(" Log · {filter} · {} lines ", lines.len());
    let block = Block::bordered().title(title).title_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let lost = app.lost_edits();
    let lost_height = if lost.is_empty() {
        0
    } else {
        lost.len().min(3) as u16 + 1
    };
    let [lost_area, list_area] =
        Layout::vertical([Constraint::Length(lost_height), Constraint::Min(0)]).areas(inner);
    if !lost.is_empty() {
        let mut text = vec![Line::styled(
            format!("Auditor: {} lost edit(s)", lost.len()),
            theme.error(),
        )];
        for edit in lost.iter().take(3) {
            let line = format!(
                "  {} {} {} \"{}\" — {:?}: {}",
                edit.entity, edit.id, edit.field, edit.value, edit.cause, edit.detail
            );
            text.push(Line::raw(truncate(&line, lost_area.width as usize)));
        }
        frame.render_widget(Paragraph::new(text), lost_area);
    }

    // The cursor's column is kept on every line, so the columns stay put as it moves.
    let width = (list_area.width as usize).saturating_sub(text_width(CURSOR));
    let items: Vec<ListItem> = lines
        .iter()
        .map(|l| {
            let duration = l
                .duration
                .map(|d| format!(" ({})", duration(d)))
                .unwrap_or_default();
            // Two spaces after the kind, so the longest kind ("uploaded") stays a column.
            let head = format!(
                "{} {:<KIND_WIDTH$}  ",
                l.at.format("%H:%M:%S"),
                short_kind(l.kind)
            );
            let rest = truncate(
                &format!("{}{duration}", l.text),
                width.saturating_sub(text_width(&head)),
            );
            ListItem::new(Line::from(vec![
                Span::styled(head, kind_style(l.kind, theme)),
                Span::raw(rest),
            ]))
        })
        .collect();
    if items.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "Nothing in the journal for this filter yet",
                theme.dim(),
            )),
            list_area,
        );
        return;
    }
    let selected = state.selected.unwrap_or(items.len() - 1);
    let list = List::new(items)
        .highlight_style(theme.selected())
        .highlight_symbol(CURSOR)
        .highlight_spacing(HighlightSpacing::Always);
    let mut list_state = ListState::default().with_selected(Some(selected));
    frame.render_stateful_widget(list, list_area, &mut list_state);
    for (row, i) in item_rows(list_area, 0, list_state.offset(), lines.len()) {
        hits.add(row, Target::Item(i));
    }
}

/// The selected line's mark: ↑↓ move it, Enter opens the line in full.
const CURSOR: &str = "▸ ";

/// The kind column fits the longest short kind.
const KIND_WIDTH: usize = 8;

fn short_kind(kind: JournalKind) -> &'static str {
    match kind {
        JournalKind::UiTransaction => "ui-tx",
        JournalKind::ServerWins => "srv-wins",
        JournalKind::Overwritten => "LOST",
        other => other.as_str(),
    }
}

/// "12 ms", "3.4 s".
pub(super) fn duration(d: chrono::Duration) -> String {
    let ms = d.num_milliseconds().max(0);
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}
