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
mod log_entry;
mod progress;
mod server;
mod setup;
mod sync;
pub mod timeline;
mod woodford;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row};

use super::keymap::{self, Key};
use super::mouse::{Hits, Target};
use super::theme::Theme;
use crate::app::{App, Fit, Focus, Layer, Level, MIN_HEIGHT, MIN_WIDTH, Screen, SyncScreen};
use crate::engine::PhaseState;
use crate::rules::{Network, SyncActivity};

/// Draws the whole app.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    draw_with_hits(frame, app, theme);
}

/// Draws the whole app and says where it drew what, for the mouse.
pub fn draw_with_hits(frame: &mut Frame, app: &App, theme: &Theme) -> Hits {
    let mut hits = Hits::default();
    let area = frame.area();
    let width = area.width as usize;
    let bar = bar_lines(app, width, theme);
    let small = match app.fit() {
        Fit::TooSmall { width, height } => Some((width, height)),
        Fit::Fits if area.width < MIN_WIDTH || area.height < MIN_HEIGHT => {
            Some((area.width, area.height))
        }
        Fit::Fits => None,
    };
    if let Some(size) = small {
        too_small(frame, size, message_lines(app, width, theme), bar, theme);
        return hits;
    }
    let message_lines = message_lines(app, width, theme);
    let [header, body, message, bar_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(message_lines.len().max(1) as u16),
        Constraint::Length(bar.lines.len() as u16),
    ])
    .areas(area);
    draw_header(frame, header, app, theme);
    let hits_ref = &mut hits;
    match app.layer() {
        Layer::SyncRunning | Layer::Login => sync::draw(frame, body, app, theme),
        Layer::Background => background::draw(frame, body, app, theme),
        Layer::Dialog(dialog) => {
            draw_screen(frame, body, app, theme, hits_ref);
            dialogs::draw(frame, body, dialog, theme, hits_ref);
        }
        Layer::Editing | Layer::Screen(_) => draw_screen(frame, body, app, theme, hits_ref),
    }
    frame.render_widget(Paragraph::new(message_lines), message);
    for (row, start, width, key) in &bar.keys {
        let area = Rect::new(bar_area.x + start, bar_area.y + row, *width, 1);
        hits.add(area.intersection(bar_area), Target::Key(*key));
    }
    frame.render_widget(Paragraph::new(bar.lines), bar_area);
    if let Focus::Help { .. } = app.focus() {
        help::draw(frame, body, app, theme);
        // A click anywhere closes the help, as Esc does.
        hits.clear();
        hits.add(area, Target::Key(Key::Esc));
    }
    hits
}

/// The screen on top of the stack.
fn draw_screen(frame: &mut Frame, body: Rect, app: &App, theme: &Theme, hits: &mut Hits) {
    match app.screen() {
        Screen::Home(state) => home::draw(frame, body, app, state, theme, hits),
        Screen::Setup(state) => setup::draw(frame, body, app, state, theme, hits),
        Screen::List(state) => list::draw(frame, body, state, theme, hits),
        Screen::Form(state) => form::draw(frame, body, app, state, theme, hits),
        Screen::SyncErrors(state) => errors::draw(frame, body, app, state, theme, hits),
        Screen::Conflict(state) => conflict::draw(frame, body, app, state, theme, hits),
        Screen::Log(state) => log::draw(frame, body, app, state, theme, hits),
        Screen::LogEntry(state) => log_entry::draw(frame, body, state, theme),
        Screen::Server(state) => server::draw(frame, body, app, state, theme, hits),
        Screen::Timeline(state) => timeline::draw(frame, body, state, theme),
        Screen::Woodford(state) => woodford::draw(frame, body, app, state, theme, hits),
    }
}

