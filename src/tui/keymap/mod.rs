//! The key map: the single source of what each key does, the bottom bar and the `?` help.
//! Plain printable keys, arrows, Enter, Esc and Tab reach everything, so `tmux send-keys` can
//! drive the app. A key is listed (in the bar or the help) exactly when its action would do
//! something now: the App's [`App::refusal`] decides, so nothing listed is refused.

mod dialogs;
mod key;
mod table;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use key::{Key, label};
pub use table::bindings;

use crate::app::{Action, App, Dialog, Focus, Layer, Screen};

/// Where keys are being read: one or more of these are active at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    TooSmall,
    Help,
    ModeDialog,
    Discard,
    ConfirmDelete,
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
    LogEntry,
    Server,
    Timeline,
    Woodford,
    Global,
    Demo,
}

impl Context {
    pub const ALL: [Context; 23] = [
        Context::TooSmall,
        Context::Help,
        Context::ModeDialog,
        Context::Discard,
        Context::ConfirmDelete,
        Context::Login,
        Context::SyncRunning,
        Context::Background,
        Context::Editing,
        Context::Home,
        Context::Setup,
        Context::List,
        Context::Form,
        Context::SyncErrors,
        Context::Conflict,
        Context::Merge,
        Context::Log,
        Context::LogEntry,
        Context::Server,
        Context::Timeline,
        Context::Woodford,
        Context::Global,
        Context::Demo,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Context::TooSmall => "Terminal too small",
            Context::Help => "Help",
            Context::ModeDialog => "Sync-before dialog",
            Context::Discard => "Unsaved changes",
            Context::ConfirmDelete => "Delete the record?",
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
            Context::LogEntry => "Log line",
            Context::Server => "Server panel",
            Context::Timeline => "Timeline",
            Context::Woodford => "Woodford",
            Context::Global => "Everywhere",
            Context::Demo => "Demo controls",
        }
    }
}

/// What a key means given the App; `None` where it means nothing.
pub type ActionFn = fn(&App, Key) -> Option<Action>;

/// Whether a binding shows in the bottom bar (every working binding is in the help).
#[derive(Clone, Copy)]
pub enum Bar {
    No,
    /// With this short text.
    Yes(&'static str),
    /// With this short text, while the condition holds.
    When(&'static str, fn(&App) -> bool),
}

/// One binding: keys, what they do in words and as an action.
#[derive(Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub help: &'static str,
    pub bar: Bar,
    pub act: ActionFn,
}

/// A binding as listed now: only its keys that work, spelled as one label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub keys: Vec<Key>,
    pub label: String,
    pub help: &'static str,
    /// The bar's short text, when it is in the bar now.
    pub bar: Option<&'static str>,
}

/// The contexts active now, most specific first.
pub fn contexts(app: &App) -> Vec<Context> {
    match app.focus() {
        Focus::TooSmall { .. } => vec![Context::TooSmall],
        Focus::Help { .. } => vec![Context::Help],
        Focus::On(layer) => layer_contexts(layer),
    }
}

/// The contexts of what is on screen under the help overlay.
pub fn contexts_beneath(app: &App) -> Vec<Context> {
    layer_contexts(app.layer())
}

fn layer_contexts(layer: Layer) -> Vec<Context> {
    let screen = match layer {
        Layer::SyncRunning => return vec![Context::SyncRunning, Context::Demo],
        Layer::Login => return vec![Context::Login],
        Layer::Background => return vec![Context::Background, Context::Demo],
        Layer::Dialog(Dialog::ModeSwitch { .. }) => {
            return vec![Context::ModeDialog, Context::Demo];
        }
        Layer::Dialog(Dialog::Discard { .. }) => return vec![Context::Discard],
        Layer::Dialog(Dialog::ConfirmDelete { .. }) => return vec![Context::ConfirmDelete],
        Layer::Editing => return vec![Context::Editing],
        Layer::Screen(screen) => screen,
    };
    let screen = match screen {
        Screen::Home(_) => Context::Home,
        Screen::Setup(_) => Context::Setup,
        Screen::List(_) => Context::List,
        Screen::Form(_) => Context::Form,
        Screen::SyncErrors(_) => Context::SyncErrors,
        Screen::Conflict(c) if c.merge().is_some() => Context::Merge,
        Screen::Conflict(_) => Context::Conflict,
        Screen::Log(_) => Context::Log,
        Screen::LogEntry(_) => Context::LogEntry,
        Screen::Server(_) => Context::Server,
        Screen::Timeline(_) => Context::Timeline,
        Screen::Woodford(_) => Context::Woodford,
    };
    vec![screen, Context::Global, Context::Demo]
}

