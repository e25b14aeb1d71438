//! autosync: reproduces, explains and improves the automatic synchronization of an
//! offline-first mobile CRM (Resco Mobile CRM, administered with Woodford).

pub mod app;
pub mod assets;
pub mod auditor;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod control;
pub mod device;
pub mod driver;
pub mod engine;
pub mod event;
pub mod file_error;
pub mod invariants;
pub mod logging;
pub mod project;
pub mod remote;
pub mod rules;
pub mod scenario;
pub mod server;
pub mod settings;
pub mod store;
pub mod timeline;
pub mod tui;
pub mod wire;
pub mod woodford;
