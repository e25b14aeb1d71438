//! The App's view of the device: what `update` wants read again (one [`Reload`] per update,
//! after its other effects), and the driver's answer applied — settings, counts, conflicts,
//! the journal, the on-start checklist, lost edits, open forms and lists.

use super::*;
use crate::store::LocalRecord;

impl App {
    pub(super) fn emit(&mut self, effect: Effect) {
        self.out.push(effect);
    }

    /// The effects of one update: those emitted on the way, those returned, then the reload.
    pub(super) fn take_effects(&mut self, returned: Vec<Effect>) -> Vec<Effect> {
        let mut effects = std::mem::take(&mut self.out);
        effects.extend(returned);
        if std::mem::take(&mut self.want_screens) {
            let screens = self.screen_reload();
            self.want.forms.extend(screens.forms);
            self.want.lists.extend(screens.lists);
        }
        let mut want = std::mem::take(&mut self.want);
        if want != Reload::default() {
            if want.journal_after.is_some() {
                want.journal_after = Some(self.journal_seq);
            }
            effects.push(Effect::Reload(Box::new(want)));
        }
        effects
    }

    /// Every open form's record and every open list's page (with a new count).
    fn screen_reload(&self) -> Reload {
        let mut reload = Reload::default();
        for (at, screen) in self.stack.iter().enumerate() {
            match screen {
                // A new record's form has nothing stored to read yet.
                Screen::Form(f) if f.origin == FormOrigin::Stored => {
                    reload.forms.push((f.entity.clone(), f.id.clone()))
                }
                Screen::List(l) => reload.lists.push(list_query(at, l, true)),
                _ => {}
            }
        }
        reload
    }

    pub(super) fn refresh_all(&mut self) {
        self.refresh_settings();
        self.refresh_counts();
        self.refresh_conflicts();
        self.refresh_journal();
        self.refresh_checklist();
        self.refresh_lost();
    }

    pub(super) fn refresh_settings(&mut self) {
        self.want.settings = true;
    }

    pub(super) fn refresh_counts(&mut self) {
        self.want.counts = true;
    }

    pub(super) fn refresh_conflicts(&mut self) {
        self.want.conflicts = true;
    }

    /// The on-start checklist, built from the same state the engine decides with.
    pub(super) fn refresh_checklist(&mut self) {
        self.want.checklist = true;
    }

    pub(super) fn refresh_journal(&mut self) {
        self.want.journal_after = Some(self.journal_seq);
    }

    /// The auditor over the device's journal and records (server values unknown: an edit counts
    /// as lost when it is neither on the device, nor pending, nor acknowledged by the server).
    pub(super) fn refresh_lost(&mut self) {
        self.want.lost = true;
    }

    /// After a sync or a save: lists reload, forms take new stored values (keeping edits).
    pub(super) fn refresh_screens(&mut self) {
        self.want_screens = true;
    }

    /// The page of the list at `at` (counting its matches again when `count`).
    pub(super) fn load_list(&mut self, at: usize, count: bool) {
        if let Some(Screen::List(l)) = self.stack.get(at) {
            let query = list_query(at, l, count);
            self.want.lists.push(query);
        }
    }

    /// The driver's answer, part by part, in the order the parts depend on each other.
    pub(super) fn reloaded(&mut self, view: Reloaded) -> Vec<Effect> {
        let settings_read = view.settings.is_some();
        if let Some(s) = view.settings {
            self.settings = s.settings;
            self.effective = s.effective;
            self.project = s.project;
            self.password_saved = s.password_saved;
            self.mode = s.mode;
            self.applied_project_read();
        }
        if let Some(counts) = view.counts {
            self.counts = counts;
        }
        if let Some(conflicts) = view.conflicts {
            self.conflicts_read(conflicts);
        }
        if let Some(journal) = view.journal {
            match journal {
                Ok(entries) => self.journal_read(entries),
                Err(e) => self.error(e),
            }
        }
        let rebuild = view.checklist.is_some() || settings_read;
        if let Some(state) = view.checklist {
            self.rule_state = Some(state);
        }
        if rebuild {
            self.build_checklist();
        }
        if let Some(lost) = view.lost {
            self.lost = lost;
        }
        for ((entity, id), record) in view.forms {
            for screen in &mut self.stack {
                if let Screen::Form(form) = screen
                    && form.entity == entity
                    && form.id == id
                {
                    refresh_form(form, record.as_ref());
                }
            }
        }
        for page in view.lists {
            if let Some(Screen::List(list)) = self.stack.get_mut(page.query.at)
                && list.entity == page.query.entity
                && list.search.text() == page.query.search
            {
                apply_page(list, page);
            }
        }
        if std::mem::take(&mut self.select_when_loaded) {
            return self.update(Action::Select);
        }
        Vec::new()
    }

