//! Navigation: the screen stack, Back and Home (asking before unsaved edits are lost), quitting,
//! moving the selection, and what Enter means on each screen.

use super::*;

impl App {
    // --- navigation -------------------------------------------------------------------------

    pub(super) fn push(&mut self, screen: Screen) {
        self.stack.push(screen);
    }

    /// Pops the top screen, closing it if it is a form.
    pub(super) fn pop(&mut self) {
        if self.stack.len() <= 1 {
            return;
        }
        if let Some(Screen::Form(_)) = self.stack.pop() {
            self.emit(Effect::CloseForm);
        }
    }

    pub(super) fn dirty_form(&self) -> bool {
        self.stack
            .iter()
            .any(|s| matches!(s, Screen::Form(f) if f.is_dirty()))
    }

    pub(super) fn go_home(&mut self) {
        if self
            .stack
            .iter()
            .skip(1)
            .any(|s| matches!(s, Screen::Form(f) if f.is_dirty()))
        {
            self.overlays.open_dialog(Dialog::Discard {
                then: AfterDiscard::Home,
            });
            return;
        }
        while self.stack.len() > 1 {
            self.pop();
        }
    }

    pub(super) fn back(&mut self) -> Vec<Effect> {
        if let Some(dialog) = self.overlays.dialog() {
            match dialog {
                Dialog::Discard { .. } | Dialog::ConfirmDelete { .. } => {
                    self.overlays.close_dialog();
                }
                Dialog::ModeSwitch { .. } => self.answer_dialog(crate::rules::SwitchChoice::Cancel),
            }
            return Vec::new();
        }
        if self.overlays.sync_screen().is_some() {
            self.cancel_sync();
            return Vec::new();
        }
        match self.stack.last_mut() {
            Some(Screen::Form(f)) => {
                if f.editing.is_some() {
                    return self.end_edit();
                }
                if f.is_dirty() {
                    self.overlays.open_dialog(Dialog::Discard {
                        then: AfterDiscard::Back,
                    });
                    return Vec::new();
                }
            }
            Some(Screen::Setup(s)) if s.editing.is_some() => {
                s.editing = None;
                return Vec::new();
            }
            Some(Screen::List(l)) if l.search.typing().is_some() => {
                l.search.set_typing(false);
                return Vec::new();
            }
            Some(Screen::Conflict(c)) if c.view != ConflictView::Table => {
                c.view = ConflictView::Table;
                return Vec::new();
            }
            _ => {}
        }
        self.pop();
        Vec::new()
    }

    pub(super) fn quit(&mut self) -> Vec<Effect> {
        if self.dirty_form() {
            self.overlays.open_dialog(Dialog::Discard {
                then: AfterDiscard::Quit,
            });
            return Vec::new();
        }
        self.shutdown()
    }

    /// Closes every form, stops the engine and tells the driver to stop.
    pub(super) fn shutdown(&mut self) -> Vec<Effect> {
        while self.stack.len() > 1 {
            self.pop();
        }
        self.overlays.close_dialog();
        self.emit(Effect::Engine(Command::Shutdown));
        self.quitting = true;
        vec![Effect::Quit]
    }

    pub(super) fn confirm_discard(&mut self) -> Vec<Effect> {
        let Some(Dialog::Discard { then }) = self.overlays.close_dialog() else {
            return Vec::new();
        };
        for screen in &mut self.stack {
            if let Screen::Form(f) = screen {
                f.editing = None;
                for field in &mut f.fields {
                    field.value = field.stored.clone();
                }
            }
        }
        match then {
            AfterDiscard::Back => self.pop(),
            AfterDiscard::Home => self.go_home(),
            AfterDiscard::Quit => return self.shutdown(),
        }
        self.info("Unsaved edits discarded");
        Vec::new()
    }

    pub(super) fn move_selection(&mut self, delta: i64) {
        match self.overlays.dialog_mut() {
            // The buttons go round, as the Setup selectors do.
            Some(Dialog::ModeSwitch {
                choices, selected, ..
            }) => {
                *selected = cycle_index(*selected, delta.signum(), choices.len());
                return;
            }
            Some(Dialog::Discard { .. } | Dialog::ConfirmDelete { .. }) => return,
            None => {}
        }
        let home_len = self.home_items().len();
        let conflicts = self.conflicts.len();
        let log_len = self.filtered_log_len();
        let woodford_rows = self.woodford_rows().len();
        let conflict_rows = match self.stack.last() {
            Some(Screen::Conflict(c)) => self.conflict_rows(c.conflict_id).len(),
            _ => 0,
        };
        match self.stack.last_mut() {
            Some(Screen::Home(h)) => h.selected = step(h.selected, delta, home_len),
            Some(Screen::Setup(s)) => {
                s.editing = None;
                s.selected = step(s.selected, delta, SetupRow::ALL.len());
            }
            Some(Screen::List(l)) => l.selected = step(l.selected, delta, l.total),
            Some(Screen::Form(_)) => self.next_field(delta),
            Some(Screen::SyncErrors(s)) => s.selected = step(s.selected, delta, conflicts),
            Some(Screen::Conflict(c)) => c.selected = step(c.selected, delta, conflict_rows),
            Some(Screen::Log(l)) => {
                let current = l.selected.unwrap_or(log_len.saturating_sub(1));
                let next = step(current, delta, log_len);
                l.selected = if next + 1 >= log_len {
                    None
                } else {
                    Some(next)
                };
            }
            Some(Screen::Server(s)) => s.selected = step(s.selected, delta, ServerItem::ALL.len()),
            Some(Screen::Timeline(t)) => t.move_lane(delta),
            Some(Screen::Woodford(w)) => {
                w.editing = None;
                w.selected = step(w.selected, delta, woodford_rows);
            }
            Some(Screen::LogEntry(_)) | None => {}
        }
        self.follow_list_page();
    }

