//! Random keys at every screen never panic the App.

use std::time::Instant;

use crate::app_common::{Harness, Prep};
use autosync::app::{Action, ScreenKind};
use autosync::tui::keymap;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;

fn pool() -> Vec<KeyEvent> {
    let mut keys: Vec<KeyEvent> = "abcdefghijklmnoprstuvwxyz?/[]0156ABEDPX .-@"
        .chars()
        .map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
        .collect();
    for code in [
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
        KeyCode::Backspace,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::Delete,
        KeyCode::F(5),
    ] {
        keys.push(KeyEvent::new(code, KeyModifiers::NONE));
    }
    keys.push(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE));
    keys.push(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    keys.push(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::ALT));
    keys.push(KeyEvent::new(KeyCode::Char('é'), KeyModifiers::NONE));
    keys
}

/// Key paths from Home to each screen.
fn to_screen(n: usize) -> &'static str {
    ["", "\n", "\n\n", "u", "l", "p", "e", "?", "\n\ns", "\n\n\n"][n % 10]
}

fn key_of(c: char) -> KeyEvent {
    match c {
        '\n' => KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
        c => KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_keys_at_every_screen_never_panic() {
    let mut h = Harness::new(Prep::SyncedQuiet).await;
    let pool = pool();
    let sequences = scale(200) as usize;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    let mut screens = std::collections::BTreeSet::new();
    let mut pressed = 0usize;
    let started = Instant::now();
    for s in 0..sequences {
        // Back to Home, then to the screen this sequence starts at.
        for _ in 0..4 {
            h.act(Action::Back).await;
        }
        h.act(Action::OpenHome).await;
        for c in to_screen(s).chars() {
            if let Some(a) = keymap::map_key(&h.app, key_of(c)) {
                h.act(a).await;
            }
        }
        screens.insert(format!("{:?}", h.app.screen_kind()));
        // Half the sequences run every effect to the end, half drop them.
        let run_effects = s % 2 == 0;
        for _ in 0..25 {
            let key = pool[next(pool.len())];
            pressed += 1;
            let Some(action) = keymap::map_key(&h.app, key) else {
                continue;
            };
            if matches!(action, Action::Quit) {
                continue;
            }
            if run_effects {
                h.act(action).await;
            } else {
                let _effects = h.app.update(action);
                h.pump().await;
            }
            screens.insert(format!("{:?}", h.app.screen_kind()));
            // Drawing every state must not panic either.
            let _ = h.app.screen();
        }
    }
    h.act(Action::Back).await;
    eprintln!(
        "{pressed} random keys in {sequences} sequences in {:?}; screens seen: {screens:?}",
        started.elapsed()
    );
    assert!(pressed >= 3000);
    for kind in [ScreenKind::Home, ScreenKind::List, ScreenKind::Form] {
        assert!(screens.contains(&format!("{kind:?}")), "{screens:?}");
    }
}
