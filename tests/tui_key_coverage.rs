//! The key bar and the help list exactly the keys that work, in every context (screen, dialog,
//! overlay). For each context: every key a broad set of candidates (printable ASCII, arrows,
//! Enter, Esc, Tab, S-Tab, PgUp/PgDn, Home/End, Backspace/Delete) holds is pressed for real —
//! a listed key must change the App or return an effect, an unlisted one must not (unless the
//! App refuses it, which only says why). The help shown over a context lists what works there.

mod app_common;

use app_common::*;
use autosync::app::{Action, App, ServerItem};
use autosync::engine::{PhaseProgress, PhaseState};
use autosync::rules::{Phase, SyncActivity, SyncMode};
use autosync::settings::SettingChange;
use autosync::tui::Theme;
use autosync::tui::keymap::{self, Context, Key};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// A moment of the app in one context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    HomeTop,
    HomeMiddle,
    HomeWithSyncErrors,
    SetupSelector,
    SetupText,
    SetupLocked,
    List,
    FormClean,
    FormDirty,
    TypingInAForm,
    TypingASearch,
    TypingASetting,
    SyncErrors,
    Conflict,
    ConflictWhatIf,
    Merge,
    Log,
    LogEntry,
    Timeline,
    ServerPanel,
    ServerPanelExternal,
    WoodfordDraft,
    WoodfordReadOnly,
    TypingAnInterval,
    AskUserToSync,
    WarnUserMustSync,
    Discard,
    /// A new record's form (from the list's `a`).
    NewForm,
    /// The form's `d`: "Delete the record?".
    ConfirmDelete,
    Login,
    ForegroundSync,
    Background,
    HelpOverHome,
    HelpOverDiscard,
    TooSmall,
}

/// A record with related contacts, so the custom command has something to do.
const ACCOUNT: &str = "acc-0036";

async fn open_form(h: &mut Harness) {
    h.open_record("account", ACCOUNT).await;
}

async fn downs(h: &mut Harness, n: usize) {
    for _ in 0..n {
        h.act(Action::Down).await;
    }
}

/// The engine's status in the middle of a foreground download.
fn mid_download(h: &Harness) -> autosync::engine::SyncStatus {
    let mut status = h.app.status().clone();
    status.activity = SyncActivity::Running {
        mode: SyncMode::Foreground,
        phase: Phase::Download,
    };
    status.trigger = Some(autosync::rules::Trigger::Manual);
    status.phases = Phase::ALL
        .iter()
        .map(|&phase| PhaseProgress {
            state: if phase == Phase::Download {
                PhaseState::Running
            } else {
                PhaseState::Pending
            },
            ..PhaseProgress::pending(phase)
        })
        .collect();
    status
}

