//! The Woodford screen's state and transitions: the project as the server publishes it now,
//! a draft of its Configuration and On Conflict strategies that the administrator edits, and
//! publishing the draft as the next version. The device learns of it only as the reference
//! says: a background sync finds the newer version and shows the down arrow.

use tui_input::Input;

use super::effect::{ControlCall, Effect};
use super::state::Screen;
use super::{Action, App, NO_ADMIN_TOKEN};
use crate::project::Project;
use crate::settings::SettingKey;
use crate::woodford::{Draft, Row, next_project, parse_interval};

/// The Woodford screen.
#[derive(Debug, Clone)]
pub struct WoodfordState {
    pub selected: usize,
    pub server: ServerProject,
    /// The project the device applied, as a draft: the rows shown, read-only, until the
    /// server's project is read. Kept in step with the device's project by every reload.
    pub applied: Option<Draft>,
    /// The interval being typed.
    pub editing: Option<Input>,
}

/// What the screen knows of the project on the server.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerProject {
    /// No control API: an external server without its admin token.
    NoToken,
    Reading,
    Failed(String),
    Read {
        published: Box<Project>,
        /// The published project as a draft: what the draft's changes are measured against.
        base: Draft,
        draft: Draft,
    },
}

impl WoodfordState {
    pub fn published(&self) -> Option<&Project> {
        match &self.server {
            ServerProject::Read { published, .. } => Some(published),
            _ => None,
        }
    }

    pub fn draft(&self) -> Option<&Draft> {
        match &self.server {
            ServerProject::Read { draft, .. } => Some(draft),
            _ => None,
        }
    }

    /// The published project as a draft (see [`ServerProject::Read`]).
    pub fn base(&self) -> Option<&Draft> {
        match &self.server {
            ServerProject::Read { base, .. } => Some(base),
            _ => None,
        }
    }

    /// What the rows show: the draft, else the project the device applied.
    pub fn shown(&self) -> Option<&Draft> {
        self.draft().or(self.applied.as_ref())
    }

    /// The draft differs from what is published.
    pub fn is_dirty(&self) -> bool {
        match &self.server {
            ServerProject::Read { base, draft, .. } => draft != base,
            _ => false,
        }
    }
}

impl App {
    pub(super) fn open_woodford(&mut self) {
        let server = if self.has_control {
            self.emit(Effect::ReadProject);
            ServerProject::Reading
        } else {
            ServerProject::NoToken
        };
        self.push(Screen::Woodford(Box::new(WoodfordState {
            selected: 0,
            server,
            applied: self.project.as_ref().map(Draft::of),
            editing: None,
        })));
    }

    /// The device's project was read again: the rows shown without the server's follow it.
    pub(super) fn applied_project_read(&mut self) {
        let applied = self.project.as_ref().map(Draft::of);
        if let Some(w) = self.woodford_in_stack() {
            w.applied = applied;
        }
    }

    /// The rows the screen shows: the draft's, else those of the project the device applied.
    pub fn woodford_rows(&self) -> Vec<Row> {
        self.woodford()
            .and_then(WoodfordState::shown)
            .map(Draft::rows)
            .unwrap_or_default()
    }

    /// The Woodford screen, when it is the one shown.
    pub fn woodford(&self) -> Option<&WoodfordState> {
        match self.stack.last() {
            Some(Screen::Woodford(w)) => Some(&**w),
            _ => None,
        }
    }

    fn woodford_mut(&mut self) -> Option<&mut WoodfordState> {
        match self.stack.last_mut() {
            Some(Screen::Woodford(w)) => Some(&mut **w),
            _ => None,
        }
    }

    /// The Woodford screen, shown or under another one (an answer may come after a dialog or a
    /// screen opened over it).
    fn woodford_in_stack(&mut self) -> Option<&mut WoodfordState> {
        self.stack.iter_mut().rev().find_map(|s| match s {
            Screen::Woodford(w) => Some(&mut **w),
            _ => None,
        })
    }

    fn woodford_row(&self) -> Option<Row> {
        let selected = self.woodford()?.selected;
        self.woodford_rows().get(selected).cloned()
    }

    /// ← (`delta` -1) or → (+1): the selected row's previous or next value.
    pub fn woodford_step_action(&self, delta: i64) -> Option<Action> {
        (self.woodford().is_some() && self.overlays.dialog().is_none())
            .then_some(Action::DraftStep { delta })
    }

    /// Enter on a row: the interval is typed, every other value steps to the next.
    pub(super) fn woodford_select_action(&self) -> Option<Action> {
        match self.woodford_row()? {
            Row::Setting(SettingKey::AutoSyncInterval) => Some(Action::BeginEdit),
            _ => Some(Action::DraftStep { delta: 1 }),
        }
    }

