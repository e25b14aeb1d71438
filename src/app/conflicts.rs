//! Sync Errors: each conflict with device and server values side by side, the actions (retry
//! with mine, take server version, merge field by field, ignore) and the "what if" view of
//! every On Conflict strategy.

use std::collections::BTreeMap;

use super::App;
use super::effect::Effect;
use super::state::*;
use crate::rules;
use crate::settings::ConflictStrategy;
use crate::store::{Conflict, ConflictKind, UserResolution};
use crate::wire::Fields;

/// One field of a conflict, device and server side by side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRow {
    pub field: String,
    pub label: String,
    pub device: Option<String>,
    /// `None` when the server deleted the record.
    pub server: Option<String>,
    /// The device changed this field since the last sync.
    pub changed_on_device: bool,
    /// Device and server values differ.
    pub differs: bool,
    /// Merge mode: the side picked (conflicting fields only).
    pub pick: Option<Side>,
}

/// What one On Conflict strategy would leave for this record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatIfRow {
    pub strategy: ConflictStrategy,
    /// The resulting record; `None` when the strategy leaves no record to show.
    pub result: Option<Fields>,
    /// In words.
    pub note: String,
}

impl App {
    pub fn conflict(&self, conflict_id: i64) -> Option<&Conflict> {
        self.conflicts.iter().find(|c| c.id == conflict_id)
    }

