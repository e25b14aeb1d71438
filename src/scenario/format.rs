//! The scenario file format (TOML): a setup, then steps, each step optionally followed by
//! expectations. `docs/SCENARIOS.md` documents it with a worked example.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use super::clock_advance::ClockAdvance;
use crate::app::{DialogButton, DialogKind};
use crate::file_error::{FileError, parse_toml};
use crate::rules::SwitchChoice;
use crate::settings::{AutoSync, BackgroundBehavior, ConflictStrategy};
use crate::wire::Fault;

/// One scenario file.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub name: String,
    /// What behavior of the reference it pins, in words (often a quote).
    pub description: String,
    pub setup: Setup,
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

/// The file as TOML gives it; steps are checked one by one so errors can name their line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    setup: Option<Spanned<Setup>>,
    #[serde(rename = "step", default)]
    steps: Vec<Spanned<toml::Table>>,
}

/// Everything that holds before the app starts.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Setup {
    /// `v1`, `v2`, or a project file's path relative to the scenario.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Overrides of the project's `[configuration]` keys (same names and values as project files).
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    pub configuration: toml::Table,
    /// On Conflict strategy per entity, overriding the project's.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub on_conflict: BTreeMap<String, ConflictStrategy>,
    /// The device's Setup screen before the app starts.
    pub settings: SettingsSetup,
    /// Business-logic delay per entity, in ms.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub delays: BTreeMap<String, u64>,
    /// `false`: the device has no network when the app starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<bool>,
    /// The virtual clock's start (RFC 3339); default 2026-11-26T09:00:00Z.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    /// The device synchronized once before the scenario starts (at the clock's start), so it has
    /// data and a "last sync" — default true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synced: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SettingsSetup {
    pub auto_sync: Option<AutoSync>,
    pub background_sync: Option<bool>,
    pub save_password: Option<bool>,
}

/// One step: what happens, then what must hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Where the step starts in its file (1-based; 0 when built in code).
    #[serde(skip)]
    pub line: usize,
    #[serde(flatten)]
    pub action: StepAction,
    /// Expectations checked right after the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// Print the rendered screen (80×24) after this step with `--screens`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub screen: bool,
}

/// What a step does. The key `do` names it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepAction {
    // The user.
    Open {
        entity: String,
        id: String,
    },
    Edit {
        field: String,
        value: String,
    },
    Save,
    /// A new record on the device with this id and these fields, through the save gate.
    Create {
        entity: String,
        id: String,
        #[serde(default)]
        fields: BTreeMap<String, String>,
    },
    /// Deletes a record on the device through the save gate: `entity` + `id`, or without them
    /// the open record (through the form's confirmation dialog).
    Delete {
        entity: Option<String>,
        id: Option<String>,
    },
    Cancel,
    Close,
    /// Answers "discard changes?" with yes.
    Discard,
    /// Answers "discard changes?" with no.
    KeepEditing,
    Sync,
    /// Cancels the running sync.
    CancelSync,
    DownArrow,
    Setting {
        auto_sync: Option<AutoSync>,
        background_sync: Option<bool>,
        save_password: Option<bool>,
    },
    Password {
        value: String,
    },
    SwitchMode,
    Answer {
        choice: SwitchChoice,
    },
    EnterUiTransaction,
    LeaveUiTransaction,
    CustomCommand,
    Resolve {
        entity: String,
        id: String,
        choice: ResolveChoice,
        #[serde(default)]
        merge: BTreeMap<String, String>,
    },
    // The app's life.
    Restart,
    Background,
    Resume,
    Network {
        connected: bool,
    },
    // The server.
    Publish {
        asset: String,
    },
    /// Woodford: the published project with these `[configuration]` keys and On Conflict
    /// strategies changed, published as the next version (the keys of `[setup]`).
    Configure {
        #[serde(default)]
        configuration: toml::Table,
        #[serde(default)]
        on_conflict: BTreeMap<String, ConflictStrategy>,
    },
    ServerEdit {
        entity: String,
        id: String,
        fields: BTreeMap<String, String>,
        as_user: Option<String>,
    },
    ServerDelete {
        entity: String,
        id: String,
    },
    Delay {
        entity: String,
        ms: u64,
    },
    Fault {
        method: Option<String>,
        path: Option<String>,
        count: u32,
        fault: Fault,
    },
    // Time.
    /// `advance_minutes = N` or `advance_seconds = N`, exactly one.
    Clock(ClockAdvance),
    Wait {
        until: WaitFor,
    },
    /// Only expectations.
    Check,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolveChoice {
    RetryWithMine,
    TakeServer,
    Merge,
    Ignore,
}

