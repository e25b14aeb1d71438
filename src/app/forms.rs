//! Forms and Setup: opening them, typing into them, saving through the save gate, the
//! custom command under a UI transaction, and settings through the lock rule.

use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::App;
use super::effect::{Effect, SaveBy};
use super::state::*;
use crate::device::{AppMode, SaveOutcome};
use crate::project::{FieldKind, computed_by_server};
use crate::rules::{Network, SaveDecision};
use crate::settings::SettingChange;
use crate::store::LocalRecord;
use crate::wire::Fields;

/// A save's wait for the sync's write lock worth telling the user about.
const NOTICEABLE_WAIT: std::time::Duration = std::time::Duration::from_millis(5);

impl App {
    // --- forms ------------------------------------------------------------------------------

    pub(super) fn open_record_form(&mut self, entity: &str, id: &str) {
        match self.project.as_ref().and_then(|p| p.entity(entity)) {
            Some(_) => self.emit(Effect::LoadRecord {
                entity: entity.to_string(),
                id: id.to_string(),
            }),
            None => self.warn(format!("{entity} is not an entity of this project")),
        }
    }

    /// The record a form opens, as read: the form opens on it (and the device counts it open).
    pub(super) fn record_loaded(
        &mut self,
        entity: &str,
        id: &str,
        record: Result<Option<LocalRecord>, String>,
    ) {
        let Some(e) = self
            .project
            .as_ref()
            .and_then(|p| p.entity(entity))
            .cloned()
        else {
            self.warn(format!("{entity} is not an entity of this project"));
            return;
        };
        let record = match record {
            Ok(Some(r)) => r,
            Ok(None) => {
                self.warn(format!("{} {id} is not on this device", e.label));
                return;
            }
            Err(err) => {
                self.error(err);
                return;
            }
        };
        let fields = form_fields(&e, &record.fields);
        let title = record
            .fields
            .get(&e.primary_field)
            .cloned()
            .unwrap_or_else(|| id.to_string());
        let form = FormState {
            entity: e.name.clone(),
            entity_label: e.label.clone(),
            id: id.to_string(),
            title,
            fields,
            selected: 0,
            editing: None,
            notice: None,
            saving_online: false,
            gone: false,
            origin: FormOrigin::Stored,
        };
        self.emit(Effect::OpenForm);
        self.last_record = Some((entity.to_string(), id.to_string()));
        self.custom_log.clear();
        self.push(Screen::Form(Box::new(form)));
    }

    fn top_form_mut(&mut self) -> Option<&mut FormState> {
        match self.stack.last_mut() {
            Some(Screen::Form(f)) => Some(f),
            _ => None,
        }
    }

    pub(super) fn input(&mut self, key: KeyEvent) {
        let event = Event::Key(key);
        if let Some(SyncScreen::Login { fields, .. }) = self.overlays.sync_screen_mut() {
            fields.focused_mut().handle_event(&event);
            return;
        }
        let mut reload = false;
        match self.stack.last_mut() {
            Some(Screen::Form(f)) => {
                if let Some(input) = &mut f.editing {
                    input.handle_event(&event);
                }
            }
            Some(Screen::Setup(s)) => {
                if let Some(input) = &mut s.editing {
                    input.handle_event(&event);
                }
            }
            Some(Screen::Woodford(w)) => {
                if let Some(input) = &mut w.editing {
                    input.handle_event(&event);
                }
            }
            Some(Screen::List(l)) => {
                if let Some(input) = l.search.typing_mut() {
                    reload = input.handle_event(&event).is_some_and(|c| c.value);
                }
            }
            _ => {}
        }
        if reload {
            self.search_changed();
        }
    }

    /// A paste goes in at the cursor as one edit, as if typed, on one line.
    pub(super) fn paste(&mut self, text: &str) {
        let text = one_line(text);
        let insert = |input: &mut Input| {
            let value = input.value();
            let cursor = input.cursor();
            let at = value
                .char_indices()
                .nth(cursor)
                .map_or(value.len(), |(byte, _)| byte);
            let joined = format!("{}{text}{}", &value[..at], &value[at..]);
            *input = Input::new(joined).with_cursor(cursor + text.chars().count());
        };
        if let Some(SyncScreen::Login { fields, .. }) = self.overlays.sync_screen_mut() {
            insert(fields.focused_mut());
            return;
        }
        let mut reload = false;
        match self.stack.last_mut() {
            Some(Screen::Form(f)) => {
                if let Some(input) = &mut f.editing {
                    insert(input);
                }
            }
            Some(Screen::Setup(s)) => {
                if let Some(input) = &mut s.editing {
                    insert(input);
                }
            }
            Some(Screen::Woodford(w)) => {
                if let Some(input) = &mut w.editing {
                    insert(input);
                }
            }
            Some(Screen::List(l)) => {
                if let Some(input) = l.search.typing_mut() {
                    insert(input);
                    reload = true;
                }
            }
            _ => {}
        }
        if reload {
            self.search_changed();
        }
    }

