//! The bindings of each context: keys, words, bar text and action. Whether a key works now is
//! the App's to say ([`crate::app::App::refusal`]): these only say what each key asks for.

use super::{Bar, Binding, Context, Key, dialogs};
use crate::app::{Action, App, HomeItem, Screen};
use crate::rules::SwitchChoice;
use crate::store::UserResolution;

use Key::*;

pub(super) const fn bind(
    keys: &'static [Key],
    help: &'static str,
    bar: Bar,
    act: super::ActionFn,
) -> Binding {
    Binding {
        keys,
        help,
        bar,
        act,
    }
}

/// The arrows (and `k` `j`), Page keys, Home/End (and `g` `G`) and Tab move the selection.
pub(super) fn moves(_: &App, key: Key) -> Option<Action> {
    Some(match key {
        Up | Char('k') => Action::Up,
        Down | Char('j') => Action::Down,
        Home | Char('g') => Action::First,
        End | Char('G') => Action::Last,
        PageUp => Action::PageUp,
        PageDown => Action::PageDown,
        Tab | Right => Action::NextField,
        BackTab | Left => Action::PrevField,
        _ => return None,
    })
}

/// A key for the focused text input.
fn typing(_: &App, key: Key) -> Option<Action> {
    Some(Action::Input(key.event()))
}

pub(super) fn answer(choice: SwitchChoice) -> Option<Action> {
    Some(Action::AnswerDialog(choice))
}

fn resolve(app: &App, resolution: UserResolution) -> Option<Action> {
    match app.screen() {
        Screen::Conflict(c) => Some(Action::Resolve {
            conflict_id: c.conflict_id,
            resolution,
        }),
        _ => None,
    }
}

pub(super) const TEXT: Binding = bind(&[Text], "type", Bar::No, typing);
pub(super) const CURSOR: Binding = bind(
    &[Left, Right, Home, End, Backspace, Delete],
    "move the cursor, erase",
    Bar::No,
    typing,
);
// `k` `j` (as ↑ ↓) are free in every context with a selection; `g` is merge on a sync error, so
// there only Home/End go to the ends. Listed in the help, not in the bar.
const ENDS: Binding = bind(
    &[Home, End, Char('g'), Char('G')],
    "first / last",
    Bar::No,
    moves,
);
const MOVE_SELECTION: Binding = bind(
    &[Up, Down, Char('k'), Char('j')],
    "move the selection",
    Bar::No,
    moves,
);
const HOME_END: Binding = bind(&[Home, End], "first / last", Bar::No, moves);
pub(super) const HELP: Binding = bind(&[Char('?')], "help", Bar::Yes("help"), |_, _| {
    Some(Action::Help)
});
const TIMELINE: Binding = bind(&[Char('t')], "Timeline", Bar::Yes("timeline"), |_, _| {
    Some(Action::OpenTimeline)
});
pub(super) const QUIT: Binding = bind(&[Char('q')], "quit", Bar::Yes("quit"), |_, _| {
    Some(Action::Quit)
});