/// What a `wait` step waits for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitFor {
    /// No sync running (and at least one has ended since the app started).
    Idle,
    Connect,
    Customization,
    /// The upload's snapshot is taken: edits saved from now on are "during the sync".
    Upload,
    Download,
    Attachments,
    CloudDocuments,
    Emails,
    /// Waiting for UI transactions to be released.
    UiTransactions,
}

/// What must hold after a step. Every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Expect {
    /// The latest automatic-sync decision: `started`, `skipped`, `deferred`, `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<SyncExpect>,
    /// Words that must appear in the latest decision's explanation (e.g. "15 min").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// `idle` or a phase name (`Upload`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The last save: `allowed`, `concurrent`, `rebased`, `refused`, `waited`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub save: Option<SaveExpect>,
    /// Home's sync button: `sync` or `down_arrow`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home: Option<HomeButton>,
    /// Unresolved sync errors (conflicts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicts: Option<usize>,
    /// Field values on the device: `"account/acc-0001/city" = "Paris"`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub client: BTreeMap<String, String>,
    /// Field values on the server.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub server: BTreeMap<String, String>,
    /// Records with changes waiting for upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<usize>,
    /// Lost edits found by the auditor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost: Option<usize>,
    /// The last sync's result: `ok`, `failed`, `data_errors`, `customization_ready`,
    /// `customization_downloaded`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub last_result: Vec<String>,
    /// The last sync ran in this mode: `background` or `foreground`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_mode: Option<String>,
    /// `online` or `offline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// The last UI transaction call: `entered` or `refused`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ui_transaction: Option<String>,
    /// The last setting change: `changed` or `locked`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setting: Option<String>,
    /// Syncs ended since the app (re)started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub syncs: Option<usize>,
    /// The applied project version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_version: Option<u32>,
    /// The mode of the sync running now: `background` or `foreground` (fails when none runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_mode: Option<ModeExpect>,
    /// The count Home's Sync Errors item shows (0: the item is absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_errors: Option<usize>,
    /// The dialog open now, and (when given) its buttons in the order shown; `kind = "none"`:
    /// no dialog is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialog: Option<DialogExpect>,
    /// The count of lost edits Home shows from the auditor (0: the line is absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_lost: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeExpect {
    Background,
    Foreground,
}

impl From<ModeExpect> for crate::rules::SyncMode {
    fn from(mode: ModeExpect) -> Self {
        match mode {
            ModeExpect::Background => crate::rules::SyncMode::Background,
            ModeExpect::Foreground => crate::rules::SyncMode::Foreground,
        }
    }
}

/// `dialog = { kind = "sync_before_online", buttons = ["sync_then_switch", "cancel"] }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DialogExpect {
    pub kind: DialogKindExpect,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buttons: Option<Vec<DialogButton>>,
}

/// A dialog kind ([`DialogKind`]), or `none` for "no dialog is open".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DialogKindExpect {
    None,
    SyncBeforeOnline,
    SyncBeforeOffline,
    Discard,
    ConfirmDelete,
}

