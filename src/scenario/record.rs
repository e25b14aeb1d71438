//! `--record FILE`: what a TUI session did, written as a scenario that `autosync play` replays to
//! the same outcome — the user's actions as they meant them, the server controls with their
//! concrete values, the clock, waits for the sync state the user saw, and a final check of
//! what the session ended with. Passwords are never written.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::format::{
    ClockAdvance, Expect, ResolveChoice, Scenario, SettingsSetup, Setup, Step, StepAction, WaitFor,
};
use crate::app::{Action, App, Recorded};
use crate::rules::{Network, SyncActivity};
use crate::settings::SettingChange;
use crate::store::{Store, UserResolution};

/// The device as the session started.
#[derive(Debug, Clone)]
pub struct Initial {
    pub settings: Option<crate::settings::UserSettings>,
    /// The profile had synchronized before the session (not a fresh one).
    pub synced: bool,
    pub started: DateTime<Utc>,
}

impl Initial {
    pub fn capture(store: &Store, now: DateTime<Utc>) -> Initial {
        Initial {
            settings: store.settings().ok().flatten(),
            synced: store
                .sync_state()
                .ok()
                .is_some_and(|s| s.last_successful.is_some()),
            started: now,
        }
    }
}

fn step(action: StepAction) -> Step {
    Step {
        line: 0,
        action,
        expect: None,
        screen: false,
    }
}

