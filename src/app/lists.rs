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
        let list = EntityList {
            entity: e.name.clone(),
            label: e.label.clone(),
            primary_field: e.primary_field.clone(),
            secondary_label: secondary.map(|f| f.label.clone()),
            secondary_field: secondary.map(|f| f.name.clone()),
            rows: Vec::new(),
            offset: 0,
            total: 0,
            selected: 0,
            search: Search::default(),
        };
        self.push(Screen::List(list));
        self.load_list(self.stack.len() - 1, true);
    }

    /// The search text of the list on top changed: its matches from the first.
    pub(super) fn search_changed(&mut self) {
        if let Some(Screen::List(list)) = self.stack.last_mut() {
            list.selected = 0;
            self.load_list(self.stack.len() - 1, true);
        }
    }

    /// After the selection moved: the page holding it, if it is not the one loaded.
    pub(super) fn follow_list_page(&mut self) {
        let moved_off = match self.stack.last() {
            Some(Screen::List(l)) => l.selected / LIST_LIMIT * LIST_LIMIT != l.offset,
            _ => false,
        };
        if moved_off {
            self.load_list(self.stack.len() - 1, false);
        }
    }

    pub(super) fn search(&mut self, text: String) {
        let Some(Screen::List(list)) = self.stack.last_mut() else {
            self.warn("Search works on a list");
            return;
        };
        list.search = match list.search {
            Search::Browsing(_) => Search::Browsing(Input::new(text)),
            Search::Typing(_) => Search::Typing(Input::new(text)),
        };
        list.selected = 0;
        self.load_list(self.stack.len() - 1, true);
    }
}