/// A fresh app in `state`.
async fn build(state: State) -> Harness {
    let ask = project_with(
        "sync_before_online = \"NoAction\"",
        "sync_before_online = \"AskUserToSync\"",
    );
    let warn = project_with(
        "sync_before_online = \"NoAction\"",
        "sync_before_online = \"WarnUserMustSync\"",
    );
    let locked = project_with("locked = []", "locked = [\"auto_sync\"]");
    let mut h = match state {
        State::SetupLocked => Harness::with_project(Some(&locked), Prep::SyncedQuiet).await,
        State::AskUserToSync => Harness::with_project(Some(&ask), Prep::SyncedQuiet).await,
        State::WarnUserMustSync => Harness::with_project(Some(&warn), Prep::SyncedQuiet).await,
        State::ServerPanelExternal | State::WoodfordReadOnly => {
            Harness::external(Prep::SyncedQuiet).await
        }
        _ => Harness::new(Prep::SyncedQuiet).await,
    };
    match state {
        State::HomeTop => {}
        State::HomeMiddle => downs(&mut h, 2).await,
        State::HomeWithSyncErrors => {
            make_contact_conflict(&mut h, "con-0001").await;
            h.act(Action::OpenHome).await;
            downs(&mut h, 1).await;
        }
        State::SetupSelector | State::SetupLocked => h.act(Action::OpenSetup).await,
        State::SetupText => {
            h.act(Action::OpenSetup).await;
            downs(&mut h, 3).await;
        }
        State::List => {
            h.act(Action::OpenList {
                entity: "account".into(),
            })
            .await;
            downs(&mut h, 3).await;
        }
        State::FormClean => {
            open_form(&mut h).await;
            downs(&mut h, 1).await;
        }
        State::FormDirty => {
            open_form(&mut h).await;
            downs(&mut h, 1).await;
            h.edit("email", "sales@northwind.example").await;
        }
        State::TypingInAForm => {
            open_form(&mut h).await;
            downs(&mut h, 3).await;
            h.act(Action::BeginEdit).await;
        }
        State::TypingASearch => {
            h.act(Action::OpenList {
                entity: "account".into(),
            })
            .await;
            h.act(Action::BeginEdit).await;
            h.type_text("tra").await;
        }
        State::TypingASetting => {
            h.act(Action::OpenSetup).await;
            downs(&mut h, 4).await;
            h.act(Action::BeginEdit).await;
        }
        State::SyncErrors | State::Conflict | State::ConflictWhatIf | State::Merge => {
            make_contact_conflict(&mut h, "con-0001").await;
            h.act(Action::OpenSyncErrors).await;
            if state != State::SyncErrors {
                h.act(Action::Select).await;
            }
            match state {
                State::Conflict => downs(&mut h, 1).await,
                State::ConflictWhatIf => h.act(Action::ToggleWhatIf).await,
                State::Merge => {
                    h.act(Action::ToggleMerge).await;
                    // Job Title: the field in conflict, so Enter has a side to switch.
                    downs(&mut h, 1).await;
                }
                _ => {}
            }
        }
        State::Log => {
            h.act(Action::OpenLog).await;
            h.act(Action::Up).await;
            h.act(Action::Up).await;
        }
        State::LogEntry => {
            h.act(Action::OpenLog).await;
            h.act(Action::Select).await;
        }
        // One column back and one lane down: every direction can move.
        State::Timeline => {
            h.act(Action::OpenTimeline).await;
            h.act(Action::TimelineScroll { columns: -1 }).await;
            h.act(Action::Down).await;
        }
        State::ServerPanel | State::ServerPanelExternal => {
            open_form(&mut h).await;
            h.act(Action::OpenServerPanel).await;
            let delay = ServerItem::ALL
                .iter()
                .position(|i| *i == ServerItem::DelayAccount)
                .unwrap();
            downs(&mut h, delay).await;
        }
        // Trigger Auto Sync stepped once: the draft has a change to publish or discard.
        State::WoodfordDraft | State::WoodfordReadOnly => {
            h.act(Action::OpenWoodford).await;
            downs(&mut h, 1).await;
            if state == State::WoodfordDraft {
                h.act(Action::DraftStep { delta: 1 }).await;
            }
        }
        State::TypingAnInterval => {
            h.act(Action::OpenWoodford).await;
            downs(&mut h, 4).await;
            h.act(Action::BeginEdit).await;
        }
        State::AskUserToSync | State::WarnUserMustSync => h.act(Action::SwitchMode).await,
        State::Discard | State::HelpOverDiscard => {
            open_form(&mut h).await;
            h.edit("city", "Unsaved").await;
            h.act(Action::Back).await;
            if state == State::HelpOverDiscard {
                h.act(Action::Help).await;
            }
        }
        State::NewForm => {
            h.act(Action::OpenList {
                entity: "account".into(),
            })
            .await;
            h.act(Action::NewRecord).await;
        }
        State::ConfirmDelete => {
            open_form(&mut h).await;
            h.act(Action::DeleteRecord).await;
        }
        State::Login => {
            h.act(Action::ChangeSetting(SettingChange::SavePassword(false)))
                .await;
            h.act(Action::PressSync).await;
        }
        State::ForegroundSync => {
            // Told by hand (no pump follows), so it stays in the middle of its download.
            let status = mid_download(&h);
            h.app.update(Action::Status(status));
        }
        State::Background => h.act(Action::SendToBackground).await,
        State::HelpOverHome => h.act(Action::Help).await,
        State::TooSmall => {
            h.act(Action::OpenList {
                entity: "account".into(),
            })
            .await;
            h.act(Action::Resize {
                width: 40,
                height: 12,
            })
            .await;
        }
    }
    h
}

