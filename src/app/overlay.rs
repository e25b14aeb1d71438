//! What sits above the screens — a dialog, the background, the sync screen, the help — as one
//! owned value. The flows, sync and the demo controls open and close overlays through its
//! methods; [`super::focus`] reads it. Each kind is held at most once, and they stack in one
//! fixed order (the help over everything, the sync screen over the app, the background over
//! the screens, a dialog over a screen), so closing one shows what was under it.

use super::state::{Dialog, SyncScreen};

/// One overlay.
#[derive(Debug, Clone)]
pub enum Overlay {
    /// A question over the screen.
    Dialog(Dialog),
    /// The app is in the background: the screens are hidden.
    Background,
    /// The sync screen: the password it asks for, or a foreground sync running.
    Sync(SyncScreen),
    /// The `?` key list, over what it lists the keys of.
    Help,
}

impl Overlay {
    /// Where it stacks: higher is nearer the top.
    fn rank(&self) -> u8 {
        match self {
            Overlay::Dialog(_) => 0,
            Overlay::Background => 1,
            Overlay::Sync(_) => 2,
            Overlay::Help => 3,
        }
    }
}

/// The overlays shown, bottom first, in rank order, at most one of each kind.
#[derive(Debug, Clone, Default)]
pub struct Overlays {
    shown: Vec<Overlay>,
}

impl Overlays {
    /// Shows `overlay` at its place in the order, replacing one of its kind.
    pub fn open(&mut self, overlay: Overlay) {
        let rank = overlay.rank();
        match self.shown.iter().position(|o| o.rank() >= rank) {
            Some(i) if self.shown[i].rank() == rank => self.shown[i] = overlay,
            Some(i) => self.shown.insert(i, overlay),
            None => self.shown.push(overlay),
        }
    }

    pub fn open_dialog(&mut self, dialog: Dialog) {
        self.open(Overlay::Dialog(dialog));
    }

    pub fn open_sync(&mut self, screen: SyncScreen) {
        self.open(Overlay::Sync(screen));
    }

    fn close(&mut self, rank: u8) -> Option<Overlay> {
        let i = self.shown.iter().position(|o| o.rank() == rank)?;
        Some(self.shown.remove(i))
    }

    /// Closes the dialog, handing it back.
    pub fn close_dialog(&mut self) -> Option<Dialog> {
        match self.close(0)? {
            Overlay::Dialog(d) => Some(d),
            _ => unreachable!("rank 0 is the dialog"),
        }
    }

    /// Closes the sync screen, handing it back.
    pub fn close_sync(&mut self) -> Option<SyncScreen> {
        match self.close(2)? {
            Overlay::Sync(s) => Some(s),
            _ => unreachable!("rank 2 is the sync screen"),
        }
    }

    /// Brings the app back from the background; false when it was not there.
    pub fn close_background(&mut self) -> bool {
        self.close(1).is_some()
    }

    pub fn close_help(&mut self) {
        self.close(3);
    }

    pub fn toggle_help(&mut self) {
        if self.close(3).is_none() {
            self.open(Overlay::Help);
        }
    }

    pub fn dialog(&self) -> Option<&Dialog> {
        self.shown.iter().find_map(|o| match o {
            Overlay::Dialog(d) => Some(d),
            _ => None,
        })
    }

    pub fn dialog_mut(&mut self) -> Option<&mut Dialog> {
        self.shown.iter_mut().find_map(|o| match o {
            Overlay::Dialog(d) => Some(d),
            _ => None,
        })
    }

    pub fn sync_screen(&self) -> Option<&SyncScreen> {
        self.shown.iter().find_map(|o| match o {
            Overlay::Sync(s) => Some(s),
            _ => None,
        })
    }

    pub fn sync_screen_mut(&mut self) -> Option<&mut SyncScreen> {
        self.shown.iter_mut().find_map(|o| match o {
            Overlay::Sync(s) => Some(s),
            _ => None,
        })
    }

