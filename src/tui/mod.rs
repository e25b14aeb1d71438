//! The terminal UI: crossterm's `EventStream` and the engine's status and events in one
//! `tokio::select!` loop, keys mapped to Actions by [`keymap`], the App core applying them,
//! effects run in tasks, and every frame drawn from `&App` by [`screens`].
//!
//! Mouse capture (unless the config says `mouse = false`) and bracketed paste are on while it
//! runs. The terminal is restored — raw mode, the alternate screen, mouse capture and bracketed
//! paste — on quit, on error, on panic (our hook, then ratatui's), on SIGTERM and SIGHUP.
//! Logs go to the log file (`src/logging.rs`), never to the terminal.

pub mod keymap;
pub mod mouse;
pub mod screens;
pub mod text;
pub mod theme;

pub use text::render_text;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream, KeyEventKind,
};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::app::{Action, App};
use crate::cli::AdminToken;
use crate::clock::Clock;
use crate::control::Control;
use crate::device::{Device, init_profile};
use crate::device::{profile_path, remove_profile};
use crate::driver::Driver;
use crate::server::EmbeddedServer;
use crate::store::Store;

pub use screens::{draw, draw_with_hits};
pub use theme::Theme;

/// How often the App is told that time passed (the 15-minute window counts down on Home).
const TICK: Duration = Duration::from_millis(500);

/// How the TUI starts.
#[derive(Debug, Clone)]
pub struct Options {
    pub data_dir: PathBuf,
    /// An external sync server; `None` starts the embedded demo server.
    pub server: Option<String>,
    /// Start from an empty client profile.
    pub fresh: bool,
    /// The user a fresh profile signs in as (default `demo`, whose password `demo` is saved).
    pub user_name: Option<String>,
    /// `--record FILE`: the session is written there as a scenario when it ends.
    pub record: Option<PathBuf>,
    /// Capture the mouse (clicks, wheel); off leaves the terminal's own text selection.
    pub mouse: bool,
    /// The server's control-API token: the embedded server takes it as its own; with an
    /// external `server` it is what lets the TUI act on that server at all.
    pub admin_token: Option<AdminToken>,
}

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("the terminal UI needs a terminal; run `autosync sync` for a headless sync")]
    NotATerminal,
    #[error("{0}")]
    Setup(String),
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

/// Runs the TUI until the user quits or a signal arrives.
pub fn run(options: Options) -> Result<(), TuiError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(TuiError::NotATerminal);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| TuiError::Setup(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(run_async(options))
}

/// What the TUI runs against.
struct World {
    app: App,
    driver: Driver,
    server: Option<EmbeddedServer>,
    initial: crate::scenario::record::Initial,
}

/// Opens the profile (fresh if asked), starts the embedded server unless `--server` names one,
/// points the profile at the server, and builds the App (which sends the on-start trigger).
async fn start(options: &Options) -> Result<World, TuiError> {
    let setup = |e: String| TuiError::Setup(e);
    let path = profile_path(&options.data_dir);
    if options.fresh {
        remove_profile(&path)
            .map_err(|e| setup(format!("cannot remove {}: {e}", path.display())))?;
    }
    let clock = Clock::system();
    let server = match &options.server {
        Some(_) => None,
        None => Some(
            crate::server::start_embedded(
                &options.data_dir,
                clock.clone(),
                options.admin_token.as_ref().map(|t| t.secret().to_string()),
            )
            .await
            .map_err(|e| setup(e.to_string()))?,
        ),
    };
    let url = match (&options.server, &server) {
        (Some(url), _) => url.clone(),
        (None, Some(s)) => s.url().to_string(),
        (None, None) => unreachable!("the embedded server starts without --server"),
    };
    let user = options.user_name.clone().unwrap_or_else(|| "demo".into());
    // One connection for the set-up, closed only once the device has its own: closing the last
    // connection of a profile checkpoints its WAL and syncs the file, a few ms each time.
    let mut store = Store::open(&path).map_err(|e| setup(e.to_string()))?;
    let password = (user == "demo").then_some("demo");
    init_profile(&mut store, &url, &user, password).map_err(|e| setup(e.to_string()))?;
    // The embedded server listens on a new port each start: the profile follows it.
    if let Some(mut settings) = store.settings().map_err(|e| setup(e.to_string()))?
        && settings.server_url != url
    {
        settings.server_url = url.clone();
        store
            .set_settings(&settings)
            .map_err(|e| setup(e.to_string()))?;
    }
    let initial = crate::scenario::record::Initial::capture(&store, clock.now());
    let client = Device::start(&path, clock.clone(), |_| {}).map_err(|e| setup(e.to_string()))?;
    drop(store);
    let control = match (&server, &options.admin_token) {
        (Some(s), _) => Some(Control::new(s.url(), s.admin_token())),
        (None, Some(token)) => Some(Control::new(&url, token.secret())),
        (None, None) => None,
    };
    tracing::info!("profile {} against {url}", path.display());
    let (driver, app) = Driver::start(client, control, clock);
    Ok(World {
        app,
        driver,
        server,
        initial,
    })
}