/// The action a key press means now, if any. An action the App would refuse is still
/// returned, so the App can say why (a dialog waits, a setting is locked).
pub fn map_key(app: &App, event: KeyEvent) -> Option<Action> {
    if event.modifiers.contains(KeyModifiers::CONTROL) && matches!(event.code, KeyCode::Char('c')) {
        return Some(Action::Quit);
    }
    let mut active = contexts(app);
    if active == [Context::TooSmall] {
        // The keys of what is beneath still reach the App, which says why they wait.
        active.extend(contexts_beneath(app));
    }
    let Some(key) = Key::from_event(&event) else {
        // Ctrl and Alt combinations edit text (tui-input's Ctrl-U, Alt-B…) while typing.
        return app.text_input_focused().then_some(Action::Input(event));
    };
    for context in active {
        for binding in bindings(context) {
            if binding.keys.iter().any(|k| k.covers(key))
                && let Some(action) = (binding.act)(app, key)
            {
                return Some(match action {
                    // The event as pressed, with its modifiers (Shift).
                    Action::Input(_) => Action::Input(event),
                    other => other,
                });
            }
        }
    }
    None
}

/// What a paste (bracketed, so it arrives whole) means now: one edit of the focused input.
pub fn map_paste(app: &App, text: String) -> Option<Action> {
    app.text_input_focused().then_some(Action::Paste(text))
}

/// The keys of a binding that do something now.
fn working(app: &App, binding: &Binding) -> Vec<Key> {
    binding
        .keys
        .iter()
        .copied()
        .filter(|k| (binding.act)(app, *k).is_some_and(|a| app.refusal(&a).is_none()))
        .collect()
}

/// The working bindings of `contexts`, per context.
fn listed(app: &App, contexts: Vec<Context>) -> Vec<(Context, Vec<Listed>)> {
    contexts
        .into_iter()
        .map(|context| {
            let entries = bindings(context)
                .into_iter()
                .filter_map(|b| {
                    let keys = working(app, &b);
                    if keys.is_empty() {
                        return None;
                    }
                    let bar = match b.bar {
                        Bar::No => None,
                        Bar::Yes(text) => Some(text),
                        Bar::When(text, shown) => shown(app).then_some(text),
                    };
                    Some(Listed {
                        label: label(&keys),
                        keys,
                        help: b.help,
                        bar,
                    })
                })
                .collect();
            (context, entries)
        })
        .collect()
}

/// Every key that works now, per active context (what the help of this moment lists).
pub fn active(app: &App) -> Vec<(Context, Vec<Listed>)> {
    listed(app, contexts(app))
}

/// The bottom bar's entries now, with their keys (a click on one presses its first key).
pub fn bar_entries(app: &App) -> Vec<Listed> {
    active(app)
        .into_iter()
        .flat_map(|(_, entries)| entries)
        .filter(|l| l.bar.is_some())
        .collect()
}

/// The bottom bar's entries now: (keys, what they do).
pub fn bar(app: &App) -> Vec<(String, &'static str)> {
    bar_entries(app)
        .into_iter()
        .filter_map(|l| l.bar.map(|text| (l.label, text)))
        .collect()
}

/// The help overlay's sections: the contexts beneath it, with every key that works there.
pub fn help(app: &App) -> Vec<(Context, Vec<Listed>)> {
    listed(app, contexts_beneath(app))
}
