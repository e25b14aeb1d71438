//! A record's form, laid out by the project's form definition: sections of fields, the field
//! being typed in, unsaved edits marked, what the last save did, and the custom command.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{input_view, line_text, text_width, truncate, wrapped_height};
use crate::app::{App, FormState, Level};
use crate::tui::mouse::{Hits, Target};
use crate::tui::theme::Theme;

const LABEL_WIDTH: usize = 16;
/// Where a value starts: the marker, the dirty mark, the label and a space.
const VALUE_COLUMN: u16 = 2 + LABEL_WIDTH as u16 + 1;

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    form: &FormState,
    theme: &Theme,
    hits: &mut Hits,
) {
    let dirty = if form.is_dirty() { " · unsaved" } else { "" };
    let title = format!(" {} ({}){dirty} ", form.title, form.entity);
    let block = Block::bordered().title(title).title_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut footer: Vec<Line> = Vec::new();
    if let Some(notice) = &form.notice {
        let style = match notice.level {
            Level::Info => theme.dim(),
            Level::Success => theme.ok(),
            Level::Warning => theme.warn(),
            Level::Error => theme.error(),
        };
        footer.push(Line::styled(notice.text.clone(), style));
    }
    let custom = app.custom_log();
    if !custom.is_empty() {
        let running = if app.custom_run().is_some() {
            " (running)"
        } else {
            ""
        };
        footer.push(Line::styled(
            format!("Custom command{running}:"),
            theme.title(),
        ));
        let skip = custom.len().saturating_sub(6);
        for line in &custom[skip..] {
            footer.push(Line::raw(format!("  {line}")));
        }
    }
    let gate = app.ui_gate();
    let held = gate.held;
    let gate = format!(
        "id {} · UI transactions held: {held} · open forms: {}",
        form.id, gate.open_forms
    );
    footer.push(Line::styled(gate, theme.dim()));
    let width = inner.width.max(1) as usize;
    let footer_height: u16 = footer
        .iter()
        .map(|l| wrapped_height(&line_text(l), width))
        .sum();

    let [fields_area, footer_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(footer_height)]).areas(inner);
    let mut lines = Vec::new();
    // The line each field is on, for the mouse.
    let mut field_lines = Vec::new();
    let mut section = None;
    let mut cursor = None;
    for (i, field) in form.fields.iter().enumerate() {
        if section != Some(&field.section) {
            section = Some(&field.section);
            lines.push(Line::styled(field.section.clone(), theme.title()));
        }
        field_lines.push(lines.len());
        let selected = i == form.selected;
        let marker = if selected { "▸" } else { " " };
        let dirty = if field.is_dirty() { "*" } else { " " };
        let ro = if field.read_only { " (read-only)" } else { "" };
        let text = match (&form.editing, selected) {
            // Scrolled sideways: the cursor and the end being typed stay in view.
            (Some(input), true) => {
                let room = width.saturating_sub(VALUE_COLUMN as usize + text_width(ro));
                let (shown, column) = input_view(input, room);
                cursor = Some((lines.len(), column));
                format!("{marker}{dirty}{:<LABEL_WIDTH$} {shown}", field.label)
            }
            _ => truncate(
                &format!(
                    "{marker}{dirty}{:<LABEL_WIDTH$} {}",
                    field.label, field.value
                ),
                width.saturating_sub(ro.len()),
            ),
        };
        let mut spans = vec![Span::raw(text)];
        if !ro.is_empty() {
            spans.push(Span::styled(ro, theme.dim()));
        }
        let style = if selected && form.editing.is_some() {
            theme.key()
        } else if selected {
            theme.selected()
        } else if field.is_dirty() {
            theme.changed()
        } else {
            ratatui::style::Style::new()
        };
        lines.push(Line::from(spans).style(style));
    }
    // A long form scrolls just enough to show the selected field.
    let height = fields_area.height as usize;
    let overflow = lines.len().saturating_sub(height);
    let selected_line = field_lines.get(form.selected).copied().unwrap_or(0);
    let scroll = selected_line
        .saturating_sub(height.saturating_sub(1))
        .min(overflow);
    for (i, line) in field_lines.into_iter().enumerate() {
        let Some(row) = line
            .checked_sub(scroll)
            .filter(|r| *r < fields_area.height as usize)
        else {
            continue;
        };
        let y = fields_area.y + row as u16;
        hits.add(
            Rect::new(fields_area.x, y, fields_area.width, 1),
            Target::Item(i),
        );
    }
    let scroll = scroll as u16;
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), fields_area);
    if let Some((line, col)) = cursor {
        let x = fields_area.x + VALUE_COLUMN + col;
        let y = fields_area.y + (line as u16).saturating_sub(scroll);
        if y < fields_area.bottom() {
            frame.set_cursor_position((x.min(fields_area.right().saturating_sub(1)), y));
        }
    }
    frame.render_widget(
        Paragraph::new(footer).wrap(Wrap { trim: false }),
        footer_area,
    );
}
