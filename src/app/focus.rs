//! Which overlay has the keys and is drawn on top: read here once from the App's overlays
//! ([`super::overlay`]), for the gates of `update` (refusal), the key map and the drawing.

use super::App;
use super::overlay::Overlay;
use super::state::{Dialog, Fit, Screen, SyncScreen};

/// What has the keys now, most specific first.
#[derive(Debug, Clone, Copy)]
pub enum Focus<'a> {
    /// The terminal is too small for the screens; `over` is what waits beneath.
    TooSmall { over: Layer<'a> },
    /// The `?` overlay, over what it lists the keys of.
    Help { over: Layer<'a> },
    /// Nothing above the layer.
    On(Layer<'a>),
}

/// What is on screen beneath the help and the too-small notice, in the order it is on top:
/// the sync screen owns the app, the background hides the screens, a dialog sits over a screen.
#[derive(Debug, Clone, Copy)]
pub enum Layer<'a> {
    /// A foreground synchronization runs.
    SyncRunning,
    /// The sync screen asks for the password.
    Login,
    Background,
    Dialog(&'a Dialog),
    /// A text input of the screen has the keys (form field, Setup text, list search).
    Editing,
    Screen(&'a Screen),
}

impl App {
    /// What has the keys now.
    pub fn focus(&self) -> Focus<'_> {
        let over = self.layer();
        if let Fit::TooSmall { .. } = self.fit {
            return Focus::TooSmall { over };
        }
        if self.overlays.help() {
            return Focus::Help { over };
        }
        Focus::On(over)
    }

    /// What is on screen beneath the overlays.
    pub fn layer(&self) -> Layer<'_> {
        // `on_status` keeps the sync screen at Running while a foreground sync runs.
        match self.overlays.under_help() {
            Some(Overlay::Sync(SyncScreen::Running)) => return Layer::SyncRunning,
            Some(Overlay::Sync(SyncScreen::Login { .. })) => return Layer::Login,
            Some(Overlay::Background) => return Layer::Background,
            Some(Overlay::Dialog(dialog)) => return Layer::Dialog(dialog),
            Some(Overlay::Help) | None => {}
        }
        let screen = self.screen();
        let editing = match screen {
            Screen::Form(f) => f.editing.is_some(),
            Screen::Setup(s) => s.editing.is_some(),
            Screen::Woodford(w) => w.editing.is_some(),
            Screen::List(l) => l.search.typing().is_some(),
            _ => false,
        };
        if editing {
            Layer::Editing
        } else {
            Layer::Screen(screen)
        }
    }

    /// A text input has the keys (form field, Setup text, list search, password); a key
    /// pressed while the terminal is too small still reaches it.
    pub fn text_input_focused(&self) -> bool {
        !self.overlays.help() && matches!(self.layer(), Layer::Login | Layer::Editing)
    }
}
