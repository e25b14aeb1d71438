//! Dialogs: Sync before going online/offline, "discard unsaved changes?" and "delete the
//! record?".

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{line_text, popup, text_width, wrapped_height};
use crate::app::{AfterDiscard, Dialog};
use crate::rules::{ModeSwitch, SwitchChoice};
use crate::tui::keymap::Key;
use crate::tui::mouse::{Hits, Target};
use crate::tui::theme::Theme;

const KEEP: &str = " Keep editing (Enter) ";
const DISCARD: &str = " Discard (d) ";
const KEEP_RECORD: &str = " Keep it (Enter) ";
const DELETE: &str = " Delete (d) ";

/// Buttons on row `row` of `inner`, one column apart: a click presses the button's key. A row
/// too narrow for them (wrapped) gets none: the keys still work.
fn add_buttons(hits: &mut Hits, inner: Rect, row: u16, buttons: &[(usize, Key)]) {
    let total: usize = buttons.iter().map(|(w, _)| w + 1).sum();
    if total > inner.width as usize + 1 || row >= inner.height {
        return;
    }
    let mut x = inner.x;
    for (width, key) in buttons {
        hits.add(
            Rect::new(x, inner.y + row, *width as u16, 1),
            Target::Key(*key),
        );
        x += *width as u16 + 1;
    }
}

pub fn draw(frame: &mut Frame, area: Rect, dialog: &Dialog, theme: &Theme, hits: &mut Hits) {
    match dialog {
        Dialog::ModeSwitch {
            direction,
            choices,
            selected,
            refusal,
        } => {
            let (title, setting) = match direction {
                ModeSwitch::GoOnline => ("Go online", "Sync before going Online"),
                ModeSwitch::GoOffline => ("Go offline", "Sync before going Offline"),
            };
            let question = if choices.contains(&SwitchChoice::SwitchWithoutSync) {
                format!("{setting} is AskUserToSync: synchronize first?")
            } else {
                format!("{setting} is WarnUserMustSync: you must synchronize before continuing.")
            };
            let mut buttons = Vec::new();
            let mut keys = Vec::new();
            for (i, choice) in choices.iter().enumerate() {
                let key = match choice {
                    SwitchChoice::SyncThenSwitch => 's',
                    SwitchChoice::SwitchWithoutSync => 'w',
                    SwitchChoice::Cancel => 'c',
                };
                let style = if i == *selected {
                    theme.selected()
                } else {
                    theme.button()
                };
                let label = format!(" {choice} ({key}) ");
                keys.push((text_width(&label), Key::Char(key)));
                buttons.push(Span::styled(label, style));
                buttons.push(Span::raw(" "));
            }
            let mut lines = vec![Line::raw(question), Line::raw(""), Line::from(buttons)];
            if let Some(refusal) = refusal {
                lines.push(Line::raw(""));
                lines.push(Line::styled(refusal.clone(), theme.error()));
            }
            let height = lines.len() as u16 + 4;
            let area = popup(area, 74, height);
            draw_question(frame, area, format!(" {title} "), lines, &keys, theme, hits);
        }
        Dialog::Discard { then } => {
            let after = match then {
                AfterDiscard::Back => "leave the form",
                AfterDiscard::Home => "go Home",
                AfterDiscard::Quit => "quit",
            };
            // Keeping is the default: Enter never throws edits away.
            confirm(
                frame,
                area,
                format!("The form has unsaved edits. Discard them and {after}?"),
                " Unsaved changes ",
                &[KEEP, DISCARD],
                theme,
                hits,
            );
        }
        Dialog::ConfirmDelete { entity, title, .. } => {
            // Keeping is the default: Enter never deletes.
            confirm(
                frame,
                area,
                format!(
                    "Delete {entity} \"{title}\" on the device? The next sync deletes it on the server."
                ),
                " Delete the record? ",
                &[KEEP_RECORD, DELETE],
                theme,
                hits,
            );
        }
    }
}

/// A two-button question: Enter on the first (the safe one, shown selected), `d` on the second.
fn confirm(
    frame: &mut Frame,
    area: Rect,
    question: String,
    title: &str,
    buttons: &[&str; 2],
    theme: &Theme,
    hits: &mut Hits,
) {
    let lines = vec![
        Line::raw(question),
        Line::raw(""),
        Line::from(vec![
            Span::styled(buttons[0], theme.selected()),
            Span::raw(" "),
            Span::styled(buttons[1], theme.button()),
        ]),
    ];
    let keys = [
        (buttons[0].len(), Key::Enter),
        (buttons[1].len(), Key::Char('d')),
    ];
    let area = popup(area, 64, 7);
    draw_question(frame, area, title.to_string(), lines, &keys, theme, hits);
}

/// A question over the screen: its first line is the question, the line after the blank one
/// its buttons (`keys`: each button's width and the key it stands for, in order).
fn draw_question(
    frame: &mut Frame,
    area: Rect,
    title: String,
    lines: Vec<Line>,
    keys: &[(usize, Key)],
    theme: &Theme,
    hits: &mut Hits,
) {
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(title).title_style(theme.title());
    hits.add(area, Target::Cover);
    let inner = block.inner(area);
    let rows = wrapped_height(&line_text(&lines[0]), inner.width as usize);
    add_buttons(hits, inner, rows + 1, keys);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}
