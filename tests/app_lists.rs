//! Lists over more than 1,000 records (issue 15, item 6): a page of 1,000 rows out of every match,
//! the selection moving through the whole entity (arrows, `j`/`k`, PgUp/PgDn, `g`/`G`, the wheel,
//! a click) with the page following it, and `/` search run by SQLite over every record.

mod app_common;

use app_common::*;
use autosync::app::{Action, EntityList, LIST_LIMIT, Screen, ScreenKind};
use autosync::tui::keymap;
use crossterm::event::KeyCode;

/// Generated accounts on top of the 240 of the seed.
const GENERATED: usize = 1_500;
const TOTAL: usize = 240 + GENERATED;

/// A device holding 1,740 accounts, on their list.
async fn large() -> Harness {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.control
        .generate("account", GENERATED as u32)
        .await
        .unwrap();
    h.sync().await;
    assert_eq!(h.store().count("account").unwrap(), TOTAL);
    h.act(Action::OpenList {
        entity: "account".into(),
    })
    .await;
    h
}

fn list(h: &Harness) -> &EntityList {
    match h.app.screen() {
        Screen::List(l) => l,
        other => panic!("not on a list: {:?}", other.kind()),
    }
}

/// The id of the record at `index` in the list's order (name, then id), straight from SQLite.
fn id_at(h: &Harness, search: &str, index: usize) -> String {
    h.store()
        .list("account", "name", search, 1, index)
        .unwrap()
        .remove(0)
        .id
}

/// The selected row is the record at the selected index of all the matches.
fn assert_selected(h: &Harness, index: usize) {
    let l = list(h);
    assert_eq!(l.selected, index);
    assert_eq!(
        l.offset,
        index / LIST_LIMIT * LIST_LIMIT,
        "the page holding it"
    );
    let row = l
        .selected_row()
        .expect("the selected row is on the page loaded");
    assert_eq!(row.id, id_at(h, l.search.text(), index));
}

