//! Drawing: one file per screen, all reading `&App` only. The frame is: a header line (where
//! you are, mode, network, clock, sync activity), the screen, the message line, the key bar.

mod background;
mod conflict;
mod dialogs;
mod errors;
mod form;
mod help;
mod home;
mod list;
mod log;
mod server;
mod setup;
mod sync;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::keymap;
use super::theme::Theme;
use crate::app::{App, Level, Screen, SyncScreen};
use crate::engine::{PhaseState, SyncStatus};
use crate::rules::{Network, Phase, SyncActivity};

/// Draws the whole app.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let [header, body, message, bar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_header(frame, header, app, theme);
    if app.sync_screen().is_some() || app.foreground_sync_running() {
        sync::draw(frame, body, app, theme);
    } else if app.in_background() {
        background::draw(frame, body, app, theme);
    } else {
        match app.screen() {
            Screen::Home(state) => home::draw(frame, body, app, state, theme),
            Screen::Setup(state) => setup::draw(frame, body, app, state, theme),
            Screen::List(state) => list::draw(frame, body, state, theme),
            Screen::Form(state) => form::draw(frame, body, app, state, theme),
            Screen::SyncErrors(state) => errors::draw(frame, body, app, state, theme),
            Screen::Conflict(state) => conflict::draw(frame, body, app, state, theme),
            Screen::Log(state) => log::draw(frame, body, app, state, theme),
            Screen::Server(state) => server::draw(frame, body, app, state, theme),
        }
        if let Some(dialog) = app.dialog() {
            dialogs::draw(frame, body, dialog, theme);
        }
    }
    if app.help_shown() {
        help::draw(frame, body, app, theme);
    }
    draw_message(frame, message, app, theme);
    draw_bar(frame, bar, app, theme);
}

fn breadcrumb(app: &App) -> String {
    if let Some(SyncScreen::Login { .. } | SyncScreen::Running) = app.sync_screen() {
        return "Synchronization".into();
    }
    let mut parts = Vec::new();
    for screen in app.stack() {
        parts.push(match screen {
            Screen::Home(_) => "Home".to_string(),
            Screen::List(l) => l.label.clone(),
            Screen::Form(f) => f.title.clone(),
            Screen::Conflict(c) => format!("#{}", c.conflict_id),
            other => other.kind().title().to_string(),
        });
    }
    parts.join(" › ")
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let network = if app.network() == Network::Connected {
        "net on"
    } else {
        "NET OFF"
    };
    let activity = match app.status().activity {
        SyncActivity::Idle => String::new(),
        running => format!("⟳ {running} · "),
    };
    let offset = app
        .clock_offset()
        .filter(|o| !o.is_zero())
        .map(|o| format!(" (+{}m)", o.num_minutes()))
        .unwrap_or_default();
    let right = format!(
        "{activity}{} · {network} · {}{offset} ",
        app.mode_label(),
        app.now().format("%H:%M")
    );
    let left = format!(" autosync │ {}", breadcrumb(app));
    let width = area.width as usize;
    let left = truncate(&left, width.saturating_sub(text_width(&right) + 1));
    let pad = width.saturating_sub(text_width(&left) + text_width(&right));
    let text = format!("{left}{}{right}", " ".repeat(pad));
    frame.render_widget(Paragraph::new(text).style(theme.header()), area);
}

fn draw_message(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(message) = app.message() else { return };
    let (mark, style) = match message.level {
        Level::Info => ("·", theme.dim()),
        Level::Success => ("✓", theme.ok()),
        Level::Warning => ("!", theme.warn()),
        Level::Error => ("✗", theme.error()),
    };
    let text = truncate(&format!(" {mark} {}", message.text), area.width as usize);
    frame.render_widget(Paragraph::new(Line::from(Span::styled(text, style))), area);
}

fn draw_bar(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (keys, what) in keymap::bar(app) {
        let width = text_width(keys) + text_width(what) + 3;
        if used + width > area.width as usize {
            break;
        }
        spans.push(Span::styled(keys, theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
        used += width;
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub(crate) fn text_width(s: &str) -> usize {
    unicode_width(s)
}

fn unicode_width(s: &str) -> usize {
    ratatui::text::Span::raw(s).width()
}

/// Cuts `s` to `width` columns, with an ellipsis when cut.
pub(crate) fn truncate(s: &str, width: usize) -> String {
    if text_width(s) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if text_width(&out) + text_width(&c.to_string()) + 1 > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// "just now", "3 min ago", "2 h 5 min ago".
pub(crate) fn ago(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let minutes = (now - then).num_minutes().max(0);
    match minutes {
        0 => "just now".into(),
        m if m < 60 => format!("{m} min ago"),
        m if m < 60 * 48 => format!("{} h {} min ago", m / 60, m % 60),
        m => format!("{} days ago", m / (60 * 24)),
    }
}

/// The sync's overall progress as a label plus a percentage (as Home shows it).
pub(crate) fn overall_progress(status: &SyncStatus) -> Option<(String, f64)> {
    let phase = match status.activity {
        SyncActivity::Idle => return None,
        SyncActivity::Running { phase, .. } => phase,
        // Waiting before `before`: everything before it is done, nothing of it yet.
        SyncActivity::WaitingForUiTransactions { before, .. } => {
            let index = Phase::ALL.iter().position(|p| *p == before).unwrap_or(0);
            let ratio = index as f64 / Phase::ALL.len() as f64;
            return Some((status.activity.to_string(), ratio));
        }
    };
    let index = Phase::ALL.iter().position(|p| *p == phase).unwrap_or(0);
    let fraction = status
        .phase(phase)
        .and_then(|p| p.total.filter(|t| *t > 0).map(|t| p.done as f64 / t as f64))
        .unwrap_or(0.0)
        .clamp(0.0, 1.0);
    let ratio = ((index as f64 + fraction) / Phase::ALL.len() as f64).clamp(0.0, 1.0);
    let detail = status.phase(phase).map(phase_detail).unwrap_or_default();
    let label = if detail.is_empty() {
        phase.to_string()
    } else {
        format!("{phase} {detail}")
    };
    Some((label, ratio))
}

/// "120/300", "250 records", "" for one phase.
pub(crate) fn phase_detail(p: &crate::engine::PhaseProgress) -> String {
    match (p.total, p.done) {
        (Some(total), done) if total > 0 => format!("{done}/{total}"),
        (None, done) if done > 0 => format!("{done} records"),
        _ => String::new(),
    }
}

pub(crate) fn phase_state_word(state: PhaseState) -> &'static str {
    match state {
        PhaseState::Pending => "pending",
        PhaseState::Running => "running",
        PhaseState::Done => "done",
        PhaseState::Failed => "failed",
    }
}

/// A centered popup area of at most `width`×`height` inside `area`.
pub(crate) fn popup(area: Rect, width: u16, height: u16) -> Rect {
    area.centered(
        Constraint::Length(width.min(area.width)),
        Constraint::Length(height.min(area.height)),
    )
}

/// The text of a line, without its styles.
pub(crate) fn line_text(line: &Line) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

/// How many rows `text` takes when word-wrapped to `width` columns (as `Paragraph` wraps).
pub(crate) fn wrapped_height(text: &str, width: usize) -> u16 {
    let width = width.max(1);
    let (mut rows, mut column) = (1u16, 0usize);
    for word in text.split(' ') {
        let w = text_width(word);
        if column == 0 {
            column = w;
        } else if column + 1 + w <= width {
            column += 1 + w;
        } else {
            rows += 1;
            column = w;
        }
        while column > width {
            rows += 1;
            column -= width;
        }
    }
    rows
}