/// Instead of cut panels: the size, the size needed, the answer to a key pressed meanwhile, and
/// the key bar (`q quit`).
fn too_small(
    frame: &mut Frame,
    (width, height): (u16, u16),
    message: Vec<Line<'static>>,
    bar: Bar,
    theme: &Theme,
) {
    let area = frame.area();
    let size = format!("{width}×{height}");
    let text = vec![
        Line::styled(
            format!("terminal too small: {size}, needs {MIN_WIDTH}×{MIN_HEIGHT}"),
            theme.warn(),
        ),
        Line::raw(""),
        Line::styled("Enlarge the window to go on.", theme.dim()),
    ];
    let height = text
        .iter()
        .map(|l| wrapped_height(&line_text(l), area.width as usize))
        .sum::<u16>();
    let [_, middle, _, message_area, bar_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
        Constraint::Length(message.len() as u16),
        Constraint::Length(bar.lines.len() as u16),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(message), message_area);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(ratatui::layout::Alignment::Center)
            .wrap(ratatui::widgets::Wrap { trim: true }),
        middle,
    );
    frame.render_widget(Paragraph::new(bar.lines), bar_area);
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

/// Most rows the message takes before it is cut.
const MESSAGE_ROWS: usize = 3;

/// The answer to the last action, word-wrapped over up to three rows (then cut with `…`).
fn message_lines(app: &App, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let Some(message) = app.message() else {
        return Vec::new();
    };
    let (mark, style) = match message.level {
        Level::Info => ("·", theme.dim()),
        Level::Success => ("✓", theme.ok()),
        Level::Warning => ("!", theme.warn()),
        Level::Error => ("✗", theme.error()),
    };
    let mut text = format!("{mark} {}", message.text);
    let inner = width.saturating_sub(1).max(1);
    let mut room = text_width(&text);
    while room > 1 && wrap_words(&text, inner).len() > MESSAGE_ROWS {
        room -= 1;
        text = truncate(&format!("{mark} {}", message.text), room);
    }
    wrap_words(&text, inner)
        .into_iter()
        .map(|row| Line::from(Span::styled(format!(" {row}"), style)))
        .collect()
}

/// `text` word-wrapped to `width` columns; a word longer than a row is cut across rows.
pub(crate) fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = vec![String::new()];
    for word in text.split(' ') {
        let row = rows.last_mut().expect("one row at least");
        if row.is_empty() || text_width(row) + 1 + text_width(word) <= width {
            if !row.is_empty() {
                row.push(' ');
            }
            row.push_str(word);
        } else {
            rows.push(word.to_string());
        }
        while text_width(rows.last().expect("one row")) > width {
            let last = rows.pop().expect("one row");
            let (head, tail) = split_at_width(&last, width);
            rows.push(head);
            rows.push(tail);
        }
    }
    rows
}

/// The first `width` columns of `s`, and the rest.
pub(crate) fn split_at_width(s: &str, width: usize) -> (String, String) {
    use unicode_truncate::UnicodeTruncateStr;
    let (head, _) = s.unicode_truncate(width);
    (head.to_string(), s[head.len()..].to_string())
}

/// Most rows the key bar takes.
const BAR_ROWS: usize = 2;

/// The key bar as drawn: its lines, and where each entry is (row, column, width, key).
struct Bar {
    lines: Vec<Line<'static>>,
    keys: Vec<(u16, u16, u16, Key)>,
}

/// The key bar, on up to [`BAR_ROWS`] rows. When its entries need more, the last ones give way
/// (the help lists them all), never `? help`, `q quit` or `Esc` (back, cancel).
fn bar_lines(app: &App, width: usize, theme: &Theme) -> Bar {
    let mut entries = keymap::bar_entries(app);
    loop {
        let bar = lay_out_bar(&entries, width, theme);
        let kept = |l: &keymap::Listed| {
            l.keys
                .iter()
                .any(|k| matches!(k, Key::Char('?' | 'q') | Key::Esc))
        };
        match entries.iter().rposition(|l| !kept(l)) {
            Some(last) if bar.lines.len() > BAR_ROWS => {
                entries.remove(last);
            }
            _ => return bar,
        }
    }
}

