//! Home: the menu (Sync Errors first when there are any, the auditor's lost edits, entity tiles with counts, Setup, Log,
//! Server panel) and the Synchronization panel (the Sync or down-arrow button, last sync,
//! pending changes, mode and network, progress, and why auto sync ran or didn't).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, Paragraph, Wrap};

use super::{ago, item_rows, line_text, progress, text_width, wrapped_height};
use crate::app::{Action, App, HomeItem, HomeState};
use crate::rules::{Network, ON_START_WINDOW_MINUTES, OnStartRule, SkipReason, SyncActivity};
use crate::tui::keymap::Key;
use crate::tui::mouse::{Hits, Target};
use crate::tui::theme::Theme;

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    state: &HomeState,
    theme: &Theme,
    hits: &mut Hits,
) {
    let [menu, panel] =
        Layout::horizontal([Constraint::Length(28), Constraint::Min(0)]).areas(area);
    draw_menu(frame, menu, app, state, theme);
    let inner = Block::bordered().inner(menu);
    for (row, i) in item_rows(inner, 0, 0, app.home_items().len()) {
        hits.add(row, Target::Item(i));
    }
    draw_panel(frame, panel, app, theme, hits);
}

fn draw_menu(frame: &mut Frame, area: Rect, app: &App, state: &HomeState, theme: &Theme) {
    let inner_width = area.width.saturating_sub(4) as usize;
    let items: Vec<ListItem> = app
        .home_items()
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let (label, count, style) = match item {
                HomeItem::SyncErrors { count } => {
                    ("Sync Errors".to_string(), count.to_string(), theme.error())
                }
                HomeItem::LostEdits { count } => {
                    ("⚠ Lost edits".to_string(), count.to_string(), theme.error())
                }
                HomeItem::Entity { label, count, .. } => (
                    label.clone(),
                    count.to_string(),
                    ratatui::style::Style::new(),
                ),
                HomeItem::Setup => ("Setup".into(), String::new(), ratatui::style::Style::new()),
                HomeItem::Log => ("Log".into(), String::new(), ratatui::style::Style::new()),
                HomeItem::Server => ("Server panel".into(), String::new(), theme.dim()),
            };
            let marker = if i == state.selected { "▸ " } else { "  " };
            let pad = inner_width.saturating_sub(text_width(&label) + text_width(&count) + 2);
            let line = format!("{marker}{label}{}{count}", " ".repeat(pad));
            let style = if i == state.selected {
                style.patch(theme.selected())
            } else {
                style
            };
            ListItem::new(Line::styled(line, style))
        })
        .collect();
    let mut lines = items;
    if app.project().is_none() {
        lines.push(ListItem::new(""));
        lines.push(ListItem::new(Line::styled(
            "  No project yet:",
            theme.dim(),
        )));
        lines.push(ListItem::new(Line::styled(
            "  synchronize first",
            theme.dim(),
        )));
    }
    frame.render_widget(
        List::new(lines).block(Block::bordered().title(" Home ").title_style(theme.title())),
        area,
    );
}

