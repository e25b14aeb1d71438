//! The sync screen (Background sync off, a project update, a sync that needs the password):
//! URL, user name and password, each phase's state and count, and the running phase's
//! progress. While it shows, nothing else can be done.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{input_view, phase_state_word, popup, progress, split_at_width};
use crate::app::{App, LoginField, SyncScreen};
use crate::engine::PhaseState;
use crate::rules::{LoginReason, Phase};
use crate::tui::theme::Theme;

/// "Password   ".
const LABEL: u16 = 11;

fn label(field: LoginField) -> &'static str {
    match field {
        LoginField::Url => "URL        ",
        LoginField::UserName => "User name  ",
        LoginField::Password => "Password   ",
    }
}

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

    let lines = match app.sync_screen() {
        Some(SyncScreen::Login { fields: inputs, .. }) => LoginField::ALL
            .iter()
            .enumerate()
            .map(|(row, field)| {
                let input = inputs.input(*field);
                // The password as dots; every input scrolled sideways so its cursor stays in view.
                let shown_input = match field {
                    LoginField::Password => {
                        tui_input::Input::new("•".repeat(input.value().chars().count()))
                            .with_cursor(input.cursor())
                    }
                    _ => input.clone(),
                };
                let room = fields.width.saturating_sub(LABEL + 1) as usize;
                let (shown, column) = input_view(&shown_input, room);
                let value = if *field == inputs.focus {
                    let x = fields.x + LABEL + column;
                    let y = fields.y + row as u16;
                    frame.set_cursor_position((x.min(fields.right().saturating_sub(1)), y));
                    let (before, after) = split_at_width(&shown, column as usize);
                    Span::styled(format!("{before}▏{after}"), theme.key())
                } else {
                    Span::raw(shown)
                };
                Line::from(vec![Span::styled(label(*field), theme.dim()), value])
            })
            .collect(),
        _ => {
            let settings = app.settings();
            let url = settings.map(|s| s.server_url.clone()).unwrap_or_default();
            let user = settings.map(|s| s.user_name.clone()).unwrap_or_default();
            let password = if app.password_saved() {
                "•••••• (saved)"
            } else {
                "•••••• (this session)"
            };
            vec![
                Line::from(vec![
                    Span::styled(label(LoginField::Url), theme.dim()),
                    Span::raw(url),
                ]),
                Line::from(vec![
                    Span::styled(label(LoginField::UserName), theme.dim()),
                    Span::raw(user),
                ]),
                Line::from(vec![
                    Span::styled(label(LoginField::Password), theme.dim()),
                    Span::raw(password),
                ]),
            ]
        }
    };
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
                "Sync login is required (Require Sync Login): type the password and press Enter to synchronize; it is used for this sync only. Tab: edit the URL or user name."
            }
            LoginReason::PasswordNotSaved => {
                "The password is not saved on this device: type it and press Enter to synchronize. Tab: edit the URL or user name."
            }
            LoginReason::PasswordRejected => {
                "The server rejected the password: type it and press Enter to synchronize. Tab: edit the URL or user name."
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
