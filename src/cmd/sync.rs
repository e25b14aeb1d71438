//! `autosync sync`: one headless synchronization of the client profile, printing each phase,
//! its progress while it runs (stderr), its totals and the result. Exit 0 when it succeeded,
//! 1 with the reason when it failed.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use tokio::sync::broadcast::error::RecvError;
use tokio::time::MissedTickBehavior;

use progress::{PLAIN_EVERY, Progress};

use crate::clock::Clock;
use crate::config::Config;
use crate::device::{Device, init_profile};
use crate::engine::progress::thousands;
use crate::engine::{Command, EngineEvent};
use crate::rules::Trigger;
use crate::store::{JournalKind, Store};

mod progress;

use crate::device::{profile_path, remove_profile};

const STOPPED: &str = "the sync engine stopped unexpectedly";

#[derive(Debug, Clone, clap::Args)]
pub struct SyncArgs {
    /// Records per download page (1–5000)
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=5000))]
    pub page_size: u32,
}

/// Runs one sync and prints it. `Ok(true)`: the sync succeeded.
pub async fn run(
    args: &SyncArgs,
    config: &Config,
    data_dir: &Path,
    server_flag: Option<&str>,
    fresh: bool,
) -> Result<bool, String> {
    let path = profile_path(data_dir);
    if fresh {
        remove_profile(&path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    let clock = Clock::system();
    let external = server_flag
        .map(str::to_string)
        .or_else(|| config.server_url.clone());
    let embedded = match external {
        Some(_) => None,
        None => Some(
            crate::server::start_embedded(data_dir, clock.clone(), None)
                .await
                .map_err(|e| e.to_string())?,
        ),
    };
    let url = external.unwrap_or_else(|| {
        embedded
            .as_ref()
            .map(|s| s.url().to_string())
            .unwrap_or_default()
    });
    let user = config.user_name.clone().unwrap_or_else(|| "demo".into());
    {
        let mut store = Store::open(&path).map_err(|e| e.to_string())?;
        let password = std::env::var("AUTOSYNC_PASSWORD")
            .ok()
            .or_else(|| (user == "demo").then(|| "demo".to_string()));
        init_profile(&mut store, &url, &user, password.as_deref()).map_err(|e| e.to_string())?;
        let mut settings = store
            .settings()
            .map_err(|e| e.to_string())?
            .ok_or("the profile has no settings")?;
        if settings.server_url != url {
            settings.server_url = url.clone();
            store.set_settings(&settings).map_err(|e| e.to_string())?;
        }
        if store.password().map_err(|e| e.to_string())?.is_none()
            && let Ok(p) = std::env::var("AUTOSYNC_PASSWORD")
        {
            store.set_password(Some(&p)).map_err(|e| e.to_string())?;
        }
    }
    let client = Device::start(&path, clock, |c| c.page_limit = args.page_size)
        .map_err(|e| e.to_string())?;
    let mut events = client.engine().subscribe();
    let mut watch = client.engine().watch_status();
    println!("syncing {} as {user} with {url}", path.display());
    let started = Instant::now();
    let mut progress = Progress::for_stderr(started);
    let mut due = tokio::time::interval_at(tokio::time::Instant::now() + PLAIN_EVERY, PLAIN_EVERY);
    due.set_missed_tick_behavior(MissedTickBehavior::Delay);
    client.engine().send(Command::Trigger(Trigger::Manual));
    let last = loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(EngineEvent::Journal(e))
                    if matches!(
                        e.kind,
                        JournalKind::Sync
                            | JournalKind::Conflict
                            | JournalKind::Overwritten
                            | JournalKind::ServerWins
                    ) =>
                {
                    progress.println(&format!(
                        "{:>8.3}s  {}",
                        started.elapsed().as_secs_f64(),
                        e.detail
                    ));
                }
                Ok(EngineEvent::Finished(last)) => break last,
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return Err(STOPPED.into()),
            },
            changed = watch.changed() => match changed {
                Ok(()) => progress.changed(&watch.borrow_and_update()),
                Err(_) => return Err(STOPPED.into()),
            },
            _ = due.tick() => progress.due(&watch.borrow()),
        }
    };
    progress.finish();
    let status = client
        .engine()
        .wait_for(|s| s.activity == crate::rules::SyncActivity::Idle)
        .await;
    for line in progress::totals(&status) {
        println!("{line}");
    }
    let store = client.store();
    let project = store.project().map_err(|e| e.to_string())?;
    for entity in project.iter().flat_map(|p| p.entities.iter()) {
        println!(
            "  {:<16} {} records on the device",
            entity.label,
            thousands(store.count(&entity.name).map_err(|e| e.to_string())? as u64)
        );
    }
    println!("  pending uploads  {}", status.pending_uploads);
    println!("  sync errors      {}", status.unresolved_conflicts);
    let _ = std::io::stdout().flush();
    client.engine().send(Command::Shutdown);
    if let Some(server) = embedded {
        let _ = server.shutdown().await;
    }
    match last.error {
        None => {
            println!(
                "result: synchronized in {:.2} s{}",
                started.elapsed().as_secs_f64(),
                if last.flags.data_errors {
                    " (with data errors)"
                } else {
                    ""
                }
            );
            Ok(true)
        }
        Some(e) => {
            println!("result: failed: {e}");
            Ok(false)
        }
    }
}