/// The bindings of one context, in the order the bar and the help show them.
pub fn bindings(context: Context) -> Vec<Binding> {
    match context {
        Context::TooSmall => vec![QUIT],
        Context::Help => vec![bind(
            &[Char('?'), Esc],
            "close the help",
            Bar::Yes("close"),
            |_, _| Some(Action::Help),
        )],
        Context::ModeDialog => dialogs::mode_dialog(),
        Context::Discard => dialogs::discard(),
        Context::ConfirmDelete => dialogs::confirm_delete(),
        Context::Login => dialogs::login(),
        Context::SyncRunning => vec![
            bind(
                &[Esc, Char('c')],
                "cancel the sync",
                Bar::Yes("cancel sync"),
                |_, _| Some(Action::CancelSync),
            ),
            QUIT,
            HELP,
        ],
        Context::Background => vec![
            bind(
                &[Char('r'), Enter],
                "bring the app back (resume)",
                Bar::Yes("resume"),
                |_, _| Some(Action::Resume),
            ),
            QUIT,
            HELP,
        ],
        Context::Editing => vec![
            bind(&[Enter, Esc], "done", Bar::Yes("done"), |_, _| {
                Some(Action::EndEdit)
            }),
            // On a form Tab keeps what was typed and moves on; elsewhere it types nothing.
            bind(&[Tab], "next field", Bar::Yes("next field"), |app, _| {
                app.top_form().map(|_| Action::NextField)
            }),
            bind(&[BackTab], "previous field", Bar::No, |app, _| {
                app.top_form().map(|_| Action::PrevField)
            }),
            TEXT,
            CURSOR,
        ],
        Context::Home => vec![
            MOVE_SELECTION,
            ENDS,
            bind(&[Enter], "open", Bar::Yes("open"), |app, _| {
                app.select_action()
            }),
            bind(
                &[Char('s')],
                "Sync (↓: apply the project update)",
                Bar::Yes("sync"),
                |app, _| {
                    Some(if app.status().update_available.is_some() {
                        Action::PressDownArrow
                    } else {
                        Action::PressSync
                    })
                },
            ),
            bind(
                &[Char('w')],
                "why did (or didn't) auto sync run? expand/collapse",
                Bar::Yes("why"),
                |_, _| Some(Action::ToggleWhy),
            ),
            bind(
                &[Char('e')],
                "Sync Errors",
                Bar::When("errors", |app| {
                    matches!(app.home_items().first(), Some(HomeItem::SyncErrors { .. }))
                }),
                |_, _| Some(Action::OpenSyncErrors),
            ),
            bind(&[Char('u')], "Setup", Bar::Yes("Setup"), |_, _| {
                Some(Action::OpenSetup)
            }),
            bind(&[Char('l')], "Log", Bar::Yes("Log"), |_, _| {
                Some(Action::OpenLog)
            }),
            bind(
                &[Char('c')],
                "Woodford: configure and publish the project",
                Bar::Yes("Woodford"),
                |_, _| Some(Action::OpenWoodford),
            ),
            TIMELINE,
        ],
        Context::Setup => vec![
            MOVE_SELECTION,
            ENDS,
            bind(
                &[Left, Right],
                "previous / next value of the selector",
                Bar::No,
                |app, key| app.setup_step_action(if key == Left { -1 } else { 1 }),
            ),
            bind(
                &[Enter, Char(' ')],
                "change the selected setting",
                Bar::Yes("change"),
                |app, _| app.select_action(),
            ),
        ],
        Context::List => vec![
            bind(
                &[Up, Down, Char('k'), Char('j'), PageUp, PageDown],
                "move the selection",
                Bar::No,
                moves,
            ),
            ENDS,
            bind(&[Enter], "open the record", Bar::Yes("open"), |app, _| {
                app.select_action()
            }),
            bind(
                &[Char('/')],
                "search by name",
                Bar::Yes("search"),
                |_, _| Some(Action::BeginEdit),
            ),
            bind(
                &[Char('a')],
                "add a new record (its form, empty)",
                Bar::Yes("new"),
                |_, _| Some(Action::NewRecord),
            ),
        ],
        Context::Form => vec![
            bind(
                &[Up, Down, Char('k'), Char('j'), Tab, BackTab],
                "previous / next field",
                Bar::No,
                moves,
            ),
            ENDS,
            bind(&[Enter], "edit the field", Bar::Yes("edit"), |_, _| {
                Some(Action::BeginEdit)
            }),
            bind(&[Char('s')], "Save", Bar::Yes("Save"), |_, _| {
                Some(Action::Save)
            }),
            bind(
                &[Char('x')],
                "cancel the edits",
                Bar::Yes("cancel edits"),
                |_, _| Some(Action::CancelForm),
            ),
            bind(
                &[Char('d')],
                "delete this record on the device (asks first)",
                Bar::Yes("delete"),
                |_, _| Some(Action::DeleteRecord),
            ),
            bind(
                &[Char('r')],
                "custom command: update related contacts (UI transaction)",
                Bar::Yes("command"),
                |_, _| Some(Action::RunCustomCommand),
            ),
            bind(
                &[Char('[')],
                "tryEnterUiTransaction",
                Bar::Yes("tryEnter"),
                |_, _| Some(Action::EnterUiTransaction),
            ),
            bind(
                &[Char(']')],
                "leaveUiTransaction",
                Bar::Yes("leave"),
                |_, _| Some(Action::LeaveUiTransaction),
            ),
            bind(
                &[Char('E')],
                "edit this record on the server as backoffice",
                Bar::Yes("server edit"),
                |_, _| Some(Action::ServerEditOpenRecord),
            ),
            bind(
                &[Char('D')],
                "delete this record on the server as backoffice",
                Bar::Yes("server delete"),
                |_, _| Some(Action::ServerDeleteOpenRecord),
            ),
        ],
        Context::SyncErrors => vec![
            MOVE_SELECTION,
            ENDS,
            bind(
                &[Enter],
                "open the sync error",
                Bar::Yes("open"),
                |app, _| app.select_action(),
            ),
        ],
        Context::Conflict => vec![
            bind(
                &[Up, Down, Char('k'), Char('j')],
                "select a field",
                Bar::No,
                moves,
            ),
            HOME_END,
            bind(
                &[Char('m')],
                "Clear Error & Retry (mine)",
                Bar::Yes("mine"),
                |app, _| resolve(app, UserResolution::RetryWithMine),
            ),
            bind(
                &[Char('t')],
                "Take Server Version",
                Bar::Yes("server's"),
                |app, _| resolve(app, UserResolution::TakeServer),
            ),
            bind(
                &[Char('g')],
                "Merge field by field",
                Bar::Yes("merge"),
                |_, _| Some(Action::ToggleMerge),
            ),
            bind(
                &[Char('i')],
                "Clear Error & Ignore",
                Bar::Yes("ignore"),
                |app, _| resolve(app, UserResolution::Ignore),
            ),
            bind(
                &[Char('w')],
                "what if (each On Conflict strategy)",
                Bar::Yes("what if"),
                |_, _| Some(Action::ToggleWhatIf),
            ),
        ],
        Context::Merge => vec![
            bind(
                &[Up, Down, Char('k'), Char('j')],
                "select a field",
                Bar::No,
                moves,
            ),
            HOME_END,
            bind(
                &[Enter, Char(' ')],
                "device ⇄ server",
                Bar::Yes("pick side"),
                |_, _| Some(Action::Select),
            ),
            bind(
                &[Char('s')],
                "apply the merge",
                Bar::Yes("apply"),
                |_, _| Some(Action::Save),
            ),
            bind(
                &[Char('g')],
                "leave merge",
                Bar::Yes("leave merge"),
                |_, _| Some(Action::ToggleMerge),
            ),
        ],
        Context::Log => vec![
            bind(
                &[Up, Down, Char('k'), Char('j'), PageUp, PageDown],
                "move the cursor",
                Bar::No,
                moves,
            ),
            ENDS,
            bind(
                &[Enter],
                "open the line in full",
                Bar::Yes("open"),
                |app, _| app.select_action(),
            ),
            bind(
                &[Char('f')],
                "filter by kind",
                Bar::Yes("filter"),
                |app, _| Some(Action::FilterLog(app.next_log_filter())),
            ),
            bind(
                &[Char('x')],
                "export as JSON lines",
                Bar::Yes("export"),
                |app, _| {
                    Some(Action::ExportLog {
                        path: app.default_export_path(),
                    })
                },
            ),
            TIMELINE,
        ],
        Context::LogEntry => vec![],
        Context::Timeline => vec![
            bind(
                &[Left, Right, Home, End],
                "scroll in time (the cursor column)",
                Bar::No,
                |_, key| {
                    let columns = match key {
                        Left => -1,
                        Right => 1,
                        Home => i64::MIN,
                        _ => i64::MAX,
                    };
                    Some(Action::TimelineScroll { columns })
                },
            ),
            bind(
                &[Up, Down, Char('k'), Char('j')],
                "choose the lane",
                Bar::No,
                moves,
            ),
            bind(
                &[Char('+'), Char('-')],
                "zoom in / out",
                Bar::Yes("zoom"),
                |_, key| {
                    let step = if key == Char('+') { 1 } else { -1 };
                    Some(Action::TimelineZoom { step })
                },
            ),
            bind(
                &[Enter],
                "open the line under the cursor in full",
                Bar::Yes("open"),
                |app, _| app.select_action(),
            ),
            bind(
                &[Char('x')],
                "export as an SVG picture",
                Bar::Yes("export"),
                |app, _| {
                    Some(Action::ExportTimeline {
                        path: app.default_timeline_path(),
                    })
                },
            ),
        ],
        Context::Server => vec![
            MOVE_SELECTION,
            ENDS,
            bind(
                &[Enter],
                "run the selected control",
                Bar::Yes("run"),
                |app, _| app.select_action(),
            ),
        ],
        Context::Woodford => vec![
            MOVE_SELECTION,
            ENDS,
            bind(
                &[Left, Right],
                "previous / next value in the draft",
                Bar::No,
                |app, key| app.woodford_step_action(if key == Left { -1 } else { 1 }),
            ),
            bind(
                &[Enter, Char(' ')],
                "next value (the interval: type it)",
                Bar::Yes("change"),
                |app, _| app.select_action(),
            ),
            bind(
                &[Char('l')],
                "lock / unlock the setting on devices",
                Bar::Yes("lock"),
                |_, _| Some(Action::ToggleLock),
            ),
            bind(
                &[Char('s')],
                "publish the draft as the next project version",
                Bar::Yes("publish"),
                |_, _| Some(Action::PublishDraft),
            ),
            bind(
                &[Char('x')],
                "discard the draft",
                Bar::Yes("discard"),
                |_, _| Some(Action::DiscardDraft),
            ),
            bind(
                &[Char('r')],
                "read the published project again",
                Bar::No,
                |_, _| Some(Action::ReadPublished),
            ),
        ],
        Context::Global => vec![
            bind(&[Esc], "back", Bar::Yes("back"), |_, _| Some(Action::Back)),
            bind(&[Char('h')], "Home", Bar::No, |_, _| Some(Action::OpenHome)),
            bind(
                &[Char('p')],
                "Server panel (demo controls)",
                Bar::Yes("server"),
                |_, _| Some(Action::OpenServerPanel),
            ),
            HELP,
            QUIT,
        ],
        Context::Demo => vec![
            bind(&[Char('n')], "toggle the network", Bar::No, |_, _| {
                Some(Action::ToggleNetwork)
            }),
            bind(
                &[Char('o')],
                "go online / offline (Sync-before dialogs)",
                Bar::No,
                |_, _| Some(Action::SwitchMode),
            ),
            bind(&[Char('1')], "clock +1 min", Bar::No, |_, _| {
                Some(Action::AdvanceClock {
                    by: chrono::Duration::minutes(1),
                })
            }),
            bind(&[Char('5')], "clock +5 min", Bar::No, |_, _| {
                Some(Action::AdvanceClock {
                    by: chrono::Duration::minutes(5),
                })
            }),
            bind(&[Char('6')], "clock +16 min", Bar::No, |_, _| {
                Some(Action::AdvanceClock {
                    by: chrono::Duration::minutes(16),
                })
            }),
            bind(
                &[Char('b')],
                "send the app to the background",
                Bar::No,
                |_, _| Some(Action::SendToBackground),
            ),
            bind(
                &[Char('P')],
                "publish project v2 on the server",
                Bar::No,
                |_, _| Some(Action::PublishV2),
            ),
        ],
    }
}
