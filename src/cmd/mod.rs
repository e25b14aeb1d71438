//! The commands at the top: `autosync sync`, `autosync play`, `autosync soak`. They import the
//! layers below them; nothing below imports them.

pub mod play;
pub mod soak;
pub mod sync;
