//! autosync: reproduces, explains and improves the automatic synchronization of an
//! offline-first mobile CRM (Resco Mobile CRM, administered with Woodford).

pub mod assets;
pub mod cli;
pub mod clock;
pub mod config;
pub mod file_error;
pub mod project;
pub mod rules;
pub mod server;
pub mod settings;
pub mod wire;