async fn press(h: &mut Harness, code: KeyCode) {
    let action = keymap::map_key(&h.app, key(code)).expect("the key means something here");
    h.act(action).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_loads_one_page_of_all_the_records_and_pages_through_them() {
    let mut h = large().await;
    let l = list(&h);
    assert_eq!((l.total, l.rows.len(), l.offset), (TOTAL, LIST_LIMIT, 0));
    assert_selected(&h, 0);

    // PgDn a hundred times: past the first page, the second one is loaded.
    for _ in 0..100 {
        press(&mut h, KeyCode::PageDown).await;
    }
    assert_selected(&h, 1000);
    assert_eq!(list(&h).rows.len(), TOTAL - LIST_LIMIT);
    press(&mut h, KeyCode::Char('k')).await;
    assert_selected(&h, 999);
    assert_eq!(list(&h).rows.len(), LIST_LIMIT, "back on the first page");
    press(&mut h, KeyCode::Char('j')).await;
    assert_selected(&h, 1000);

    // G: the last record of the whole entity; Enter opens it.
    press(&mut h, KeyCode::Char('G')).await;
    assert_selected(&h, TOTAL - 1);
    assert!(
        keymap::map_key(&h.app, key(KeyCode::Char('j')))
            .is_some_and(|a| h.app.refusal(&a).is_some()),
        "j at the last record does nothing"
    );
    let last = id_at(&h, "", TOTAL - 1);
    press(&mut h, KeyCode::Enter).await;
    assert_eq!(h.app.top_form().unwrap().id, last);
    h.act(Action::Back).await;
    assert_selected(&h, TOTAL - 1);
    press(&mut h, KeyCode::Home).await;
    assert_selected(&h, 0);
    press(&mut h, KeyCode::End).await;
    assert_selected(&h, TOTAL - 1);
    press(&mut h, KeyCode::Char('g')).await;
    assert_selected(&h, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn j_and_k_move_as_the_arrows_do_on_every_screen_with_a_selection() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let screens = [
        Action::OpenHome,
        Action::OpenSetup,
        Action::OpenList {
            entity: "contact".into(),
        },
        Action::OpenRecord {
            entity: "account".into(),
            id: "acc-0001".into(),
        },
        Action::OpenServerPanel,
    ];
    let selected = |h: &Harness| match h.app.screen() {
        Screen::Home(s) => s.selected,
        Screen::Setup(s) => s.selected,
        Screen::List(s) => s.selected,
        Screen::Form(s) => s.selected,
        Screen::Server(s) => s.selected,
        other => panic!("no selection on {:?}", other.kind()),
    };
    for screen in screens {
        h.act(screen.clone()).await;
        let kind = h.app.screen_kind();
        press(&mut h, KeyCode::Char('j')).await;
        press(&mut h, KeyCode::Char('j')).await;
        assert_eq!(selected(&h), 2, "{kind:?}: j j");
        press(&mut h, KeyCode::Char('k')).await;
        assert_eq!(selected(&h), 1, "{kind:?}: k");
        press(&mut h, KeyCode::Down).await;
        press(&mut h, KeyCode::Up).await;
        assert_eq!(selected(&h), 1, "{kind:?}: ↓ ↑ agree");
        press(&mut h, KeyCode::Char('G')).await;
        let last = selected(&h);
        assert!(last > 2, "{kind:?}: G goes to the last item");
        press(&mut h, KeyCode::Char('g')).await;
        assert_eq!(selected(&h), 0, "{kind:?}: g to the first");
    }
    // The Log's cursor follows the newest line; k leaves it, G (End) follows again.
    h.act(Action::OpenLog).await;
    let cursor = |h: &Harness| match h.app.screen() {
        Screen::Log(l) => l.selected,
        _ => panic!("not on the log"),
    };
    assert_eq!(cursor(&h), None);
    press(&mut h, KeyCode::Char('k')).await;
    assert!(cursor(&h).is_some());
    press(&mut h, KeyCode::End).await;
    assert_eq!(cursor(&h), None);
    press(&mut h, KeyCode::Home).await;
    assert_eq!(cursor(&h), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_runs_over_every_record_not_only_the_page_loaded() {
    let mut h = large().await;
    // "Account Name N" sorts before the seed's names: a seed account is past the first page.
    let far = "Adventure Design";
    assert!(
        !list(&h).rows.iter().any(|r| r.primary == far),
        "{far} is not on the page loaded"
    );
    press(&mut h, KeyCode::Char('/')).await;
    h.type_text(far).await;
    let l = list(&h);
    assert_eq!(l.total, 1, "SQLite found it among all {TOTAL}");
    assert_eq!(l.rows[0].primary, far);
    press(&mut h, KeyCode::Enter).await;
    press(&mut h, KeyCode::Enter).await;
    assert_eq!(h.app.top_form().unwrap().title, far);
    h.act(Action::Back).await;

    // A search with more than a page of matches counts them all and pages through them.
    h.act(Action::Search("Account Name".into())).await;
    let l = list(&h);
    assert_eq!((l.total, l.rows.len()), (GENERATED, LIST_LIMIT));
    press(&mut h, KeyCode::End).await;
    assert_selected(&h, GENERATED - 1);
    assert_eq!(list(&h).rows.len(), GENERATED - LIST_LIMIT);
    // A search with no match leaves nothing selected to open.
    h.act(Action::Search("no such account".into())).await;
    assert_eq!((list(&h).total, list(&h).rows.len()), (0, 0));
    assert!(h.app.refusal(&Action::Select).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_and_the_wheel_reach_every_record() {
    let mut h = large().await;
    h.act(Action::Scroll(3)).await;
    assert_selected(&h, 3);
    h.act(Action::Scroll(-3)).await;
    assert_selected(&h, 0);
    assert!(
        h.app.refusal(&Action::Scroll(-3)).is_some(),
        "the wheel at the top"
    );
    // A click on a row of another page: it is selected, then opened, and kept as the open.
    let id = id_at(&h, "", 1_234);
    let recorded = h.app.recorded().len();
    h.act(Action::Pick(1_234)).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Form);
    assert_eq!(h.app.top_form().unwrap().id, id);
    assert_eq!(
        h.app.recorded()[recorded..]
            .iter()
            .map(|r| r.action.clone())
            .collect::<Vec<_>>(),
        vec![Action::OpenRecord {
            entity: "account".into(),
            id,
        }]
    );
    h.act(Action::Back).await;
    assert_selected(&h, 1_234);
    assert!(h.app.refusal(&Action::Pick(TOTAL)).is_some(), "no such row");
}