    /// Moves the selection to `index`, as the arrows count; false when there is no such item.
    pub(super) fn select_index(&mut self, index: usize) -> bool {
        if self.overlays.dialog().is_some() || self.answered(&Action::Pick(index)).is_some() {
            return false;
        }
        let Some((current, _, _)) = self.selection() else {
            return false;
        };
        if let Some(Screen::List(l)) = self.stack.last_mut() {
            // A click on a row ends the typing of the search (its text stays).
            l.search.set_typing(false);
        }
        self.move_selection(index as i64 - current as i64);
        true
    }

    /// What Select (Enter) on the current screen means, as a semantic action when it is one.
    pub fn select_action(&self) -> Option<Action> {
        if let Some(dialog) = self.overlays.dialog() {
            return Some(match dialog {
                Dialog::ModeSwitch {
                    choices, selected, ..
                } => Action::AnswerDialog(choices[(*selected).min(choices.len() - 1)]),
                // Enter keeps the edits: discarding needs its own key.
                Dialog::Discard { .. } => Action::KeepEditing,
                // Enter keeps the record: deleting needs its own key.
                Dialog::ConfirmDelete { .. } => Action::KeepEditing,
            });
        }
        match self.screen() {
            Screen::Home(h) => Some(match self.home_items().get(h.selected)? {
                HomeItem::SyncErrors { .. } => Action::OpenSyncErrors,
                HomeItem::LostEdits { .. } => Action::OpenLog,
                HomeItem::Entity { name, .. } => Action::OpenList {
                    entity: name.clone(),
                },
                HomeItem::Setup => Action::OpenSetup,
                HomeItem::Log => Action::OpenLog,
                HomeItem::Server => Action::OpenServerPanel,
            }),
            Screen::Woodford(_) => self.woodford_select_action(),
            Screen::Setup(s) => self.setup_select_action(s.selected),
            Screen::List(l) => l.selected_row().map(|r| Action::OpenRecord {
                entity: l.entity.clone(),
                id: r.id.clone(),
            }),
            Screen::Form(f) => f
                .fields
                .get(f.selected)
                .filter(|field| !field.read_only)
                .map(|_| Action::BeginEdit),
            Screen::SyncErrors(s) => self
                .conflicts
                .get(s.selected)
                .map(|c| Action::OpenConflict { conflict_id: c.id }),
            Screen::Conflict(_) => None,
            Screen::Log(l) => {
                let lines = self.filtered_log();
                let index = l.selected.unwrap_or(lines.len().saturating_sub(1));
                lines
                    .get(index)
                    .map(|line| Action::OpenLogEntry { seq: line.seq })
            }
            Screen::LogEntry(_) => None,
            Screen::Timeline(t) => t.selected().map(|i| Action::OpenLogEntry { seq: i.seq }),
            Screen::Server(s) => {
                self.server_item_action(ServerItem::ALL[s.selected.min(ServerItem::ALL.len() - 1)])
            }
        }
    }

    pub(super) fn select(&mut self) -> Vec<Effect> {
        if self.overlays.dialog().is_none()
            && let Some(Screen::Conflict(c)) = self.stack.last_mut()
        {
            if c.merge().is_some() {
                self.toggle_merge_pick();
            }
            return Vec::new();
        }
        match self.select_action() {
            Some(action) => self.apply(action),
            None => Vec::new(),
        }
    }

    pub(super) fn next_field(&mut self, delta: i64) {
        if let Some(SyncScreen::Login { fields, .. }) = self.overlays.sync_screen_mut() {
            fields.move_focus(delta);
            return;
        }
        if let Some(Dialog::ModeSwitch {
            choices, selected, ..
        }) = self.overlays.dialog_mut()
        {
            *selected = cycle_index(*selected, delta.signum(), choices.len());
            return;
        }
        match self.stack.last_mut() {
            Some(Screen::Form(f)) => {
                if let Some(input) = f.editing.take()
                    && let Some(field) = f.fields.get_mut(f.selected)
                {
                    field.value = input.value().to_string();
                }
                f.selected = step(f.selected, delta, f.fields.len());
            }
            Some(Screen::Setup(s)) => {
                s.editing = None;
                s.selected = step(s.selected, delta, SetupRow::ALL.len());
            }
            _ => {}
        }
    }
}

/// Moves an index by `delta` within `0..len`, going round at either end.
pub(super) fn cycle_index(index: usize, delta: i64, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (index as i64 + delta).rem_euclid(len as i64) as usize
}

/// Moves an index by `delta` within `0..len`, clamped.
pub(super) fn step(index: usize, delta: i64, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let next = (index as i64).saturating_add(delta);
    next.clamp(0, len as i64 - 1) as usize
}
