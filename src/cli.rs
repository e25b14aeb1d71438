//! The command line: the options every command shares (`--config`, `--log-level`), the ones of
//! the terminal UI, and the subcommands, each listing exactly the options it uses.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Reproduces, explains and improves the automatic background synchronization of an
/// offline-first mobile CRM (Resco Mobile CRM, administered with Woodford).
#[derive(Debug, Parser)]
#[command(name = "autosync", version, about, long_about = None, after_help = TUI_EXAMPLES)]
pub struct Cli {
    /// Configuration file [default: ~/.config/autosync/config.toml when it exists]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Log filter (error, warn, info, debug, trace, or per-module directives) [default:
    /// RUST_LOG, else `log.level` of the config file]
    #[arg(long, global = true, value_name = "FILTER")]
    pub log_level: Option<String>,

    #[command(flatten)]
    pub device: DeviceArgs,

    /// Write what this TUI session did (settings, actions, server controls, clock) as a
    /// scenario file that `autosync play` replays
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// The admin token of the --server's control API (what `autosync server` printed or was
    /// given): with it, the Woodford screen and the Server panel act on that server. Never
    /// written to any file
    #[arg(
        long,
        env = "AUTOSYNC_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub admin_token: Option<AdminToken>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// A control-API token: shown by no `Debug`, so no log line or error can print it.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(String);

impl AdminToken {
    pub fn new(token: impl Into<String>) -> AdminToken {
        AdminToken(token.into())
    }

    /// The token itself, for the `Authorization` header only.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(hidden)")
    }
}

impl std::str::FromStr for AdminToken {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            Err("the admin token is empty".into())
        } else {
            Ok(AdminToken(s.trim().to_string()))
        }
    }
}

/// Where the device's profile lives and which server it syncs with (the TUI and `sync`).
#[derive(Debug, Clone, Default, Args)]
pub struct DeviceArgs {
    #[command(flatten)]
    pub data: DataDirArg,

    /// Use this sync server instead of the embedded demo server
    #[arg(long, value_name = "URL", value_parser = parse_url)]
    pub server: Option<String>,

    /// Start from an empty client profile
    #[arg(long)]
    pub fresh: bool,
}

/// `--data-dir` (the TUI, `sync` and `server`).
#[derive(Debug, Clone, Default, Args)]
pub struct DataDirArg {
    /// Directory for the client profile and the embedded server's database
    /// [default: the user's data directory, e.g. ~/.local/share/autosync]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the demo sync server in the foreground (logs to stderr and the log file; Ctrl-C stops it)
    #[command(after_help = SERVER_EXAMPLES)]
    Server {
        #[command(flatten)]
        args: crate::server::ServerArgs,
        #[command(flatten)]
        data: DataDirArg,
    },
    /// Synchronize the client profile in --data-dir once, headless, printing each phase
    /// (against --server, else the embedded demo server)
    #[command(after_help = SYNC_EXAMPLES)]
    Sync {
        #[command(flatten)]
        args: crate::cmd::sync::SyncArgs,
        #[command(flatten)]
        device: DeviceArgs,
    },
    /// Replay scenario files headless on the virtual clock and check their expectations
    /// (exit 0: all held, 1: one failed, 2: a malformed file)
    #[command(after_help = PLAY_EXAMPLES)]
    Play(crate::cmd::play::PlayArgs),
    /// Run N headless clients making random edits against one embedded server with random
    /// faults, then check that nothing was lost (exit 0: every invariant held, 1: one failed)
    #[command(after_help = SOAK_EXAMPLES)]
    Soak(crate::cmd::soak::SoakArgs),
    /// Print a shell completion script (e.g. `autosync completions bash > ~/.local/share/bash-completion/completions/autosync`)
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `autosync man > autosync.1`
    Man,
}

