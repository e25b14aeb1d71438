//! Entity lists: a page of rows at a time out of every record that matches the search, which
//! SQLite runs over the whole entity.

use tui_input::Input;

use super::App;
use super::forms::computed_by_server;
use super::state::*;
use crate::project::FieldKind;

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
            total: 0,
            selected: 0,
            search: Input::default(),
            searching: false,
        };
        self.load_rows(&mut list);
        self.push(Screen::List(list));
    }

    pub(super) fn load_rows(&self, list: &mut ListState) {
        let store = self.client.store();
        let records = store
            .list(
                &list.entity,
                &list.primary_field,
                list.search.value(),
                LIST_LIMIT,
                0,
            )
            .unwrap_or_default();
        list.total = records.len();
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
        list.selected = list.selected.min(list.rows.len().saturating_sub(1));
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
