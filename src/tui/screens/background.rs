//! The app in the background (as if the user switched to another app).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::popup;
use crate::app::App;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let last = app
        .status()
        .last
        .as_ref()
        .map(|l| format!("Last sync ended {}.", l.ended.format("%H:%M:%S")))
        .unwrap_or_else(|| "No sync yet.".into());
    let lines = vec![
        Line::raw("The app is in the background."),
        Line::raw(""),
        Line::raw(
            "\"On Start (app will synchronize every time it starts, even after it was running in the background)\"",
        ),
        Line::raw(""),
        Line::raw(last),
        Line::styled(
            "Advance the clock (1/5/6) or toggle the network (n), then press r to bring the app back: the on-start rule is evaluated again.",
            theme.dim(),
        ),
    ];
    let area = popup(area, 70, 12);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(
            Block::bordered()
                .title(" Background ")
                .title_style(theme.title()),
        ),
        area,
    );
}