const TUI_EXAMPLES: &str = "Examples:
  autosync                                   the terminal UI against the embedded demo server
  autosync --fresh --data-dir /tmp/demo      start from an empty profile in /tmp/demo
  autosync --server http://127.0.0.1:8787    against a server started with `autosync server`
  AUTOSYNC_ADMIN_TOKEN=s3cret autosync --server http://127.0.0.1:8787
                                             with its admin token: Woodford and the Server panel act on it";

const SERVER_EXAMPLES: &str = "Examples:
  autosync server                                    listen on 127.0.0.1:8787, print an admin token
  AUTOSYNC_ADMIN_TOKEN=s3cret autosync server        with a token of your choice
  autosync server --listen 127.0.0.1:9000 --data-dir /tmp/srv";

const SYNC_EXAMPLES: &str = "Examples:
  autosync sync                                      one sync against the embedded demo server
  autosync sync --server http://127.0.0.1:8787       against a standalone server
  AUTOSYNC_PASSWORD=demo autosync sync --fresh --data-dir /tmp/dev --page-size 200";

const PLAY_EXAMPLES: &str = "Examples:
  autosync play assets/scenarios/race-no-action.toml
  autosync play --matrix assets/scenarios/race-no-action.toml      every Background sync behavior
  autosync play --json assets/scenarios/*.toml | jq .";

const SOAK_EXAMPLES: &str = "Examples:
  autosync soak --clients 3 --minutes 0.2
  autosync soak --behavior no-action --clients 8 --minutes 10     shows the race's losses";

fn parse_url(s: &str) -> Result<String, String> {
    if (s.starts_with("http://") || s.starts_with("https://")) && s.len() > "https://".len() - 1 {
        Ok(s.trim_end_matches('/').to_string())
    } else {
        Err(format!("`{s}` is not an http:// or https:// URL"))
    }
}

impl Cli {
    /// The TUI's options given before a subcommand that has no use for them: refused, never
    /// silently ignored (`autosync --fresh soak`).
    pub fn unused_options(&self) -> Vec<&'static str> {
        let d = &self.device;
        let given = [
            ("--data-dir", d.data.data_dir.is_some()),
            ("--server", d.server.is_some()),
            ("--fresh", d.fresh),
            ("--record", self.record.is_some()),
            // Only when typed: AUTOSYNC_ADMIN_TOKEN may be set for `autosync server` too.
            (
                "--admin-token",
                self.admin_token.is_some() && std::env::var_os("AUTOSYNC_ADMIN_TOKEN").is_none(),
            ),
        ];
        let uses = |name: &str| match &self.command {
            None => true,
            Some(Command::Sync { .. }) => name != "--record" && name != "--admin-token",
            Some(Command::Server { .. }) => name == "--data-dir",
            Some(_) => false,
        };
        given
            .into_iter()
            .filter(|(name, set)| *set && !uses(name))
            .map(|(name, _)| name)
            .collect()
    }
}

impl DeviceArgs {
    /// The subcommand's own values, else those given before it (`autosync --data-dir D sync`).
    pub fn or(&self, before: &DeviceArgs) -> DeviceArgs {
        DeviceArgs {
            data: self.data.or(&before.data),
            server: self.server.clone().or_else(|| before.server.clone()),
            fresh: self.fresh || before.fresh,
        }
    }
}

impl DataDirArg {
    pub fn or(&self, before: &DataDirArg) -> DataDirArg {
        DataDirArg {
            data_dir: self.data_dir.clone().or_else(|| before.data_dir.clone()),
        }
    }
}

/// The command name of a subcommand, for messages.
pub fn command_name(command: &Option<Command>) -> &'static str {
    match command {
        None => "autosync",
        Some(Command::Server { .. }) => "autosync server",
        Some(Command::Sync { .. }) => "autosync sync",
        Some(Command::Play(_)) => "autosync play",
        Some(Command::Soak(_)) => "autosync soak",
        Some(Command::Completions { .. }) => "autosync completions",
        Some(Command::Man) => "autosync man",
    }
}
