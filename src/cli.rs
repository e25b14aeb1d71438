//! The command line: global options every mode shares, and the subcommands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Reproduces, explains and improves the automatic background synchronization of an
/// offline-first mobile CRM (Resco Mobile CRM, administered with Woodford).
#[derive(Debug, Parser)]
#[command(name = "autosync", version, about, long_about = None)]
pub struct Cli {
    /// Directory for the client profile and the embedded server's database
    /// [default: the user's data directory, e.g. ~/.local/share/autosync]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Configuration file [default: ~/.config/autosync/config.toml when it exists]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Use this sync server instead of the embedded demo server
    #[arg(long, global = true, value_name = "URL", value_parser = parse_url)]
    pub server: Option<String>,

    /// Start from an empty client profile
    #[arg(long, global = true)]
    pub fresh: bool,

    /// Write what this TUI session did (settings, actions, server controls, clock) as a
    /// scenario file that `autosync play` replays
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the demo sync server in the foreground (logs to stderr; Ctrl-C stops it)
    Server(crate::server::ServerArgs),
    /// Synchronize the client profile in --data-dir once, headless, printing each phase
    /// (against --server, else the embedded demo server)
    Sync(crate::sync_cmd::SyncArgs),
    /// Replay scenario files headless on the virtual clock and check their expectations
    /// (exit 0: all held, 1: one failed, 2: a malformed file)
    Play(crate::play_cmd::PlayArgs),
    /// Run N headless clients making random edits against one embedded server with random
    /// faults, then check that nothing was lost (exit 0: every invariant held, 1: one failed)
    Soak(crate::soak_cmd::SoakArgs),
}

fn parse_url(s: &str) -> Result<String, String> {
    if (s.starts_with("http://") || s.starts_with("https://")) && s.len() > "https://".len() - 1 {
        Ok(s.trim_end_matches('/').to_string())
    } else {
        Err(format!("`{s}` is not an http:// or https:// URL"))
    }
}
