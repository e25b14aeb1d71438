//! The timeline as an SVG picture, for attaching to a ticket: one lane set per run, a time
//! axis in the virtual clock, and a legend. It draws only the model's labels (phases, record
//! ids, field names) and the legend's words — never a journal row's free text, which may name
//! a server URL or a local path.

use std::path::Path;

use svg::Document;
use svg::node::element::{
    Circle, Definitions, Group, Line, Path as SvgPath, Pattern, Rectangle, Text, Title,
};

use super::{Item, ItemKind, Lane, Timeline};
use crate::rules::{Phase, SyncMode};

const LEFT: usize = 90;
const COL: usize = 26;
const LANE_H: usize = 44;
const MARGIN: usize = 16;
const LEGEND_ROW: usize = 18;
/// Pixels per character of a bar's label (9 px) and a mark's (8 px), generously.
const BAR_CHAR: usize = 6;
const MARK_CHAR: usize = 5;
const FONT: &str = "DejaVu Sans, Arial, sans-serif";

/// One lane set: a title (the scenario's name, or the session's) and its picture.
pub struct Run<'a> {
    pub title: &'a str,
    pub timeline: &'a Timeline,
}

/// The picture of `runs`, top to bottom, with one legend for all.
pub fn render(runs: &[Run]) -> Document {
    let legend = legend_kinds(runs);
    let widest = runs
        .iter()
        .map(|r| Layout::of(r.timeline).end())
        .max()
        .unwrap_or(LEFT);
    let width = (widest + MARGIN * 2).max(560);
    let mut doc = Document::new().add(defs());
    let mut y = MARGIN;
    for run in runs {
        let (group, height) = lane_set(run, y);
        doc = doc.add(group);
        y += height + MARGIN;
    }
    let (legend_group, legend_h) = legend_block(&legend, y);
    doc = doc.add(legend_group);
    let height = y + legend_h + MARGIN;
    doc.set("width", width)
        .set("height", height)
        .set("viewBox", (0, 0, width, height))
        .set("font-family", FONT)
}

/// Writes the picture of `runs` to `path`.
pub fn write(path: &Path, runs: &[Run]) -> std::io::Result<()> {
    let doc = render(runs);
    std::fs::write(path, doc.to_string())
}

/// The hatch that marks a background sync's bars, so they read without colour.
fn defs() -> Definitions {
    let hatch = Pattern::new()
        .set("id", "background")
        .set("width", 6)
        .set("height", 6)
        .set("patternUnits", "userSpaceOnUse")
        .set("patternTransform", "rotate(45)")
        .add(
            Rectangle::new()
                .set("width", 6)
                .set("height", 6)
                .set("fill", "white"),
        )
        .add(
            Line::new()
                .set("x1", 0)
                .set("y1", 0)
                .set("x2", 0)
                .set("y2", 6)
                .set("stroke", "black")
                .set("stroke-width", 2)
                .set("stroke-opacity", 0.35),
        );
    Definitions::new().add(hatch)
}

/// Where each column starts. The axis is ordinal, so a column is as wide as the labels that
/// start on it need: a phase name is never cut.
struct Layout {
    xs: Vec<usize>,
}

impl Layout {
    fn of(t: &Timeline) -> Layout {
        let n = t.columns.len().max(1);
        let mut need = vec![COL; n];
        for item in &t.items {
            let chars = item.label.chars().count();
            let (want, over) = if item.kind.is_extent() {
                (chars * BAR_CHAR + 6, (item.to - item.from).max(1))
            } else {
                // Mark labels alternate between two rows: each has two columns.
                (chars * MARK_CHAR + 4, 2)
            };
            let per = want.div_ceil(over);
            for w in need.iter_mut().skip(item.from).take(over) {
                *w = (*w).max(per);
            }
        }
        let mut xs = Vec::with_capacity(n + 1);
        let mut x = LEFT;
        xs.push(x);
        for w in need {
            x += w;
            xs.push(x);
        }
        Layout { xs }
    }

