//! New and Delete on the device: a list opens its entity's form empty as a new record, saved
//! with [`Effect::Create`]; a form asks before deleting its record with [`Effect::Delete`]. The
//! device passes both through the same save gate as Save.

use super::effect::Effect;
use super::forms::form_fields;
use super::state::*;
use super::{Action, App, Recorded};
use crate::device::{AppMode, SaveOutcome};
use crate::rules::SaveDecision;
use crate::wire::Fields;

/// New and Delete change the local database; online mode has none to change.
const OFFLINE_ONLY: &str = "online mode works on the server: New and Delete work in offline mode";

impl App {
    /// A create or delete named by entity and id (no form, no dialog).
    pub(super) fn named_change_refusal(&self) -> Option<&'static str> {
        (self.mode == AppMode::Online).then_some(OFFLINE_ONLY)
    }

    pub(super) fn new_record_refusal(&self) -> Option<&'static str> {
        match self.screen() {
            Screen::List(l) if l.search.typing().is_some() => {
                Some("Enter or Esc ends the search first")
            }
            Screen::List(_) if self.mode == AppMode::Online => Some(OFFLINE_ONLY),
            Screen::List(_) => None,
            _ => Some("a new record is added from a list"),
        }
    }

    pub(super) fn delete_record_refusal(&self) -> Option<&'static str> {
        let form = self.top_form().filter(|_| self.overlays.dialog().is_none());
        match form {
            None => Some("a record is deleted from its form"),
            Some(f) if f.origin == FormOrigin::New => {
                Some("the new record is not saved yet: leave the form to drop it")
            }
            Some(f) if f.gone => Some("the record is no longer on the device"),
            Some(f) if f.saving_online => Some("a save is on its way to the server"),
            Some(_) if self.mode == AppMode::Online => Some(OFFLINE_ONLY),
            Some(_) => None,
        }
    }

    /// The list's entity form, empty: a new record, which gets its id when first saved.
    pub(super) fn new_record(&mut self) {
        let Screen::List(list) = self.screen() else {
            return;
        };
        let Some(e) = self
            .project
            .as_ref()
            .and_then(|p| p.entity(&list.entity))
            .cloned()
        else {
            return;
        };
        let form = FormState {
            entity: e.name.clone(),
            entity_label: e.label.clone(),
            id: String::new(),
            title: format!("New record ({})", e.label),
            fields: form_fields(&e, &Fields::new()),
            selected: 0,
            editing: None,
            notice: Some(Notice {
                level: Level::Info,
                text: "A new record: fill in the fields, then s saves it on the device".into(),
            }),
            saving_online: false,
            gone: false,
            origin: FormOrigin::New,
        };
        self.emit(Effect::OpenForm);
        self.push(Screen::Form(Box::new(form)));
    }

    /// Save on a new record's form: the required field first, then the device creates it.
    pub(super) fn save_new(&mut self, values: Fields) -> Vec<Effect> {
        let Some(form) = self.top_form() else {
            return Vec::new();
        };
        let entity = form.entity.clone();
        if let Some(label) = self.missing_required(&entity, &values) {
            self.form_notice(
                Level::Error,
                format!("{label} is required: type it before saving the new record"),
            );
            return Vec::new();
        }
        if self.mode == AppMode::Online {
            self.form_notice(Level::Error, format!("Not saved: {OFFLINE_ONLY}"));
            return Vec::new();
        }
        self.emit(Effect::Create {
            entity,
            id: None,
            values,
        });
        Vec::new()
    }

    /// A create with its id and values given (a scenario's `create` step): the same check of
    /// the required field, the same gate, no form.
    pub(super) fn create_record(&mut self, entity: String, id: String, values: Fields) {
        if self
            .project
            .as_ref()
            .and_then(|p| p.entity(&entity))
            .is_none()
        {
            self.warn(format!("{entity} is not an entity of this project"));
            return;
        }
        if let Some(label) = self.missing_required(&entity, &values) {
            self.error(format!(
                "{label} is required: a new {entity} needs a value for it"
            ));
            return;
        }
        self.emit(Effect::Create {
            entity,
            id: Some(id),
            values,
        });
    }

    /// The label of the field a new record of `entity` must have and `values` lack.
    fn missing_required(&self, entity: &str, values: &Fields) -> Option<String> {
        let entity = self.project.as_ref()?.entity(entity)?;
        entity.missing_required(values).map(|f| f.label.clone())
    }

    /// The device's answer to a create: the form becomes the stored record's.
    pub(super) fn created(
        &mut self,
        entity: &str,
        values: &Fields,
        outcome: Result<(String, SaveOutcome), String>,
    ) {
        let (level, text) = match outcome {
            Ok((_, SaveOutcome::Refused(reason))) => {
                (Level::Error, format!("Save refused: {reason}"))
            }
            Ok((
                id,
                SaveOutcome::Saved {
                    decision, uploads, ..
                },
            )) => {
                let primary = self
                    .project
                    .as_ref()
                    .and_then(|p| p.entity(entity))
                    .map(|e| e.primary_field.clone());
                if let Some(Screen::Form(form)) = self.stack.last_mut()
                    && form.entity == entity
                    && form.origin == FormOrigin::New
                {
                    form.id = id.clone();
                    form.origin = FormOrigin::Stored;
                    if let Some(title) = primary.and_then(|p| values.get(&p).cloned()) {
                        form.title = title;
                    }
                    for field in &mut form.fields {
                        if values.contains_key(&field.name) {
                            field.stored = field.value.clone();
                        }
                    }
                }
                // Kept by `--record` as the create it was, then the form it left open.
                let at = self.clock.now();
                let seen = self.status.activity;
                for action in [
                    Action::CreateRecord {
                        entity: entity.to_string(),
                        id: id.clone(),
                        fields: values.clone(),
                    },
                    Action::OpenRecord {
                        entity: entity.to_string(),
                        id: id.clone(),
                    },
                ] {
                    self.recorded.push(Recorded { at, action, seen });
                }
                self.last_record = Some((entity.to_string(), id));
                let text = match decision {
                    SaveDecision::Allow => format!("Created on the device; {uploads}"),
                    other => format!("Created: {other}"),
                };
                (Level::Success, text)
            }
            Ok((_, SaveOutcome::Unchanged)) => (Level::Info, "Nothing to create".into()),
            Err(e) => (Level::Error, format!("Create failed: {e}")),
        };
        self.form_notice(level, text.clone());
        self.say(level, text);
        self.after_local_change();
    }

    /// `d` on a form: the dialog asks first.
    pub(super) fn ask_delete(&mut self) {
        let Some(form) = self.top_form() else {
            return;
        };
        self.overlays.open_dialog(Dialog::ConfirmDelete {
            entity: form.entity.clone(),
            id: form.id.clone(),
            title: form.title.clone(),
        });
    }

    pub(super) fn confirm_delete(&mut self) {
        let Some(Dialog::ConfirmDelete { entity, id, .. }) = self.overlays.close_dialog() else {
            return;
        };
        self.emit(Effect::Delete { entity, id });
    }

    /// The device's answer to a delete: its form closes (the record is gone from the lists).
    pub(super) fn deleted(&mut self, entity: &str, id: &str, outcome: Result<SaveOutcome, String>) {
        match outcome {
            Ok(SaveOutcome::Saved {
                decision, uploads, ..
            }) => {
                if matches!(self.stack.last(), Some(Screen::Form(f)) if f.entity == entity && f.id == id)
                {
                    self.pop();
                }
                if self.last_record.as_ref() == Some(&(entity.to_string(), id.to_string())) {
                    self.last_record = None;
                }
                let text = match decision {
                    SaveDecision::Allow => format!("Deleted on the device; {uploads}"),
                    other => format!("Deleted: {other}"),
                };
                self.say(Level::Success, text);
            }
            Ok(SaveOutcome::Refused(reason)) => {
                let text = format!("Delete refused: {reason}");
                self.form_notice(Level::Error, text.clone());
                self.say(Level::Error, text);
            }
            Ok(SaveOutcome::Unchanged) => self.info("Nothing to delete"),
            Err(e) => {
                let text = format!("Delete failed: {e}");
                self.form_notice(Level::Error, text.clone());
                self.say(Level::Error, text);
            }
        }
        self.after_local_change();
    }

    fn form_notice(&mut self, level: Level, text: String) {
        if let Some(Screen::Form(form)) = self.stack.last_mut() {
            form.notice = Some(Notice { level, text });
        }
    }
}
