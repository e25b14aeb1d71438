//! The `?` overlay: every key that works here, from the same key map as the bottom bar.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{popup, text_width};
use crate::app::App;
use crate::tui::keymap;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = Vec::new();
    for (context, bindings) in keymap::help(app) {
        if bindings.is_empty() {
            continue;
        }
        lines.push(Line::styled(context.title(), theme.title()));
        let mut row: Vec<Span> = Vec::new();
        let mut used = 0;
        for b in bindings {
            let width = text_width(&b.label) + text_width(b.help) + 4;
            if used + width > area.width.saturating_sub(4) as usize && !row.is_empty() {
                lines.push(Line::from(std::mem::take(&mut row)));
                used = 0;
            }
            row.push(Span::styled(format!(" {}", b.label), theme.key()));
            row.push(Span::raw(format!(" {}  ", b.help)));
            used += width;
        }
        if !row.is_empty() {
            lines.push(Line::from(row));
        }
    }
    let height = lines.len() as u16 + 2;
    let area = popup(area, area.width, height);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" Keys · ? or Esc closes ")
                .title_style(theme.title()),
        ),
        area,
    );
}
