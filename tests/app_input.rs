//! Input besides keys, through the App core (issue 15): a paste arrives as one edit at the
//! cursor; a click (`Pick`) selects an item and does what Enter does there; a terminal below
//! 60×18 lets only quitting through until it grows again.

mod app_common;

use app_common::*;
use autosync::app::{
    Action, Dialog, Fit, MIN_HEIGHT, MIN_WIDTH, Refusal, Screen, ScreenKind, Side,
};
use autosync::tui::keymap::{self, Context};
use crossterm::event::KeyCode;

/// The account form with its City field (the fourth) being typed into, emptied.
async fn typing_the_city(h: &mut Harness) {
    h.open_record("account", "acc-0001").await;
    h.acts([Action::Down, Action::Down, Action::Down, Action::BeginEdit])
        .await;
    let input = h.app.focused_input().expect("typing");
    for _ in 0..input.value().chars().count() {
        h.act(Action::Input(key(KeyCode::Backspace))).await;
    }
    assert_eq!(h.app.focused_input().unwrap().value(), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paste_of_300_characters_is_one_edit_at_the_cursor() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    typing_the_city(&mut h).await;
    h.type_text("[]").await;
    h.act(Action::Input(key(KeyCode::Left))).await;
    // Line breaks in a paste would be Enter as keys: here they are spaces of the one line.
    let pasted = format!("{}\n{}\r\n", "a".repeat(150), "b".repeat(148));
    let action = keymap::map_paste(&h.app, pasted.clone()).expect("a paste while typing");
    assert_eq!(h.app.refusal(&action), None);
    let effects = h.app.update(action);
    assert!(effects.is_empty());
    let input = h.app.focused_input().expect("still typing: one edit");
    let expected = format!("[{} {}]", "a".repeat(150), "b".repeat(148));
    assert_eq!(input.value(), expected);
    assert_eq!(input.value().chars().count(), 301);
    assert_eq!(input.cursor(), 300, "the cursor after the pasted text");
    h.act(Action::EndEdit).await;
    assert_eq!(h.app.top_form().unwrap().fields[3].value, expected);

    // Not typing: a paste means nothing; typing, an empty one is refused.
    assert_eq!(keymap::map_paste(&h.app, "x".into()), None);
    h.act(Action::BeginEdit).await;
    assert!(h.app.refusal(&Action::Paste("\r\n".into())).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paste_into_the_search_searches() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::OpenList {
        entity: "account".into(),
    })
    .await;
    h.act(Action::BeginEdit).await;
    h.act(Action::Paste("alpine".into())).await;
    let Screen::List(list) = h.app.screen() else {
        panic!("a list")
    };
    assert!(list.total > 0 && list.total < 240, "{}", list.total);
    assert!(
        list.rows
            .iter()
            .all(|r| r.primary.to_lowercase().contains("alpine"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_selects_and_does_what_enter_does() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    // Home: the second item is Contacts.
    h.act(Action::Pick(1)).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::List);
    let Screen::List(list) = h.app.screen() else {
        panic!("a list")
    };
    assert_eq!(list.entity, "contact");
    h.open_record("account", "acc-0001").await;
    // A form field: selected and edited; a click elsewhere keeps what was typed.
    h.act(Action::Pick(3)).await;
    assert!(h.app.text_input_focused());
    h.type_text(" North").await;
    h.act(Action::Pick(1)).await;
    let form = h.app.top_form().unwrap();
    assert_eq!(form.selected, 1);
    assert!(
        form.fields[3].value.ends_with(" North"),
        "the edit was kept"
    );
    assert!(h.app.text_input_focused(), "the clicked field is edited");

    // Behind a dialog nothing is picked.
    h.act(Action::EndEdit).await;
    h.act(Action::Back).await;
    assert!(matches!(h.app.dialog(), Some(Dialog::Discard { .. })));
    assert!(h.app.refusal(&Action::Pick(0)).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_ends_a_search_but_never_drops_a_setting_being_typed() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.act(Action::OpenList {
        entity: "account".into(),
    })
    .await;
    h.act(Action::BeginEdit).await;
    h.type_text("alpine").await;
    h.act(Action::Pick(1)).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Form, "the row opened");
    h.act(Action::Back).await;
    let Screen::List(list) = h.app.screen() else {
        panic!("a list")
    };
    assert!(list.search.typing().is_none(), "the search typing ended");
    assert_eq!(list.search.text(), "alpine", "its text stays");

    // Setup: typing the user name, a click or the wheel would lose it; they wait.
    h.acts([Action::OpenSetup, Action::Last, Action::BeginEdit])
        .await;
    h.type_text("x").await;
    for action in [Action::Pick(0), Action::Scroll(-3)] {
        assert!(h.app.refusal(&action).is_some(), "{action:?}");
        h.act(action).await;
        assert_eq!(h.app.focused_input().unwrap().value(), "demox");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_on_a_field_in_merge_switches_its_side() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    make_contact_conflict(&mut h, "con-0001").await;
    h.acts([Action::OpenSyncErrors, Action::Pick(0), Action::ToggleMerge])
        .await;
    let job_title = h
        .app
        .conflict_rows(h.app.conflicts()[0].id)
        .iter()
        .position(|r| r.field == "job_title")
        .unwrap();
    let pick = |h: &Harness| h.app.conflict_rows(h.app.conflicts()[0].id)[job_title].pick;
    let before = pick(&h);
    h.act(Action::Pick(job_title)).await;
    assert_ne!(pick(&h), before);
    assert!(matches!(pick(&h), Some(Side::Device | Side::Server)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_too_small_lets_only_quitting_through_until_it_grows() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    assert_eq!(
        h.app.fit(),
        Fit::Fits,
        "headless, the size is never too small"
    );
    h.act(Action::Resize {
        width: 40,
        height: 12,
    })
    .await;
    assert_eq!(
        h.app.fit(),
        Fit::TooSmall {
            width: 40,
            height: 12
        }
    );
    assert_eq!(keymap::contexts(&h.app), vec![Context::TooSmall]);
    let listed: Vec<String> = keymap::active(&h.app)
        .into_iter()
        .flat_map(|(_, l)| l.into_iter().map(|l| l.label))
        .collect();
    assert_eq!(listed, vec!["q".to_string()]);
    // A key still means what it means beneath, so the App can say why it waits.
    let l = keymap::map_key(&h.app, key(KeyCode::Char('l')));
    assert_eq!(l, Some(Action::OpenLog));
    assert!(matches!(
        h.app.refusal(&Action::OpenLog),
        Some(Refusal::Gate(_))
    ));
    h.act(Action::OpenLog).await;
    assert_eq!(
        h.app.screen_kind(),
        ScreenKind::Home,
        "nothing opens unseen"
    );
    assert!(h.message().contains("too small"), "{}", h.message());

    // One column short is still too small; the smallest supported size fits.
    h.act(Action::Resize {
        width: MIN_WIDTH - 1,
        height: MIN_HEIGHT,
    })
    .await;
    assert!(matches!(h.app.fit(), Fit::TooSmall { .. }));
    h.act(Action::Resize {
        width: MIN_WIDTH,
        height: MIN_HEIGHT,
    })
    .await;
    assert_eq!(h.app.fit(), Fit::Fits);
    assert_eq!(h.app.message(), None, "large enough: the warning is gone");
    h.act(Action::OpenLog).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Log);

    h.act(Action::Resize {
        width: 40,
        height: 12,
    })
    .await;
    h.act(Action::Quit).await;
    assert!(h.app.is_quitting(), "q quits whatever the size");
}
