//! A list per entity: a page of up to 1,000 rows out of all the matches ("1–1,000 of 300,240"),
//! search by name.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, HighlightSpacing, Paragraph, Row, Table, TableState};

use super::{column_widths, fitted_row, input_view, item_rows};

use crate::app::EntityList;
use crate::tui::mouse::{Hits, Target};
use crate::tui::theme::Theme;

const SYMBOL: &str = "▸ ";
/// "Search: ".
const PROMPT: u16 = 8;

/// "(240)" when every match is loaded, else the page: "1,001–2,000 of 300,240".
fn count(state: &EntityList) -> String {
    if state.offset == 0 && state.rows.len() == state.total {
        return format!("({})", thousands(state.total));
    }
    let first = state.offset + 1;
    let last = state.offset + state.rows.len();
    format!(
        "· {}–{} of {}",
        thousands(first),
        thousands(last),
        thousands(state.total)
    )
}

/// 300240 → "300,240".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn draw(frame: &mut Frame, area: Rect, state: &EntityList, theme: &Theme, hits: &mut Hits) {
    let title = format!(" {} {} ", state.label, count(state));
    let block = Block::bordered().title(title).title_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [search_area, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);

    let search = state.search.text();
    let search_line = if let Some(input) = state.search.typing() {
        let (shown, cursor) = input_view(input, search_area.width.saturating_sub(PROMPT) as usize);
        let x = search_area.x + PROMPT + cursor;
        frame.set_cursor_position((x.min(search_area.right().saturating_sub(1)), search_area.y));
        Line::from(vec![
            Span::styled("Search: ", theme.key()),
            Span::raw(shown),
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
    let on_page = state.selected.checked_sub(state.offset);
    let mut table_state = TableState::default().with_selected(on_page);
    frame.render_stateful_widget(table, table_area, &mut table_state);
    for (row, i) in item_rows(table_area, 1, table_state.offset(), state.rows.len()) {
        hits.add(row, Target::Item(state.offset + i));
    }
}
