//! Where the program's own log goes, and how much of it: the filter is `--log-level`, else
//! `RUST_LOG`, else the config's `log.level`; the file is `autosync.log.YYYY-MM-DD` in the log
//! directory (`log.dir`, else the XDG state directory, e.g. `~/.local/state/autosync/`), a new
//! one each day, written by a background thread so a slow disk never holds up the UI or a sync.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogConfig;

/// The log file's name before the date the daily rotation appends.
pub const FILE_PREFIX: &str = "autosync.log";

/// Lines the log's writer thread may have waiting (then, as by default, new ones are dropped
/// rather than holding up the UI or a sync). Not the default 128,000: the channel's slots are
/// set up at start, which took 2.5–3.5 ms of a 30 ms cold start; the thread writes a line in
/// microseconds, so 16,384 are plenty.
const BUFFERED_LINES: usize = 16_384;

/// Whether the log is also copied to stderr (`autosync server`, which runs in the foreground).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    FileOnly,
    AlsoStderr,
}

/// Keeps the log's writer thread alive; dropping it flushes what is left.
pub struct LogGuard {
    _file: WorkerGuard,
}

/// The directory the log files go to.
pub fn log_dir(config: &LogConfig) -> PathBuf {
    config
        .dir
        .clone()
        .or_else(|| dirs::state_dir().map(|d| d.join("autosync")))
        .unwrap_or_else(|| std::env::temp_dir().join("autosync"))
}

/// The filter in force: the flag, else `RUST_LOG`, else the config's level.
fn filter(config: &LogConfig, flag: Option<&str>) -> Result<EnvFilter, String> {
    let (source, directives) = match flag {
        Some(level) => ("--log-level", level.to_string()),
        None => match std::env::var("RUST_LOG") {
            Ok(env) if !env.trim().is_empty() => ("RUST_LOG", env),
            _ => ("log.level", config.level.clone()),
        },
    };
    EnvFilter::try_new(&directives)
        .map_err(|e| format!("{source} `{directives}` is not a tracing filter: {e}"))
}

/// Starts logging for this process. Call once, before anything logs.
pub fn init(config: &LogConfig, flag: Option<&str>, echo: Echo) -> Result<LogGuard, String> {
    let filter = filter(config, flag)?;
    let dir = log_dir(config);
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the log directory {}: {e}", dir.display()))?;
    check_writable(&dir)?;
    let appender = tracing_appender::rolling::daily(&dir, FILE_PREFIX);
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(BUFFERED_LINES)
        .finish(appender);
    let file = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false);
    let stderr = (echo == Echo::AlsoStderr).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
    });
    // A second init in one process (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(file)
        .with(stderr)
        .try_init();
    Ok(LogGuard { _file: guard })
}

/// The rolling appender reports an unwritable directory only on its thread, where nobody sees
/// it: find out here and say so.
fn check_writable(dir: &Path) -> Result<(), String> {
    // One name per process: two autosyncs starting at once must not remove each other's probe.
    let probe = dir.join(format!(".autosync-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| format!("cannot write to the log directory {}: {e}", dir.display()))
}