    /// The fields of a conflict in the form's order, then any others.
    pub fn conflict_rows(&self, conflict_id: i64) -> Vec<ConflictRow> {
        let Some(conflict) = self.conflict(conflict_id) else {
            return Vec::new();
        };
        let merge = match self.stack.last() {
            Some(Screen::Conflict(c)) if c.conflict_id == conflict_id => c.merge(),
            _ => None,
        };
        let entity = self
            .project
            .as_ref()
            .and_then(|p| p.entity(&conflict.entity));
        let server = conflict.server.as_ref().map(|s| &s.fields);
        let mut names: Vec<(String, String)> = entity
            .map(|e| {
                e.form_fields()
                    .map(|f| (f.name.clone(), f.label.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let extra: Vec<String> = conflict
            .device_record
            .keys()
            .chain(server.into_iter().flat_map(|s| s.keys()))
            .filter(|k| !names.iter().any(|(n, _)| n == *k))
            .cloned()
            .collect();
        for name in extra {
            if !names.iter().any(|(n, _)| *n == name) {
                names.push((name.clone(), name));
            }
        }
        names
            .into_iter()
            .map(|(field, label)| {
                let device = conflict.device_record.get(&field).cloned();
                let server_value = server.and_then(|s| s.get(&field).cloned());
                ConflictRow {
                    differs: server.is_none() || device != server_value,
                    changed_on_device: conflict.device_changes.contains_key(&field),
                    pick: merge.and_then(|m| m.get(&field).copied()),
                    device,
                    server: server_value,
                    label,
                    field,
                }
            })
            .collect()
    }

    /// What each On Conflict strategy would produce for this conflict.
    pub fn what_if_rows(&self, conflict_id: i64) -> Vec<WhatIfRow> {
        let Some(conflict) = self.conflict(conflict_id) else {
            return Vec::new();
        };
        let server = conflict.server.as_ref().map(|s| &s.fields);
        if conflict.kind == ConflictKind::DeletedOnDevice {
            return ConflictStrategy::ALL
                .into_iter()
                .map(|strategy| WhatIfRow {
                    strategy,
                    result: rules::what_if_delete(strategy, server),
                    note: format!("{strategy}: {}", rules::resolve_delete_conflict(strategy)),
                })
                .collect();
        }
        ConflictStrategy::ALL
            .into_iter()
            .map(|strategy| {
                let resolution = rules::resolve_conflict(
                    strategy,
                    &conflict.device_changes,
                    &conflict.device_record,
                    server.is_none(),
                );
                let result = rules::what_if(
                    strategy,
                    &conflict.device_changes,
                    &conflict.device_record,
                    server,
                );
                let note = match (&result, strategy) {
                    (None, ConflictStrategy::Manual) => {
                        format!("{strategy}: stays under Sync Errors until you resolve it")
                    }
                    (None, _) => format!("{strategy}: {resolution}"),
                    (Some(_), _) => resolution.to_string(),
                };
                WhatIfRow {
                    strategy,
                    result,
                    note,
                }
            })
            .collect()
    }

    pub(super) fn open_conflict(&mut self, conflict_id: i64) {
        if self.conflict(conflict_id).is_none() {
            self.warn(format!("Sync error {conflict_id} is not unresolved"));
            return;
        }
        self.push(Screen::Conflict(ConflictState {
            conflict_id,
            selected: 0,
            view: ConflictView::Table,
        }));
    }

    pub(super) fn resolve(&mut self, conflict_id: i64, resolution: &UserResolution) {
        self.emit(Effect::Resolve {
            conflict_id,
            resolution: resolution.clone(),
        });
    }

    pub(super) fn resolved(&mut self, resolution: &UserResolution, outcome: Result<(), String>) {
        let what = match resolution {
            UserResolution::RetryWithMine => {
                "Clear Error & Retry: your values upload with the next sync"
            }
            UserResolution::TakeServer => {
                "Take Server Version: the server's values are on the device"
            }
            UserResolution::Merge(_) => "Merge: the chosen values upload with the next sync",
            UserResolution::Ignore => {
                "Clear Error & Ignore: the device keeps its values; they are not uploaded"
            }
        };
        match outcome {
            Ok(()) => self.success(what),
            Err(e) => self.error(e),
        }
        self.refresh_conflicts();
        self.refresh_checklist();
        self.after_local_change();
    }

    pub(super) fn toggle_merge(&mut self) {
        let Some(Screen::Conflict(state)) = self.stack.last() else {
            self.warn("Merge works on a sync error");
            return;
        };
        let id = state.conflict_id;
        let picks = self.conflict(id).map(|c| {
            c.device_changes
                .keys()
                .map(|k| (k.clone(), Side::Device))
                .collect::<BTreeMap<_, _>>()
        });
        if let Some(Screen::Conflict(state)) = self.stack.last_mut() {
            state.view = match (&state.view, picks) {
                (ConflictView::Table | ConflictView::WhatIf, Some(picks)) => {
                    ConflictView::Merge(picks)
                }
                _ => ConflictView::Table,
            };
        }
        if matches!(self.stack.last(), Some(Screen::Conflict(c)) if c.merge().is_some()) {
            self.info(
                "Merge: pick device or server for each conflicting field (Enter), then s to apply",
            );
        }
    }

    /// Merge mode: the selected conflicting field switches sides.
    pub(super) fn toggle_merge_pick(&mut self) {
        let Some(Screen::Conflict(state)) = self.stack.last() else {
            return;
        };
        let rows = self.conflict_rows(state.conflict_id);
        let Some(row) = rows.get(state.selected) else {
            return;
        };
        let field = row.field.clone();
        if let Some(Screen::Conflict(state)) = self.stack.last_mut()
            && let ConflictView::Merge(merge) = &mut state.view
        {
            match merge.get_mut(&field) {
                Some(side) => {
                    *side = match side {
                        Side::Device => Side::Server,
                        Side::Server => Side::Device,
                    }
                }
                None => {
                    self.message = Some(Message {
                        level: Level::Info,
                        text: format!("{field} is not in conflict: it keeps the server's value"),
                        answers: Answers::Action,
                    })
                }
            }
        }
    }

    pub(super) fn apply_merge(&mut self) {
        let Some(Screen::Conflict(state)) = self.stack.last() else {
            return;
        };
        let (id, merge) = (
            state.conflict_id,
            state.merge().cloned().unwrap_or_default(),
        );
        let Some(conflict) = self.conflict(id) else {
            return;
        };
        let chosen: Fields = merge
            .iter()
            .filter_map(|(field, side)| {
                let value = match side {
                    Side::Device => conflict.device_record.get(field),
                    Side::Server => conflict.server.as_ref().and_then(|s| s.fields.get(field)),
                };
                value.map(|v| (field.clone(), v.clone()))
            })
            .collect();
        self.resolve(id, &UserResolution::Merge(chosen));
    }

    pub(super) fn toggle_what_if(&mut self) {
        if let Some(Screen::Conflict(state)) = self.stack.last_mut() {
            state.view = match state.view {
                ConflictView::WhatIf => ConflictView::Table,
                _ => ConflictView::WhatIf,
            };
            self.message = None;
        } else {
            self.warn("What if works on a sync error");
        }
    }
}
