//! A list per entity: scrolling, search by name.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, HighlightSpacing, Paragraph, Row, Table, TableState};

use super::{column_widths, fitted_row};

use crate::app::ListState;
use crate::tui::theme::Theme;

const SYMBOL: &str = "▸ ";

pub fn draw(frame: &mut Frame, area: Rect, state: &ListState, theme: &Theme) {
    let title = format!(" {} ({}) ", state.label, state.total);
    let block = Block::bordered().title(title).title_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [search_area, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);

    let search = state.search.value();
    let search_line = if state.searching {
        Line::from(vec![
            Span::styled("Search: ", theme.key()),
            Span::raw(search.to_string()),
        ])
    } else if search.is_empty() {
        Line::styled("/ to search by name", theme.dim())
    } else {
        Line::from(vec![
            Span::styled("Search: ", theme.dim()),
            Span::raw(search.to_string()),
            Span::styled("  (/ to change)", theme.dim()),
        ])
    };
    frame.render_widget(Paragraph::new(search_line), search_area);
    if state.searching {
        let x = search_area.x + 8 + state.search.visual_cursor() as u16;
        frame.set_cursor_position((x.min(search_area.right().saturating_sub(1)), search_area.y));
    }

    if state.rows.is_empty() {
        let text = if search.is_empty() {
            "No records on this device"
        } else {
            "No record matches the search"
        };
        frame.render_widget(Paragraph::new(Line::styled(text, theme.dim())), table_area);
        return;
    }
    let header = Row::new(vec![
        Cell::from("Name"),
        Cell::from(state.secondary_label.clone().unwrap_or_default()),
        Cell::from("Id"),
    ])
    .style(theme.dim());
    let constraints = [
        Constraint::Percentage(45),
        Constraint::Percentage(35),
        Constraint::Percentage(20),
    ];
    let widths = column_widths(&constraints, table_area.width, SYMBOL);
    let rows: Vec<Row> = state
        .rows
        .iter()
        .map(|r| {
            fitted_row(
                vec![r.primary.clone(), r.secondary.clone(), r.id.clone()],
                &widths,
            )
        })
        .collect();
    let table = Table::new(rows, constraints)
        .header(header)
        .row_highlight_style(theme.selected())
        .highlight_symbol(SYMBOL)
        .highlight_spacing(HighlightSpacing::Always);
    let mut table_state = TableState::default().with_selected(Some(state.selected));
    frame.render_stateful_widget(table, table_area, &mut table_state);
}