fn lay_out_bar(entries: &[keymap::Listed], width: usize, theme: &Theme) -> Bar {
    let mut lines = Vec::new();
    let mut keys = Vec::new();
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for entry in entries {
        let what = entry.bar.unwrap_or_default();
        let columns = text_width(&entry.label) + text_width(what) + 3;
        // The last entry of a row needs no trailing gap.
        if used + columns - 2 > width && spans.len() > 1 {
            lines.push(Line::from(std::mem::replace(
                &mut spans,
                vec![Span::raw(" ")],
            )));
            used = 1;
        }
        if let Some(key) = entry.keys.first() {
            keys.push((lines.len() as u16, used as u16, (columns - 2) as u16, *key));
        }
        spans.push(Span::styled(entry.label.clone(), theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
        used += columns;
    }
    lines.push(Line::from(spans));
    Bar { lines, keys }
}

/// Columns a string takes on the terminal.
pub(crate) fn text_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Cuts `s` to `width` columns, with an ellipsis when cut.
pub(crate) fn truncate(s: &str, width: usize) -> String {
    use unicode_truncate::UnicodeTruncateStr;
    if text_width(s) <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let (kept, _) = s.unicode_truncate(width - 1);
    format!("{kept}…")
}

/// The widths a `Table` gives its columns in `width` columns (ratatui's own layout: one column
/// of spacing, the highlight symbol's column first), so cells can be cut with an ellipsis.
pub(crate) fn column_widths(widths: &[Constraint], width: u16, symbol: &str) -> Vec<usize> {
    let columns = Rect::new(0, 0, width.saturating_sub(text_width(symbol) as u16), 1);
    Layout::horizontal(widths.to_vec())
        .flex(ratatui::layout::Flex::Start)
        .spacing(1)
        .split(columns)
        .iter()
        .map(|r| r.width as usize)
        .collect()
}

/// A table row whose cells are cut to their columns, with an ellipsis when cut.
pub(crate) fn fitted_row(cells: Vec<String>, widths: &[usize]) -> Row<'static> {
    let cut = cells
        .into_iter()
        .enumerate()
        .map(|(i, cell)| truncate(&cell, widths.get(i).copied().unwrap_or(usize::MAX)));
    Row::new(cut.collect::<Vec<_>>())
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

/// The part of a text input shown in `width` columns, scrolled sideways so that the cursor stays
/// in view (tui-input's visual scroll), and the cursor's column in it.
pub(crate) fn input_view(input: &tui_input::Input, width: usize) -> (String, u16) {
    use unicode_truncate::UnicodeTruncateStr;
    let width = width.max(1);
    // One column stays free for the cursor after the last character.
    let scroll = input.visual_scroll(width - 1);
    let value = input.value();
    let (rest, _) = value.unicode_truncate_start(text_width(value).saturating_sub(scroll));
    let (shown, _) = rest.unicode_truncate(width);
    let cursor = input.visual_cursor().saturating_sub(scroll);
    (shown.to_string(), cursor as u16)
}

/// The rows a table or list drew its items on: (row area, item index) for the items visible
/// from `offset` (the widget's scroll after rendering) in `area` below `header` rows.
pub(crate) fn item_rows(
    area: Rect,
    header: u16,
    offset: usize,
    len: usize,
) -> impl Iterator<Item = (Rect, usize)> {
    let rows = area.height.saturating_sub(header) as usize;
    (0..rows)
        .map(move |r| (r, offset + r))
        .take_while(move |(_, i)| *i < len)
        .map(move |(r, i)| {
            let y = area.y + header + r as u16;
            (Rect::new(area.x, y, area.width, 1), i)
        })
}

/// The text of a line, without its styles.
pub(crate) fn line_text(line: &Line) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

/// How many rows `text` takes when word-wrapped to `width` columns (as `Paragraph` wraps).
pub(crate) fn wrapped_height(text: &str, width: usize) -> u16 {
    wrap_words(text, width).len() as u16
}
