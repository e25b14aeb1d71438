//! One sync error: device and server values side by side per field, the actions, merge mode,
//! and the "what if" view of every On Conflict strategy.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, HighlightSpacing, Paragraph, Row, Table, TableState, Wrap};

use super::{column_widths, fitted_row, item_rows, text_width, truncate, wrapped_height};
use crate::app::{App, ConflictState, ConflictView, Side};
use crate::store::ConflictKind;
use crate::tui::mouse::{Hits, Target};
use crate::tui::theme::Theme;

/// The selected row's mark; its column is kept on every row.
const SYMBOL: &str = "▸";

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    state: &ConflictState,
    theme: &Theme,
    hits: &mut Hits,
) {
    let Some(conflict) = app.conflict(state.conflict_id) else {
        frame.render_widget(
            Paragraph::new("This sync error is resolved").block(Block::bordered()),
            area,
        );
        return;
    };
    let kind = match conflict.kind {
        ConflictKind::ChangedOnBoth => "changed on the device and on the server",
        ConflictKind::DeletedOnServer => "edited on the device, deleted on the server",
        ConflictKind::DeletedOnDevice => "deleted on the device, edited on the server",
        ConflictKind::RefusedByServer => "refused by the server",
    };
    let who = conflict
        .server
        .as_ref()
        .map(|s| format!(" (server version by {})", s.modified_by))
        .unwrap_or_default();
    let title = format!(
        " Sync error #{} · {} {} ",
        conflict.id, conflict.entity, conflict.record_id
    );
    let block = Block::bordered().title(title).title_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // A refusal's reason is the server's own words: shown whole, over up to three lines.
    let intro_lines = if conflict.problem.is_some() { 3 } else { 1 };
    let [intro, body, hint] = Layout::vertical([
        Constraint::Length(intro_lines),
        Constraint::Min(0),
        Constraint::Length(2),
    ])
    .areas(inner);
    match &conflict.problem {
        Some(problem) => frame.render_widget(
            Paragraph::new(format!("{kind}{who}: {problem}")).wrap(Wrap { trim: true }),
            intro,
        ),
        None => frame.render_widget(
            Paragraph::new(truncate(&format!("{kind}{who}"), intro.width as usize)),
            intro,
        ),
    }

    if state.view == ConflictView::WhatIf {
        draw_what_if(frame, body, app, state, theme);
        let text = "What each On Conflict strategy would have produced for this record. Esc: back.";
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.dim())).wrap(Wrap { trim: true }),
            hint,
        );
        return;
    }
    let rows = app.conflict_rows(state.conflict_id);
    let merging = state.merge().is_some();
    let constraints = [
        Constraint::Length(2),
        Constraint::Length(15),
        Constraint::Percentage(45),
        Constraint::Percentage(45),
    ];
    let widths = column_widths(&constraints, body.width, SYMBOL);
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|r| {
            let mark = if r.changed_on_device && r.differs {
                "≠*"
            } else if r.differs {
                "≠ "
            } else {
                "  "
            };
            let (device, server) = match r.pick {
                Some(Side::Device) => (
                    format!("[{}]", r.device.clone().unwrap_or_default()),
                    r.server.clone().unwrap_or_else(|| "(deleted)".into()),
                ),
                Some(Side::Server) => (
                    r.device.clone().unwrap_or_default(),
                    format!(
                        "[{}]",
                        r.server.clone().unwrap_or_else(|| "(deleted)".into())
                    ),
                ),
                None => (
                    r.device.clone().unwrap_or_default(),
                    r.server.clone().unwrap_or_else(|| "(deleted)".into()),
                ),
            };
            let style = if r.changed_on_device && r.differs {
                theme.changed()
            } else {
                ratatui::style::Style::new()
            };
            fitted_row(
                vec![mark.to_string(), r.label.clone(), device, server],
                &widths,
            )
            .style(style)
        })
        .collect();
    let header = Row::new(vec!["", "Field", "Device (yours)", "Server"]).style(theme.dim());
    let table = Table::new(table_rows, constraints)
        .header(header)
        .row_highlight_style(theme.selected())
        .highlight_symbol(SYMBOL)
        .highlight_spacing(HighlightSpacing::Always);
    // A value cut in the table reads in full under it while its row is selected.
    let mut full = Vec::new();
    if let Some(r) = rows.get(state.selected) {
        let device = r.device.clone().unwrap_or_default();
        let server = r.server.clone().unwrap_or_else(|| "(deleted)".into());
        // Merge mode brackets the side kept.
        let brackets = |side| if r.pick == Some(side) { 2 } else { 0 };
        if text_width(&device) + brackets(Side::Device) > widths[2]
            || text_width(&server) + brackets(Side::Server) > widths[3]
        {
            full.push(format!("{} on the device: {device}", r.label));
            full.push(format!("{} on the server: {server}", r.label));
        }
    }
    let full_height: u16 = full
        .iter()
        .map(|l| wrapped_height(l, body.width as usize))
        .sum();
    let [table_area, full_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(full_height)]).areas(body);
    let mut table_state = TableState::default().with_selected(Some(state.selected));
    frame.render_stateful_widget(table, table_area, &mut table_state);
    for (row, i) in item_rows(table_area, 1, table_state.offset(), rows.len()) {
        hits.add(row, Target::Item(i));
    }
    let full: Vec<Line> = full
        .into_iter()
        .map(|l| Line::styled(l, theme.key()))
        .collect();
    frame.render_widget(Paragraph::new(full).wrap(Wrap { trim: true }), full_area);
    let text = if merging {
        "Merge: [brackets] mark the value kept. Enter switches device ⇄ server on a * field; s applies."
    } else {
        "* changed on this device  ≠ differs from the server.  m retry with mine · t take server version · g merge · i ignore · w what if"
    };
    frame.render_widget(
        Paragraph::new(Line::styled(text, theme.dim())).wrap(Wrap { trim: true }),
        hint,
    );
}