    fn x(&self, col: usize) -> usize {
        self.xs[col.min(self.xs.len() - 1)]
    }

    fn end(&self) -> usize {
        *self.xs.last().unwrap_or(&LEFT)
    }
}

fn lane_set(run: &Run, top: usize) -> (Group, usize) {
    let t = run.timeline;
    let layout = Layout::of(t);
    let mut g = Group::new().set("class", "run").add(
        Text::new(run.title)
            .set("x", 4)
            .set("y", top + 14)
            .set("font-size", 14)
            .set("font-weight", "bold")
            .set("class", "run-title"),
    );
    let lanes_top = top + 22;
    for (i, lane) in Lane::ALL.into_iter().enumerate() {
        let y = lanes_top + i * LANE_H;
        let mut lg = Group::new()
            .set("class", format!("lane lane-{}", lane_class(lane)))
            .add(
                Rectangle::new()
                    .set("x", LEFT)
                    .set("y", y)
                    .set("width", layout.end() - LEFT)
                    .set("height", LANE_H - 4)
                    .set("fill", if i % 2 == 0 { "#f4f4f4" } else { "#ebebeb" }),
            )
            .add(
                Text::new(lane.label())
                    .set("x", 4)
                    .set("y", y + LANE_H / 2)
                    .set("font-size", 12)
                    .set("class", "lane-label"),
            );
        for item in t.lane(lane) {
            lg = lg.add(item_node(item, y, &layout));
        }
        g = g.add(lg);
    }
    let axis_y = lanes_top + Lane::ALL.len() * LANE_H;
    g = g.add(axis(t, axis_y, &layout));
    (g, axis_y + 34 - top)
}

fn axis(t: &Timeline, y: usize, layout: &Layout) -> Group {
    let mut g = Group::new().set("class", "axis").add(
        Line::new()
            .set("x1", LEFT)
            .set("y1", y)
            .set("x2", layout.end())
            .set("y2", y)
            .set("stroke", "black"),
    );
    let mut last_label_end = 0;
    for (col, at) in t.ticks() {
        let x = layout.x(col);
        g = g.add(
            Line::new()
                .set("x1", x)
                .set("y1", y)
                .set("x2", x)
                .set("y2", y + 5)
                .set("stroke", "black"),
        );
        // Ticks closer than a label's width keep their line but not their words.
        if x >= last_label_end {
            g = g.add(
                Text::new(at.format("%H:%M:%S").to_string())
                    .set("x", x)
                    .set("y", y + 16)
                    .set("font-size", 10)
                    .set("class", "tick"),
            );
            last_label_end = x + 52;
        }
    }
    g.add(
        Text::new(
            "virtual clock · journal order (a frozen clock puts a whole sync at one instant)",
        )
        .set("x", LEFT)
        .set("y", y + 29)
        .set("font-size", 9)
        .set("fill", "#555"),
    )
}

fn item_node(item: &Item, lane_y: usize, layout: &Layout) -> Group {
    let g = Group::new()
        .set("class", format!("item {}", kind_class(item.kind)))
        .add(Title::new(if item.label.is_empty() {
            format!("{} (journal #{})", item.kind.legend(), item.seq)
        } else {
            format!(
                "{}: {} (journal #{})",
                item.kind.legend(),
                item.label,
                item.seq
            )
        }));
    let x = layout.x(item.from);
    if item.kind.is_extent() {
        // A bar ends where the next one starts; one column at least.
        let w = layout.x(item.from + (item.to - item.from).max(1)) - x;
        // A sync's bars sit below its marks (requested, skipped), which share the lane.
        let (y, h) = match item.kind {
            ItemKind::Phase { .. } | ItemKind::WaitsForUi { .. } => (lane_y + 16, LANE_H - 22),
            _ => (lane_y + 6, 10),
        };
        let shape = shape_of(item.kind, x, y, w, h);
        let label_y = match item.kind {
            ItemKind::Phase { .. } | ItemKind::WaitsForUi { .. } => y + h / 2 + 4,
            _ => y + h + 12,
        };
        g.add(shape).add(
            Text::new(item.label.as_str())
                .set("x", x + 2)
                .set("y", label_y)
                .set("font-size", 9)
                .set("class", "label"),
        )
    } else {
        let cx = x + (layout.x(item.from + 1) - x) / 2;
        let cy = lane_y
            + if item.kind.lane() == Lane::Sync {
                8
            } else {
                12
            };
        g.add(mark_shape(item.kind, cx, cy))
            .add(
                Text::new(item.kind.glyph().to_string())
                    .set("x", cx)
                    .set("y", cy + 4)
                    .set("font-size", 10)
                    .set("text-anchor", "middle")
                    .set("fill", "white")
                    .set("font-weight", "bold"),
            )
            .add(
                // Neighbouring marks' labels alternate between two rows.
                Text::new(item.label.as_str())
                    .set("x", cx)
                    .set("y", cy + 19 + (item.from % 2) * 9)
                    .set("font-size", 8)
                    .set("text-anchor", "middle")
                    .set("class", "label"),
            )
    }
}

