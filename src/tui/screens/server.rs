//! The Server panel: the demo controls.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, HighlightSpacing, List, ListItem, ListState, Paragraph, Wrap};

use super::{item_rows, text_width, truncate, wrapped_height};

use crate::app::{App, ServerItem, ServerState, server_item_label};
use crate::tui::mouse::{Hits, Target};
use crate::tui::theme::Theme;

const SYMBOL: &str = "▸ ";

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    state: &ServerState,
    theme: &Theme,
    hits: &mut Hits,
) {
    let title = if app.has_control() {
        " Server panel · demo controls "
    } else {
        " Server panel · external server, no admin token "
    };
    let block = Block::bordered().title(title).title_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // A control cut in the list reads in full under it while it is selected.
    let selected = ServerItem::ALL[state.selected.min(ServerItem::ALL.len() - 1)];
    let full = server_item_label(app, selected);
    let cut = text_width(&full) + text_width(SYMBOL) > inner.width as usize;
    let full_height = if cut {
        wrapped_height(&full, inner.width as usize)
    } else {
        0
    };
    let [list_area, full_area, hint_area] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(full_height),
        Constraint::Length(2),
    ])
    .areas(inner);
    if cut {
        frame.render_widget(
            Paragraph::new(Line::styled(full, theme.key())).wrap(Wrap { trim: true }),
            full_area,
        );
    }
    let width = (list_area.width as usize).saturating_sub(text_width(SYMBOL));
    let items: Vec<ListItem> = ServerItem::ALL
        .iter()
        .map(|item| {
            let label = server_item_label(app, *item);
            if item.needs_control() && !app.has_control() {
                ListItem::new(Line::styled(
                    truncate(&format!("{label} (not available)"), width),
                    theme.dim(),
                ))
            } else {
                ListItem::new(truncate(&label, width))
            }
        })
        .collect();
    let list = List::new(items)
        .highlight_style(theme.selected())
        .highlight_symbol(SYMBOL)
        .highlight_spacing(HighlightSpacing::Always);
    let mut list_state = ListState::default().with_selected(Some(state.selected));
    frame.render_stateful_widget(list, list_area, &mut list_state);
    for (row, i) in item_rows(list_area, 0, list_state.offset(), ServerItem::ALL.len()) {
        hits.add(row, Target::Item(i));
    }
    let hint = if app.has_control() {
        "Enter runs the selected control. Keys anywhere: n network · o online/offline · 1/5/6 clock +1/+5/+16 min · b background · P publish v2"
    } else {
        "Server controls need the external --server's admin token: start with --admin-token or AUTOSYNC_ADMIN_TOKEN."
    };
    frame.render_widget(
        Paragraph::new(Line::styled(hint, theme.dim())).wrap(Wrap { trim: true }),
        hint_area,
    );
}
