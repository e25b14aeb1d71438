//! The Timeline screen: the shipped race scenarios and a UI-transaction scenario drawn at 80×24
//! and 120×40 (insta snapshots, under NO_COLOR; in colour the characters are the same), and
//! its keys — from Home and the Log, ← → + −, Enter to the journal line, x to an SVG file.

mod app_common;

use app_common::*;
use autosync::app::{Action, App, ScreenKind, TimelineState};
use autosync::timeline::{Lane, Timeline};
use autosync::tui::Theme;
use autosync::tui::keymap;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

/// The journal of a shipped scenario's run, as its picture with the cursor on the first
/// finding (the newest line when there is none).
async fn picture(file: &str) -> TimelineState {
    let loaded = autosync::scenario::load(std::path::Path::new(file)).unwrap();
    let options = autosync::scenario::RunOptions::default();
    let outcome = autosync::scenario::run(&loaded, &options, &mut |_| {}, &mut |_, _: &App| {})
        .await
        .unwrap();
    let timeline = Timeline::build(&outcome.journal);
    let finding = timeline.lane(Lane::Findings).next().map(|i| i.from);
    TimelineState {
        cursor: finding.unwrap_or(timeline.columns.len() - 1),
        timeline,
        lane: Lane::Findings,
        zoom: 2,
    }
}

fn draw(state: &TimelineState, width: u16, height: u16, theme: Theme) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| autosync::tui::screens::timeline::draw(frame, frame.area(), state, &theme))
        .unwrap();
    terminal
}

fn text(state: &TimelineState, width: u16, height: u16) -> String {
    draw(state, width, height, Theme::plain())
        .backend()
        .to_string()
}

