//! Sync Errors: the unresolved conflicts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, HighlightSpacing, Paragraph, Row, Table, TableState};

use super::{column_widths, fitted_row, item_rows};

use crate::app::{App, SyncErrorsState};
use crate::store::ConflictKind;
use crate::tui::mouse::{Hits, Target};
use crate::tui::theme::Theme;

const SYMBOL: &str = "▸ ";

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    state: &SyncErrorsState,
    theme: &Theme,
    hits: &mut Hits,
) {
    let conflicts = app.conflicts();
    let block = Block::bordered()
        .title(format!(" Sync Errors ({}) ", conflicts.len()))
        .title_style(theme.title());
    if conflicts.is_empty() {
        let text = vec![
            Line::raw("No sync errors."),
            Line::styled(
                "Conflicts of entities whose On Conflict is Manual Action, and changes the server refused, are listed here.",
                theme.dim(),
            ),
        ];
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let constraints = [
        Constraint::Length(4),
        Constraint::Length(18),
        Constraint::Length(30),
        Constraint::Min(10),
    ];
    let widths = column_widths(&constraints, area.width.saturating_sub(2), SYMBOL);
    let rows: Vec<Row> = conflicts
        .iter()
        .map(|c| {
            let kind = match c.kind {
                ConflictKind::ChangedOnBoth => "changed on device and server",
                ConflictKind::DeletedOnServer => "edited here, deleted on server",
                ConflictKind::DeletedOnDevice => "deleted here, edited on server",
                ConflictKind::RefusedByServer => "refused by the server",
            };
            let fields = c
                .device_changes
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            fitted_row(
                vec![
                    format!("#{}", c.id),
                    format!("{} {}", c.entity, c.record_id),
                    kind.to_string(),
                    fields,
                ],
                &widths,
            )
        })
        .collect();
    let header = Row::new(vec!["", "Record", "Conflict", "Your changes"]).style(theme.dim());
    let table = Table::new(rows, constraints)
        .header(header)
        .block(block)
        .row_highlight_style(theme.selected())
        .highlight_symbol(SYMBOL)
        .highlight_spacing(HighlightSpacing::Always);
    let mut table_state = TableState::default().with_selected(Some(state.selected));
    frame.render_stateful_widget(table, area, &mut table_state);
    let inner = Block::bordered().inner(area);
    for (row, i) in item_rows(inner, 1, table_state.offset(), conflicts.len()) {
        hits.add(row, Target::Item(i));
    }
}
