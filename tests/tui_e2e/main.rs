//! The real binary in a 100×30 pseudo-terminal: start fresh, see Home fill after the on-start
//! sync, change Auto Sync in Setup, edit and save an account, see the sync finish and the
//! pending count return to 0, quit — and the terminal is restored (the alternate screen left,
//! mouse capture and bracketed paste off). Also: SIGHUP and SIGTERM restore the terminal too; a
//! mouse click (SGR) opens a record; at 40×12 the too-small screen shows and the app recovers
//! when resized back; a bracketed paste of 300 characters arrives as one edit, cursor in view.
//!
//! Everything asserted is read from the emulated screen (vt100), polled against a deadline.
//!
//! The modules: `pty` (the binary in a pseudo-terminal), `session`, `input` (mouse, paste,
//! size), `woodford`.

mod input;
mod pty;
mod session;
mod woodford;

use pty::Tui;

const ENTER: &[u8] = b"\r";
const ESC: &[u8] = b"\x1b";
const DOWN: &[u8] = b"\x1b[B";
const CTRL_U: &[u8] = b"\x15";

/// A line of the screen containing `needle`.
fn line_with<'a>(screen: &'a str, needle: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(needle))
}

/// Home, filled by the on-start sync.
fn home_filled(s: &str) -> bool {
    line_with(s, "Accounts").is_some_and(|l| l.contains("240")) && s.contains("succeeded")
}

/// From Home: the first account of the list, its City field (the fourth) typed into, emptied.
fn type_into_first_city(tui: &mut Tui) {
    tui.send(ENTER);
    tui.until("the account list", |s| s.contains("Accounts (240)"));
    tui.send(ENTER);
    tui.until("the form", |s| {
        s.contains("(account)") && s.contains("City")
    });
    for _ in 0..3 {
        tui.send(DOWN);
    }
    tui.until("City selected", |s| {
        line_with(s, "City").is_some_and(|l| l.contains('▸'))
    });
    tui.send(ENTER);
    tui.until("typing", |s| s.contains("Enter/Esc done"));
    tui.send(CTRL_U);
}