    pub(super) fn begin_edit(&mut self) {
        if let Some(Screen::Woodford(_)) = self.stack.last() {
            self.begin_interval_edit();
            return;
        }
        let settings = self.settings.clone();
        match self.stack.last_mut() {
            Some(Screen::Form(f)) => {
                if f.saving_online {
                    return;
                }
                if let Some(field) = f.fields.get(f.selected) {
                    if field.read_only {
                        let why = if field.kind == FieldKind::Lookup {
                            "a lookup"
                        } else {
                            "set by the server's business logic"
                        };
                        f.notice = Some(Notice {
                            level: Level::Warning,
                            text: format!("{} is {why}: it cannot be edited here", field.label),
                        });
                    } else {
                        f.editing = Some(Input::new(field.value.clone()));
                    }
                }
            }
            Some(Screen::Setup(s)) => {
                let row = SetupRow::ALL[s.selected.min(SetupRow::ALL.len() - 1)];
                let current = settings
                    .map(|st| {
                        if row == SetupRow::ServerUrl {
                            st.server_url
                        } else {
                            st.user_name
                        }
                    })
                    .unwrap_or_default();
                if row.is_text() {
                    s.editing = Some(Input::new(current));
                }
            }
            Some(Screen::List(l)) => l.search.set_typing(true),
            _ => {}
        }
    }

    pub(super) fn end_edit(&mut self) -> Vec<Effect> {
        if let Some(SyncScreen::Login { .. }) = self.overlays.sync_screen() {
            self.sign_in_from_screen();
            return Vec::new();
        }
        if let Some(Screen::Woodford(_)) = self.stack.last() {
            self.end_interval_edit();
            return Vec::new();
        }
        let mut change = None;
        match self.stack.last_mut() {
            Some(Screen::Form(f)) => {
                if let Some(input) = f.editing.take()
                    && let Some(field) = f.fields.get_mut(f.selected)
                {
                    field.value = input.value().to_string();
                }
            }
            Some(Screen::Setup(s)) => {
                if let Some(input) = s.editing.take() {
                    let value = input.value().trim().to_string();
                    change = Some(
                        match SetupRow::ALL[s.selected.min(SetupRow::ALL.len() - 1)] {
                            SetupRow::ServerUrl => SettingChange::ServerUrl(value),
                            _ => SettingChange::UserName(value),
                        },
                    );
                }
            }
            Some(Screen::List(l)) => l.search.set_typing(false),
            _ => {}
        }
        if let Some(change) = change {
            self.change_setting(change);
        }
        Vec::new()
    }

    pub(super) fn edit_field(&mut self, field: &str, value: String) {
        let Some(form) = self.top_form_mut() else {
            self.warn("EditField needs an open form");
            return;
        };
        match form.fields.iter_mut().find(|f| f.name == field) {
            Some(f) if f.read_only => {
                let label = f.label.clone();
                self.warn(format!("{label} cannot be edited here"));
            }
            Some(f) => {
                f.value = value;
                form.editing = None;
            }
            None => {
                let entity = form.entity.clone();
                self.warn(format!("The {entity} form has no field {field}"));
            }
        }
    }

    pub(super) fn cancel_form(&mut self) {
        let Some(form) = self.top_form_mut() else {
            return;
        };
        form.editing = None;
        for field in &mut form.fields {
            field.value = field.stored.clone();
        }
        form.notice = Some(Notice {
            level: Level::Info,
            text: "Edits discarded".into(),
        });
    }