    /// Why a Woodford action cannot be done now, if it cannot.
    pub(super) fn woodford_refusal(&self, action: &Action) -> Option<&'static str> {
        let Some(w) = self.woodford() else {
            return Some("only on the Woodford screen");
        };
        match (&w.server, action) {
            (ServerProject::NoToken, _) => return Some(NO_ADMIN_TOKEN),
            (ServerProject::Reading, _) => return Some("the published project is being read"),
            // Reading it again is what a failed read or a read project allows.
            (_, Action::ReadPublished) => return None,
            (ServerProject::Failed(_), _) => {
                return Some("the published project could not be read: r reads it again");
            }
            (ServerProject::Read { .. }, _) => {}
        }
        match action {
            Action::ToggleLock => matches!(self.woodford_row(), Some(Row::OnConflict(_)))
                .then_some("On Conflict has no lock"),
            Action::PublishDraft | Action::DiscardDraft => {
                (!w.is_dirty()).then_some("the draft changes nothing that is published")
            }
            Action::BeginEdit => (self.woodford_row()
                != Some(Row::Setting(SettingKey::AutoSyncInterval)))
            .then_some("only the interval is typed: ← → change the others"),
            _ => None,
        }
    }

    /// Says why a Woodford action cannot be done now; true when it can.
    fn woodford_can(&mut self, action: &Action) -> bool {
        match self.woodford_refusal(action) {
            Some(why) => {
                self.warn(why);
                false
            }
            None => true,
        }
    }

    pub(super) fn draft_step(&mut self, delta: i64) {
        if !self.woodford_can(&Action::DraftStep { delta }) {
            return;
        }
        let Some(row) = self.woodford_row() else {
            return;
        };
        if let Some(WoodfordState {
            server: ServerProject::Read { draft, .. },
            ..
        }) = self.woodford_mut()
        {
            draft.step(&row, delta);
        }
    }

    pub(super) fn toggle_lock(&mut self) {
        if !self.woodford_can(&Action::ToggleLock) {
            return;
        }
        let Some(Row::Setting(key)) = self.woodford_row() else {
            return;
        };
        if let Some(WoodfordState {
            server: ServerProject::Read { draft, .. },
            ..
        }) = self.woodford_mut()
        {
            draft.toggle_lock(key);
        }
    }

    pub(super) fn discard_draft(&mut self) {
        if !self.woodford_can(&Action::DiscardDraft) {
            return;
        }
        if let Some(WoodfordState {
            server: ServerProject::Read { base, draft, .. },
            ..
        }) = self.woodford_mut()
        {
            *draft = base.clone();
            self.info("Draft discarded: the rows show the published project");
        }
    }

    /// The draft as the next project version, for the server to publish.
    pub(super) fn publish_draft(&mut self) -> Vec<Effect> {
        if !self.woodford_can(&Action::PublishDraft) {
            return Vec::new();
        }
        let Some(w) = self.woodford() else {
            return Vec::new();
        };
        let (Some(published), Some(draft)) = (w.published(), w.draft()) else {
            return Vec::new();
        };
        match next_project(published, draft) {
            Ok(next) => {
                let what = format!("Publish project version {}", next.version);
                self.control_effect(ControlCall::Publish(Box::new(next)), &what)
            }
            Err(e) => {
                self.error(format!("The draft makes no project: {e}"));
                Vec::new()
            }
        }
    }

    pub(super) fn read_published(&mut self) -> Vec<Effect> {
        if !self.woodford_can(&Action::ReadPublished) {
            return Vec::new();
        }
        if let Some(w) = self.woodford_mut() {
            w.server = ServerProject::Reading;
            return vec![Effect::ReadProject];
        }
        Vec::new()
    }

    /// The server answered the read: a fresh draft starts from what it publishes.
    pub(super) fn project_read(&mut self, result: Result<Project, String>) {
        let Some(w) = self.woodford_in_stack() else {
            return;
        };
        w.server = match result {
            Ok(project) => ServerProject::Read {
                base: Draft::of(&project),
                draft: Draft::of(&project),
                published: Box::new(project),
            },
            Err(e) => ServerProject::Failed(e),
        };
    }

    /// A publish went through: read what the server publishes now.
    pub(super) fn woodford_published(&mut self) {
        if let Some(w) = self.woodford_in_stack() {
            w.server = ServerProject::Reading;
            self.emit(Effect::ReadProject);
        }
    }

    pub(super) fn begin_interval_edit(&mut self) {
        if !self.woodford_can(&Action::BeginEdit) {
            return;
        }
        if let Some(w) = self.woodford_mut()
            && let Some(draft) = w.draft()
        {
            let seconds = draft.configuration.auto_sync_interval.to_string();
            w.editing = Some(Input::new(seconds));
        }
    }

    /// The typed interval goes into the draft, or is refused with the reason.
    pub(super) fn end_interval_edit(&mut self) {
        let Some(w) = self.woodford_mut() else {
            return;
        };
        let Some(input) = w.editing.take() else {
            return;
        };
        match parse_interval(input.value()) {
            Ok(seconds) => {
                if let ServerProject::Read { draft, .. } = &mut w.server {
                    draft.set_interval(seconds);
                }
            }
            Err(e) => self.error(e),
        }
    }
}
