//! The append-only journal: every user edit (who, entity, id, field, old, new, when) and every
//! sync event. The auditor and the log screen read it; nothing ever updates or deletes a row.

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};

use super::deletes::DELETED;
use super::{Result, Store, from_json, to_json};

mod data;

pub use data::{
    Acknowledged, JournalData, ModeSwitchStep, OnlineSaveOutcome, ProjectStep, ReconcileStep,
    RecordChange, Resolved, ServerStep, SettingOutcome, UiTransactionCall, UserChoice,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalKind {
    /// A field the user saved.
    Edit,
    /// A field value the server acknowledged from this device.
    Uploaded,
    /// A user's edit written over by the sync (No action): a lost edit.
    Overwritten,
    /// A device value discarded by the Server Wins strategy.
    ServerWins,
    /// A conflict kept for the user (Manual) or resolved by a strategy or by the user.
    Conflict,
    /// A save the rules refused, or one that had to wait for the sync.
    Save,
    /// Sync lifecycle: triggered, skipped, phases, finished, failed.
    Sync,
    /// tryEnterUiTransaction / leaveUiTransaction.
    UiTransaction,
    /// Settings, network, mode switches, project updates.
    App,
}

impl JournalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JournalKind::Edit => "edit",
            JournalKind::Uploaded => "uploaded",
            JournalKind::Overwritten => "overwritten",
            JournalKind::ServerWins => "server_wins",
            JournalKind::Conflict => "conflict",
            JournalKind::Save => "save",
            JournalKind::Sync => "sync",
            JournalKind::UiTransaction => "ui_transaction",
            JournalKind::App => "app",
        }
    }

    fn parse(s: &str) -> JournalKind {
        match s {
            "edit" => JournalKind::Edit,
            "uploaded" => JournalKind::Uploaded,
            "overwritten" => JournalKind::Overwritten,
            "server_wins" => JournalKind::ServerWins,
            "conflict" => JournalKind::Conflict,
            "save" => JournalKind::Save,
            "sync" => JournalKind::Sync,
            "ui_transaction" => JournalKind::UiTransaction,
            _ => JournalKind::App,
        }
    }
}

/// The words of the edit rows of a record created on the device, one per field.
pub const CREATED: &str = "created";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub kind: JournalKind,
    pub actor: String,
    pub entity: Option<String>,
    pub record_id: Option<String>,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub detail: String,
    /// What the row stands for, typed; every row written today has it, `None` only in rows
    /// written before the journal (or the row's variant) had it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<JournalData>,
}

impl JournalEntry {
    /// For a user's edit row: which change it made (`None` for other rows, and for an old row
    /// of a field edit, which said nothing).
    pub fn record_change(&self) -> Option<RecordChange> {
        if self.kind != JournalKind::Edit {
            return None;
        }
        match self.data {
            Some(JournalData::Record(change)) => Some(change),
            Some(_) => None,
            // Rows written before edit rows carried data: the store's words for them.
            None => match self.detail.as_str() {
                CREATED => Some(RecordChange::Create),
                DELETED if self.field.is_none() => Some(RecordChange::Delete),
                _ => None,
            },
        }
    }

    /// This entry with its typed data.
    pub fn with_data(self, data: JournalData) -> Self {
        JournalEntry {
            data: Some(data),
            ..self
        }
    }

    /// This entry about one record (not one of its fields).
    pub fn about(self, entity: &str, id: &str) -> Self {
        JournalEntry {
            entity: Some(entity.to_string()),
            record_id: Some(id.to_string()),
            ..self
        }
    }

    /// An event not tied to a record field.
    pub fn event(
        at: DateTime<Utc>,
        kind: JournalKind,
        actor: &str,
        detail: impl Into<String>,
    ) -> Self {
        JournalEntry {
            seq: 0,
            at,
            kind,
            actor: actor.to_string(),
            entity: None,
            record_id: None,
            field: None,
            old: None,
            new: None,
            detail: detail.into(),
            data: None,
        }
    }