/// A bar or span; a background sync's bars are hatched, a foreground sync's solid.
fn shape_of(kind: ItemKind, x: usize, y: usize, w: usize, h: usize) -> Rectangle {
    let rect = Rectangle::new()
        .set("x", x)
        .set("y", y)
        .set("width", w)
        .set("height", h)
        .set("stroke", colour(kind))
        .set("stroke-width", 1.5);
    match kind {
        ItemKind::Phase {
            mode: SyncMode::Background,
            ..
        }
        | ItemKind::WaitsForUi {
            mode: SyncMode::Background,
        } => rect.set("fill", "url(#background)"),
        ItemKind::WaitsForUi { .. } => rect.set("fill", "white"),
        _ => rect.set("fill", colour(kind)).set("fill-opacity", 0.8),
    }
}

/// A mark: a circle for the user and the sync, a diamond for the server and the findings.
fn mark_shape(kind: ItemKind, cx: usize, cy: usize) -> Group {
    let fill = colour(kind);
    let shape = match kind.lane() {
        Lane::Server | Lane::Findings => Group::new().add(
            SvgPath::new()
                .set(
                    "d",
                    format!(
                        "M {cx} {} L {} {cy} L {cx} {} L {} {cy} Z",
                        cy - 8,
                        cx + 8,
                        cy + 8,
                        cx - 8
                    ),
                )
                .set("fill", fill),
        ),
        _ => Group::new().add(
            Circle::new()
                .set("cx", cx)
                .set("cy", cy)
                .set("r", 7)
                .set("fill", fill),
        ),
    };
    shape.set("class", "mark")
}

fn colour(kind: ItemKind) -> &'static str {
    use super::{LostCause, SaveMark, ServerMark, SyncNote};
    match kind {
        ItemKind::Phase { phase, .. } => match phase {
            Phase::Connect => "#6c757d",
            Phase::Customization => "#6f42c1",
            Phase::Upload => "#0d6efd",
            Phase::Download => "#198754",
            Phase::Attachments | Phase::CloudDocuments | Phase::Emails => "#20c997",
        },
        ItemKind::WaitsForUi { .. } => "#fd7e14",
        ItemKind::SyncNote(SyncNote::Failed) => "#dc3545",
        ItemKind::SyncNote(_) => "#6c757d",
        ItemKind::Save(SaveMark::Refused)
        | ItemKind::Create(SaveMark::Refused)
        | ItemKind::Delete(SaveMark::Refused) => "#dc3545",
        ItemKind::Save(SaveMark::Concurrent) => "#d63384",
        ItemKind::Save(SaveMark::Waited) => "#fd7e14",
        ItemKind::Save(SaveMark::Rebased) => "#0dcaf0",
        ItemKind::Save(SaveMark::Allowed) | ItemKind::Create(_) => "#198754",
        ItemKind::Delete(_) => "#6c757d",
        ItemKind::UiTransaction => "#fd7e14",
        ItemKind::Server(ServerMark::Fault) => "#dc3545",
        ItemKind::Server(_) => "#6f42c1",
        ItemKind::Delay => "#ffc107",
        ItemKind::Conflict => "#fd7e14",
        ItemKind::Lost(LostCause::OverwrittenBySync | LostCause::ServerWins) => "#dc3545",
    }
}

