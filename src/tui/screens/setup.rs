//! Setup: the Synchronization block (Auto Sync, Background sync, Save password, server URL,
//! user name), locked settings drawn with a lock, and the project's read-only Configuration.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{input_view, split_at_width, truncate};
use crate::app::{App, SetupRow, SetupState};
use crate::settings::SettingKey;
use crate::tui::mouse::{Hits, Target};
use crate::tui::theme::Theme;

const LOCK: &str = "🔒";
/// Where a value starts: the marker and the label.
const VALUE_COLUMN: u16 = 2 + 16;

fn on_off(v: bool) -> &'static str {
    if v { "On" } else { "Off" }
}

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    state: &SetupState,
    theme: &Theme,
    hits: &mut Hits,
) {
    let [sync_area, project_area] =
        Layout::vertical([Constraint::Length(9), Constraint::Min(0)]).areas(area);
    let block = Block::bordered()
        .title(" Setup · Synchronization ")
        .title_style(theme.title());
    let inner = block.inner(sync_area);
    frame.render_widget(block, sync_area);
    let Some(settings) = app.settings() else {
        frame.render_widget(Paragraph::new("This profile has no settings yet"), inner);
        return;
    };
    let effective = app.effective();
    let locked = |key: SettingKey| {
        app.project()
            .is_some_and(|p| p.configuration.is_locked(key))
    };
    let width = inner.width as usize;
    let mut lines = Vec::new();
    for (i, row) in SetupRow::ALL.iter().enumerate() {
        let (value, key) = match row {
            SetupRow::AutoSync => (
                effective
                    .map(|e| e.auto_sync)
                    .unwrap_or(settings.auto_sync)
                    .to_string(),
                Some(SettingKey::AutoSync),
            ),
            SetupRow::BackgroundSync => (
                on_off(
                    effective
                        .map(|e| e.background_sync)
                        .unwrap_or(settings.background_sync),
                )
                .to_string(),
                Some(SettingKey::BackgroundSync),
            ),
            SetupRow::SavePassword => {
                let on = effective
                    .map(|e| e.save_password)
                    .unwrap_or(settings.save_password);
                let saved = if on && !app.password_saved() {
                    " (none saved yet)"
                } else {
                    ""
                };
                (
                    format!("{}{saved}", on_off(on)),
                    Some(SettingKey::SavePassword),
                )
            }
            SetupRow::ServerUrl => (settings.server_url.clone(), None),
            SetupRow::UserName => (settings.user_name.clone(), None),
        };
        let is_locked = key.is_some_and(locked);
        let lock = if is_locked {
            format!(" {LOCK} Locked by the administrator")
        } else {
            String::new()
        };
        let selected = i == state.selected;
        let marker = if selected { "▸ " } else { "  " };
        let y = inner.y + i as u16;
        hits.add(Rect::new(inner.x, y, inner.width, 1), Target::Item(i));
        let value = match (&state.editing, selected) {
            // Scrolled sideways so the cursor stays in view; `▏` marks it.
            (Some(input), true) => {
                let room = width.saturating_sub(VALUE_COLUMN as usize + 1);
                let (shown, column) = input_view(input, room);
                let x = inner.x + VALUE_COLUMN + column;
                frame.set_cursor_position((x.min(inner.right().saturating_sub(1)), y));
                let (before, after) = split_at_width(&shown, column as usize);
                format!("{before}▏{after}")
            }
            _ => value,
        };
        let selector = if row.is_text() {
            value
        } else {
            format!("◂ {value} ▸")
        };
        let text = truncate(
            &format!("{marker}{:<16}{selector}{lock}", row.label()),
            width,
        );
        let style = if selected {
            theme.selected()
        } else if is_locked {
            theme.dim()
        } else {
            ratatui::style::Style::new()
        };
        lines.push(Line::styled(text, style));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "←/→ or Enter change the selected setting; settings persist in the profile.",
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(lines), inner);

    let block = Block::bordered()
        .title(" Woodford project configuration (as applied; c on Home opens Woodford) ")
        .title_style(theme.title());
    let inner = block.inner(project_area);
    frame.render_widget(block, project_area);
    let Some(project) = app.project() else {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "No project yet: it arrives with the first sync",
                theme.dim(),
            )),
            inner,
        );
        return;
    };
    let c = &project.configuration;
    let mark = |key: SettingKey| {
        if c.is_locked(key) {
            format!(" {LOCK}")
        } else {
            String::new()
        }
    };
    let rows = [
        format!("Project              {} v{}", project.name, project.version),
        format!(
            "Require Sync Login   {}{}",
            c.require_sync_login,
            mark(SettingKey::RequireSyncLogin)
        ),
        format!(
            "Auto Sync Interval   {}{}",
            if c.auto_sync_interval == 0 {
                "0 (off)".to_string()
            } else {
                format!("{} s", c.auto_sync_interval)
            },
            mark(SettingKey::AutoSyncInterval)
        ),
        format!(
            "Sync before Online   {}{}",
            c.sync_before_online,
            mark(SettingKey::SyncBeforeOnline)
        ),
        format!(
            "Sync before Offline  {}{}",
            c.sync_before_offline,
            mark(SettingKey::SyncBeforeOffline)
        ),
        format!(
            "Background Download  {}{}",
            c.background_download,
            mark(SettingKey::BackgroundDownload)
        ),
        format!(
            "Background behavior  {}{}",
            c.background_sync_behavior,
            mark(SettingKey::BackgroundSyncBehavior)
        ),
    ];
    let lines: Vec<Line> = rows
        .iter()
        .map(|r| Line::from(Span::raw(truncate(r, inner.width as usize))))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