/// The scenario a session makes.
pub fn to_scenario(initial: &Initial, recorded: &[Recorded], app: &App, store: &Store) -> Scenario {
    let settings = initial.settings.as_ref().map(|s| SettingsSetup {
        auto_sync: Some(s.auto_sync),
        background_sync: Some(s.background_sync),
        save_password: Some(s.save_password),
    });
    let setup = Setup {
        clock: Some(
            initial
                .started
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
        synced: Some(initial.synced),
        settings: settings.unwrap_or_default(),
        ..Setup::default()
    };
    let mut steps = Vec::new();
    let mut network = Network::Connected;
    let mut previous_at = initial.started;
    let mut touched: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut open: Option<(String, String)> = None;
    for entry in recorded {
        // Real time the user let pass becomes virtual time (whole minutes).
        let gap = (entry.at - previous_at).num_minutes();
        if gap >= 1 {
            steps.push(step(StepAction::Clock(ClockAdvance::Minutes(
                u32::try_from(gap).unwrap_or(u32::MAX),
            ))));
        }
        previous_at = match &entry.action {
            Action::AdvanceClock { by } => entry.at + *by,
            _ => entry.at,
        };
        // The user acted with no sync running: the replay waits for that too. Acting during a
        // sync is replayed as soon as possible — a phase seen on screen may already be over in a
        // replay (its timing comes from the server's delays and faults, which are steps too).
        if entry.seen == SyncActivity::Idle {
            steps.push(step(StepAction::Wait {
                until: WaitFor::Idle,
            }));
        }
        let action = match &entry.action {
            Action::OpenRecord { entity, id } => {
                open = Some((entity.clone(), id.clone()));
                StepAction::Open {
                    entity: entity.clone(),
                    id: id.clone(),
                }
            }
            Action::EditField { field, value } => {
                if let Some((entity, id)) = &open {
                    touched.insert((entity.clone(), id.clone(), field.clone()));
                }
                StepAction::Edit {
                    field: field.clone(),
                    value: value.clone(),
                }
            }
            Action::Save => StepAction::Save,
            Action::CreateRecord { entity, id, fields } => StepAction::Create {
                entity: entity.clone(),
                id: id.clone(),
                fields: fields.clone(),
            },
            Action::Delete { entity, id } => StepAction::Delete {
                entity: Some(entity.clone()),
                id: Some(id.clone()),
            },
            // The dialog's yes: the open record's delete.
            Action::ConfirmDelete => StepAction::Delete {
                entity: None,
                id: None,
            },
            Action::CancelForm => StepAction::Cancel,
            Action::Back => StepAction::Close,
            Action::ConfirmDiscard => StepAction::Discard,
            Action::KeepEditing => StepAction::KeepEditing,
            Action::PressSync => StepAction::Sync,
            Action::PressDownArrow => StepAction::DownArrow,
            Action::CancelSync => StepAction::CancelSync,
            Action::ChangeSetting(SettingChange::AutoSync(v)) => StepAction::Setting {
                auto_sync: Some(*v),
                background_sync: None,
                save_password: None,
            },
            Action::ChangeSetting(SettingChange::BackgroundSync(v)) => StepAction::Setting {
                auto_sync: None,
                background_sync: Some(*v),
                save_password: None,
            },
            Action::ChangeSetting(SettingChange::SavePassword(v)) => StepAction::Setting {
                auto_sync: None,
                background_sync: None,
                save_password: Some(*v),
            },
            Action::SwitchMode => StepAction::SwitchMode,
            Action::AnswerDialog(choice) => StepAction::Answer { choice: *choice },
            Action::EnterUiTransaction => StepAction::EnterUiTransaction,
            Action::LeaveUiTransaction => StepAction::LeaveUiTransaction,
            Action::RunCustomCommand => StepAction::CustomCommand,
            Action::Resolve {
                conflict_id,
                resolution,
            } => {
                let Some((entity, id)) = store.conflict_record(*conflict_id).ok().flatten() else {
                    continue;
                };
                let (choice, merge) = match resolution {
                    UserResolution::RetryWithMine => {
                        (ResolveChoice::RetryWithMine, Default::default())
                    }
                    UserResolution::TakeServer => (ResolveChoice::TakeServer, Default::default()),
                    UserResolution::Ignore => (ResolveChoice::Ignore, Default::default()),
                    UserResolution::Merge(fields) => (ResolveChoice::Merge, fields.clone()),
                };
                StepAction::Resolve {
                    entity,
                    id,
                    choice,
                    merge,
                }
            }
            Action::ToggleNetwork => {
                network = if network == Network::Connected {
                    Network::Disconnected
                } else {
                    Network::Connected
                };
                StepAction::Network {
                    connected: network == Network::Connected,
                }
            }
            // The demo only moves the clock forward; a step cannot say anything else.
            Action::AdvanceClock { by } => match ClockAdvance::of(*by) {
                Some(advance) => StepAction::Clock(advance),
                None => continue,
            },
            Action::SendToBackground => StepAction::Background,
            Action::Resume => StepAction::Resume,
            Action::PublishV2 => StepAction::Publish { asset: "v2".into() },
            Action::ServerEdit { entity, id, fields } => {
                for field in fields.keys() {
                    touched.insert((entity.clone(), id.clone(), field.clone()));
                }
                StepAction::ServerEdit {
                    entity: entity.clone(),
                    id: id.clone(),
                    fields: fields.clone(),
                    as_user: None,
                }
            }
            Action::ServerDelete { entity, id } => StepAction::ServerDelete {
                entity: entity.clone(),
                id: id.clone(),
            },
            Action::SetServerDelay { entity, ms } => StepAction::Delay {
                entity: entity.clone(),
                ms: *ms,
            },
            Action::InjectFault(rule) => StepAction::Fault {
                method: rule.method.clone(),
                path: rule.path_prefix.clone(),
                count: rule.count,
                fault: rule.fault.clone(),
            },
            // Server URL and user name belong to the machine it ran on; navigation is not a step.
            _ => continue,
        };
        steps.push(step(action));
    }
    // The outcome the replay must reach: checked once the sync is idle.
    let status = app.status();
    if status.activity == SyncActivity::Idle {
        let mut expect = Expect {
            pending: Some(status.pending_uploads),
            conflicts: Some(status.unresolved_conflicts),
            ..Expect::default()
        };
        for (entity, id, field) in &touched {
            if let Some(value) = store
                .record(entity, id)
                .ok()
                .flatten()
                .and_then(|r| r.fields.get(field).cloned())
            {
                expect
                    .client
                    .insert(format!("{entity}/{id}/{field}"), value);
            }
        }
        steps.push(Step {
            expect: Some(expect),
            ..step(StepAction::Wait {
                until: WaitFor::Idle,
            })
        });
    }
    Scenario {
        name: format!(
            "Recorded session of {}",
            initial.started.format("%Y-%m-%d %H:%M")
        ),
        description: "Recorded with `autosync --record`; replay with `autosync play`.".into(),
        setup,
        steps,
    }
}

/// Writes the session as a scenario file.
pub fn save(path: &Path, initial: &Initial, app: &App) -> Result<(), String> {
    let store = Store::open(app.profile_path()).map_err(|e| e.to_string())?;
    let scenario = to_scenario(initial, app.recorded(), app, &store);
    let text = toml::to_string(&scenario).map_err(|e| format!("cannot write the scenario: {e}"))?;
    let header = "# Recorded by `autosync --record`. Replay: autosync play <this file>\n";
    std::fs::write(path, format!("{header}{text}"))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
