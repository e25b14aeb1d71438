//! Dialogs: Sync before going online/offline, and "discard unsaved changes?".

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::popup;
use crate::app::{AfterDiscard, Dialog};
use crate::rules::{ModeSwitch, SwitchChoice};
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, dialog: &Dialog, theme: &Theme) {
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
            for (i, choice) in choices.iter().enumerate() {
                let key = match choice {
                    SwitchChoice::SyncThenSwitch => "s",
                    SwitchChoice::SwitchWithoutSync => "w",
                    SwitchChoice::Cancel => "c",
                };
                let style = if i == *selected {
                    theme.selected()
                } else {
                    theme.button()
                };
                buttons.push(Span::styled(format!(" {choice} ({key}) "), style));
                buttons.push(Span::raw(" "));
            }
            let mut lines = vec![Line::raw(question), Line::raw(""), Line::from(buttons)];
            if let Some(refusal) = refusal {
                lines.push(Line::raw(""));
                lines.push(Line::styled(refusal.clone(), theme.error()));
            }
            let height = lines.len() as u16 + 4;
            let area = popup(area, 74, height);
            frame.render_widget(Clear, area);
            let block = Block::bordered()
                .title(format!(" {title} "))
                .title_style(theme.title());
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(block),
                area,
            );
        }
        Dialog::Discard { then } => {
            let after = match then {
                AfterDiscard::Back => "leave the form",
                AfterDiscard::Home => "go Home",
                AfterDiscard::Quit => "quit",
            };
            let lines = vec![
                Line::raw(format!(
                    "The form has unsaved edits. Discard them and {after}?"
                )),
                Line::raw(""),
                // Keeping is the default: Enter never throws edits away.
                Line::from(vec![
                    Span::styled(" Keep editing (Enter) ", theme.selected()),
                    Span::raw(" "),
                    Span::styled(" Discard (d) ", theme.button()),
                ]),
            ];
            let area = popup(area, 64, 7);
            frame.render_widget(Clear, area);
            let block = Block::bordered()
                .title(" Unsaved changes ")
                .title_style(theme.title());
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(block),
                area,
            );
        }
    }
}