    /// An event about one field of one record.
    #[allow(clippy::too_many_arguments)]
    pub fn field(
        at: DateTime<Utc>,
        kind: JournalKind,
        actor: &str,
        entity: &str,
        id: &str,
        field: &str,
        old: Option<&str>,
        new: Option<&str>,
        detail: impl Into<String>,
    ) -> Self {
        JournalEntry {
            seq: 0,
            at,
            kind,
            actor: actor.to_string(),
            entity: Some(entity.to_string()),
            record_id: Some(id.to_string()),
            field: Some(field.to_string()),
            old: old.map(str::to_string),
            new: new.map(str::to_string),
            detail: detail.into(),
            data: None,
        }
    }

    /// The `Edit` row of one field of the user's own change (an edit or a create), with the
    /// change typed; `detail` is the words it has always had (rows from before typed data are
    /// read back by them, see [`Self::record_change`]).
    #[allow(clippy::too_many_arguments)]
    pub fn user_field(
        change: RecordChange,
        at: DateTime<Utc>,
        actor: &str,
        entity: &str,
        id: &str,
        field: &str,
        old: Option<&str>,
        new: &str,
        detail: &str,
    ) -> Self {
        JournalEntry::field(
            at,
            JournalKind::Edit,
            actor,
            entity,
            id,
            field,
            old,
            Some(new),
            detail,
        )
        .with_data(JournalData::Record(change))
    }
}

pub(crate) fn insert(tx: &Transaction, e: &JournalEntry) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO journal (at, kind, actor, entity, record_id, field, old, new, detail, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![e.at.to_rfc3339(), e.kind.as_str(), e.actor, e.entity, e.record_id, e.field, e.old, e.new, e.detail, e.data.as_ref().map(to_json)])?;
    Ok(())
}

impl Store {
    pub fn append_journal(&mut self, entries: &[JournalEntry]) -> Result<()> {
        self.write(|tx| entries.iter().try_for_each(|e| insert(tx, e)))
    }