/// Snapshots at both sizes; in colour the same characters, some of them coloured.
async fn snapshots(file: &str, name: &str) -> TimelineState {
    let state = picture(file).await;
    insta::assert_snapshot!(format!("{name}_80x24"), text(&state, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), text(&state, 120, 40));
    let coloured = draw(&state, 120, 40, Theme { color: true });
    let plain = draw(&state, 120, 40, Theme::plain());
    let symbols = |t: &Terminal<TestBackend>| {
        t.backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol().to_string())
            .collect::<String>()
    };
    assert_eq!(
        symbols(&coloured),
        symbols(&plain),
        "NO_COLOR keeps every character"
    );
    assert!(
        coloured
            .backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg != Color::Reset)
    );
    assert!(
        plain
            .backend()
            .buffer()
            .content()
            .iter()
            .all(|c| c.fg == Color::Reset)
    );
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn race_under_no_action() {
    let state = snapshots(
        "assets/scenarios/race-no-action.toml",
        "timeline_race_no_action",
    )
    .await;
    let screen = text(&state, 80, 24);
    assert!(screen.contains('L'), "the lost edit's mark:\n{screen}");
    assert!(
        screen.contains("lost edit: overwritten by the sync"),
        "{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn race_under_block_save() {
    let state = snapshots(
        "assets/scenarios/race-block-save.toml",
        "timeline_race_block_save",
    )
    .await;
    assert!(text(&state, 120, 40).contains("save refused"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn race_under_rebase() {
    let state = snapshots("assets/scenarios/race-rebase.toml", "timeline_race_rebase").await;
    assert!(text(&state, 120, 40).contains("save rebased (Rebase)"));
}

/// Not a snapshot: how often the engine journals "waits … N held" while the sync is held
/// depends on when it looks, so the columns vary from run to run. What the picture must show
/// does not: the span, the sync's wait inside it, both saves inside it, Upload after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_transaction_holds_the_sync() {
    let state =
        picture("assets/scenarios/ui-transaction-block-save-saves-while-sync-waits.toml").await;
    let screen = text(&state, 120, 40);
    assert!(
        screen.contains("sync waits for UI transactions"),
        "{screen}"
    );
    let rows: Vec<&str> = screen.lines().collect();
    let sync = rows
        .iter()
        .position(|r| r.contains("waits for UI"))
        .expect("the wait's bar");
    let user = rows
        .iter()
        .position(|r| r.contains('═'))
        .expect("the UI transaction's span");
    let col = |row: &str, needle: &str| row.find(needle).map(|b| row[..b].chars().count());
    let span_start = col(rows[user], "═").unwrap();
    let span_end = rows[user]
        .chars()
        .enumerate()
        .filter(|(_, c)| *c == '═')
        .map(|(i, _)| i)
        .max()
        .unwrap();
    let saves: Vec<usize> = rows[user]
        .chars()
        .enumerate()
        .filter(|&(i, c)| c == 's' && i > span_start)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(saves.len(), 2, "both saves are marked:\n{screen}");
    assert!(
        saves.iter().all(|&c| c > span_start && c < span_end),
        "the saves happen inside the span:\n{screen}"
    );
    let wait = col(rows[sync], "waits for UI").unwrap();
    let upload = col(rows[sync], "Up").expect("the Upload phase");
    assert!(
        wait > span_start && wait < span_end,
        "the sync waits inside the span:\n{screen}"
    );
    assert!(
        upload >= span_end,
        "Upload starts after the last leave:\n{screen}"
    );
}

fn char_key(c: char) -> KeyEvent {
    key(KeyCode::Char(c))
}

async fn press(h: &mut Harness, key: KeyEvent) -> Option<Action> {
    let action = keymap::map_key(&h.app, key);
    if let Some(action) = action.clone() {
        h.act(action).await;
    }
    action
}

fn timeline(h: &Harness) -> &TimelineState {
    match h.app.screen() {
        autosync::app::Screen::Timeline(t) => t,
        other => panic!("not on the timeline: {:?}", other.kind()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_reach_the_timeline_scroll_zoom_open_a_line_and_export_it() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    // From Home, and listed in its bar and help.
    assert!(
        keymap::bar(&h.app)
            .iter()
            .any(|(k, t)| k == "t" && *t == "timeline")
    );
    press(&mut h, char_key('t')).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Timeline);
    let columns = timeline(&h).timeline.columns.len();
    assert!(columns >= 3, "the setup's sync is drawn: {columns}");
    assert_eq!(
        timeline(&h).cursor,
        columns - 1,
        "it starts on the newest line"
    );
    let screen = autosync::tui::render_text(&h.app, 80, 24);
    assert!(screen.contains("Timeline"), "{screen}");
    assert!(screen.contains("›Sync"), "{screen}");
    let help = keymap::help(&h.app);
    let words: Vec<&str> = help
        .iter()
        .flat_map(|(_, l)| l.iter().map(|e| e.help))
        .collect();
    assert!(words.contains(&"zoom in / out"), "{words:?}");
    assert!(words.contains(&"export as an SVG picture"));

    // ← scrolls back; → at the newest line is refused, so it is not listed.
    press(&mut h, key(KeyCode::Left)).await;
    assert_eq!(timeline(&h).cursor, columns - 2);
    press(&mut h, key(KeyCode::End)).await;
    assert_eq!(timeline(&h).cursor, columns - 1);
    assert!(
        h.app
            .refusal(&Action::TimelineScroll { columns: 1 })
            .is_some()
    );
    // + − zoom, within their bounds.
    let zoom = timeline(&h).cells_per_column();
    press(&mut h, char_key('+')).await;
    assert!(timeline(&h).cells_per_column() > zoom);
    press(&mut h, char_key('-')).await;
    press(&mut h, char_key('-')).await;
    assert!(timeline(&h).cells_per_column() < zoom);
    // Enter: the sync lane's line under the cursor (the sync's last phase), in full.
    press(&mut h, key(KeyCode::Home)).await;
    let seq = timeline(&h)
        .selected()
        .expect("a line under the cursor")
        .seq;
    press(&mut h, key(KeyCode::Enter)).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::LogEntry);
    let screen = autosync::tui::render_text(&h.app, 80, 24);
    assert!(screen.contains(&format!("Log line #{seq}")), "{screen}");
    press(&mut h, key(KeyCode::Esc)).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Timeline);

    // x writes an SVG beside the profile, never over an earlier one.
    press(&mut h, char_key('x')).await;
    press(&mut h, char_key('x')).await;
    let dir = h.store().path().parent().unwrap().to_path_buf();
    let mut svgs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    svgs.sort();
    assert_eq!(svgs.len(), 2, "{svgs:?}");
    assert!(
        h.message().contains("Timeline written to"),
        "{}",
        h.message()
    );
    let svg = std::fs::read_to_string(&svgs[0]).unwrap();
    assert!(svg.contains("lane-sync") && svg.contains("Legend"));
    assert!(
        !svg.contains(dir.to_str().unwrap()),
        "no machine path in the picture"
    );

    // From the Log too.
    press(&mut h, key(KeyCode::Esc)).await;
    press(&mut h, char_key('l')).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Log);
    press(&mut h, char_key('t')).await;
    assert_eq!(h.app.screen_kind(), ScreenKind::Timeline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_appears_on_the_open_timeline() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    h.open_record("account", "acc-0001").await;
    h.act(Action::OpenTimeline).await;
    let before = timeline(&h).timeline.lane(Lane::User).count();
    h.act(Action::Back).await;
    h.edit("city", "Timeline").await;
    h.act(Action::Save).await;
    h.act(Action::OpenTimeline).await;
    let after = timeline(&h).timeline.lane(Lane::User).count();
    assert_eq!(after, before + 1, "the save is a mark on the user lane");
}