/// The context each state is for.
fn context(state: State) -> Context {
    match state {
        State::HomeTop | State::HomeMiddle | State::HomeWithSyncErrors => Context::Home,
        State::SetupSelector | State::SetupText | State::SetupLocked => Context::Setup,
        State::List => Context::List,
        State::FormClean | State::FormDirty | State::NewForm => Context::Form,
        State::ConfirmDelete => Context::ConfirmDelete,
        State::TypingInAForm
        | State::TypingASearch
        | State::TypingASetting
        | State::TypingAnInterval => Context::Editing,
        State::SyncErrors => Context::SyncErrors,
        State::Conflict | State::ConflictWhatIf => Context::Conflict,
        State::Merge => Context::Merge,
        State::Log => Context::Log,
        State::LogEntry => Context::LogEntry,
        State::Timeline => Context::Timeline,
        State::ServerPanel | State::ServerPanelExternal => Context::Server,
        State::WoodfordDraft | State::WoodfordReadOnly => Context::Woodford,
        State::AskUserToSync | State::WarnUserMustSync => Context::ModeDialog,
        State::Discard => Context::Discard,
        State::Login => Context::Login,
        State::ForegroundSync => Context::SyncRunning,
        State::Background => Context::Background,
        State::HelpOverHome | State::HelpOverDiscard => Context::Help,
        State::TooSmall => Context::TooSmall,
    }
}

/// The keys pressed in every context.
fn candidates() -> Vec<KeyEvent> {
    let mut keys: Vec<KeyEvent> = (0x20u8..=0x7e)
        .map(|b| key(KeyCode::Char(b as char)))
        .collect();
    keys.extend(
        [
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::Left,
            KeyCode::Right,
            KeyCode::PageUp,
            KeyCode::PageDown,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::Backspace,
            KeyCode::Delete,
        ]
        .map(key),
    );
    keys
}

/// Everything a key could change: the screen as drawn, and what the App keeps besides.
fn snapshot(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal
        .draw(|frame| autosync::tui::draw(frame, app, &Theme::plain()))
        .unwrap();
    format!(
        "{}\n{:?}",
        terminal.backend(),
        (
            app.stack(),
            app.dialog(),
            app.sync_screen(),
            app.message(),
            (app.mode(), app.network(), app.now()),
            (app.help_shown(), app.in_background(), app.why_expanded()),
            (app.is_quitting(), app.switch_pending()),
            (app.recorded().len(), app.log_lines().len()),
            app.ui_gate().held,
        )
    )
}

/// Whether any key listed now covers `event`.
fn is_listed(app: &App, event: &KeyEvent) -> bool {
    let Some(pressed) = Key::from_event(event) else {
        return false;
    };
    keymap::active(app)
        .iter()
        .flat_map(|(_, listed)| listed.iter())
        .any(|l| l.keys.iter().any(|k| k.covers(pressed)))
}

/// Presses `event` as the TUI would; true when the App changed or asked for work.
fn press_changes(app: &mut App, event: KeyEvent) -> bool {
    let Some(action) = keymap::map_key(app, event) else {
        return false;
    };
    if app.refusal(&action).is_some() {
        return false;
    }
    let before = snapshot(app);
    let effects = app.update(action);
    !effects.is_empty() || snapshot(app) != before
}

