//! The Timeline: the journal as swimlanes — the sync's phases as bars, the user's saves and
//! UI transactions, the server, the findings — on the journal's order, labelled with the
//! virtual time where it changes. Every kind has its own character, so it reads under
//! NO_COLOR (a background sync's bars are `░`, a foreground sync's `█`); the cursor column is
//! reversed, and the line under it names what Enter opens.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::Block;
use unicode_width::UnicodeWidthStr;

use super::split_at_width;

use crate::app::TimelineState;
use crate::rules::Phase;
use crate::timeline::{Item, ItemKind, Lane, LostCause, SaveMark, ServerMark, SyncNote};
use crate::tui::theme::Theme;

/// The lane names' column.
const LABELS: u16 = 9;
/// Rows per lane: its marks or bars, then their labels.
const LANE_ROWS: u16 = 2;

pub fn draw(frame: &mut Frame, area: Rect, state: &TimelineState, theme: &Theme) {
    let t = &state.timeline;
    let title = format!(
        " Timeline · {} journal lines drawn · zoom {}× ",
        t.columns.len(),
        state.cells_per_column()
    );
    let block = Block::bordered().title(title).title_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let buf = frame.buffer_mut();
    if t.is_empty() {
        buf.set_string(
            inner.x,
            inner.y,
            "Nothing to draw yet: the journal has no sync, save, server or finding line.",
            theme.dim(),
        );
        return;
    }
    let view = View::of(state, inner);
    for (i, lane) in Lane::ALL.into_iter().enumerate() {
        let y = inner.y + i as u16 * LANE_ROWS;
        if y + 1 >= inner.bottom() {
            return;
        }
        let marker = if lane == state.lane { "›" } else { " " };
        let style = if lane == state.lane {
            theme.title()
        } else {
            Style::new()
        };
        buf.set_string(inner.x, y, format!("{marker}{}", lane.label()), style);
        // Extents first, so that marks sit on top of them; a mark's label ends where the next
        // mark's begins.
        for item in t.lane(lane).filter(|i| i.kind.is_extent()) {
            draw_item(buf, &view, item, y, view.right, theme);
        }
        let marks: Vec<&Item> = t.lane(lane).filter(|i| !i.kind.is_extent()).collect();
        for (i, item) in marks.iter().enumerate() {
            let next = marks[i + 1..]
                .iter()
                .find(|m| m.from > item.from)
                .and_then(|m| view.x(m.from))
                .map_or(view.right, |x| x.saturating_sub(1));
            draw_item(buf, &view, item, y, next, theme);
        }
    }
    let axis_y = inner.y + Lane::ALL.len() as u16 * LANE_ROWS;
    if axis_y < inner.bottom() {
        draw_axis(buf, &view, state, axis_y, theme);
    }
    // The cursor, visible without colour or reverse video too.
    if let Some(x) = view.x(state.cursor)
        && axis_y + 1 < inner.bottom()
    {
        buf.set_string(x, axis_y + 1, "▲", theme.title());
    }
    // The cursor column, across the lanes and the axis.
    if let Some(x) = view.x(state.cursor) {
        for y in inner.y..(axis_y + 1).min(inner.bottom()) {
            for dx in 0..view.cells {
                if let Some(cell) = buf.cell_mut((x + dx, y)) {
                    cell.set_style(theme.selected());
                }
            }
        }
    }
    let mut y = axis_y + 2;
    if y < inner.bottom() {
        let detail = match state.selected() {
            Some(item) => {
                let about = if item.label.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", item.label)
                };
                format!("▲ {}{about} · journal #{}", item.kind.legend(), item.seq)
            }
            None => "▲ nothing on this column".to_string(),
        };
        buf.set_string(inner.x, y, fit(&detail, inner.width), Style::new());
        y += 1;
    }
    draw_legend(
        buf,
        state,
        Rect::new(inner.x, y, inner.width, inner.bottom().saturating_sub(y)),
        theme,
    );
}

/// Which columns are on screen, and where.
struct View {
    left: u16,
    right: u16,
    /// The first column shown.
    offset: usize,
    cells: u16,
}

impl View {
    /// The cursor stays in view: the picture scrolls when it would leave on the right.
    fn of(state: &TimelineState, inner: Rect) -> View {
        let cells = state.cells_per_column();
        let left = inner.x + LABELS;
        let visible = (inner.width.saturating_sub(LABELS) / cells).max(1) as usize;
        let offset = (state.cursor + 1).saturating_sub(visible);
        View {
            left,
            right: inner.right(),
            offset,
            cells,
        }
    }

    /// The first cell of column `col`, when it is on screen.
    fn x(&self, col: usize) -> Option<u16> {
        let rel = col.checked_sub(self.offset)?;
        let x = self.left as usize + rel * self.cells as usize;
        (x + self.cells as usize <= self.right as usize).then_some(x as u16)
    }

    /// The cells from column `from` to the start of column `to`, clipped to the screen.
    fn span(&self, from: usize, to: usize) -> Option<(u16, u16)> {
        let start = if from < self.offset {
            self.left
        } else {
            self.x(from)?
        };
        let end = match self.x(to) {
            Some(x) => x,
            None if to <= self.offset => return None,
            None => self.right,
        };
        (end > start).then_some((start, end))
    }
}