/// Restores the terminal when dropped: on quit, on error, and while unwinding.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        leave_input_modes();
        ratatui::restore();
    }
}

/// Mouse capture and bracketed paste off (leaving a mode never entered changes nothing).
fn leave_input_modes() {
    let _ = crossterm::execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste
    );
}

/// Raw mode, the alternate screen (ratatui), bracketed paste and, if asked, mouse capture; a
/// panic leaves the input modes before ratatui's hook restores the rest.
fn enter_terminal(mouse: bool) -> Result<(ratatui::DefaultTerminal, Restore), TuiError> {
    let terminal = ratatui::try_init()?;
    let restore = Restore;
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        leave_input_modes();
        hook(info);
    }));
    crossterm::execute!(std::io::stdout(), EnableBracketedPaste)?;
    if mouse {
        crossterm::execute!(std::io::stdout(), EnableMouseCapture)?;
    }
    Ok((terminal, restore))
}

async fn run_async(options: Options) -> Result<(), TuiError> {
    let World {
        mut app,
        mut driver,
        server,
        initial,
    } = start(&options).await?;
    let (mut terminal, restore) = enter_terminal(options.mouse)?;
    let theme = Theme::from_env();
    let result = event_loop(&mut terminal, &mut app, &mut driver, &theme).await;
    driver.shutdown();
    drop(restore);
    if let Some(server) = server {
        let _ = tokio::time::timeout(Duration::from_secs(2), server.shutdown()).await;
    }
    if let Some(path) = &options.record {
        // Let the engine's last events reach the App, so the final check is what the user saw.
        app.update(Action::Status(driver.status()));
        crate::scenario::record::save(path, &initial, &app).map_err(TuiError::Setup)?;
    }
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    driver: &mut Driver,
    theme: &Theme,
) -> Result<(), TuiError> {
    let mut keys = EventStream::new();
    let mut status = driver.engine().watch_status();
    let mut status_open = true;
    let (answers, mut answered) = mpsc::unbounded_channel::<Action>();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut terminate = signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hangup = signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut told = None;
    let mut hits = mouse::Hits::default();

    loop {
        terminal.draw(|frame| {
            // The App is told the size of the frame about to be drawn, before it is drawn: so
            // what it lets through always matches what is seen. Not trusted to `Event::Resize`,
            // which crossterm can drop when SIGWINCH arrives together with a key.
            let size = frame.area().as_size();
            if told != Some(size) {
                told = Some(size);
                let resize = Action::Resize {
                    width: size.width,
                    height: size.height,
                };
                driver.spawn(app, resize, &answers);
            }
            hits = draw_with_hits(frame, app, theme);
        })?;
        let action = tokio::select! {
            event = keys.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => keymap::map_key(app, key),
                Some(Ok(Event::Mouse(event))) => mouse::map_mouse(app, &hits, event),
                Some(Ok(Event::Paste(text))) => keymap::map_paste(app, text),
                // The next frame asks for the size.
                Some(Ok(Event::Resize(..))) => None,
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            changed = status.changed(), if status_open => match changed {
                Ok(()) => Some(Action::Status(status.borrow_and_update().clone())),
                Err(_) => {
                    status_open = false;
                    None
                }
            },
            Some(event) = driver.next_event() => Some(event),
            Some(done) = answered.recv() => Some(done),
            _ = tick.tick() => Some(Action::Tick),
            _ = terminate.recv() => {
                tracing::info!("SIGTERM: quitting");
                return Ok(());
            }
            _ = hangup.recv() => {
                tracing::info!("SIGHUP: quitting");
                return Ok(());
            }
        };
        let Some(action) = action else { continue };
        driver.spawn(app, action, &answers);
        if app.is_quitting() {
            return Ok(());
        }
    }
}

fn signal(kind: tokio::signal::unix::SignalKind) -> Result<tokio::signal::unix::Signal, TuiError> {
    tokio::signal::unix::signal(kind).map_err(TuiError::Terminal)
}