    pub fn background(&self) -> bool {
        self.shown.iter().any(|o| matches!(o, Overlay::Background))
    }

    pub fn help(&self) -> bool {
        matches!(self.shown.last(), Some(Overlay::Help))
    }

    /// The topmost overlay beneath the help (`None`: the screens are on top).
    pub fn under_help(&self) -> Option<&Overlay> {
        self.shown
            .iter()
            .rev()
            .find(|o| !matches!(o, Overlay::Help))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::{AfterDiscard, LoginFields};
    use crate::rules::{LoginReason, Trigger};

    fn discard() -> Dialog {
        Dialog::Discard {
            then: AfterDiscard::Back,
        }
    }

    fn login() -> SyncScreen {
        SyncScreen::Login {
            trigger: Trigger::Manual,
            fields: Box::new(LoginFields::new("http://server", "anna")),
            reason: LoginReason::PasswordNotSaved,
        }
    }

    fn top(o: &Overlays) -> &'static str {
        match o.under_help() {
            None => "screen",
            Some(Overlay::Dialog(_)) => "dialog",
            Some(Overlay::Background) => "background",
            Some(Overlay::Sync(SyncScreen::Running)) => "sync running",
            Some(Overlay::Sync(SyncScreen::Login { .. })) => "login",
            Some(Overlay::Help) => unreachable!("under the help"),
        }
    }

    #[test]
    fn the_sync_screen_covers_a_dialog_and_closing_it_shows_the_dialog_again() {
        let mut o = Overlays::default();
        o.open(Overlay::Dialog(discard()));
        o.open(Overlay::Sync(SyncScreen::Running));
        assert_eq!(top(&o), "sync running");
        assert!(o.dialog().is_some(), "the dialog waits beneath");
        assert!(matches!(o.close_sync(), Some(SyncScreen::Running)));
        assert_eq!(top(&o), "dialog");
        assert!(matches!(o.close_dialog(), Some(Dialog::Discard { .. })));
        assert_eq!(top(&o), "screen");
        // A dialog opened while the sync screen is up stays beneath it, as the order says.
        o.open(Overlay::Sync(login()));
        o.open(Overlay::Dialog(discard()));
        assert_eq!(top(&o), "login");
        o.close_sync();
        assert_eq!(top(&o), "dialog");
    }

    #[test]
    fn the_help_opens_over_a_dialog_and_closing_it_returns_to_the_dialog() {
        let mut o = Overlays::default();
        o.open(Overlay::Dialog(discard()));
        o.toggle_help();
        assert!(o.help());
        assert_eq!(top(&o), "dialog", "the help lists the dialog's keys");
        o.toggle_help();
        assert!(!o.help());
        assert_eq!(top(&o), "dialog");
        // The help stays on top of what opens beneath it, and closes on its own.
        o.toggle_help();
        o.open(Overlay::Sync(SyncScreen::Running));
        assert!(o.help());
        assert_eq!(top(&o), "sync running");
        o.close_help();
        assert_eq!(top(&o), "sync running");
        o.close_help();
        assert!(!o.help(), "closing a closed help changes nothing");
    }

    #[test]
    fn each_kind_is_shown_once_and_the_background_returns_to_what_was_under_it() {
        let mut o = Overlays::default();
        o.open(Overlay::Sync(login()));
        o.open(Overlay::Sync(SyncScreen::Running));
        assert!(matches!(o.sync_screen(), Some(SyncScreen::Running)));
        o.close_sync();
        assert!(o.sync_screen().is_none(), "one sync screen, not two");
        o.open(Overlay::Dialog(discard()));
        o.open(Overlay::Background);
        o.open(Overlay::Background);
        assert_eq!(top(&o), "background");
        assert!(o.close_background());
        assert!(!o.close_background(), "it was there once");
        assert_eq!(top(&o), "dialog");
    }
}