/// Draws `item` on the lane at row `y`; a mark's label stops before `label_end`.
fn draw_item(buf: &mut Buffer, view: &View, item: &Item, y: u16, label_end: u16, theme: &Theme) {
    let style = style_of(item.kind, theme);
    let glyph = item.kind.glyph().to_string();
    match item.kind {
        // A bar ends where the next phase starts; it covers one column at least.
        ItemKind::Phase { .. } | ItemKind::WaitsForUi { .. } => {
            let to = item.to.max(item.from + 1);
            let Some((start, end)) = view.span(item.from, to) else {
                return;
            };
            for x in start..end {
                buf.set_string(x, y + 1, &glyph, style);
            }
            // A cut label leaves the bar's last cell, so the next bar's start shows.
            let room = end - start;
            let label = if item.label.width() <= room as usize {
                item.label.clone()
            } else {
                fit(&item.label, room.saturating_sub(1))
            };
            buf.set_string(start, y + 1, label, style);
        }
        // A span covers its last column too: the leave or the reset is on it.
        ItemKind::UiTransaction | ItemKind::Delay => {
            let Some((start, end)) = view.span(item.from, item.to + 1) else {
                return;
            };
            for x in start..end {
                buf.set_string(x, y, &glyph, style);
            }
            if view.x(item.from).is_some() {
                buf.set_string(start, y + 1, fit(&item.label, view.right - start), style);
            }
        }
        _ => {
            let Some(x) = view.x(item.from) else { return };
            buf.set_string(x, y, &glyph, style);
            if !item.label.is_empty() {
                let room = label_end.saturating_sub(x);
                buf.set_string(x, y + 1, fit(&item.label, room), theme.dim());
            }
        }
    }
}

fn draw_axis(buf: &mut Buffer, view: &View, state: &TimelineState, y: u16, theme: &Theme) {
    buf.set_string(view.left - LABELS, y, " time", theme.dim());
    let mut ticks = state.timeline.ticks();
    // The time of the first column shown, when the picture is scrolled past its tick.
    if let Some(first) = state.timeline.columns.get(view.offset)
        && !ticks.iter().any(|(c, _)| *c == view.offset)
    {
        ticks.push((view.offset, first.at));
        ticks.sort_by_key(|(c, _)| *c);
    }
    let mut free_from = 0;
    for (col, at) in ticks {
        let Some(x) = view.x(col) else { continue };
        if x < free_from {
            buf.set_string(x, y, "|", theme.dim());
            continue;
        }
        let label = format!("|{}", at.format("%H:%M:%S"));
        buf.set_string(x, y, fit(&label, view.right - x), theme.dim());
        free_from = x + label.width() as u16 + 1;
    }
}

/// What the characters mean, and what the axis is.
fn draw_legend(buf: &mut Buffer, state: &TimelineState, area: Rect, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let mut lines: Vec<String> =
        vec!["axis: journal order; times are the virtual clock's, where it changes".into()];
    let mut line = String::new();
    for kind in state.timeline.legend() {
        let entry = format!("{} {}", kind.glyph(), kind.legend());
        if !line.is_empty() && line.width() + 3 + entry.width() > area.width as usize {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push_str("   ");
        }
        line.push_str(&entry);
    }
    lines.push(line);
    for (i, text) in lines.iter().take(area.height as usize).enumerate() {
        let style = if i == 0 { theme.dim() } else { Style::new() };
        buf.set_string(area.x, area.y + i as u16, fit(text, area.width), style);
    }
}

/// `text` cut to `width` cells.
fn fit(text: &str, width: u16) -> String {
    split_at_width(text, width as usize).0
}

/// Colour by kind; without colour every kind keeps its own character.
fn style_of(kind: ItemKind, theme: &Theme) -> Style {
    let fg = |c: Color| {
        if theme.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    };
    match kind {
        ItemKind::Phase { phase, .. } => match phase {
            Phase::Connect | Phase::Customization => fg(Color::Gray),
            Phase::Upload => fg(Color::Cyan),
            Phase::Download => fg(Color::Green),
            Phase::Attachments | Phase::CloudDocuments | Phase::Emails => fg(Color::Blue),
        },
        ItemKind::WaitsForUi { .. } | ItemKind::UiTransaction => theme.warn(),
        ItemKind::SyncNote(SyncNote::Failed) => theme.error(),
        ItemKind::SyncNote(_) => theme.dim(),
        ItemKind::Save(SaveMark::Refused)
        | ItemKind::Create(SaveMark::Refused)
        | ItemKind::Delete(SaveMark::Refused) => theme.error(),
        ItemKind::Save(SaveMark::Concurrent) => theme.changed(),
        ItemKind::Save(SaveMark::Waited | SaveMark::Rebased) => theme.warn(),
        ItemKind::Save(SaveMark::Allowed) | ItemKind::Create(_) | ItemKind::Delete(_) => theme.ok(),
        ItemKind::Server(ServerMark::Fault) => theme.error(),
        ItemKind::Server(_) | ItemKind::Delay => fg(Color::Magenta),
        ItemKind::Conflict => theme.warn(),
        ItemKind::Lost(LostCause::OverwrittenBySync | LostCause::ServerWins) => theme.error(),
    }
}