    /// Entries after `after_seq`, oldest first, at most `limit`.
    pub fn journal(&self, after_seq: i64, limit: usize) -> Result<Vec<JournalEntry>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT seq, at, kind, actor, entity, record_id, field, old, new, detail, data FROM journal WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![after_seq, limit as i64], |r| {
                let at: String = r.get(1)?;
                let kind: String = r.get(2)?;
                Ok(JournalEntry {
                    seq: r.get(0)?,
                    at: DateTime::parse_from_rfc3339(&at)
                        .map(|d| d.to_utc())
                        .unwrap_or_default(),
                    kind: JournalKind::parse(&kind),
                    actor: r.get(3)?,
                    entity: r.get(4)?,
                    record_id: r.get(5)?,
                    field: r.get(6)?,
                    old: r.get(7)?,
                    new: r.get(8)?,
                    detail: r.get(9)?,
                    data: r
                        .get::<_, Option<String>>(10)?
                        .map(|d| from_json(&d))
                        .transpose()?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{
        ApplyGate, ConflictResolution, Decision, DeleteConflict, ModeSwitch, Network,
        OnStartDecision, Phase, SaveDecision, SyncMode, Trigger, UpdateAction,
    };
    use crate::settings::SyncBeforeSwitch;

    #[test]
    fn a_rows_typed_data_reads_back_as_written_and_a_row_without_reads_none() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("device.db")).unwrap();
        let decision = Decision::OnStart(OnStartDecision::Start {
            mode: SyncMode::Background,
            trigger: Trigger::OnStart,
        });
        let at = chrono::DateTime::UNIX_EPOCH;
        let typed = JournalEntry::event(at, JournalKind::Sync, "sync", decision.to_string())
            .with_data(JournalData::Decision(decision));
        let words = JournalEntry::event(at, JournalKind::App, "sync", "network connected");
        store
            .append_journal(&[typed.clone(), words.clone()])
            .unwrap();
        let read = store.journal(0, 10).unwrap();
        assert_eq!(read[0].data, typed.data);
        assert_eq!(read[0].detail, "on-start sync started (background)");
        assert_eq!(read[1].data, None);
    }

    #[test]
    fn new_data_is_written_in_the_shapes_docs_scenarios_md_documents_and_old_saves_still_read() {
        let json = |d: JournalData| serde_json::to_string(&d).unwrap();
        assert_eq!(
            json(JournalData::SyncRunning {
                trigger: Trigger::Manual,
                mode: SyncMode::Background
            }),
            r#"{"sync_running":{"trigger":"Manual","mode":"Background"}}"#
        );
        assert_eq!(
            json(JournalData::WaitsForUi {
                before: Phase::Upload,
                held: 1
            }),
            r#"{"waits_for_ui":{"before":"Upload","held":1}}"#
        );
        assert_eq!(
            json(JournalData::Server(ServerStep::Published)),
            r#"{"server":"published"}"#
        );
        assert_eq!(
            json(JournalData::Server(ServerStep::Delay {
                entity: "account".into(),
                ms: 2000
            })),
            r#"{"server":{"delay":{"entity":"account","ms":2000}}}"#
        );
        assert_eq!(
            json(JournalData::Record(RecordChange::Edit)),
            r#"{"record":"edit"}"#
        );
        assert_eq!(
            json(JournalData::Acknowledged(Acknowledged::Value {
                etag: "e2".into()
            })),
            r#"{"acknowledged":{"value":{"etag":"e2"}}}"#
        );
        assert_eq!(
            json(JournalData::Acknowledged(Acknowledged::Delete {
                status: 204
            })),
            r#"{"acknowledged":{"delete":{"status":204}}}"#
        );
        assert_eq!(
            json(JournalData::Acknowledged(Acknowledged::DeletedOnBothSides)),
            r#"{"acknowledged":"deleted_on_both_sides"}"#
        );
        assert_eq!(
            json(JournalData::Lost {
                change: RecordChange::Edit,
                server_deleted: false
            }),
            r#"{"lost":{"change":"edit","server_deleted":false}}"#
        );
        let discarded = [("city".to_string(), "Mine".to_string())].into();
        assert_eq!(
            json(JournalData::Resolved(Resolved::Strategy(
                ConflictResolution::TakeServer { discarded }
            ))),
            r#"{"resolved":{"strategy":{"TakeServer":{"discarded":{"city":"Mine"}}}}}"#
        );
        assert_eq!(
            json(JournalData::Resolved(Resolved::DeleteStrategy(
                DeleteConflict::RestoreServer
            ))),
            r#"{"resolved":{"delete_strategy":"RestoreServer"}}"#
        );
        assert_eq!(
            json(JournalData::Resolved(Resolved::User(
                UserChoice::RetryWithMine
            ))),
            r#"{"resolved":{"user":"retry_with_mine"}}"#
        );
        assert_eq!(
            json(JournalData::UploadRefused { status: 400 }),
            r#"{"upload_refused":{"status":400}}"#
        );
        assert_eq!(
            json(JournalData::Retrying {
                attempt: 2,
                of: 4,
                wait_ms: 500
            }),
            r#"{"retrying":{"attempt":2,"of":4,"wait_ms":500}}"#
        );
        assert_eq!(
            json(JournalData::Reconcile(ReconcileStep::Restarted {
                entity: "account".into()
            })),
            r#"{"reconcile":{"restarted":{"entity":"account"}}}"#
        );
        assert_eq!(
            json(JournalData::Reconcile(ReconcileStep::Removed {
                entity: "account".into(),
                removed: 1
            })),
            r#"{"reconcile":{"removed":{"entity":"account","removed":1}}}"#
        );
        assert_eq!(
            json(JournalData::Project(ProjectStep::Found {
                version: 2,
                action: UpdateAction::FlagUpdateAvailable
            })),
            r#"{"project":{"found":{"version":2,"action":"FlagUpdateAvailable"}}}"#
        );
        assert_eq!(
            json(JournalData::Project(ProjectStep::Applied { version: 2 })),
            r#"{"project":{"applied":{"version":2}}}"#
        );
        assert_eq!(
            json(JournalData::Project(ProjectStep::ContinuesIn {
                version: 2,
                mode: SyncMode::Background
            })),
            r#"{"project":{"continues_in":{"version":2,"mode":"Background"}}}"#
        );
        assert_eq!(
            json(JournalData::Project(ProjectStep::NotApplied {
                version: 2,
                gate: ApplyGate::UploadFirst { pending: 1 }
            })),
            r#"{"project":{"not_applied":{"version":2,"gate":{"UploadFirst":{"pending":1}}}}}"#
        );
        assert_eq!(
            json(JournalData::Project(ProjectStep::DefaultsAdopted {
                version: 1
            })),
            r#"{"project":{"defaults_adopted":{"version":1}}}"#
        );
        assert_eq!(
            json(JournalData::Network(Network::Connected)),
            r#"{"network":"Connected"}"#
        );
        assert_eq!(
            json(JournalData::ModeSwitch(ModeSwitchStep::Requested {
                direction: ModeSwitch::GoOnline,
                setting: SyncBeforeSwitch::NoAction
            })),
            r#"{"mode_switch":{"requested":{"direction":"GoOnline","setting":"NoAction"}}}"#
        );
        assert_eq!(
            json(JournalData::ModeSwitch(ModeSwitchStep::Switched {
                direction: ModeSwitch::GoOffline
            })),
            r#"{"mode_switch":{"switched":{"direction":"GoOffline"}}}"#
        );
        assert_eq!(
            json(JournalData::OnlineSave(OnlineSaveOutcome::Saved {
                etag: "e3".into()
            })),
            r#"{"online_save":{"saved":{"etag":"e3"}}}"#
        );
        assert_eq!(
            json(JournalData::OnlineSave(OnlineSaveOutcome::Failed)),
            r#"{"online_save":"failed"}"#
        );
        let save = JournalData::Save {
            decision: SaveDecision::Allow,
            waited_ms: Some(12),
            change: Some(RecordChange::Create),
        };
        assert!(json(save).ends_with(r#""waited_ms":12,"change":"create"}}"#));
        // A save row written before saves said which change they made.
        let old: JournalData = serde_json::from_str(r#"{"save":{"decision":"Allow"}}"#).unwrap();
        assert_eq!(
            old,
            JournalData::Save {
                decision: SaveDecision::Allow,
                waited_ms: None,
                change: None
            }
        );
    }

    #[test]
    fn an_edit_rows_create_or_delete_is_read_by_its_data_and_old_rows_by_their_words() {
        let at = chrono::DateTime::UNIX_EPOCH;
        let field = |detail: &str| {
            JournalEntry::field(
                at,
                JournalKind::Edit,
                "anna",
                "account",
                "a-1",
                "city",
                None,
                Some("Paris"),
                detail,
            )
        };
        let delete = |detail: &str| JournalEntry::event(at, JournalKind::Edit, "anna", detail);
        // The data decides, whatever the words say.
        let created = field("reworded").with_data(JournalData::Record(RecordChange::Create));
        assert_eq!(created.record_change(), Some(RecordChange::Create));
        let deleted = delete("reworded").with_data(JournalData::Record(RecordChange::Delete));
        assert_eq!(deleted.record_change(), Some(RecordChange::Delete));
        // Rows written before edit rows had data: the store's words.
        assert_eq!(field(CREATED).record_change(), Some(RecordChange::Create));
        assert_eq!(delete(DELETED).record_change(), Some(RecordChange::Delete));
        // A field edit, and the same words on a row that is not an edit, are neither.
        assert_eq!(field("").record_change(), None);
        assert_eq!(field(DELETED).record_change(), None);
        let sync_row = JournalEntry::event(at, JournalKind::Sync, "sync", CREATED);
        assert_eq!(sync_row.record_change(), None);
    }
}
