//! A list's search: one text, typed or not.

use tui_input::Input;

/// A list's search: its text filters the list whether or not it is being typed.
#[derive(Debug, Clone)]
pub enum Search {
    /// The keys browse the list.
    Browsing(Input),
    /// The keys type the search.
    Typing(Input),
}

impl Default for Search {
    fn default() -> Self {
        Search::Browsing(Input::default())
    }
}

impl Search {
    pub fn text(&self) -> &str {
        self.input().value()
    }

    pub fn input(&self) -> &Input {
        match self {
            Search::Browsing(input) | Search::Typing(input) => input,
        }
    }

    /// The input being typed, if it is.
    pub fn typing(&self) -> Option<&Input> {
        match self {
            Search::Typing(input) => Some(input),
            Search::Browsing(_) => None,
        }
    }

    pub(crate) fn typing_mut(&mut self) -> Option<&mut Input> {
        match self {
            Search::Typing(input) => Some(input),
            Search::Browsing(_) => None,
        }
    }

    /// Starts or ends the typing; the text stays.
    pub(crate) fn set_typing(&mut self, typing: bool) {
        let input = std::mem::take(match self {
            Search::Browsing(input) | Search::Typing(input) => input,
        });
        *self = if typing {
            Search::Typing(input)
        } else {
            Search::Browsing(input)
        };
    }
}