impl DialogKindExpect {
    /// The App's dialog kind this names (`None`: no dialog).
    pub fn kind(self) -> Option<DialogKind> {
        match self {
            DialogKindExpect::None => None,
            DialogKindExpect::SyncBeforeOnline => Some(DialogKind::SyncBeforeOnline),
            DialogKindExpect::SyncBeforeOffline => Some(DialogKind::SyncBeforeOffline),
            DialogKindExpect::Discard => Some(DialogKind::Discard),
            DialogKindExpect::ConfirmDelete => Some(DialogKind::ConfirmDelete),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncExpect {
    Started,
    Skipped,
    Deferred,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaveExpect {
    Allowed,
    Concurrent,
    Rebased,
    Refused,
    Waited,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HomeButton {
    Sync,
    DownArrow,
}

/// A loaded scenario, with where it came from (for messages and relative project paths).
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub path: PathBuf,
    pub scenario: Scenario,
}

/// Reads and checks a scenario file. Errors name the file, line, column and field.
pub fn load(path: &Path) -> Result<LoadedScenario, FileError> {
    let text = std::fs::read_to_string(path).map_err(|e| FileError::unreadable(path, &e))?;
    parse(path, &text)
}

pub fn parse(path: &Path, text: &str) -> Result<LoadedScenario, FileError> {
    let raw: RawScenario = parse_toml(path, text)?;
    let setup_at = raw.setup.as_ref().map_or(0, |s| s.span().start);
    let setup = raw.setup.map(Spanned::into_inner).unwrap_or_default();
    if let Some(clock) = &setup.clock
        && chrono::DateTime::parse_from_rfc3339(clock).is_err()
    {
        let offset = key_offset(text, setup_at, "clock").unwrap_or(setup_at);
        return Err(FileError::at(
            path,
            text,
            offset,
            Some("clock".into()),
            format!("`{clock}` is not an RFC 3339 time such as 2026-11-26T09:00:00Z"),
        ));
    }
    let mut steps = Vec::with_capacity(raw.steps.len());
    for spanned in raw.steps {
        let offset = spanned.span().start;
        // Every error is reported at the line of the key it is about; at the step's own line
        // only when no key is (a missing `do`, a missing field).
        let at = |key: Option<String>, message: String| {
            let key_at = key
                .as_deref()
                .and_then(|k| key_offset(text, offset, k))
                .unwrap_or(offset);
            FileError::at(path, text, key_at, key, message)
        };
        let mut table = spanned.into_inner();
        let expect = match table.remove("expect") {
            Some(value) => {
                let keys = value.as_table().cloned().unwrap_or_default();
                Some(value.try_into::<Expect>().map_err(|e| {
                    let message = e.message().trim().to_string();
                    let key = key_of(&keys, &message).unwrap_or_else(|| "expect".into());
                    at(Some(key), format!("in `expect`: {message}"))
                })?)
            }
            None => None,
        };
        let screen = match table.remove("screen") {
            Some(toml::Value::Boolean(b)) => b,
            Some(other) => {
                return Err(at(
                    Some("screen".into()),
                    format!("must be true or false, not {other}"),
                ));
            }
            None => false,
        };
        if !table.contains_key("do") {
            return Err(FileError::at(
                path,
                text,
                offset,
                Some("do".into()),
                "every [[step]] needs `do`, e.g. do = \"save\"".into(),
            ));
        }
        let action: StepAction =
            toml::Value::Table(table.clone())
                .try_into()
                .map_err(|e: toml::de::Error| {
                    let message = e.message().trim().to_string();
                    let key = key_of(&table, &message).or_else(|| {
                        // "unknown variant `x`": the value of `do`; a missing field has no line.
                        (!message.starts_with("missing field")).then(|| "do".to_string())
                    });
                    match key {
                        Some(key) => at(Some(key), message),
                        None => FileError::at(path, text, offset, field_in(&message), message),
                    }
                })?;
        if let StepAction::Configure {
            configuration,
            on_conflict,
        } = &action
        {
            if configuration.is_empty() && on_conflict.is_empty() {
                return Err(at(
                    Some("do".into()),
                    "`configure` needs `configuration = { … }` or `on_conflict = { … }` to change"
                        .into(),
                ));
            }
            let defaults = crate::settings::ProjectConfig::default();
            if let Err(crate::woodford::DraftError::Configuration { key, message }) =
                crate::woodford::with_overrides(&defaults, configuration)
            {
                return Err(at(Some(key), format!("in `configuration`: {message}")));
            }
        }
        if let StepAction::Delete { entity, id } = &action
            && entity.is_some() != id.is_some()
        {
            let key = if entity.is_some() { "entity" } else { "id" };
            return Err(at(
                Some(key.into()),
                "`delete` takes both `entity` and `id`, or neither (the open record)".into(),
            ));
        }
        if let StepAction::Create { fields, .. } = &action
            && fields.is_empty()
        {
            return Err(at(
                Some("do".into()),
                "`create` needs `fields`, e.g. fields = { name = \"Acme\" }".into(),
            ));
        }
        for key in expect
            .iter()
            .flat_map(|e| e.client.keys().chain(e.server.keys()))
        {
            if key.split('/').count() != 3 {
                return Err(at(
                    Some("expect".into()),
                    format!("`{key}` must be entity/id/field, e.g. account/acc-0001/city"),
                ));
            }
        }
        let line = crate::file_error::line_col(text, offset).0;
        steps.push(Step {
            line,
            action,
            expect,
            screen,
        });
    }
    let scenario = Scenario {
        name: raw.name,
        description: raw.description,
        setup,
        steps,
    };
    Ok(LoadedScenario {
        path: path.to_path_buf(),
        scenario,
    })
}

/// The key of `table` a serde message is about: the one it names in back-ticks ("unknown field
/// `x`"), else the one whose value it quotes (a value of the wrong type).
fn key_of(table: &toml::Table, message: &str) -> Option<String> {
    if let Some(named) = field_in(message).filter(|f| table.contains_key(f)) {
        return Some(named);
    }
    table
        .iter()
        .find(|(k, v)| *k != "do" && message.contains(&v.to_string()))
        .map(|(k, _)| k.clone())
}

/// Where `key = ...` is written in the table that starts at `start`, including its sub-tables
/// (`[step.expect]`) and inline tables (`expect = { sync = "none" }`), but not in the next
/// array entry or table.
fn key_offset(text: &str, start: usize, key: &str) -> Option<usize> {
    let mut at = start;
    for (i, line) in text[start..].split_inclusive('\n').enumerate() {
        let trimmed = line.trim_start();
        let header = trimmed.starts_with('[');
        if i > 0 && (trimmed.starts_with("[[") || (header && !trimmed.starts_with("[step."))) {
            return None;
        }
        if !header && let Some(found) = key_in_line(line, key) {
            return Some(at + found);
        }
        at += line.len();
    }
    None
}

/// The byte offset of `key` used as a key (`key =`, not inside a word or a string) in `line`.
fn key_in_line(line: &str, key: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(pos) = line[from..].find(key) {
        let begin = from + pos;
        let end = begin + key.len();
        let before = line[..begin].chars().next_back();
        let word_start = before.is_none_or(|c| c.is_whitespace() || c == '{' || c == ',');
        if word_start && line[end..].trim_start().starts_with('=') {
            return Some(begin);
        }
        from = end;
    }
    None
}

/// The field serde names in back-ticks ("unknown field `x`", "missing field `x`", "unknown variant `x`").
fn field_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_string())
}

/// Background sync behavior named in a scenario's configuration overrides, if any.
pub fn behavior_override(setup: &Setup) -> Option<BackgroundBehavior> {
    let value = setup
        .configuration
        .get("background_sync_behavior")?
        .as_str()?;
    BackgroundBehavior::ALL
        .into_iter()
        .find(|b| format!("{b:?}") == value)
}
