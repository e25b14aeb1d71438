//! Responsiveness while the first sync runs: the TUI's own loop (`tokio::select!` over keys, the
//! engine's status and events, effects and the tick; `App::update`; `tui::draw` of every frame)
//! on the runtime's main thread, drawing into a 100×30 `TestBackend` instead of a terminal. A
//! thread of its own presses ↓ and ↑ on Home every 5 ms, as a keyboard would, whatever the
//! runtime is doing; a key's latency runs from its press to the end of the first frame drawn
//! after the App applied it, and every such frame is checked to show the moved selection.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use autosync::app::{Action, App, HomeItem, Screen};
use autosync::clock::Clock;
use autosync::control::Control;
use autosync::driver::Driver;
use autosync::engine::EngineEvent;
use autosync::rules::SyncActivity;
use autosync::tui::{Theme, draw, keymap};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use crate::world;

/// How often a key is pressed.
const KEY_INTERVAL: Duration = Duration::from_millis(5);
/// The idle baseline: this long of keys with no sync running.
const IDLE: Duration = Duration::from_secs(2);
/// As the TUI: the App is told this often that time passed.
const TICK: Duration = Duration::from_millis(500);

pub struct Ui {
    /// Keys pressed while the first sync ran.
    pub during: Vec<Duration>,
    /// Keys pressed with no sync running.
    pub idle: Vec<Duration>,
    /// Frames drawn in all.
    pub frames: usize,
    /// The slowest single `draw`.
    pub slowest_draw: Duration,
    /// The first sync, from `App::new` (the on-start trigger) to `Finished`.
    pub sync: Duration,
}

pub fn measure(server_dir: &Path, profile: &Path) -> Ui {
    world::runtime().block_on(async {
        let server = world::start_server(server_dir).await;
        world::new_profile(profile, server.url());
        let client = world::start_client(profile);
        let control = Control::new(server.url(), server.admin_token());
        let started = Instant::now();
        // "The first start syncs on start": the driver sends the on-start trigger.
        let (mut driver, mut app) = Driver::start(client, Some(control), Clock::system());
        let (keys_tx, keys) = mpsc::unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let keyboard = {
            let stop = stop.clone();
            std::thread::spawn(move || press_keys(&keys_tx, &stop))
        };
        let ui = event_loop(&mut app, &mut driver, keys, started).await;
        stop.store(true, Ordering::SeqCst);
        keyboard.join().expect("the keyboard thread");
        driver.act(&mut app, Action::Quit).await;
        server.shutdown().await.expect("server shutdown");
        ui
    })
}

/// ↓, ↑, ↓, … every `KEY_INTERVAL`, each stamped with the moment it was pressed.
fn press_keys(keys: &mpsc::UnboundedSender<(Instant, KeyEvent)>, stop: &AtomicBool) {
    let mut next = Instant::now();
    let mut down = true;
    while !stop.load(Ordering::SeqCst) {
        let code = if down { KeyCode::Down } else { KeyCode::Up };
        down = !down;
        if keys
            .send((Instant::now(), KeyEvent::new(code, KeyModifiers::NONE)))
            .is_err()
        {
            return;
        }
        next += KEY_INTERVAL;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}

async fn event_loop(
    app: &mut App,
    driver: &mut Driver,
    mut keys: mpsc::UnboundedReceiver<(Instant, KeyEvent)>,
    started: Instant,
) -> Ui {
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("a test terminal");
    let theme = Theme::plain();
    let mut status = driver.engine().watch_status();
    let (answers, mut answered) = mpsc::unbounded_channel::<Action>();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut ui = Ui {
        during: Vec::new(),
        idle: Vec::new(),
        frames: 0,
        slowest_draw: Duration::ZERO,
        sync: Duration::ZERO,
    };
    // Keys applied since the last frame, with when they were pressed.
    let mut applied: Vec<Instant> = Vec::new();
    let mut synced: Option<Instant> = None;
    loop {
        let before = Instant::now();
        terminal
            .draw(|frame| draw(frame, app, &theme))
            .expect("draw");
        let drawn = Instant::now();
        ui.frames += 1;
        ui.slowest_draw = ui.slowest_draw.max(drawn - before);
        if !applied.is_empty() {
            check_frame(app, terminal.backend());
        }
        for pressed in applied.drain(..) {
            match synced {
                Some(at) if pressed >= at => ui.idle.push(drawn - pressed),
                Some(_) => {}
                None => ui.during.push(drawn - pressed),
            }
        }
        if synced.is_some_and(|at| drawn - at >= IDLE) {
            return ui;
        }
        let action = tokio::select! {
            key = keys.recv() => match key {
                Some((pressed, key)) => {
                    applied.push(pressed);
                    keymap::map_key(app, key)
                }
                None => panic!("the keyboard stopped"),
            },
            changed = status.changed() => match changed {
                Ok(()) => Some(Action::Status(status.borrow_and_update().clone())),
                Err(_) => panic!("the engine stopped"),
            },
            event = driver.next_event() => match event {
                Some(event) => {
                    if let (Action::Engine(EngineEvent::Finished(last)), None) = (&event, synced) {
                        assert!(last.error.is_none(), "the first sync failed: {:?}", last.error);
                        let now = Instant::now();
                        ui.sync = now - started;
                        // Keys pressed from here on count as idle once the engine is idle.
                        synced = Some(now + Duration::from_millis(100));
                    }
                    Some(event)
                }
                None => panic!("the engine stopped"),
            },
            Some(done) = answered.recv() => Some(done),
            _ = tick.tick() => Some(Action::Tick),
        };
        let Some(action) = action else { continue };
        driver.spawn(app, action, &answers);
        if let Some(at) = synced
            && Instant::now() >= at
        {
            assert!(
                app.status().activity == SyncActivity::Idle,
                "a sync runs during the idle baseline"
            );
        }
    }
}

/// The drawn Home menu marks the item the App has selected: the frame reflects the key.
fn check_frame(app: &App, backend: &TestBackend) {
    let Screen::Home(home) = app.screen() else {
        panic!("the keys left Home: {:?}", app.screen_kind());
    };
    let label = match app.home_items().get(home.selected) {
        Some(HomeItem::Entity { label, .. }) => label.clone(),
        Some(HomeItem::SyncErrors { .. }) => "Sync Errors".into(),
        Some(HomeItem::LostEdits { .. }) => "Lost edits".into(),
        Some(HomeItem::Setup) => "Setup".into(),
        Some(HomeItem::Log) => "Log".into(),
        Some(HomeItem::Server) => "Server panel".into(),
        None => panic!("Home has no item {}", home.selected),
    };
    let buffer = backend.buffer();
    let area = buffer.area;
    let marked = (area.top()..area.bottom()).find_map(|y| {
        let line: String = (area.left()..area.right())
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        line.contains('▸').then_some(line)
    });
    match marked {
        Some(line) if line.contains(&label) => {}
        other => panic!("the frame does not show {label} selected: {other:?}"),
    }
}
