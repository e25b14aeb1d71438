//! The key map: the single source of what each key does, the bottom bar and the `?` help.
//! Plain printable keys, arrows, Enter, Esc and Tab reach everything, so `tmux send-keys` can
//! drive the app.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::{Action, App, Dialog, Screen, ScreenKind, SyncScreen};
use crate::store::UserResolution;

/// A key as the map names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
}

impl Key {
    fn from_event(key: &KeyEvent) -> Option<Key> {
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return None;
        }
        Some(match key.code {
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            _ => return None,
        })
    }
}

/// Where keys are being read: one or more of these are active at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Help,
    ModeDialog,
    Discard,
    Login,
    SyncRunning,
    Background,
    Editing,
    Home,
    Setup,
    List,
    Form,
    SyncErrors,
    Conflict,
    Merge,
    Log,
    Server,
    Global,
    Demo,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Help => "Help",
            Context::ModeDialog => "Sync-before dialog",
            Context::Discard => "Discard changes?",
            Context::Login => "Sync screen (password)",
            Context::SyncRunning => "Foreground sync",
            Context::Background => "In the background",
            Context::Editing => "Typing",
            Context::Home => "Home",
            Context::Setup => "Setup",
            Context::List => "List",
            Context::Form => "Form",
            Context::SyncErrors => "Sync Errors",
            Context::Conflict => "Sync error",
            Context::Merge => "Merge",
            Context::Log => "Log",
            Context::Server => "Server panel",
            Context::Global => "Everywhere",
            Context::Demo => "Demo controls",
        }
    }
}

type ActionFn = fn(&App) -> Option<Action>;

/// One binding: keys, how they are shown, what they do.
#[derive(Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    /// The keys as shown (`s`, `↑↓`, `Enter`).
    pub label: &'static str,
    pub help: &'static str,
    /// Shown in the bottom bar (all bindings are in the help).
    pub bar: bool,
    pub act: ActionFn,
}

const fn bind(
    keys: &'static [Key],
    label: &'static str,
    help: &'static str,
    bar: bool,
    act: ActionFn,
) -> Binding {
    Binding {
        keys,
        label,
        help,
        bar,
        act,
    }
}

fn some(action: Action) -> Option<Action> {
    Some(action)
}

