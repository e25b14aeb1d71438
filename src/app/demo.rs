//! The demo controls: the network, the clock, the app's lifecycle, and the server (publish,
//! edits and deletes as another user, business-logic delay, faults) through its control API.

use chrono::Timelike;

use super::effect::{ControlCall, Effect};
use super::overlay::Overlay;
use super::state::*;
use super::sync::mode_name;
use super::{Action, App};
use crate::device::AppMode;
use crate::engine::Command;
use crate::project::FieldKind;
use crate::rules::{Network, Trigger};
use crate::wire::{Fault, FaultRule, Fields};

/// Why the server controls and the Woodford screen cannot act on an external `--server`: the
/// TUI has no key to its control API.
pub const NO_ADMIN_TOKEN: &str = "no admin token: start with --admin-token or AUTOSYNC_ADMIN_TOKEN";

/// The faults the Server panel offers.
pub fn fault_for(item: ServerItem) -> Option<FaultRule> {
    let rule = |method: Option<&str>, prefix: &str, count, fault| FaultRule {
        method: method.map(str::to_string),
        path_prefix: Some(prefix.to_string()),
        count,
        after: 0,
        fault,
    };
    Some(match item {
        ServerItem::FaultBusy => rule(
            None,
            "/api/v1/",
            3,
            Fault::Status {
                status: 503,
                retry_after_s: Some(2),
            },
        ),
        ServerItem::FaultLostAnswer => {
            rule(Some("POST"), "/api/v1/batch", 1, Fault::DropAfterCommit)
        }
        ServerItem::FaultSlow => rule(None, "/api/v1/", 5, Fault::Latency { ms: 2000 }),
        ServerItem::FaultError => rule(
            None,
            "/api/v1/",
            4,
            Fault::Status {
                status: 500,
                retry_after_s: None,
            },
        ),
        _ => return None,
    })
}

/// A fault rule in words.
pub fn describe_fault(rule: &FaultRule) -> String {
    let what = match &rule.fault {
        Fault::Status {
            status,
            retry_after_s: Some(s),
        } => format!("{status} with Retry-After {s} s"),
        Fault::Status {
            status,
            retry_after_s: None,
        } => format!("{status}"),
        Fault::Latency { ms } => format!("{ms} ms latency"),
        Fault::DropAfterCommit => "the answer dropped after the write commits".to_string(),
        Fault::CloseMidBody => "the answer cut mid-body".to_string(),
        Fault::Reset => "the connection reset before the request runs".to_string(),
    };
    let method = rule
        .method
        .as_deref()
        .map(|m| format!("{m} "))
        .unwrap_or_default();
    let path = rule.path_prefix.as_deref().unwrap_or("/");
    format!(
        "{what} on the next {} {method}request(s) to {path}",
        rule.count
    )
}

/// A Server panel item as the panel shows it now.
pub fn server_item_label(app: &App, item: ServerItem) -> String {
    let record = app
        .open_record()
        .map(|(e, id)| format!("{e} {id}"))
        .unwrap_or_else(|| "(open a record first)".into());
    match item {
        ServerItem::Network => format!(
            "Network: {} (toggle)",
            if app.network() == Network::Connected {
                "connected"
            } else {
                "disconnected"
            }
        ),
        ServerItem::Mode => format!("Mode: {} (switch)", mode_name(app.mode())),
        ServerItem::Clock1 => "Clock +1 min".into(),
        ServerItem::Clock5 => "Clock +5 min".into(),
        ServerItem::Clock16 => "Clock +16 min".into(),
        ServerItem::Background => "Send the app to the background".into(),
        ServerItem::PublishV2 => "Publish project v2 (Woodford)".into(),
        ServerItem::Woodford => "Woodford: change the project's settings and publish them…".into(),
        ServerItem::EditRecord => format!("Edit {record} on the server as backoffice"),
        ServerItem::DeleteRecord => format!("Delete {record} on the server as backoffice"),
        ServerItem::DelayAccount => format!(
            "Business-logic delay, account writes: {} ms",
            app.delay("account")
        ),
        ServerItem::DelayContact => format!(
            "Business-logic delay, contact writes: {} ms",
            app.delay("contact")
        ),
        ServerItem::FaultBusy
        | ServerItem::FaultLostAnswer
        | ServerItem::FaultSlow
        | ServerItem::FaultError => {
            let label = match item {
                ServerItem::FaultBusy => "Fault: server busy",
                ServerItem::FaultLostAnswer => "Fault: answer lost",
                ServerItem::FaultSlow => "Fault: slow server",
                _ => "Fault: server error",
            };
            fault_for(item)
                .map(|r| format!("{label} — {}", describe_fault(&r)))
                .unwrap_or_default()
        }
    }
}