fn draw_panel(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, hits: &mut Hits) {
    let block = Block::bordered()
        .title(" Synchronization ")
        .title_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let status = app.status();
    let width = inner.width as usize;

    let mut lines: Vec<Line> = Vec::new();
    let (button, hint, press) = match status.update_available {
        Some(v) => (
            format!(" ↓ Update to v{v} "),
            "  s: apply it (foreground sync)",
            Action::PressDownArrow,
        ),
        None => (" ⟳ Sync ".to_string(), "  s", Action::PressSync),
    };
    let button_area = Rect::new(inner.x, inner.y, text_width(&button) as u16, 1);
    hits.add(button_area.intersection(inner), Target::Key(Key::Char('s')));
    let button = Span::styled(button, theme.button());
    // The key is named only while it would do something (not while a sync runs).
    let hint = if app.refusal(&press).is_none() {
        hint
    } else {
        ""
    };
    lines.push(Line::from(vec![button, Span::styled(hint, theme.dim())]));
    lines.push(Line::raw(""));

    match &status.last {
        Some(last) => {
            let result = match &last.error {
                None if last.flags.data_errors => {
                    Span::styled("finished with data errors", theme.warn())
                }
                None => Span::styled("succeeded", theme.ok()),
                Some(e) => Span::styled(format!("failed: {e}"), theme.error()),
            };
            lines.push(Line::from(vec![
                Span::raw(format!(
                    "Last sync   {} ({}) · ",
                    last.ended.format("%H:%M:%S"),
                    ago(app.now(), last.ended)
                )),
                result,
            ]));
            lines.push(Line::styled(
                format!("            {}, {}", last.trigger, last.mode),
                theme.dim(),
            ));
        }
        None => lines.push(Line::raw("Last sync   never")),
    }
    let pending = status.pending_uploads;
    let pending_style = if pending > 0 {
        theme.warn()
    } else {
        ratatui::style::Style::new()
    };
    lines.push(Line::from(vec![
        Span::raw("Pending     "),
        Span::styled(format!("{pending} change(s) to upload"), pending_style),
    ]));
    let network = match app.network() {
        Network::Connected => Span::styled("network connected", theme.ok()),
        Network::Disconnected => Span::styled("no network", theme.error()),
    };
    lines.push(Line::from(vec![
        Span::raw(format!("Mode        {} · ", app.mode_label())),
        network,
    ]));
    if let SyncActivity::WaitingForUiTransactions { .. } = status.activity {
        // Wraps, as every status line on Home does (issue 14, defect 6).
        lines.push(Line::styled(
            format!("Sync        {}", status.activity),
            theme.warn(),
        ));
    }
    if let Some(trigger) = status.deferred {
        lines.push(Line::styled(
            format!("Deferred    {trigger} sync (a form is open)"),
            theme.warn(),
        ));
    }
    if status.follow_up_queued {
        lines.push(Line::styled(
            "Queued      one follow-up sync for changes saved meanwhile",
            theme.dim(),
        ));
    }

    let progress = progress::shown(status);
    if let Some(shown) = &progress {
        // Broken between its parts here, so the wrapping below leaves the numbers whole.
        lines.extend(shown.rows("Progress    ", width).into_iter().map(Line::raw));
    }
    // Status lines wrap: a long failure reads in full.
    let height: u16 = lines
        .iter()
        .map(|l| wrapped_height(&line_text(l), width))
        .sum();
    let mut rows = vec![Constraint::Length(height)];
    if progress.is_some() {
        rows.push(Constraint::Length(1));
    }
    rows.push(Constraint::Min(0));
    let areas = Layout::vertical(rows).split(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), areas[0]);
    if let Some(shown) = &progress {
        frame.render_widget(shown.gauge(status.activity.mode(), theme), areas[1]);
    }
    draw_why(frame, areas[areas.len() - 1], app, theme);
}

fn draw_why(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = vec![Line::raw("")];
    let answer = app.status().last_decision.as_ref().map_or_else(
        || "no automatic sync was decided yet".into(),
        ToString::to_string,
    );
    lines.push(Line::from(vec![
        Span::styled("Why? ", theme.title()),
        Span::raw(answer),
    ]));
    if app.why_expanded() {
        lines.push(Line::styled(
            format!("If the app started now ({}):", app.now().format("%H:%M")),
            theme.dim(),
        ));
        for check in app.checklist() {
            let (mark, style) = match &check.blocked_by {
                None => ("✓", theme.ok()),
                Some(_) => ("✗", theme.error()),
            };
            let text = match (&check.blocked_by, check.rule) {
                // Said as what happened, not as a broken "not synchronized" rule.
                (
                    Some(SkipReason::SyncedRecently {
                        minutes_ago,
                        minutes_left,
                    }),
                    OnStartRule::NotSyncedWithin15Minutes,
                ) => format!(
                    "{mark} Synchronized {minutes_ago} min ago — {minutes_left} min left in the {ON_START_WINDOW_MINUTES}-minute window"
                ),
                (Some(reason), rule) => format!("{mark} {rule} — {reason}"),
                (None, rule) => format!("{mark} {rule}"),
            };
            lines.push(Line::styled(text, style));
        }
    } else {
        lines.push(Line::styled(
            format!("w: every on-start rule and the {ON_START_WINDOW_MINUTES}-minute window"),
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
