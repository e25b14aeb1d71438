//! The custom command under a UI transaction — "custom code invoked from a custom button click
//! is modifying and saving related records" — and tryEnterUiTransaction / leaveUiTransaction
//! pressed by hand.

use super::App;
use super::effect::{By, Effect, SaveBy};
use super::state::*;
use crate::device::SaveOutcome;
use crate::rules::{LeaveOutcome, UiTransactionRefused};
use crate::wire::Fields;

impl App {
    pub(super) fn run_custom_command(&mut self) -> Vec<Effect> {
        let Some((entity, id)) = self.top_form().map(|f| (f.entity.clone(), f.id.clone())) else {
            self.warn("The custom command runs from a form");
            return Vec::new();
        };
        if self.custom.is_some() {
            self.warn("The custom command is already running");
            return Vec::new();
        }
        self.emit(Effect::LoadRelated { entity, id });
        Vec::new()
    }

    /// The records the custom command edits, as read: it enters a UI transaction for them.
    pub(super) fn related_loaded(
        &mut self,
        entity: String,
        id: String,
        targets: Vec<(String, String)>,
    ) {
        if targets.is_empty() {
            self.warn("This record has no related contacts for the custom command to update");
            return;
        }
        self.custom_log.clear();
        self.next_run += 1;
        self.custom = Some(CustomRun {
            run: self.next_run,
            entity,
            id,
            targets,
            next: 0,
        });
        self.emit(Effect::EnterUiTransaction(By::Custom));
    }

    /// `tryEnterUiTransaction` answered for the custom command: it runs, or it does not.
    pub(super) fn custom_entered(
        &mut self,
        result: Result<u32, UiTransactionRefused>,
    ) -> Vec<Effect> {
        let Some(current) = self.custom.clone() else {
            return Vec::new();
        };
        match result {
            Err(refused) => {
                self.custom = None;
                let text = format!("tryEnterUiTransaction → false: {}", refused.reason());
                self.custom_log.push(text.clone());
                self.error(format!("Custom command not run: {text}"));
                self.refresh_journal();
                Vec::new()
            }
            Ok(held) => {
                self.custom_log.push(format!("tryEnterUiTransaction → true (held: {held}); updating {} related record(s), one per second", current.targets.len()));
                self.info("Custom command running under a UI transaction: the sync waits before its entity phases");
                self.custom_step(current.run)
            }
        }
    }

    /// One record of the custom command; after the last, it leaves the UI transaction.
    pub(super) fn custom_step(&mut self, run: u64) -> Vec<Effect> {
        let Some(current) = self.custom.clone().filter(|c| c.run == run) else {
            return Vec::new();
        };
        match current.targets.get(current.next) {
            Some((entity, id)) => {
                let stamp = self.clock.now().format("%H:%M:%S");
                let values: Fields = [(
                    "job_title".to_string(),
                    format!("Key contact (reviewed {stamp})"),
                )]
                .into();
                self.emit(Effect::Save {
                    entity: entity.clone(),
                    id: id.clone(),
                    values,
                    by: SaveBy::Custom { run },
                });
            }
            None => self.custom_done(),
        }
        Vec::new()
    }

    /// A custom command's save answered: its line, then the next record after its second.
    pub(super) fn custom_saved(
        &mut self,
        run: u64,
        entity: &str,
        id: &str,
        outcome: Result<SaveOutcome, String>,
    ) -> Vec<Effect> {
        let line = match outcome {
            Ok(SaveOutcome::Saved { decision, .. }) => format!("{entity} {id}: {decision}"),
            Ok(SaveOutcome::Refused(reason)) => format!("{entity} {id}: save refused: {reason}"),
            Ok(SaveOutcome::Unchanged) => format!("{entity} {id}: unchanged"),
            Err(e) => format!("{entity} {id}: {e}"),
        };
        self.custom_log.push(line);
        self.after_local_change();
        let Some(current) = self.custom.as_mut().filter(|c| c.run == run) else {
            return Vec::new();
        };
        current.next += 1;
        if current.next < current.targets.len() {
            return vec![Effect::CustomStep {
                run,
                after_ms: self.custom_step.as_millis() as u64,
            }];
        }
        self.custom_done();
        Vec::new()
    }

    fn custom_done(&mut self) {
        self.custom = None;
        self.emit(Effect::LeaveUiTransaction(By::Custom));
    }

    pub(super) fn custom_left(&mut self, outcome: LeaveOutcome) {
        let text = match outcome {
            LeaveOutcome::Released { still_held } => {
                format!("leaveUiTransaction (still held: {still_held})")
            }
            LeaveOutcome::NoneHeld => {
                "leaveUiTransaction with none held (the form closed and released it)".to_string()
            }
        };
        self.custom_log.push(text);
        self.success("Custom command done: the UI transaction is released");
        self.refresh_journal();
    }

    pub(super) fn enter_ui_transaction(&mut self) {
        self.emit(Effect::EnterUiTransaction(By::Hand));
    }

    pub(super) fn entered_by_hand(&mut self, result: Result<u32, UiTransactionRefused>) {
        match result {
            Ok(held) => self.success(format!("tryEnterUiTransaction → true (held: {held})")),
            Err(refused) => self.error(format!(
                "tryEnterUiTransaction → false: {}",
                refused.reason()
            )),
        }
        self.refresh_journal();
    }

    pub(super) fn leave_ui_transaction(&mut self) {
        self.emit(Effect::LeaveUiTransaction(By::Hand));
    }

    pub(super) fn left_by_hand(&mut self, outcome: LeaveOutcome) {
        match outcome {
            LeaveOutcome::Released { still_held } => {
                self.info(format!("leaveUiTransaction (still held: {still_held})"))
            }
            LeaveOutcome::NoneHeld => self.info("leaveUiTransaction with none held (harmless)"),
        }
        self.refresh_journal();
    }
}