impl App {
    /// The semantic action of a Server panel item.
    pub(super) fn server_item_action(&self, item: ServerItem) -> Option<Action> {
        let next_delay = |entity: &str| {
            let current = self.delay(entity);
            let i = DELAY_STEPS.iter().position(|d| *d == current).unwrap_or(0);
            DELAY_STEPS[(i + 1) % DELAY_STEPS.len()]
        };
        Some(match item {
            ServerItem::Network => Action::ToggleNetwork,
            ServerItem::Mode => Action::SwitchMode,
            ServerItem::Clock1 => Action::AdvanceClock {
                by: chrono::Duration::minutes(1),
            },
            ServerItem::Clock5 => Action::AdvanceClock {
                by: chrono::Duration::minutes(5),
            },
            ServerItem::Clock16 => Action::AdvanceClock {
                by: chrono::Duration::minutes(16),
            },
            ServerItem::Background => Action::SendToBackground,
            ServerItem::PublishV2 => Action::PublishV2,
            ServerItem::Woodford => Action::OpenWoodford,
            ServerItem::EditRecord => Action::ServerEditOpenRecord,
            ServerItem::DeleteRecord => Action::ServerDeleteOpenRecord,
            ServerItem::DelayAccount => Action::SetServerDelay {
                entity: "account".into(),
                ms: next_delay("account"),
            },
            ServerItem::DelayContact => Action::SetServerDelay {
                entity: "contact".into(),
                ms: next_delay("contact"),
            },
            other => Action::InjectFault(fault_for(other)?),
        })
    }

    pub(super) fn toggle_network(&mut self) {
        self.network = match self.network {
            Network::Connected => Network::Disconnected,
            Network::Disconnected => Network::Connected,
        };
        self.emit(Effect::Engine(Command::SetNetwork(self.network)));
        self.refresh_checklist();
        match self.network {
            Network::Connected => self.success("Network connected"),
            Network::Disconnected => {
                self.warn("Network disconnected: syncs cannot reach the server")
            }
        }
    }

    pub(super) fn advance_clock(&mut self, by: chrono::Duration) {
        self.emit(Effect::AdvanceClock { by });
    }

    pub(super) fn clock_advanced(&mut self, by: chrono::Duration) {
        self.refresh_checklist();
        let now = self.clock.now();
        // Seconds only when they matter: a scenario's 45-second step, not the demo's minutes.
        let now = if now.second() == 0 {
            now.format("%H:%M")
        } else {
            now.format("%H:%M:%S")
        };
        self.info(format!(
            "Clock advanced {}: it is now {now}",
            signed_duration(by)
        ));
    }

    pub(super) fn send_to_background(&mut self) {
        self.overlays.open(Overlay::Background);
        self.info(
            "The app is in the background; press r to bring it back (On Start is evaluated again)",
        );
    }

    pub(super) fn resume(&mut self) {
        if !self.overlays.background() {
            self.info("The app is already in the foreground");
            return;
        }
        self.overlays.close_background();
        self.emit(Effect::Engine(Command::Trigger(Trigger::Resume)));
        self.info(
            "Back from the background: the on-start rule is evaluated again (see Why on Home)",
        );
    }

