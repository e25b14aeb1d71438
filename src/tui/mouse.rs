//! The mouse: where the last frame drew what (its hits), and what a click or the wheel means.
//! A click on an item is [`Action::Pick`] (select it, then Enter); on a button or a bar entry it
//! presses that key; the wheel moves the selection.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::keymap::{self, Key};
use crate::app::{Action, App};

/// What a region of the frame stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Item `index` of the current screen's selection, as the arrows count.
    Item(usize),
    /// A button or a bar entry: a click presses this key.
    Key(Key),
    /// Drawn over what is beneath (a dialog): a click there reaches nothing beneath.
    Cover,
}

/// The regions of one frame, in drawing order.
#[derive(Debug, Clone, Default)]
pub struct Hits {
    areas: Vec<(Rect, Target)>,
}

impl Hits {
    pub fn add(&mut self, area: Rect, target: Target) {
        if area.width > 0 && area.height > 0 {
            self.areas.push((area, target));
        }
    }

    /// What the cell shows: the region drawn last over it.
    pub fn at(&self, column: u16, row: u16) -> Option<Target> {
        let cell = Position::new(column, row);
        self.areas
            .iter()
            .rev()
            .find(|(area, _)| area.contains(cell))
            .map(|(_, target)| *target)
    }

    /// Every region, for tests.
    pub fn areas(&self) -> &[(Rect, Target)] {
        &self.areas
    }

    pub(crate) fn clear(&mut self) {
        self.areas.clear();
    }
}

/// Rows one notch of the wheel moves the selection.
pub const WHEEL_ROWS: i64 = 3;

/// The action a mouse event means now, if any.
pub fn map_mouse(app: &App, hits: &Hits, event: MouseEvent) -> Option<Action> {
    let action = match event.kind {
        MouseEventKind::Down(MouseButton::Left) => match hits.at(event.column, event.row)? {
            Target::Item(index) => Action::Pick(index),
            // As the key: it says why when it cannot be done now.
            Target::Key(key) => return keymap::map_key(app, key.event()),
            Target::Cover => return None,
        },
        // The wheel leaves the help where it is.
        MouseEventKind::ScrollDown if !app.help_shown() => Action::Scroll(WHEEL_ROWS),
        MouseEventKind::ScrollUp if !app.help_shown() => Action::Scroll(-WHEEL_ROWS),
        _ => return None,
    };
    // Clicking beside a dialog or turning the wheel at the end of a list says nothing.
    app.refusal(&action).is_none().then_some(action)
}
