//! The App drawn by the TUI's own renderer into plain text (scenario screens, tests).

use crate::app::App;

/// Renders the App with the TUI's own renderer into plain text.
pub fn render_text(app: &App, width: u16, height: u16) -> String {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let Ok(mut terminal) = ratatui::Terminal::new(backend);
    let theme = crate::tui::theme::Theme::plain();
    if terminal
        .draw(|frame| crate::tui::screens::draw(frame, app, &theme))
        .is_err()
    {
        return String::new();
    }
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let line: String = (0..width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