    fn conflicts_read(&mut self, conflicts: Result<Vec<Conflict>, String>) {
        match conflicts {
            Ok(c) => self.conflicts = c,
            Err(e) => self.error(e),
        }
        // A resolved conflict's detail screen has nothing left to show.
        let ids: Vec<i64> = self.conflicts.iter().map(|c| c.id).collect();
        let count = self.conflicts.len();
        for screen in &mut self.stack {
            if let Screen::SyncErrors(s) = screen {
                s.selected = s.selected.min(count.saturating_sub(1));
            }
        }
        if let Some(Screen::Conflict(c)) = self.stack.last()
            && !ids.contains(&c.conflict_id)
        {
            self.stack.pop();
        }
    }

    /// The checklist from the last rule state read, the settings and the network now.
    pub(super) fn build_checklist(&mut self) {
        let (Some(effective), Some((state, unresolved))) = (&self.effective, &self.rule_state)
        else {
            self.checklist.clear();
            return;
        };
        let input = crate::rules::OnStartState {
            auto_sync: effective.auto_sync,
            background_sync: effective.background_sync,
            credentials: crate::rules::credentials(effective.save_password, self.password_saved),
            require_sync_login: effective.require_sync_login,
            last_successful_sync_end: state.last_successful.as_ref().map(|l| l.ended),
            network: self.network,
            unresolved_conflicts: *unresolved,
            update_pending: state.update_available.is_some(),
        };
        self.checklist = crate::rules::on_start_checklist(self.clock.now(), &input);
    }
}

fn list_query(at: usize, list: &EntityList, count: bool) -> ListQuery {
    ListQuery {
        at,
        entity: list.entity.clone(),
        primary_field: list.primary_field.clone(),
        search: list.search.text().to_string(),
        selected: list.selected,
        count,
        total: list.total,
    }
}

/// A page as read: the count (when counted), the rows, the selection kept on them.
fn apply_page(list: &mut EntityList, page: ListPage) {
    if page.query.count {
        list.total = page.total;
        list.selected = list.selected.min(list.total.saturating_sub(1));
    }
    list.offset = page.offset;
    list.rows = page
        .records
        .into_iter()
        .map(|r| ListRow {
            primary: r
                .fields
                .get(&list.primary_field)
                .cloned()
                .unwrap_or_default(),
            secondary: list
                .secondary_field
                .as_ref()
                .and_then(|f| r.fields.get(f).cloned())
                .unwrap_or_default(),
            id: r.id,
        })
        .collect();
    // Records may have gone since they were counted.
    let end = list.offset + list.rows.len();
    if list.selected >= end {
        list.selected = end.saturating_sub(1);
    }
}

/// A form takes the stored values read (keeping the user's edits); no record: it is gone.
fn refresh_form(form: &mut FormState, record: Option<&LocalRecord>) {
    let Some(record) = record else {
        if !form.gone {
            form.gone = true;
            form.notice = Some(Notice {
                level: Level::Warning,
                text: "This record is no longer on the device (deleted on the server)".into(),
            });
        }
        return;
    };
    form.gone = false;
    for field in &mut form.fields {
        let stored = record.fields.get(&field.name).cloned().unwrap_or_default();
        if stored != field.stored {
            if field.value == field.stored {
                field.value = stored.clone();
            }
            field.stored = stored;
        }
    }
}
