//! The Timeline screen's state and moves: the picture ([`crate::timeline::Timeline`]) of the
//! journal lines the Log holds, a cursor column and lane, a zoom, and the SVG export as an
//! effect. Rendering reads [`TimelineState`]; only these methods change it.

use std::path::{Path, PathBuf};

use super::effect::Effect;
use super::state::Screen;
use super::{Action, App};
use crate::timeline::{Item, ItemKind, Lane, Timeline};

/// Terminal cells per column, from the widest view to the closest.
pub const ZOOMS: [u16; 6] = [1, 2, 3, 4, 6, 8];
const DEFAULT_ZOOM: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineState {
    pub timeline: Timeline,
    /// The column the cursor is on.
    pub cursor: usize,
    /// The lane whose item Enter opens.
    pub lane: Lane,
    /// Index into [`ZOOMS`].
    pub zoom: usize,
}

impl TimelineState {
    fn new(timeline: Timeline) -> TimelineState {
        TimelineState {
            cursor: timeline.columns.len().saturating_sub(1),
            timeline,
            lane: Lane::Sync,
            zoom: DEFAULT_ZOOM,
        }
    }

    /// The cursor's lane, as the arrows count it.
    pub fn lane_index(&self) -> usize {
        Lane::ALL.iter().position(|l| *l == self.lane).unwrap_or(0)
    }

    /// ↑ ↓: the lane whose item Enter opens.
    pub(super) fn move_lane(&mut self, delta: i64) {
        let next = super::navigation::step(self.lane_index(), delta, Lane::ALL.len());
        self.lane = Lane::ALL[next];
    }

    pub fn cells_per_column(&self) -> u16 {
        ZOOMS[self.zoom.min(ZOOMS.len() - 1)]
    }

    /// The item under the cursor: on the cursor's lane a mark on the column, else a bar or
    /// span covering it; failing that, the first lane with one.
    pub fn selected(&self) -> Option<&Item> {
        let at = |lane: Lane| {
            let mut items = self.timeline.lane(lane);
            // As drawn: a bar stops where the next phase starts, a span covers its last column.
            let covering = self.timeline.lane(lane).filter(|i| match i.kind {
                ItemKind::Phase { .. } | ItemKind::WaitsForUi { .. } => {
                    i.from <= self.cursor && self.cursor < i.to.max(i.from + 1)
                }
                kind => kind.is_extent() && i.from <= self.cursor && self.cursor <= i.to,
            });
            items
                .find(|i| i.from == self.cursor && !i.kind.is_extent())
                .or_else(|| covering.last())
        };
        at(self.lane).or_else(|| Lane::ALL.into_iter().find_map(at))
    }
}

impl App {
    pub(super) fn open_timeline(&mut self) {
        self.refresh_journal();
        let timeline = Timeline::build(self.log.iter().map(|l| &l.entry));
        self.push(Screen::Timeline(Box::new(TimelineState::new(timeline))));
    }

    /// Redraws the picture from the Log's lines after they changed, keeping the cursor on its
    /// column (or on the newest, when it was there).
    pub(super) fn refresh_timeline(&mut self) {
        let log = &self.log;
        for screen in &mut self.stack {
            if let Screen::Timeline(t) = screen {
                let followed = t.cursor + 1 >= t.timeline.columns.len();
                t.timeline = Timeline::build(log.iter().map(|l| &l.entry));
                let last = t.timeline.columns.len().saturating_sub(1);
                t.cursor = if followed { last } else { t.cursor.min(last) };
            }
        }
    }

    fn timeline_mut(&mut self) -> Option<&mut TimelineState> {
        match self.stack.last_mut() {
            Some(Screen::Timeline(t)) => Some(t),
            _ => None,
        }
    }

    /// ← → (and Home/End): the cursor moves `columns`, clamped to the picture.
    pub(super) fn timeline_scroll(&mut self, columns: i64) {
        if let Some(t) = self.timeline_mut() {
            let last = t.timeline.columns.len().saturating_sub(1) as i64;
            t.cursor = (t.cursor as i64)
                .saturating_add(columns)
                .clamp(0, last.max(0)) as usize;
        }
    }

    /// + −: more or fewer cells per column.
    pub(super) fn timeline_zoom(&mut self, step: i64) {
        if let Some(t) = self.timeline_mut() {
            t.zoom = (t.zoom as i64 + step).clamp(0, ZOOMS.len() as i64 - 1) as usize;
        }
    }

    /// Why a timeline action would do nothing now, if it would.
    pub(super) fn timeline_refusal(&self, action: &Action) -> Option<&'static str> {
        let Screen::Timeline(t) = self.screen() else {
            return match action {
                Action::OpenTimeline => None,
                _ => Some("it works on the timeline"),
            };
        };
        let last = t.timeline.columns.len().saturating_sub(1);
        match action {
            Action::OpenTimeline => Some("already on the timeline"),
            Action::TimelineScroll { columns } if *columns < 0 => {
                (t.cursor == 0).then_some("the cursor is at the start")
            }
            Action::TimelineScroll { .. } => {
                (t.cursor >= last).then_some("the cursor is at the end")
            }
            Action::TimelineZoom { step } if *step > 0 => {
                (t.zoom + 1 >= ZOOMS.len()).then_some("the timeline is at its closest")
            }
            Action::TimelineZoom { .. } => (t.zoom == 0).then_some("the timeline is at its widest"),
            Action::ExportTimeline { .. } => t
                .timeline
                .is_empty()
                .then_some("the timeline is empty: nothing to export"),
            _ => None,
        }
    }

    /// The export of the picture on screen, as an effect for the driver.
    pub(super) fn export_timeline(&mut self, path: PathBuf) -> Vec<Effect> {
        match self.screen() {
            Screen::Timeline(t) => vec![Effect::ExportTimeline {
                path,
                timeline: t.timeline.clone(),
            }],
            _ => {
                self.warn("The export works on the timeline");
                Vec::new()
            }
        }
    }

    /// The export's answer from the driver.
    pub(super) fn timeline_exported(&mut self, path: &Path, outcome: Result<PathBuf, String>) {
        match outcome {
            Ok(written) => self.success(format!("Timeline written to {}", written.display())),
            Err(e) => self.error(format!(
                "Cannot write the timeline to {}: {e}",
                path.display()
            )),
        }
    }

    /// Where the timeline's export goes by default: beside the profile, named for the moment,
    /// as the Log's export.
    pub fn default_timeline_path(&self) -> PathBuf {
        self.default_export_path().with_file_name(format!(
            "autosync-timeline-{}.svg",
            self.clock.now().format("%Y%m%dT%H%M%SZ")
        ))
    }
}