/// The bindings of one context.
pub fn bindings(context: Context) -> Vec<Binding> {
    use Key::*;
    match context {
        Context::Help => vec![bind(
            &[Char('?'), Esc, Enter, Char('q')],
            "?/Esc",
            "close the help",
            true,
            |_| some(Action::Help),
        )],
        Context::ModeDialog => vec![
            bind(
                &[Left, Up, BackTab],
                "←",
                "previous button",
                false,
                |_| some(Action::PrevField),
            ),
            bind(&[Right, Down, Tab], "→", "next button", false, |_| {
                some(Action::NextField)
            }),
            bind(
                &[Enter],
                "Enter",
                "press the selected button",
                true,
                |app| app.select_action(),
            ),
            bind(&[Char('s')], "s", "Sync, then switch", true, |_| {
                some(Action::AnswerDialog(
                    crate::rules::SwitchChoice::SyncThenSwitch,
                ))
            }),
            bind(&[Char('w')], "w", "Switch without sync", true, |_| {
                some(Action::AnswerDialog(
                    crate::rules::SwitchChoice::SwitchWithoutSync,
                ))
            }),
            bind(&[Char('c'), Esc], "c/Esc", "Cancel", true, |_| {
                some(Action::AnswerDialog(crate::rules::SwitchChoice::Cancel))
            }),
        ],
        Context::Discard => vec![
            bind(
                &[Char('y'), Enter],
                "y",
                "discard the unsaved edits",
                true,
                |_| some(Action::ConfirmDiscard),
            ),
            bind(&[Char('n'), Esc], "n/Esc", "keep editing", true, |_| {
                some(Action::KeepEditing)
            }),
        ],
        Context::Login => vec![
            bind(&[Enter], "Enter", "sign in and synchronize", true, |_| {
                some(Action::EndEdit)
            }),
            bind(&[Esc], "Esc", "cancel", true, |_| some(Action::CancelSync)),
        ],
        Context::SyncRunning => vec![
            bind(&[Esc, Char('c')], "Esc", "cancel the sync", true, |_| {
                some(Action::CancelSync)
            }),
            bind(&[Char('q')], "q", "quit", true, |_| some(Action::Quit)),
            bind(&[Char('?')], "?", "help", true, |_| some(Action::Help)),
        ],
        Context::Background => vec![
            bind(
                &[Char('r'), Enter],
                "r",
                "bring the app back (resume)",
                true,
                |_| some(Action::Resume),
            ),
            bind(&[Char('q')], "q", "quit", true, |_| some(Action::Quit)),
            bind(&[Char('?')], "?", "help", true, |_| some(Action::Help)),
        ],
        Context::Editing => vec![
            bind(&[Enter], "Enter", "done", true, |_| some(Action::EndEdit)),
            bind(&[Esc], "Esc", "done", false, |_| some(Action::EndEdit)),
            bind(&[Tab], "Tab", "next field", true, |app| {
                (app.screen_kind() == ScreenKind::Form).then_some(Action::NextField)
            }),
            bind(&[BackTab], "S-Tab", "previous field", false, |app| {
                (app.screen_kind() == ScreenKind::Form).then_some(Action::PrevField)
            }),
        ],
        Context::Home => vec![
            bind(&[Up, Down], "↑↓", "select", false, |_| None),
            bind(&[Enter], "Enter", "open", true, |app| app.select_action()),
            bind(
                &[Char('s')],
                "s",
                "Sync (↓: apply the project update)",
                true,
                |app| {
                    some(if app.status().update_available.is_some() {
                        Action::PressDownArrow
                    } else {
                        Action::PressSync
                    })
                },
            ),
            bind(
                &[Char('w')],
                "w",
                "why did (or didn't) auto sync run? expand/collapse",
                true,
                |_| some(Action::ToggleWhy),
            ),
            bind(&[Char('e')], "e", "Sync Errors", false, |_| {
                some(Action::OpenSyncErrors)
            }),
            bind(&[Char('u')], "u", "Setup", true, |_| {
                some(Action::OpenSetup)
            }),
            bind(&[Char('l')], "l", "Log", true, |_| some(Action::OpenLog)),
        ],
        Context::Setup => vec![
            bind(&[Up, Down], "↑↓", "select", false, |_| None),
            bind(
                &[Enter, Char(' ')],
                "Enter",
                "change the selected setting",
                true,
                |app| app.select_action(),
            ),
        ],
        Context::List => vec![
            bind(
                &[Up, Down, PageUp, PageDown],
                "↑↓",
                "select",
                false,
                |_| None,
            ),
            bind(&[Enter], "Enter", "open the record", true, |app| {
                app.select_action()
            }),
            bind(&[Char('/')], "/", "search by name", true, |_| {
                some(Action::BeginEdit)
            }),
        ],
        Context::Form => vec![
            bind(
                &[Up, Down, Tab, BackTab],
                "↑↓",
                "select a field",
                false,
                |_| None,
            ),
            bind(&[Enter], "Enter", "edit the field", true, |_| {
                some(Action::BeginEdit)
            }),
            bind(&[Char('s')], "s", "Save", true, |_| some(Action::Save)),
            bind(&[Char('x')], "x", "cancel the edits", true, |_| {
                some(Action::CancelForm)
            }),
            bind(
                &[Char('r')],
                "r",
                "custom command: update related contacts (UI transaction)",
                true,
                |_| some(Action::RunCustomCommand),
            ),
            bind(&[Char('[')], "[", "tryEnterUiTransaction", false, |_| {
                some(Action::EnterUiTransaction)
            }),
            bind(&[Char(']')], "]", "leaveUiTransaction", false, |_| {
                some(Action::LeaveUiTransaction)
            }),
            bind(
                &[Char('E')],
                "E",
                "edit this record on the server as backoffice",
                false,
                |_| some(Action::ServerEditOpenRecord),
            ),
            bind(
                &[Char('D')],
                "D",
                "delete this record on the server as backoffice",
                false,
                |_| some(Action::ServerDeleteOpenRecord),
            ),
        ],
        Context::SyncErrors => vec![
            bind(&[Up, Down], "↑↓", "select", false, |_| None),
            bind(&[Enter], "Enter", "open the sync error", true, |app| {
                app.select_action()
            }),
        ],
        Context::Conflict => vec![
            bind(&[Up, Down], "↑↓", "select a field", false, |_| None),
            bind(
                &[Char('m')],
                "m",
                "Clear Error & Retry (mine)",
                true,
                |app| resolve(app, UserResolution::RetryWithMine),
            ),
            bind(&[Char('t')], "t", "Take Server Version", true, |app| {
                resolve(app, UserResolution::TakeServer)
            }),
            bind(&[Char('g')], "g", "Merge field by field", true, |_| {
                some(Action::ToggleMerge)
            }),
            bind(&[Char('i')], "i", "Clear Error & Ignore", true, |app| {
                resolve(app, UserResolution::Ignore)
            }),
            bind(
                &[Char('w')],
                "w",
                "what if (each On Conflict strategy)",
                true,
                |_| some(Action::ToggleWhatIf),
            ),
        ],
        Context::Merge => vec![
            bind(&[Up, Down], "↑↓", "select a field", false, |_| None),
            bind(
                &[Enter, Char(' ')],
                "Enter",
                "device ⇄ server",
                true,
                |_| some(Action::Select),
            ),
            bind(&[Char('s')], "s", "apply the merge", true, |_| {
                some(Action::Save)
            }),
            bind(&[Char('g')], "g", "leave merge", true, |_| {
                some(Action::ToggleMerge)
            }),
        ],
        Context::Log => vec![
            bind(
                &[Up, Down, PageUp, PageDown],
                "↑↓",
                "scroll",
                false,
                |_| None,
            ),
            bind(&[Char('f')], "f", "filter by kind", true, |app| {
                some(Action::FilterLog(app.next_log_filter()))
            }),
            bind(&[Char('x')], "x", "export as JSON lines", true, |app| {
                some(Action::ExportLog {
                    path: app.default_export_path(),
                })
            }),
        ],
        Context::Server => vec![
            bind(&[Up, Down], "↑↓", "select", false, |_| None),
            bind(&[Enter], "Enter", "run the selected control", true, |app| {
                app.select_action()
            }),
        ],
        Context::Global => vec![
            bind(&[Up], "↑", "up", false, |_| some(Action::Up)),
            bind(&[Down], "↓", "down", false, |_| some(Action::Down)),
            bind(&[PageUp], "PgUp", "page up", false, |_| {
                some(Action::PageUp)
            }),
            bind(&[PageDown], "PgDn", "page down", false, |_| {
                some(Action::PageDown)
            }),
            bind(&[Tab], "Tab", "next", false, |_| some(Action::NextField)),
            bind(&[BackTab], "S-Tab", "previous", false, |_| {
                some(Action::PrevField)
            }),
            bind(&[Esc], "Esc", "back", true, |_| some(Action::Back)),
            bind(&[Char('h')], "h", "Home", false, |_| some(Action::OpenHome)),
            bind(
                &[Char('p')],
                "p",
                "Server panel (demo controls)",
                true,
                |_| some(Action::OpenServerPanel),
            ),
            bind(&[Char('?')], "?", "help", true, |_| some(Action::Help)),
            bind(&[Char('q')], "q", "quit", true, |_| some(Action::Quit)),
        ],
        Context::Demo => vec![
            bind(&[Char('n')], "n", "toggle the network", false, |_| {
                some(Action::ToggleNetwork)
            }),
            bind(
                &[Char('o')],
                "o",
                "go online / offline (Sync-before dialogs)",
                false,
                |_| some(Action::SwitchMode),
            ),
            bind(&[Char('1')], "1", "clock +1 min", false, |_| {
                some(Action::AdvanceClock { minutes: 1 })
            }),
            bind(&[Char('5')], "5", "clock +5 min", false, |_| {
                some(Action::AdvanceClock { minutes: 5 })
            }),
            bind(&[Char('6')], "6", "clock +16 min", false, |_| {
                some(Action::AdvanceClock { minutes: 16 })
            }),
            bind(
                &[Char('b')],
                "b",
                "send the app to the background",
                false,
                |_| some(Action::SendToBackground),
            ),
            bind(
                &[Char('P')],
                "P",
                "publish project v2 on the server",
                false,
                |_| some(Action::PublishV2),
            ),
        ],
    }
}