fn legend_kinds(runs: &[Run]) -> Vec<ItemKind> {
    let mut kinds: Vec<ItemKind> = Vec::new();
    for run in runs {
        for k in run.timeline.legend() {
            if !kinds.iter().any(|seen| seen.legend() == k.legend()) {
                kinds.push(k);
            }
        }
    }
    kinds
}

fn legend_block(kinds: &[ItemKind], top: usize) -> (Group, usize) {
    let mut g = Group::new().set("class", "legend").add(
        Text::new("Legend")
            .set("x", 4)
            .set("y", top + 12)
            .set("font-size", 12)
            .set("font-weight", "bold"),
    );
    for (i, kind) in kinds.iter().enumerate() {
        let y = top + 20 + i * LEGEND_ROW;
        let sample = if kind.is_extent() {
            Group::new().add(shape_of(*kind, 8, y, 26, 12))
        } else {
            mark_shape(*kind, 20, y + 6)
        };
        g = g.add(
            Group::new()
                .set("class", format!("legend-item {}", kind_class(*kind)))
                .add(sample)
                .add(
                    Text::new(format!("{}  {}", kind.glyph(), kind.legend()))
                        .set("x", 44)
                        .set("y", y + 10)
                        .set("font-size", 11),
                ),
        );
    }
    (g, 20 + kinds.len() * LEGEND_ROW)
}

fn lane_class(lane: Lane) -> &'static str {
    match lane {
        Lane::Sync => "sync",
        Lane::User => "user",
        Lane::Server => "server",
        Lane::Findings => "findings",
    }
}

/// A stable class name per kind, for styling and for tests that read the picture back.
fn kind_class(kind: ItemKind) -> &'static str {
    use super::{LostCause, SaveMark, ServerMark, SyncNote};
    match kind {
        ItemKind::Phase {
            mode: SyncMode::Background,
            ..
        } => "phase background",
        ItemKind::Phase { .. } => "phase foreground",
        ItemKind::WaitsForUi { .. } => "waits-for-ui",
        ItemKind::SyncNote(SyncNote::Requested) => "sync-requested",
        ItemKind::SyncNote(SyncNote::Skipped) => "sync-skipped",
        ItemKind::SyncNote(SyncNote::Deferred) => "sync-deferred",
        ItemKind::SyncNote(SyncNote::Failed) => "sync-failed",
        ItemKind::Save(SaveMark::Allowed) => "save allowed",
        ItemKind::Save(SaveMark::Refused) => "save refused",
        ItemKind::Save(SaveMark::Waited) => "save waited",
        ItemKind::Save(SaveMark::Concurrent) => "save concurrent",
        ItemKind::Save(SaveMark::Rebased) => "save rebased",
        ItemKind::Create(SaveMark::Refused) => "create refused",
        ItemKind::Create(_) => "create",
        ItemKind::Delete(SaveMark::Refused) => "delete refused",
        ItemKind::Delete(_) => "delete",
        ItemKind::UiTransaction => "ui-transaction",
        ItemKind::Server(ServerMark::Fault) => "fault",
        ItemKind::Server(ServerMark::BackofficeEdit) => "backoffice-edit",
        ItemKind::Server(ServerMark::BackofficeDelete) => "backoffice-delete",
        ItemKind::Server(ServerMark::Publish) => "publish",
        ItemKind::Delay => "delay",
        ItemKind::Conflict => "conflict",
        ItemKind::Lost(LostCause::OverwrittenBySync) => "lost overwritten",
        ItemKind::Lost(LostCause::ServerWins) => "lost server-wins",
    }
}