    /// The Save button: through the save gate offline, straight to the server online.
    pub(super) fn save(&mut self) -> Vec<Effect> {
        let mode = self.mode;
        let network = self.network;
        if let Some(Screen::Conflict(c)) = self.stack.last()
            && c.merge().is_some()
        {
            self.apply_merge();
            return Vec::new();
        }
        let Some(form) = self.top_form_mut() else {
            self.warn("There is nothing to save here");
            return Vec::new();
        };
        if let Some(input) = form.editing.take()
            && let Some(field) = form.fields.get_mut(form.selected)
        {
            field.value = input.value().to_string();
        }
        if form.saving_online {
            form.notice = Some(Notice {
                level: Level::Warning,
                text: "The last save is still on its way to the server".into(),
            });
            return Vec::new();
        }
        let changes: Fields = form
            .fields
            .iter()
            .filter(|f| f.is_dirty() && !f.read_only)
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect();
        if changes.is_empty() {
            form.notice = Some(Notice {
                level: Level::Info,
                text: "Nothing changed: nothing to save".into(),
            });
            return Vec::new();
        }
        let (entity, id) = (form.entity.clone(), form.id.clone());
        if form.origin == FormOrigin::New {
            return self.save_new(changes);
        }
        if mode == AppMode::Online {
            if network == Network::Disconnected {
                form.notice = Some(Notice {
                    level: Level::Error,
                    text: "Online mode saves on the server, and no network connection is active: your edits are kept".into(),
                });
                return Vec::new();
            }
            form.saving_online = true;
            form.notice = Some(Notice {
                level: Level::Info,
                text: "Saving on the server (online mode)…".into(),
            });
            return vec![Effect::SaveOnline {
                entity,
                id,
                values: changes,
            }];
        }
        self.emit(Effect::Save {
            entity,
            id,
            values: changes,
            by: SaveBy::Form,
        });
        Vec::new()
    }

    /// A save's answer: the form's notice says what the store did (the custom command's
    /// saves go to its own log).
    pub(super) fn saved(
        &mut self,
        entity: &str,
        id: &str,
        values: &Fields,
        by: SaveBy,
        outcome: Result<SaveOutcome, String>,
    ) -> Vec<Effect> {
        if let SaveBy::Custom { run } = by {
            return self.custom_saved(run, entity, id, outcome);
        }
        let notice = match outcome {
            Ok(SaveOutcome::Refused(reason)) => Notice {
                level: Level::Error,
                text: format!("Save refused: {reason}"),
            },
            Ok(SaveOutcome::Saved {
                decision,
                report,
                uploads,
            }) => {
                let mut text = match decision {
                    SaveDecision::Allow => format!("Saved on the device; {uploads}"),
                    other => format!("Saved: {other}"),
                };
                if report.waited >= NOTICEABLE_WAIT {
                    text.push_str(&format!(
                        " — waited {} ms for the sync's write",
                        report.waited.as_millis()
                    ));
                }
                if let Some(form) = self.top_form_mut()
                    && form.entity == entity
                    && form.id == id
                {
                    for field in &mut form.fields {
                        if values.contains_key(&field.name) {
                            field.stored = field.value.clone();
                        }
                    }
                }
                Notice {
                    level: Level::Success,
                    text,
                }
            }
            Ok(SaveOutcome::Unchanged) => Notice {
                level: Level::Info,
                text: "Nothing differed from the stored record".into(),
            },
            Err(e) => Notice {
                level: Level::Error,
                text: format!("Save failed: {e}"),
            },
        };
        let level = notice.level;
        let text = notice.text.clone();
        if let Some(form) = self.top_form_mut() {
            form.notice = Some(notice);
        }
        self.say(level, text);
        self.after_local_change();
        Vec::new()
    }

    /// The device's data changed outside a sync: counts, lists, Sync Errors' device side, the
    /// log and the auditor's count on Home follow.
    pub(super) fn after_local_change(&mut self) {
        self.refresh_counts();
        self.refresh_conflicts();
        self.refresh_journal();
        self.refresh_lost();
        self.refresh_screens();
    }
}

/// The form's fields of entity `e`, in its sections' order, holding `values` as stored.
pub(super) fn form_fields(e: &crate::project::Entity, values: &Fields) -> Vec<FormField> {
    let mut fields = Vec::new();
    for section in &e.form.sections {
        for name in &section.fields {
            let Some(f) = e.field(name) else { continue };
            let value = values.get(name).cloned().unwrap_or_default();
            fields.push(FormField {
                name: f.name.clone(),
                label: f.label.clone(),
                section: section.title.clone(),
                kind: f.kind,
                read_only: f.kind == FieldKind::Lookup || computed_by_server(&f.name),
                stored: value.clone(),
                value,
            });
        }
    }
    fields
}

/// Pasted text for a one-line input: line breaks and tabs become spaces (a trailing line break
/// is dropped), other control characters go.
pub(super) fn one_line(text: &str) -> String {
    text.trim_end_matches(['\r', '\n'])
        .replace("\r\n", " ")
        .chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}