fn resolve(app: &App, resolution: UserResolution) -> Option<Action> {
    match app.screen() {
        Screen::Conflict(c) => some(Action::Resolve {
            conflict_id: c.conflict_id,
            resolution,
        }),
        _ => None,
    }
}

/// The contexts active now, most specific first.
pub fn contexts(app: &App) -> Vec<Context> {
    if app.help_shown() {
        return vec![Context::Help];
    }
    contexts_beneath(app)
}

/// The contexts of what is on screen under the help overlay.
fn contexts_beneath(app: &App) -> Vec<Context> {
    match app.dialog() {
        Some(Dialog::ModeSwitch { .. }) => return vec![Context::ModeDialog, Context::Demo],
        Some(Dialog::Discard { .. }) => return vec![Context::Discard],
        None => {}
    }
    match app.sync_screen() {
        Some(SyncScreen::Login { .. }) => return vec![Context::Login],
        Some(SyncScreen::Running) => return vec![Context::SyncRunning, Context::Demo],
        None => {}
    }
    if app.foreground_sync_running() {
        return vec![Context::SyncRunning, Context::Demo];
    }
    if app.in_background() {
        return vec![Context::Background, Context::Demo];
    }
    if app.text_input_focused() {
        return vec![Context::Editing];
    }
    let screen = match app.screen() {
        Screen::Home(_) => Context::Home,
        Screen::Setup(_) => Context::Setup,
        Screen::List(_) => Context::List,
        Screen::Form(_) => Context::Form,
        Screen::SyncErrors(_) => Context::SyncErrors,
        Screen::Conflict(c) if c.merge.is_some() => Context::Merge,
        Screen::Conflict(_) => Context::Conflict,
        Screen::Log(_) => Context::Log,
        Screen::Server(_) => Context::Server,
    };
    vec![screen, Context::Global, Context::Demo]
}