fn draw_what_if(frame: &mut Frame, area: Rect, app: &App, state: &ConflictState, theme: &Theme) {
    let rows = app.conflict_rows(state.conflict_id);
    let outcomes = app.what_if_rows(state.conflict_id);
    let fields: Vec<_> = rows
        .iter()
        .filter(|r| r.differs || r.changed_on_device)
        .collect();
    let shown = outcomes.iter().filter(|o| o.result.is_some()).count();
    let mut constraints = vec![Constraint::Length(14)];
    constraints.extend(std::iter::repeat_n(
        Constraint::Ratio(1, shown.max(1) as u32),
        shown,
    ));
    let widths = column_widths(&constraints, area.width.saturating_sub(2), "");
    let mut table_rows = Vec::new();
    for field in &fields {
        let mut cells = vec![field.label.clone()];
        for outcome in outcomes.iter().filter(|o| o.result.is_some()) {
            cells.push(
                outcome
                    .result
                    .as_ref()
                    .and_then(|r| r.get(&field.field).cloned())
                    .unwrap_or_default(),
            );
        }
        table_rows.push(fitted_row(cells, &widths));
    }
    let mut header = vec!["Field".to_string()];
    header.extend(
        outcomes
            .iter()
            .filter(|o| o.result.is_some())
            .map(|o| o.strategy.to_string()),
    );
    let [table_area, notes_area] = Layout::vertical([
        Constraint::Length(fields.len() as u16 + 3),
        Constraint::Min(0),
    ])
    .areas(area);
    let table = Table::new(table_rows, constraints)
        .header(fitted_row(header, &widths).style(theme.dim()))
        .block(Block::bordered().title(" What if "));
    frame.render_widget(table, table_area);
    let notes: Vec<Line> = outcomes.iter().map(|o| Line::raw(o.note.clone())).collect();
    frame.render_widget(Paragraph::new(notes).wrap(Wrap { trim: true }), notes_area);
}
