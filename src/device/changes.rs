//! New and Delete on the device: through the same save gate as Save (Block save refuses them in
//! entity phases, No action lets them run concurrently, Rebase re-applies them), written with
//! their outbox row and journal in one transaction, each a data change for On Change.

use super::{Device, DeviceError, SaveOutcome};
use crate::rules::{self, SaveDecision, SaveRefusal, UploadsWith};
use crate::store::{JournalData, JournalEntry, JournalKind, RecordChange, StoreError};
use crate::wire::Fields;

/// The save gate's answer for one change, refusals journaled already.
pub(super) enum Gate {
    Refused(SaveRefusal),
    Open {
        decision: SaveDecision,
        uploads: UploadsWith,
    },
}

impl Device {
    /// Asks the save gate about `change` of `entity` `id` made by `path` (a save path, `create`
    /// or `delete`); a refusal is journaled here, the change and the decision as its data.
    pub(super) fn gate(
        &mut self,
        entity: &str,
        id: &str,
        change: RecordChange,
        path: &str,
    ) -> Result<Gate, DeviceError> {
        let behavior = self.effective()?.background_sync_behavior;
        let status = self.engine.status();
        let decision = rules::save_gate(behavior, status.activity);
        let uploads = rules::uploads_with(status.activity, status.upload_snapshot());
        let SaveDecision::Refuse { reason } = decision else {
            return Ok(Gate::Open { decision, uploads });
        };
        let entry = JournalEntry::event(
            self.now(),
            JournalKind::Save,
            &self.actor(),
            format!("{path}: save refused: {reason}"),
        )
        .with_data(JournalData::Save {
            decision,
            waited_ms: None,
            change: Some(change),
        })
        .about(entity, id);
        self.journal(entry);
        Ok(Gate::Refused(reason))
    }

    /// A new record with a client-generated id (a UUID v4), through the same gate. The entity's
    /// required field must have a value (see [`crate::project::Entity::missing_required`]).
    pub fn create(
        &mut self,
        entity: &str,
        values: &Fields,
    ) -> Result<(String, SaveOutcome), DeviceError> {
        self.create_with_id(entity, &uuid::Uuid::new_v4().to_string(), values)
    }

    /// [`Device::create`] with the id given (a scenario names its records).
    pub fn create_with_id(
        &mut self,
        entity: &str,
        id: &str,
        values: &Fields,
    ) -> Result<(String, SaveOutcome), DeviceError> {
        let project = self.store.project()?;
        let Some(definition) = project.as_ref().and_then(|p| p.entity(entity)) else {
            return Err(StoreError::Invalid(format!("no entity `{entity}` in the project")).into());
        };
        if let Some(field) = definition.missing_required(values) {
            return Err(StoreError::Invalid(format!(
                "{} is required: a new {entity} needs a value for it",
                field.label
            ))
            .into());
        }
        let (decision, uploads) = match self.gate(entity, id, RecordChange::Create, "create")? {
            Gate::Refused(reason) => return Ok((id.to_string(), SaveOutcome::Refused(reason))),
            Gate::Open { decision, uploads } => (decision, uploads),
        };
        let actor = self.actor();
        let report = self
            .store
            .create_record(entity, id, values, &actor, self.now())?;
        self.after_save(
            entity,
            id,
            decision,
            &report,
            RecordChange::Create,
            "create",
        );
        Ok((
            id.to_string(),
            SaveOutcome::Saved {
                decision,
                report,
                uploads,
            },
        ))
    }

    /// Deletes a record through the same gate: it leaves the device at once and the next sync
    /// sends `DELETE` with `If-Match` (nothing, for a record created here and never sent).
    pub fn delete(&mut self, entity: &str, id: &str) -> Result<SaveOutcome, DeviceError> {
        if self.store.record(entity, id)?.is_none() {
            return Err(StoreError::Invalid(format!("{entity} {id} is not on this device")).into());
        }
        let (decision, uploads) = match self.gate(entity, id, RecordChange::Delete, "delete")? {
            Gate::Refused(reason) => return Ok(SaveOutcome::Refused(reason)),
            Gate::Open { decision, uploads } => (decision, uploads),
        };
        let actor = self.actor();
        let report = self.store.delete_record(entity, id, &actor, self.now())?;
        self.after_save(
            entity,
            id,
            decision,
            &report,
            RecordChange::Delete,
            "delete",
        );
        Ok(SaveOutcome::Saved {
            decision,
            report,
            uploads,
        })
    }
}