/// The action a key press means now, if any.
pub fn map_key(app: &App, key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c')) {
        return Some(Action::Quit);
    }
    let active = contexts(app);
    if let Some(k) = Key::from_event(&key) {
        for context in &active {
            for binding in bindings(*context) {
                if binding.keys.contains(&k) {
                    // A screen binding that means nothing here falls through to the global one
                    // (the arrows' "select" rows are documentation for the global moves).
                    if let Some(action) = (binding.act)(app) {
                        return Some(action);
                    }
                }
            }
        }
    }
    let typing = active
        .first()
        .is_some_and(|c| matches!(c, Context::Editing | Context::Login));
    typing.then_some(Action::Input(key))
}

/// The bottom bar's entries now: (keys, what they do).
pub fn bar(app: &App) -> Vec<(&'static str, &'static str)> {
    let mut entries = Vec::new();
    let top = app.stack().len() <= 1;
    for context in contexts(app) {
        for b in bindings(context) {
            let meaningful = (b.act)(app).is_some();
            if b.bar && meaningful && !(top && b.label == "Esc" && context == Context::Global) {
                entries.push((b.label, short(b.help)));
            }
        }
    }
    entries
}

/// The bar's short form of a help text.
fn short(help: &'static str) -> &'static str {
    match help {
        "Sync (↓: apply the project update)" => "sync",
        "why did (or didn't) auto sync run? expand/collapse" => "why",
        "custom command: update related contacts (UI transaction)" => "command",
        "Server panel (demo controls)" => "server",
        "change the selected setting" => "change",
        "Clear Error & Retry (mine)" => "mine",
        "Take Server Version" => "server's",
        "Merge field by field" => "merge",
        "Clear Error & Ignore" => "ignore",
        "what if (each On Conflict strategy)" => "what if",
        "run the selected control" => "run",
        "press the selected button" => "press",
        "sign in and synchronize" => "sync",
        "discard the unsaved edits" => "discard",
        "bring the app back (resume)" => "resume",
        "export as JSON lines" => "export",
        "filter by kind" => "filter",
        "search by name" => "search",
        "open the record" | "open the sync error" => "open",
        "edit the field" => "edit",
        "cancel the edits" => "cancel edits",
        "cancel the sync" => "cancel sync",
        "device ⇄ server" => "pick side",
        "apply the merge" => "apply",
        "close the help" => "close",
        other => other,
    }
}

/// The help overlay's sections: every context active now, with all its bindings.
pub fn help(app: &App) -> Vec<(Context, Vec<Binding>)> {
    let mut active = contexts_beneath(app);
    if !active.contains(&Context::Global) {
        active.push(Context::Global);
    }
    if !active.contains(&Context::Demo) {
        active.push(Context::Demo);
    }
    active
        .into_iter()
        .map(|c| {
            (
                c,
                bindings(c)
                    .into_iter()
                    .filter(|b| {
                        b.help != "select" && b.help != "scroll" && b.help != "select a field"
                    })
                    .collect(),
            )
        })
        .collect()
}
