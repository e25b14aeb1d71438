//! The Server panel: the demo controls.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};

use crate::app::{App, ServerItem, ServerState, server_item_label};
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, state: &ServerState, theme: &Theme) {
    let title = if app.has_control() {
        " Server panel · demo controls "
    } else {
        " Server panel · external server "
    };
    let block = Block::bordered().title(title).title_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [list_area, hint_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(2)]).areas(inner);
    let items: Vec<ListItem> = ServerItem::ALL
        .iter()
        .map(|item| {
            let label = server_item_label(app, *item);
            if item.needs_control() && !app.has_control() {
                ListItem::new(Line::styled(
                    format!("{label} (not available)"),
                    theme.dim(),
                ))
            } else {
                ListItem::new(label)
            }
        })
        .collect();
    let list = List::new(items)
        .highlight_style(theme.selected())
        .highlight_symbol("▸ ");
    let mut list_state = ListState::default().with_selected(Some(state.selected));
    frame.render_stateful_widget(list, list_area, &mut list_state);
    let hint = if app.has_control() {
        "Enter runs the selected control. Keys anywhere: n network · o online/offline · 1/5/6 clock +1/+5/+16 min · b background · P publish v2"
    } else {
        "An external --server has no control API here: server controls are not available with an external server."
    };
    frame.render_widget(
        Paragraph::new(Line::styled(hint, theme.dim())).wrap(Wrap { trim: true }),
        hint_area,
    );
}
