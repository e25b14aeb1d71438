//! The sync screen (Background sync off, a project update, a sync that needs the password):
//! URL, user name and password, each phase's state and count, and the running phase's
//! progress. While it shows, nothing else can be done.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{input_view, phase_state_word, popup, progress, split_at_width};
use crate::app::{App, SyncScreen};
use crate::engine::PhaseState;
use crate::rules::{LoginReason, Phase};
use crate::tui::theme::Theme;

/// "Password   ".
const LABEL: u16 = 11;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let area = popup(area, 72, 19);
    let login = matches!(app.sync_screen(), Some(SyncScreen::Login { .. }));
    let title = if login {
        " Synchronization · sign in "
    } else {
        " Synchronization "
    };
    let block = Block::bordered().title(title).title_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let status = app.status();
    let shown = progress::shown(status).filter(|_| !login);
    let rows = shown
        .as_ref()
        .map(|s| s.rows("", inner.width as usize))
        .unwrap_or_default();
    let [fields, _, phases, line, gauge, hint] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(8),
        Constraint::Length(rows.len() as u16),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);

    let settings = app.settings();
    let url = settings.map(|s| s.server_url.clone()).unwrap_or_default();
    let user = settings.map(|s| s.user_name.clone()).unwrap_or_default();
    let password = match app.sync_screen() {
        Some(SyncScreen::Login { password, .. }) => {
            // Dots, scrolled sideways as any input is so the cursor stays in view.
            let dots = tui_input::Input::new("•".repeat(password.value().chars().count()))
                .with_cursor(password.cursor());
            let room = fields.width.saturating_sub(LABEL + 1) as usize;
            let (shown, column) = input_view(&dots, room);
            let x = fields.x + LABEL + column;
            frame.set_cursor_position((x.min(fields.right().saturating_sub(1)), fields.y + 2));
            let (before, after) = split_at_width(&shown, column as usize);
            Span::styled(format!("{before}▏{after}"), theme.key())
        }
        _ if app.password_saved() => Span::raw("•••••• (saved)"),
        _ => Span::raw("•••••• (this session)"),
    };
    let lines = vec![
        Line::from(vec![
            Span::styled("URL        ", theme.dim()),
            Span::raw(url),
        ]),
        Line::from(vec![
            Span::styled("User name  ", theme.dim()),
            Span::raw(user),
        ]),
        Line::from(vec![Span::styled("Password   ", theme.dim()), password]),
    ];
    frame.render_widget(Paragraph::new(lines), fields);

    let mut lines = Vec::new();
    for phase in Phase::ALL {
        let (word, detail, style) = match status.phase(phase) {
            Some(p) if !login => {
                let style = match p.state {
                    PhaseState::Running => theme.key(),
                    PhaseState::Done => theme.ok(),
                    PhaseState::Failed => theme.error(),
                    PhaseState::Pending => theme.dim(),
                };
                (phase_state_word(p.state), progress::phase_counts(p), style)
            }
            _ => ("pending", String::new(), theme.dim()),
        };
        let blocking = if phase.is_entity_phase() {
            "entity phase"
        } else {
            ""
        };
        lines.push(Line::from(vec![
            Span::raw(format!("  {:<16}", phase.to_string())),
            Span::styled(format!("{word:<9}"), style),
            Span::raw(format!("{detail:<22}")),
            Span::styled(blocking, theme.dim()),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), phases);

    if let Some(SyncScreen::Login { reason, .. }) = app.sync_screen() {
        let text = match reason {
            LoginReason::SyncLoginRequired => {
                "Sync login is required (Require Sync Login): type the password and press Enter to synchronize; it is used for this sync only."
            }
            LoginReason::PasswordNotSaved => {
                "The password is not saved on this device: type it and press Enter to synchronize."
            }
            LoginReason::PasswordRejected => {
                "The server rejected the password: type it and press Enter to synchronize."
            }
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.dim()))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            hint,
        );
        return;
    }
    if let Some(shown) = &shown {
        let rows: Vec<Line> = rows.into_iter().map(Line::raw).collect();
        frame.render_widget(Paragraph::new(rows), line);
        frame.render_widget(shown.gauge(None, theme), gauge);
    }
    let trigger = status
        .trigger
        .map(|t| format!("{t} sync in the foreground: "))
        .unwrap_or_default();
    let text = format!("{trigger}you wait until it finishes (Esc cancels it).");
    frame.render_widget(
        Paragraph::new(Line::styled(text, theme.dim())).wrap(ratatui::widgets::Wrap { trim: true }),
        hint,
    );
}
