//! A record's form, laid out by the project's form definition: sections of fields, the field
//! being typed in, unsaved edits marked, what the last save did, and the custom command.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{line_text, truncate, wrapped_height};
use crate::app::{App, FormState, Level};
use crate::tui::theme::Theme;

const LABEL_WIDTH: usize = 16;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, form: &FormState, theme: &Theme) {
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
    let held = app.client().ui_transactions_held();
    let gate = format!(
        "id {} · UI transactions held: {held} · open forms: {}",
        form.id,
        app.client().open_forms()
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
    let mut section = None;
    let mut cursor = None;
    for (i, field) in form.fields.iter().enumerate() {
        if section != Some(&field.section) {
            section = Some(&field.section);
            lines.push(Line::styled(field.section.clone(), theme.title()));
        }
        let selected = i == form.selected;
        let marker = if selected { "▸" } else { " " };
        let dirty = if field.is_dirty() { "*" } else { " " };
        let value = match (&form.editing, selected) {
            (Some(input), true) => {
                cursor = Some((lines.len(), input.visual_cursor()));
                input.value().to_string()
            }
            _ => field.value.clone(),
        };
        let ro = if field.read_only { " (read-only)" } else { "" };
        let text = truncate(
            &format!("{marker}{dirty}{:<LABEL_WIDTH$} {value}", field.label),
            width.saturating_sub(ro.len()),
        );
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
    let scroll = lines.len().saturating_sub(fields_area.height as usize);
    let selected_line = cursor.map(|(l, _)| l).unwrap_or(0);
    let scroll = scroll.min(selected_line) as u16;
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), fields_area);
    if let Some((line, col)) = cursor {
        let x = fields_area.x + 2 + LABEL_WIDTH as u16 + 1 + col as u16;
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
