//! The custom command under a UI transaction — "custom code invoked from a custom button click
//! is modifying and saving related records" — and tryEnterUiTransaction / leaveUiTransaction
//! pressed by hand.

use super::App;
use super::effect::Effect;
use super::state::*;
use crate::device::SaveOutcome;
use crate::wire::Fields;

impl App {
    /// The records the custom command edits: an account's contacts; for a contact, the other
    /// contacts of its account.
    fn related_records(&self, entity: &str, id: &str) -> Vec<(String, String)> {
        let store = self.client.store();
        let account = match entity {
            "account" => Some(id.to_string()),
            "contact" => store
                .record("contact", id)
                .ok()
                .flatten()
                .and_then(|r| r.fields.get("account_id").cloned()),
            _ => None,
        };
        let Some(account) = account else {
            return Vec::new();
        };
        store
            .list("contact", "account_id", &account, 50, 0)
            .unwrap_or_default()
            .into_iter()
            .filter(|r| {
                r.fields.get("account_id") == Some(&account) && !(entity == "contact" && r.id == id)
            })
            .map(|r| ("contact".to_string(), r.id))
            .collect()
    }

    pub(super) fn run_custom_command(&mut self) -> Vec<Effect> {
        let Some((entity, id)) = self.top_form().map(|f| (f.entity.clone(), f.id.clone())) else {
            self.warn("The custom command runs from a form");
            return Vec::new();
        };
        if self.custom.is_some() {
            self.warn("The custom command is already running");
            return Vec::new();
        }
        let targets = self.related_records(&entity, &id);
        if targets.is_empty() {
            self.warn("This record has no related contacts for the custom command to update");
            return Vec::new();
        }
        self.custom_log.clear();
        match self.client.try_enter_ui_transaction() {
            Err(refused) => {
                let text = format!("tryEnterUiTransaction → false: {}", refused.reason());
                self.custom_log.push(text.clone());
                self.error(format!("Custom command not run: {text}"));
                self.refresh_journal();
                Vec::new()
            }
            Ok(held) => {
                self.custom_log.push(format!("tryEnterUiTransaction → true (held: {held}); updating {} related record(s), one per second", targets.len()));
                self.next_run += 1;
                let run = self.next_run;
                self.custom = Some(CustomRun {
                    run,
                    entity,
                    id,
                    targets,
                    next: 0,
                });
                self.info("Custom command running under a UI transaction: the sync waits before its entity phases");
                self.custom_step(run)
            }
        }
    }

    /// One record of the custom command; the last step leaves the UI transaction.
    pub(super) fn custom_step(&mut self, run: u64) -> Vec<Effect> {
        let Some(current) = self.custom.clone().filter(|c| c.run == run) else {
            return Vec::new();
        };
        if let Some((entity, id)) = current.targets.get(current.next) {
            let stamp = self.clock.now().format("%H:%M:%S");
            let values: Fields = [(
                "job_title".to_string(),
                format!("Key contact (reviewed {stamp})"),
            )]
            .into();
            let line = match self
                .client
                .save(entity, id, &values, "custom command (JSBridge)")
            {
                Ok(SaveOutcome::Saved { decision, .. }) => format!("{entity} {id}: {decision}"),
                Ok(SaveOutcome::Refused(reason)) => {
                    format!("{entity} {id}: save refused: {reason}")
                }
                Ok(SaveOutcome::Unchanged) => format!("{entity} {id}: unchanged"),
                Err(e) => format!("{entity} {id}: {e}"),
            };
            self.custom_log.push(line);
            self.after_local_change();
            let next = current.next + 1;
            if let Some(c) = &mut self.custom {
                c.next = next;
            }
            if next < current.targets.len() {
                return vec![Effect::CustomStep {
                    run,
                    after_ms: self.custom_step.as_millis() as u64,
                }];
            }
        }
        self.custom = None;
        let outcome = self.client.leave_ui_transaction();
        let text = match outcome {
            crate::rules::LeaveOutcome::Released { still_held } => {
                format!("leaveUiTransaction (still held: {still_held})")
            }
            crate::rules::LeaveOutcome::NoneHeld => {
                "leaveUiTransaction with none held (the form closed and released it)".to_string()
            }
        };
        self.custom_log.push(text);
        self.success("Custom command done: the UI transaction is released");
        self.refresh_journal();
        Vec::new()
    }

    pub(super) fn enter_ui_transaction(&mut self) {
        match self.client.try_enter_ui_transaction() {
            Ok(held) => self.success(format!("tryEnterUiTransaction → true (held: {held})")),
            Err(refused) => self.error(format!(
                "tryEnterUiTransaction → false: {}",
                refused.reason()
            )),
        }
        self.refresh_journal();
    }

    pub(super) fn leave_ui_transaction(&mut self) {
        match self.client.leave_ui_transaction() {
            crate::rules::LeaveOutcome::Released { still_held } => {
                self.info(format!("leaveUiTransaction (still held: {still_held})"))
            }
            crate::rules::LeaveOutcome::NoneHeld => {
                self.info("leaveUiTransaction with none held (harmless)")
            }
        }
        self.refresh_journal();
    }
}