    pub(super) fn control_effect(&mut self, call: ControlCall, what: &str) -> Vec<Effect> {
        if !self.has_control {
            self.warn(format!("{what}: {NO_ADMIN_TOKEN}"));
            return Vec::new();
        }
        self.info(format!("{what}…"));
        vec![Effect::Control(call)]
    }

    /// Edits the open record on the server as backoffice: the form's selected text field, else
    /// the first plain text field after the name.
    pub(super) fn server_edit_open_record(&mut self) -> Vec<Effect> {
        let Some((entity, id)) = self.open_record() else {
            self.warn("Open a record first: the server edits the open record");
            return Vec::new();
        };
        let selected = self
            .top_form()
            .and_then(|f| f.fields.get(f.selected))
            .filter(|f| !f.read_only && f.kind == FieldKind::Text)
            .map(|f| f.name.clone());
        let fallback = self
            .project
            .as_ref()
            .and_then(|p| p.entity(&entity))
            .and_then(|e| {
                e.form_fields()
                    .find(|f| {
                        f.name != e.primary_field
                            && f.kind == FieldKind::Text
                            && !crate::project::computed_by_server(&f.name)
                    })
                    .map(|f| f.name.clone())
            });
        let Some(field) = selected.or(fallback) else {
            self.warn(format!("{entity} has no text field the demo can edit"));
            return Vec::new();
        };
        let stamp = self.clock.now().format("%H:%M");
        let fields: Fields = [(field, format!("Edited by backoffice {stamp}"))].into();
        self.server_edit(entity, id, fields)
    }

    /// Edits a record on the server as backoffice (not as the device's user).
    pub(super) fn server_edit(
        &mut self,
        entity: String,
        id: String,
        fields: Fields,
    ) -> Vec<Effect> {
        self.control_effect(
            ControlCall::Edit {
                entity,
                id,
                fields,
                as_user: None,
            },
            "Edit on the server",
        )
    }

    pub(super) fn server_delete_open_record(&mut self) -> Vec<Effect> {
        let Some((entity, id)) = self.open_record() else {
            self.warn("Open a record first: the server deletes the open record");
            return Vec::new();
        };
        self.server_delete(entity, id)
    }

    pub(super) fn server_delete(&mut self, entity: String, id: String) -> Vec<Effect> {
        self.control_effect(ControlCall::Delete { entity, id }, "Delete on the server")
    }

    pub(super) fn set_server_delay(&mut self, entity: String, ms: u64) -> Vec<Effect> {
        self.control_effect(ControlCall::SetDelay { entity, ms }, "Business-logic delay")
    }

    /// A control call ended: say what the server did, and put it on the timeline.
    pub(super) fn control_done(&mut self, call: &ControlCall, outcome: Result<String, String>) {
        match outcome {
            Ok(text) => {
                if let ControlCall::SetDelay { entity, ms } = call {
                    self.delays.insert(entity.clone(), *ms);
                }
                if let ControlCall::Publish(_) = call {
                    self.woodford_published();
                }
                let entry = call.journal_entry(self.clock.now(), "demo control", text.clone());
                self.emit(Effect::AppendJournal(Box::new(entry)));
                self.refresh_journal();
                self.success(format!("Server: {text}"));
            }
            Err(e) => self.error(format!("Server control failed: {e}")),
        }
    }

    /// Shown in the header: the mode in words.
    pub fn mode_label(&self) -> &'static str {
        match self.mode {
            AppMode::Offline => "offline",
            AppMode::Online => "online",
        }
    }
}

/// `+16 min`, `+45 s`, `+1 min 30 s`: how far the clock moved, in the units the user chose.
pub fn signed_duration(by: chrono::Duration) -> String {
    let seconds = by.num_seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let (minutes, rest) = (seconds.abs() / 60, seconds.abs() % 60);
    match (minutes, rest) {
        (m, 0) => format!("{sign}{m} min"),
        (0, s) => format!("{sign}{s} s"),
        (m, s) => format!("{sign}{m} min {s} s"),
    }
}
