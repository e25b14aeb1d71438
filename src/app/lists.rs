//! Entity lists: a page of rows at a time out of every record that matches the search, which
//! SQLite runs over the whole entity.

use tui_input::Input;

use super::App;
use super::state::*;
use crate::project::FieldKind;
use crate::project::computed_by_server;

impl App {
    pub(super) fn open_list(&mut self, entity: &str) {
        let Some(e) = self.project.as_ref().and_then(|p| p.entity(entity)) else {
            self.warn(format!(
                "There is no {entity} list on this device yet: synchronize first"
            ));
            return;
        };
        let secondary = e.form_fields().find(|f| {
            f.name != e.primary_field && f.kind == FieldKind::Text && !computed_by_server(&f.name)
        });
        let mut list = ListState {
            entity: e.name.clone(),
            label: e.label.clone(),
            primary_field: e.primary_field.clone(),
            secondary_label: secondary.map(|f| f.label.clone()),
            secondary_field: secondary.map(|f| f.name.clone()),
            rows: Vec::new(),
            offset: 0,
            total: 0,
            selected: 0,
            search: Input::default(),
            searching: false,
        };
        self.load_rows(&mut list);
        self.push(Screen::List(list));
    }

    /// Counts the matches again and loads the page holding the selection.
    pub(super) fn load_rows(&self, list: &mut ListState) {
        let store = self.client.store();
        list.total = store
            .count_matching(&list.entity, &list.primary_field, list.search.value())
            .unwrap_or(0);
        list.selected = list.selected.min(list.total.saturating_sub(1));
        self.load_page(list);
    }

    /// Loads the page of [`LIST_LIMIT`] rows that holds the selection.
    fn load_page(&self, list: &mut ListState) {
        list.offset = list.selected / LIST_LIMIT * LIST_LIMIT;
        let records = self
            .client
            .store()
            .list(
                &list.entity,
                &list.primary_field,
                list.search.value(),
                LIST_LIMIT,
                list.offset,
            )
            .unwrap_or_default();
        list.rows = records
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

    /// The search text of the list on top changed: its matches from the first.
    pub(super) fn search_changed(&mut self) {
        if let Some(Screen::List(mut list)) = self.stack.pop() {
            list.selected = 0;
            self.load_rows(&mut list);
            self.stack.push(Screen::List(list));
        }
    }

    /// After the selection moved: the page holding it, if it is not the one loaded.
    pub(super) fn follow_list_page(&mut self) {
        let moved_off = match self.stack.last() {
            Some(Screen::List(l)) => l.selected / LIST_LIMIT * LIST_LIMIT != l.offset,
            _ => false,
        };
        if moved_off && let Some(Screen::List(mut list)) = self.stack.pop() {
            self.load_page(&mut list);
            self.stack.push(Screen::List(list));
        }
    }

    pub(super) fn search(&mut self, text: String) {
        let Some(Screen::List(mut list)) = self.stack.pop() else {
            self.warn("Search works on a list");
            return;
        };
        list.search = Input::new(text);
        list.selected = 0;
        self.load_rows(&mut list);
        self.stack.push(Screen::List(list));
    }
}
