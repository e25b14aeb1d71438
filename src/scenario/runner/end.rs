//! The runner's two checks on the world: whether a step can run at all, and how the run ended
//! (the touched fields, the auditor, the requests made and the end state).

use std::collections::BTreeMap;

use super::Runner;
use crate::scenario::format::StepAction;
use crate::store::{JournalEntry, Store};

impl Runner<'_> {
    /// A step naming an entity, a field or a record that does not exist cannot run: it says
    /// what is missing instead of doing nothing.
    pub(super) fn can_run(&self, action: &StepAction) -> Result<(), String> {
        let app = self.app.as_ref().ok_or("the app is not running")?;
        let driver = self.driver.as_ref().ok_or("the app is not running")?;
        let store = driver.device().store();
        let project = || -> Result<_, String> {
            store
                .project()
                .map_err(|e| e.to_string())?
                .ok_or_else(|| "the device has no project yet".to_string())
        };
        let on_device = |entity: &str, id: &str| -> Result<bool, String> {
            Ok(store
                .record(entity, id)
                .map_err(|e| e.to_string())?
                .is_some())
        };
        let entity_of = |name: &str| -> Result<crate::project::Entity, String> {
            let project = project()?;
            project.entity(name).cloned().ok_or_else(|| {
                let known: Vec<&str> = project.entities.iter().map(|e| e.name.as_str()).collect();
                format!(
                    "the project has no entity `{name}` (it has {})",
                    known.join(", ")
                )
            })
        };
        match action {
            StepAction::Open { entity, id }
            | StepAction::Delete {
                entity: Some(entity),
                id: Some(id),
            } => {
                entity_of(entity)?;
                if !on_device(entity, id)? {
                    return Err(format!("{entity} {id} is not on the device"));
                }
            }
            StepAction::Edit { field, .. } => {
                let Some(entity) = app.top_form().map(|f| f.entity.clone()) else {
                    return Err(format!("no form is open to type `{field}` into"));
                };
                if !entity_of(&entity)?.form_fields().any(|f| &f.name == field) {
                    return Err(format!("the {entity} form has no field `{field}`"));
                }
            }
            StepAction::Create { entity, id, fields } => {
                let e = entity_of(entity)?;
                if let Some(field) = fields.keys().find(|f| e.field(f).is_none()) {
                    return Err(format!("the {entity} entity has no field `{field}`"));
                }
                if let Some(required) = e.missing_required(fields) {
                    return Err(format!(
                        "a new {entity} needs `{}` ({}): it is required",
                        required.name, required.label
                    ));
                }
                if on_device(entity, id)? {
                    return Err(format!("{entity} {id} is on the device already"));
                }
            }
            StepAction::ServerEdit { entity, .. }
            | StepAction::ServerDelete { entity, .. }
            | StepAction::Delay { entity, .. }
            | StepAction::Resolve { entity, .. } => {
                entity_of(entity)?;
            }
            StepAction::Configure { on_conflict, .. } => {
                for entity in on_conflict.keys() {
                    entity_of(entity)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Ends the run: the final values, the auditor's findings, the requests and the end state;
    /// returns the journal after `journal_start` (what the timeline draws), read once for the
    /// auditor and the outcome both.
    pub(super) async fn finish(&mut self, journal_start: i64) -> Vec<JournalEntry> {
        self.settle().await;
        // Read through the control API: a fault armed on the user API is not used up here.
        let remote = self.control.clone();
        let store = Store::open(&self.profile).ok();
        let mut server_fields: BTreeMap<(String, String), crate::wire::Fields> = BTreeMap::new();
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort();
        touched.dedup();
        for key in &touched {
            let parts: Vec<&str> = key.split('/').collect();
            let (entity, id, field) = (parts[0], parts[1], parts[2]);
            let server = match server_fields.get(&(entity.to_string(), id.to_string())) {
                Some(f) => Some(f.clone()),
                None => remote
                    .record(entity, id)
                    .await
                    .ok()
                    .flatten()
                    .map(|r| r.fields),
            };
            if let Some(f) = &server {
                server_fields.insert((entity.to_string(), id.to_string()), f.clone());
            }
            let device = store
                .as_ref()
                .and_then(|s| s.record(entity, id).ok().flatten())
                .and_then(|r| r.fields.get(field).cloned());
            self.summary.final_values.insert(
                key.clone(),
                (device, server.and_then(|f| f.get(field).cloned())),
            );
        }
        let journal = store
            .as_ref()
            .and_then(|s| crate::auditor::read_journal(s).ok())
            .unwrap_or_default();
        if let Some(store) = &store {
            let lost = crate::auditor::audit_journal(store, &journal, |e, i| {
                server_fields.get(&(e.to_string(), i.to_string())).cloned()
            })
            .unwrap_or_default();
            self.summary.lost_edits = lost.len();
            self.summary.end.lost_by_cause = crate::scenario::measure::by_cause(&lost);
            for l in lost {
                self.say(
                    "auditor",
                    format!(
                        "LOST {} {} {} = \"{}\" ({:?}): {}",
                        l.entity, l.id, l.field, l.value, l.cause, l.detail
                    ),
                );
            }
        }
        drop(store);
        // The run's requests, before measuring the end reads the server itself.
        self.requests = crate::scenario::measure::device_requests(&self.control).await;
        let _ = self.control.clear_faults().await;
        let lost_by_cause = std::mem::take(&mut self.summary.end.lost_by_cause);
        self.summary.end = crate::scenario::measure::EndState {
            lost_by_cause,
            ..crate::scenario::measure::end_state(&self.profile, self.server.url()).await
        };
        self.app = None;
        if let Some(driver) = self.driver.take() {
            driver.shutdown();
        }
        journal
            .into_iter()
            .filter(|e| e.seq > journal_start)
            .collect()
    }
}