/// The test of one state: listed ⇔ works, each key pressed for real.
async fn check(state: State) {
    let mut h = build(state).await;
    // The App does no I/O: each key is tried on a copy of this moment, not on a new session.
    let pristine = h.app.clone();
    assert_eq!(
        keymap::contexts(&h.app)[0],
        context(state),
        "{state:?} is in the wrong context"
    );
    let listed: Vec<KeyEvent> = candidates()
        .into_iter()
        .filter(|e| is_listed(&h.app, e))
        .collect();
    assert!(!listed.is_empty(), "{state:?}: nothing is listed");

    // The bar is a part of what is listed.
    let labels: Vec<String> = keymap::active(&h.app)
        .into_iter()
        .flat_map(|(_, l)| l.into_iter().map(|l| l.label))
        .collect();
    for (label, what) in keymap::bar(&h.app) {
        assert!(
            labels.contains(&label),
            "{state:?}: the bar's {label} {what} is not listed"
        );
    }

    // Unlisted keys change nothing: pressed one after another in the same app.
    for event in candidates().into_iter().filter(|e| !listed.contains(e)) {
        let action = keymap::map_key(&h.app, event);
        assert!(
            !press_changes(&mut h.app, event),
            "{state:?}: {:?} ({action:?}) changes something but is not listed",
            event.code
        );
    }

    // Listed keys each change something: letters typed into one input in turn, every other
    // key in an app of its own.
    let mut typist = pristine.clone();
    for event in listed {
        let types = matches!(keymap::map_key(&h.app, event), Some(Action::Input(_)))
            && matches!(event.code, KeyCode::Char(_));
        let mut fresh;
        let app = if types {
            &mut typist
        } else {
            fresh = pristine.clone();
            &mut fresh
        };
        let action = keymap::map_key(app, event);
        assert!(
            press_changes(app, event),
            "{state:?}: {:?} is listed but changes nothing ({action:?})",
            event.code
        );
    }

    // The help shown over this context lists what works in it.
    if context(state) != Context::Help
        && let Some(Action::Help) = keymap::map_key(&h.app, key(KeyCode::Char('?')))
        && h.app.refusal(&Action::Help).is_none()
    {
        let mut app = pristine.clone();
        let working = keymap::active(&app);
        app.update(Action::Help);
        assert_eq!(
            keymap::help(&app),
            working,
            "{state:?}: the help lists other keys than those that work"
        );
    }
}

async fn check_all(states: &[State]) {
    for state in states {
        check(*state).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_setup_and_help_list_exactly_the_keys_that_work() {
    check_all(&[
        State::HomeTop,
        State::HomeMiddle,
        State::HomeWithSyncErrors,
        State::SetupSelector,
        State::SetupText,
        State::SetupLocked,
        State::HelpOverHome,
        State::HelpOverDiscard,
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_forms_and_typing_list_exactly_the_keys_that_work() {
    check_all(&[
        State::List,
        State::FormClean,
        State::FormDirty,
        State::TypingInAForm,
        State::TypingASearch,
        State::TypingASetting,
        State::Discard,
        State::NewForm,
        State::ConfirmDelete,
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_errors_log_and_server_list_exactly_the_keys_that_work() {
    check_all(&[
        State::SyncErrors,
        State::Conflict,
        State::ConflictWhatIf,
        State::Merge,
        State::Log,
        State::LogEntry,
        State::Timeline,
        State::ServerPanel,
        State::ServerPanelExternal,
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn woodford_lists_exactly_the_keys_that_work() {
    check_all(&[
        State::WoodfordDraft,
        State::WoodfordReadOnly,
        State::TypingAnInterval,
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dialogs_and_the_sync_screen_list_exactly_the_keys_that_work() {
    check_all(&[
        State::AskUserToSync,
        State::WarnUserMustSync,
        State::Login,
        State::ForegroundSync,
        State::Background,
        State::TooSmall,
    ])
    .await;
}

/// Every context is checked above, directly or beneath a screen (Everywhere, Demo controls).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_context_has_a_state_in_this_test() {
    let states = [
        State::HomeTop,
        State::SetupSelector,
        State::List,
        State::FormClean,
        State::TypingInAForm,
        State::SyncErrors,
        State::Conflict,
        State::Merge,
        State::Log,
        State::LogEntry,
        State::Timeline,
        State::ServerPanel,
        State::WoodfordDraft,
        State::AskUserToSync,
        State::Discard,
        State::ConfirmDelete,
        State::Login,
        State::ForegroundSync,
        State::Background,
        State::HelpOverHome,
        State::TooSmall,
    ];
    let mut seen = std::collections::HashSet::new();
    for state in states {
        let h = build(state).await;
        seen.extend(keymap::contexts(&h.app));
    }
    for context in Context::ALL {
        assert!(seen.contains(&context), "no state checks {context:?}");
    }
}
