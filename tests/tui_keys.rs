//! Keys → Actions → state: plain printable keys, arrows, Enter, Esc and Tab reach every screen
//! (so `tmux send-keys` can drive the app); typing goes to the focused input; the bottom bar
//! and the help come from the same key map.

mod app_common;

use app_common::*;
use autosync::app::{Action, Dialog, ScreenKind};
use autosync::tui::keymap::{self, Context};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn char_key(c: char) -> KeyEvent {
    key(KeyCode::Char(c))
}

/// Presses one key the way the TUI does: the key map decides, the App applies.
async fn press(h: &mut Harness, key: KeyEvent) -> Option<Action> {
    let action = keymap::map_key(&h.app, key);
    if let Some(action) = action.clone() {
        h.act(action).await;
    }
    action
}

async fn press_all(h: &mut Harness, keys: &[KeyEvent]) {
    for k in keys {
        press(h, *k).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_is_reachable_with_plain_keys() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let enter = key(KeyCode::Enter);
    let esc = key(KeyCode::Esc);
    let down = key(KeyCode::Down);
    press(&mut h, enter).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::List);
    press(&mut h, enter).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Form);
    press_all(&mut h, &[esc, esc]).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Home);
    press_all(&mut h, &[down, down, enter]).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Setup);
    press(&mut h, char_key('h')).await;
    press(&mut h, char_key('u')).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Setup);
    press(&mut h, esc).await;
    press(&mut h, char_key('l')).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Log);
    press(&mut h, char_key('p')).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Server);
    // Woodford: an item of the Server panel, and `c` on Home.
    let woodford = autosync::app::ServerItem::ALL
        .iter()
        .position(|i| *i == autosync::app::ServerItem::Woodford)
        .unwrap();
    for _ in 0..woodford {
        press(&mut h, down).await;
    }
    press(&mut h, enter).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Woodford);
    press(&mut h, char_key('h')).await;
    press(&mut h, char_key('c')).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Woodford);
    press(&mut h, char_key('h')).await;
    press(&mut h, char_key('e')).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::SyncErrors);
    press(&mut h, char_key('?')).await;
    assert!(h.app.help_shown());
    press(&mut h, esc).await;
    assert!(!h.app.help_shown());
    assert_eq!(
        h.app.screen_kind(),
        ScreenKind::SyncErrors,
        "Esc closes the help first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_are_reached_and_resolved_with_keys() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    make_contact_conflict(&mut h, "con-0001").await;
    h.act(Action::OpenHome).await;
    press(&mut h, key(KeyCode::Enter)).await;
    assert_eq!(
        h.app.screen_kind(),
        ScreenKind::SyncErrors,
        "Sync Errors is the first Home item"
    );
    press(&mut h, key(KeyCode::Enter)).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Conflict);
    press(&mut h, char_key('w')).await;
    press(&mut h, key(KeyCode::Esc)).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Conflict);
    press(&mut h, char_key('g')).await;
    assert_eq!(keymap::contexts(&h.app)[0], Context::Merge);
    press(&mut h, char_key('s')).await;
    assert!(h.app.conflicts().is_empty(), "s applied the merge");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_goes_to_the_focused_input_and_only_there() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0001").await;
    press(&mut h, key(KeyCode::Enter)).await;
    assert!(h.app.text_input_focused());
    assert_eq!(keymap::contexts(&h.app), vec![Context::Editing]);
    let typed = press(&mut h, char_key('q')).await;
    assert!(
        matches!(typed, Some(Action::Input(_))),
        "q types a q while editing: {typed:?}"
    );
    assert!(!h.app.is_quitting());
    press(&mut h, key(KeyCode::Tab)).await;
    assert!(!h.app.text_input_focused(), "Tab moves to the next field");
    assert_eq!(
        h.app.top_form().unwrap().fields[0].value,
        "Datum Outfittersq"
    );
    press(&mut h, char_key('x')).await;
    assert!(!h.app.top_form().unwrap().is_dirty(), "x cancels the edits");
    let quit = keymap::map_key(
        &h.app,
        KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
    );
    assert_eq!(quit, Some(Action::Quit), "Ctrl-C quits");
    press(&mut h, char_key('s')).await;
    assert!(
        h.app
            .top_form()
            .unwrap()
            .notice
            .as_ref()
            .unwrap()
            .text
            .starts_with("Nothing changed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_key_becomes_the_down_arrow_and_dialogs_take_their_keys() {
    let toml = project_with(
        "sync_before_online = \"NoAction\"",
        "sync_before_online = \"AskUserToSync\"",
    );
    let mut h = Harness::with_project(Some(&toml), Prep::Synced).await;
    assert_eq!(
        keymap::map_key(&h.app, char_key('s')),
        Some(Action::PressSync)
    );
    h.act(Action::PublishV2).await;
    h.sync().await;
    assert_eq!(
        keymap::map_key(&h.app, char_key('s')),
        Some(Action::PressDownArrow)
    );
    press(&mut h, char_key('o')).await;
    assert!(matches!(h.app.dialog(), Some(Dialog::ModeSwitch { .. })));
    assert_eq!(keymap::contexts(&h.app)[0], Context::ModeDialog);
    press(&mut h, char_key('c')).await;
    assert_eq!(h.app.dialog(), None);
    press(&mut h, char_key('o')).await;
    press(&mut h, key(KeyCode::Right)).await;
    press(&mut h, key(KeyCode::Enter)).await;
    assert_eq!(
        h.app.mode(),
        autosync::device::AppMode::Online,
        "→ then Enter: Switch without sync"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bar_and_the_help_come_from_the_same_key_map() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let screens = [
        Action::OpenHome,
        Action::OpenSetup,
        Action::OpenList {
            entity: "account".into(),
        },
        Action::OpenRecord {
            entity: "account".into(),
            id: "acc-0001".into(),
        },
        Action::OpenLog,
        Action::OpenServerPanel,
    ];
    for screen in screens {
        h.act(screen.clone()).await;
        let help: Vec<String> = keymap::help(&h.app)
            .into_iter()
            .flat_map(|(_, listed)| listed.into_iter().map(|l| l.label))
            .collect();
        for (label, _) in keymap::bar(&h.app) {
            assert!(
                help.contains(&label),
                "{screen:?}: bar key {label} is not in the help"
            );
        }
        assert!(help.iter().any(|l| l == "q"), "quit is always documented");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_keys_work_from_any_screen() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::OpenList {
        entity: "contact".into(),
    })
    .await;
    press(&mut h, char_key('n')).await;
    assert_eq!(h.app.network(), autosync::rules::Network::Disconnected);
    press(&mut h, char_key('6')).await;
    assert_eq!(
        h.app.now(),
        chrono::DateTime::parse_from_rfc3339(T0).unwrap().to_utc() + chrono::Duration::minutes(16)
    );
    press(&mut h, char_key('b')).await;
    assert!(h.app.in_background());
    assert_eq!(keymap::contexts(&h.app)[0], Context::Background);
    press(&mut h, char_key('r')).await;
    assert!(!h.app.in_background());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_keeps_unsaved_edits_and_d_discards_them() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.open_record("contact", "con-0001").await;
    h.edit("job_title", "Unsaved").await;
    press(&mut h, key(KeyCode::Esc)).await;
    assert_eq!(keymap::contexts(&h.app), vec![Context::Discard]);
    press(&mut h, key(KeyCode::Enter)).await;
    assert_eq!(h.app.dialog(), None);
    assert!(h.app.top_form().unwrap().is_dirty(), "Enter kept the edits");
    press(&mut h, key(KeyCode::Esc)).await;
    press(&mut h, char_key('?')).await;
    assert!(h.app.help_shown(), "? works on the dialog");
    press(&mut h, key(KeyCode::Esc)).await;
    assert!(!h.app.help_shown());
    assert!(
        matches!(h.app.dialog(), Some(Dialog::Discard { .. })),
        "Esc closed the help, not the dialog"
    );
    press(&mut h, char_key('d')).await;
    assert_eq!(
        h.app.screen_kind(),
        ScreenKind::Home,
        "d discarded and left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn left_and_right_step_the_setup_selectors() {
    use autosync::settings::AutoSync;
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    press(&mut h, char_key('u')).await;
    let auto_sync = |h: &Harness| h.app.settings().unwrap().auto_sync;
    assert_eq!(auto_sync(&h), AutoSync::Never);
    press(&mut h, key(KeyCode::Left)).await;
    assert_eq!(auto_sync(&h), AutoSync::OnStartAndChange, "← goes round");
    press(&mut h, key(KeyCode::Right)).await;
    assert_eq!(auto_sync(&h), AutoSync::Never, "→ comes back");
    press(&mut h, key(KeyCode::Right)).await;
    assert_eq!(auto_sync(&h), AutoSync::OnStart);
    let listed: Vec<String> = keymap::help(&h.app)
        .into_iter()
        .flat_map(|(_, l)| l.into_iter().map(|l| l.label))
        .collect();
    assert!(listed.contains(&"←→".to_string()), "{listed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_bar_shows_e_while_sync_errors_wait() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let has_e = |h: &Harness| keymap::bar(&h.app).iter().any(|(k, _)| k == "e");
    assert!(!has_e(&h), "no sync errors, no e in the bar");
    make_contact_conflict(&mut h, "con-0001").await;
    h.act(Action::OpenHome).await;
    assert!(has_e(&h), "{:?}", keymap::bar(&h.app));
    press(&mut h, char_key('e')).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::SyncErrors);
}

/// No key means two things at once: within each stack of contexts read together, every key is
/// bound once — so `j` `k` `g` `G` `Home` `End` were added only where they were free.
#[test]
fn no_key_is_bound_twice_where_contexts_are_read_together() {
    use autosync::tui::keymap::{Key, bindings};
    let screens = [
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
        Context::Woodford,
    ];
    let mut stacks: Vec<Vec<Context>> = screens
        .iter()
        .map(|s| vec![*s, Context::Global, Context::Demo])
        .collect();
    for alone in [
        Context::ModeDialog,
        Context::SyncRunning,
        Context::Background,
    ] {
        stacks.push(vec![alone, Context::Demo]);
    }
    for alone in [
        Context::Discard,
        Context::Login,
        Context::Editing,
        Context::Help,
    ] {
        stacks.push(vec![alone]);
    }
    stacks.push(vec![Context::TooSmall]);
    for stack in stacks {
        let mut seen: Vec<Key> = Vec::new();
        for context in &stack {
            for binding in bindings(*context) {
                for key in binding.keys {
                    assert!(
                        !seen.contains(key),
                        "{key:?} is bound twice in {stack:?} ({})",
                        binding.help
                    );
                    seen.push(*key);
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g_stays_merge_on_a_sync_error_where_home_and_end_go_to_the_ends() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    make_contact_conflict(&mut h, "con-0001").await;
    h.acts([Action::OpenSyncErrors, Action::Select]).await;
    assert_eq!(keymap::contexts(&h.app)[0], Context::Conflict);
    assert_eq!(
        keymap::map_key(&h.app, char_key('g')),
        Some(Action::ToggleMerge)
    );
    assert_eq!(keymap::map_key(&h.app, char_key('G')), None);
    assert_eq!(
        keymap::map_key(&h.app, key(KeyCode::End)),
        Some(Action::Last)
    );
    assert_eq!(keymap::map_key(&h.app, char_key('j')), Some(Action::Down));
    press(&mut h, key(KeyCode::End)).await;
    press(&mut h, char_key('g')).await;
    assert_eq!(keymap::contexts(&h.app)[0], Context::Merge);
    press(&mut h, key(KeyCode::Home)).await;
    press(&mut h, char_key('j')).await;
    let Some(autosync::app::Screen::Conflict(c)) = h.app.stack().last() else {
        panic!("on the sync error")
    };
    assert_eq!(c.selected, 1, "Home then j");
    // While typing, j and g are letters.
    h.open_record("account", "acc-0001").await;
    press(&mut h, key(KeyCode::Enter)).await;
    assert!(matches!(
        keymap::map_key(&h.app, char_key('j')),
        Some(Action::Input(_))
    ));
}

/// A list's `a` opens the entity's form empty; Save names a missing required field, then
/// creates the record on the device (it uploads with the next sync); the form's `d` asks
/// first — Enter keeps the record, `d` deletes it — and the record leaves the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_and_delete_with_plain_keys_and_the_confirmation_dialog() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let enter = key(KeyCode::Enter);
    press(&mut h, enter).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::List);
    let recorded = h.app.recorded().len();
    assert_eq!(press(&mut h, char_key('a')).await, Some(Action::NewRecord));
    let form = h.app.top_form().expect("the new record's form");
    assert!(form.id.is_empty() && form.fields.iter().all(|f| f.value.is_empty()));
    // City first: Save refuses and names the required field.
    press_all(
        &mut h,
        &[key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Down)],
    )
    .await;
    press(&mut h, enter).await;
    h.type_text("Nantes").await;
    press_all(&mut h, &[enter, char_key('s')]).await;
    let notice = h.app.top_form().unwrap().notice.clone().unwrap();
    assert!(
        notice.text.contains("Account Name is required"),
        "{}",
        notice.text
    );
    assert_eq!(h.store().pending_count().unwrap(), 0, "nothing written");
    // The name, then Save: created on the device, pending upload.
    press(&mut h, key(KeyCode::Home)).await;
    press(&mut h, enter).await;
    h.type_text("Keyboard Made Ltd").await;
    press_all(&mut h, &[enter, char_key('s')]).await;
    let form = h.app.top_form().unwrap();
    let id = form.id.clone();
    assert!(!id.is_empty(), "the device gave it its id");
    assert!(
        form.notice.as_ref().unwrap().text.starts_with("Created"),
        "{:?}",
        form.notice
    );
    let stored = h.store().record("account", &id).unwrap().unwrap();
    assert_eq!(stored.fields["name"], "Keyboard Made Ltd");
    assert_eq!(stored.fields["city"], "Nantes");
    assert_eq!(h.store().pending_count().unwrap(), 1);
    // `d` asks; Enter is "keep it".
    assert_eq!(
        press(&mut h, char_key('d')).await,
        Some(Action::DeleteRecord)
    );
    assert!(matches!(h.app.dialog(), Some(Dialog::ConfirmDelete { .. })));
    assert_eq!(keymap::contexts(&h.app), vec![Context::ConfirmDelete]);
    press(&mut h, enter).await;
    assert!(h.app.dialog().is_none());
    assert!(h.store().record("account", &id).unwrap().is_some());
    // `d` then `d`: deleted on the device; never uploaded, so nothing is left to send.
    press_all(&mut h, &[char_key('d'), char_key('d')]).await;
    assert!(h.app.dialog().is_none());
    assert_eq!(h.app.screen_kind(), ScreenKind::List, "its form closed");
    assert!(h.store().record("account", &id).unwrap().is_none());
    assert_eq!(h.store().pending_count().unwrap(), 0);
    assert!(h.message().starts_with("Deleted"), "{}", h.message());
    // `--record` keeps what it meant: the create with its id, its form, the confirmed delete.
    let kept: Vec<Action> = h.app.recorded()[recorded..]
        .iter()
        .map(|r| r.action.clone())
        .collect();
    assert_eq!(
        kept,
        vec![
            Action::CreateRecord {
                entity: "account".into(),
                id: id.clone(),
                fields: fields(&[("city", "Nantes"), ("name", "Keyboard Made Ltd")]),
            },
            Action::OpenRecord {
                entity: "account".into(),
                id,
            },
            Action::ConfirmDelete,
        ]
    );
}

/// Deleting a record the server has: it leaves the list at once and the sync deletes it there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_record_leaves_the_list_and_the_sync_deletes_it_on_the_server() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::OpenList {
        entity: "account".into(),
    })
    .await;
    let total = |h: &Harness| match h.app.screen() {
        autosync::app::Screen::List(l) => l.total,
        _ => panic!("a list"),
    };
    assert_eq!(total(&h), 240);
    h.open_record("account", "acc-0010").await;
    press_all(&mut h, &[char_key('d'), char_key('d')]).await;
    assert_eq!(total(&h), 239, "gone from the list at once");
    assert_eq!(h.store().pending_count().unwrap(), 1);
    h.sync().await;
    assert_eq!(h.store().pending_count().unwrap(), 0);
    let server = autosync::remote::Remote::new(&h.server_url(), "demo", "demo")
        .unwrap()
        .record("account", "acc-0010")
        .await
        .unwrap();
    assert!(server.is_none(), "deleted on the server");
}
