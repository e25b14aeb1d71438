//! Woodford: the project as published on the server and as the device applied it, every
//! setting of "Configure Woodford" with its value and Lock, each entity's On Conflict, and the
//! draft's changes not yet published.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, HighlightSpacing, List, ListItem, ListState, Paragraph, Wrap};

use super::{input_view, item_rows, split_at_width, text_width, truncate};
use crate::app::{App, ServerProject, WoodfordState};
use crate::tui::mouse::{Hits, Target};
use crate::tui::theme::Theme;
use crate::woodford::{Row, setting_label};

const SYMBOL: &str = "▸ ";
/// The label column; the lock's; the typed interval's room.
const LABEL: usize = 29;
const LOCK_WIDTH: usize = 3;
const VALUE: usize = 12;
const LOCK: &str = "🔒";
const CHANGED: &str = "  * not published";

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    state: &WoodfordState,
    theme: &Theme,
    hits: &mut Hits,
) {
    let block = Block::bordered()
        .title(" Woodford · Configure the project ")
        .title_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [versions_area, list_area, full_area, hint_area] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(2),
    ])
    .areas(inner);
    let width = inner.width as usize;
    let applied = app.project();
    let applied_line = match applied {
        Some(p) => format!("The device applied version {} ({})", p.version, p.name),
        None => "The device has no project yet: it arrives with the first sync".into(),
    };
    let server_line = match &state.server {
        ServerProject::NoToken => {
            format!("On the server: unknown ({})", crate::app::NO_ADMIN_TOKEN)
        }
        ServerProject::Reading => "On the server: reading…".into(),
        ServerProject::Failed(e) => format!("On the server: cannot read it: {e}"),
        ServerProject::Read { published, .. } => {
            let newer = applied.is_some_and(|p| p.version < published.version);
            format!(
                "On the server: version {} ({}){}",
                published.version,
                published.name,
                if newer {
                    " · newer than the device's: a background sync finds it, ↓ applies it"
                } else {
                    ""
                }
            )
        }
    };
    frame.render_widget(
        Paragraph::new(vec![
            Line::raw(truncate(&server_line, width)),
            Line::styled(truncate(&applied_line, width), theme.dim()),
        ]),
        versions_area,
    );

    // Without the server's project, the rows are the applied one's, read-only.
    let published = state.base();
    let Some(shown) = state.shown() else {
        return;
    };
    let row_width = width.saturating_sub(SYMBOL.len());
    let rows = shown.rows();
    let label_of = |row: &Row| match row {
        Row::Setting(key) => setting_label(*key).to_string(),
        Row::OnConflict(entity) => format!("On Conflict: {entity}"),
    };
    let changed = |row: &Row| published.is_some_and(|p| shown.changed(p, row));
    let items: Vec<ListItem> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let value = match (&state.editing, i == state.selected) {
                (Some(input), true) => {
                    let (text, column) = input_view(input, VALUE);
                    let (before, after) = split_at_width(&text, column as usize);
                    format!("{before}▏{after}")
                }
                _ => shown.value(row),
            };
            let lock = if shown.locked(row) == Some(true) {
                LOCK
            } else {
                ""
            };
            let suffix = if changed(row) { CHANGED } else { "" };
            let room = row_width.saturating_sub(LABEL + LOCK_WIDTH + text_width(suffix));
            let value = truncate(&value, room);
            let line = format!(
                "{:<LABEL$}{lock:<lock_pad$}{value:<room$}{suffix}",
                truncate(&label_of(row), LABEL - 1),
                lock_pad = LOCK_WIDTH - text_width(lock) + lock.chars().count(),
            );
            let style = if changed(row) {
                theme.changed()
            } else {
                ratatui::style::Style::new()
            };
            ListItem::new(Line::styled(truncate(&line, row_width), style))
        })
        .collect();
    let len = items.len();
    let list = List::new(items)
        .highlight_style(theme.selected())
        .highlight_symbol(SYMBOL)
        .highlight_spacing(HighlightSpacing::Always);
    let mut list_state = ListState::default().with_selected(Some(state.selected.min(len)));
    frame.render_stateful_widget(list, list_area, &mut list_state);
    for (row, i) in item_rows(list_area, 0, list_state.offset(), len) {
        hits.add(row, Target::Item(i));
    }
    // The selected row in full: a value cut in the list reads whole here.
    if let Some(row) = rows.get(state.selected) {
        let lock = match shown.locked(row) {
            Some(true) => " · locked: devices take this value",
            Some(false) => " · unlocked",
            None => "",
        };
        let full = format!("{}: {}{lock}", label_of(row), shown.value(row));
        frame.render_widget(
            Paragraph::new(Line::styled(truncate(&full, width), theme.key())),
            full_area,
        );
    }
    let hint = match &state.server {
        ServerProject::NoToken => format!(
            "Read-only: this is the project the device applied. {}.",
            crate::app::NO_ADMIN_TOKEN
        ),
        ServerProject::Read { .. } if state.is_dirty() => {
            "* changed, not published: s publishes the draft as the next version, x discards it."
                .to_string()
        }
        ServerProject::Read { .. } => {
            "Enter or ←/→ change the draft, l locks a setting on devices. Rebase is autosync's own behavior, not Resco's."
                .to_string()
        }
        _ => String::new(),
    };
    frame.render_widget(
        Paragraph::new(Line::styled(hint, theme.dim())).wrap(Wrap { trim: true }),
        hint_area,
    );
}
