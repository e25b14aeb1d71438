//! The mouse, a bracketed paste and the terminal's size.

use super::pty::*;
use super::*;

#[test]
fn a_mouse_click_opens_a_record() {
    let mut tui = Tui::start();
    tui.until("Home filled", home_filled);
    let screen = tui.parser.screen();
    assert_ne!(
        screen.mouse_protocol_mode(),
        vt100::MouseProtocolMode::None,
        "mouse capture is on by default"
    );
    assert!(screen.bracketed_paste(), "bracketed paste is on");
    // The second menu item: Contacts.
    let (row, col) = tui.find("Contacts").expect("Contacts on Home");
    tui.click(row, col);
    tui.until("the contact list", |s| s.contains("Contacts (360)"));
    // The fourth row of the list, by its name.
    let (row, name) = {
        let text = tui.screen();
        let header = text
            .lines()
            .position(|l| l.contains("Name") && l.contains("Id"))
            .unwrap();
        let line = text.lines().nth(header + 4).unwrap();
        let name = line
            .trim_start_matches(['│', ' '])
            .split("  ")
            .next()
            .unwrap();
        (header as u16 + 4, name.to_string())
    };
    assert!(!name.is_empty());
    tui.click(row, 10);
    tui.until("the form of the clicked contact", |s| {
        s.contains(&format!("{name} (contact)"))
    });
    tui.send(b"q");
    assert!(tui.wait_exit().success());
    tui.assert_restored("on quit");
}

#[test]
fn mouse_false_in_the_config_leaves_the_mouse_to_the_terminal() {
    let mut tui = Tui::start_configured("mouse = false\n", &[]);
    tui.until("Home filled", home_filled);
    assert_eq!(
        tui.parser.screen().mouse_protocol_mode(),
        vt100::MouseProtocolMode::None,
        "no mouse capture: the terminal selects text"
    );
    assert!(tui.parser.screen().bracketed_paste());
    tui.send(b"q");
    assert!(tui.wait_exit().success());
}

#[test]
fn a_40x12_terminal_shows_the_too_small_screen_and_the_app_recovers() {
    let mut tui = Tui::start();
    tui.until("Home filled", home_filled);
    tui.resize(12, 40);
    tui.until("the too-small screen", |s| {
        s.contains("terminal too small: 40×12, needs 60×18") && s.contains("q quit")
    });
    // Unseen, nothing happens: l would open the Log; the app says why instead.
    tui.send(b"l");
    tui.until("l refused", |s| s.contains("or press q to quit"));
    tui.resize(ROWS, COLS);
    tui.until("Home again, whole", |s| {
        home_filled(s) && s.contains("Synchronization") && !s.contains("too small")
    });
    assert!(
        !tui.screen().contains("Log ·"),
        "l did nothing while too small"
    );
    tui.send(b"l");
    tui.until("the Log: keys work again", |s| s.contains("Log · all"));
    tui.send(b"q");
    assert!(tui.wait_exit().success());
    tui.assert_restored("on quit");
}

#[test]
fn a_bracketed_paste_of_300_characters_arrives_as_one_edit_with_the_cursor_visible() {
    let mut tui = Tui::start();
    tui.until("Home filled", home_filled);
    type_into_first_city(&mut tui);
    // As keys, the line break would be Enter and "END-300" would be E (edit on the server)…
    let pasted = format!("PASTE-START{}\r{}END-300", "x".repeat(138), "y".repeat(143));
    assert_eq!(pasted.chars().count(), 300);
    tui.send(format!("\x1b[200~{pasted}\x1b[201~").as_bytes());
    tui.until("the end of the paste in view, still typing", |s| {
        line_with(s, "City").is_some_and(|l| l.contains("yyyyEND-300"))
            && s.contains("Enter/Esc done")
    });
    let (row, col) = tui.find("END-300").unwrap();
    let screen = tui.parser.screen();
    assert!(!screen.hide_cursor(), "the cursor shows");
    assert_eq!(
        screen.cursor_position(),
        (row, col + 7),
        "the cursor is right after the pasted text"
    );
    assert!(col + 7 < COLS);
    tui.send(ENTER);
    tui.until("the whole value, from its start", |s| {
        line_with(s, "City").is_some_and(|l| l.contains("PASTE-STARTxxxx")) && s.contains("unsaved")
    });
    tui.send(b"q");
    tui.until("asked about the unsaved edit", |s| {
        s.contains("Discard them and quit?")
    });
    tui.send(b"d");
    assert!(tui.wait_exit().success());
    tui.assert_restored("on quit");
}
