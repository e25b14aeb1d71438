//! `autosync soak --clients N --minutes M`: N headless clients (each a [`Device`] with its own
//! engine and profile) make random edits against one embedded demo server for M minutes while
//! random faults are injected through the control API; then the faults stop, every client syncs
//! until nothing is pending, and the run is checked: every device equals the server, every
//! created record is on the server exactly once, every profile passes `PRAGMA integrity_check`,
//! and the auditor finds no lost edit that the behavior promises to keep (none under Block save,
//! Block save and defer, and Rebase; under No action the race's losses are reported, and an
//! unexplained loss fails any behavior). Exit 0 when all of it holds, 1 when it does not.
//!
//! The invariant checks are public: the reliability tests use the same ones.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::broadcast::error::RecvError;

use crate::auditor::{self, LossCause};
use crate::clock::Clock;
use crate::control::Control;
use crate::device::{Device, SaveOutcome, init_profile};
use crate::engine::{Command, EngineEvent};
use crate::remote::Remote;
use crate::settings::BackgroundBehavior;
use crate::store::{JournalKind, Store, StoreError};
use crate::wire::Fault;

/// The entities the demo project has, and the text field each soak edit changes.
const EDITED: [(&str, &str); 2] = [("account", "city"), ("contact", "job_title")];
/// A request slower than this counts as stalled in the soak's clients.
const SOAK_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Edits go to the first this many records of an entity, so clients meet on them.
const HOT_RECORDS: usize = 12;
/// Rounds of "every client syncs" at the end before the run counts as not converging.
const FINAL_ROUNDS: usize = 6;

#[derive(Debug, Clone, clap::Args)]
pub struct SoakArgs {
    /// Headless clients, each with its own profile and engine
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub clients: u32,
    /// How long the clients edit, in minutes (fractions allowed: 0.2 is 12 s)
    #[arg(long, default_value_t = 1.0, value_parser = parse_minutes)]
    pub minutes: f64,
    /// The project's Background sync behavior
    #[arg(long, value_enum, default_value_t = SoakBehavior::Rebase)]
    pub behavior: SoakBehavior,
    /// Chance that a fault is armed each half second (0 turns faults off)
    #[arg(long, default_value_t = 0.5, value_parser = parse_chance)]
    pub fault_rate: f64,
}

/// `--behavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SoakBehavior {
    BlockSave,
    BlockSaveAndDefer,
    NoAction,
    Rebase,
}

impl SoakBehavior {
    fn behavior(self) -> BackgroundBehavior {
        match self {
            SoakBehavior::BlockSave => BackgroundBehavior::BlockSave,
            SoakBehavior::BlockSaveAndDefer => BackgroundBehavior::BlockSaveAndDeferSync,
            SoakBehavior::NoAction => BackgroundBehavior::NoAction,
            SoakBehavior::Rebase => BackgroundBehavior::Rebase,
        }
    }

    /// Whether the behavior promises that no edit saved during a sync is lost.
    pub fn keeps_every_edit(self) -> bool {
        self != SoakBehavior::NoAction
    }
}

fn parse_minutes(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(m) if m > 0.0 && m <= 24.0 * 60.0 => Ok(m),
        _ => Err(format!(
            "`{s}` is not a number of minutes above 0 (at most 1440)"
        )),
    }
}

fn parse_chance(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("`{s}` is not a chance between 0 and 1")),
    }
}

/// The demo project with `behavior`, and Device Wins for every entity: concurrent edits of
/// one record by two clients become conflicts the engine settles on its own (the changed
/// fields are uploaded again over the server's version), so no run waits for a user.
pub fn soak_project(behavior: BackgroundBehavior) -> String {
    crate::assets::PROJECT_V1
        .1
        .replace(
            "background_sync_behavior = \"NoAction\"",
            &format!("background_sync_behavior = \"{behavior:?}\""),
        )
        .replace(
            "on_conflict = \"ServerWins\"",
            "on_conflict = \"DeviceWins\"",
        )
        .replace("on_conflict = \"Manual\"", "on_conflict = \"DeviceWins\"")
}

use crate::invariants::{device_records, differences, server_records, sync_once};

// ---------------------------------------------------------------------------------------------
// The soak.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Counters {
    saved: AtomicU64,
    refused: AtomicU64,
    created: AtomicU64,
    syncs_ok: AtomicU64,
    syncs_failed: AtomicU64,
    faults: AtomicU64,
}

/// What a soak found; `failures` empty means every invariant held.
#[derive(Debug, Default)]
pub struct SoakReport {
    pub lines: Vec<String>,
    pub failures: Vec<String>,
}

/// Runs `autosync soak`; returns the exit code (0: every invariant held, 1: one failed).
pub async fn run(args: &SoakArgs) -> u8 {
    match soak(args).await {
        Ok(report) => {
            for line in &report.lines {
                println!("{line}");
            }
            if report.failures.is_empty() {
                println!("result: every invariant held");
                0
            } else {
                for f in &report.failures {
                    println!("FAILED: {f}");
                }
                println!("result: {} invariant(s) failed", report.failures.len());
                1
            }
        }
        Err(e) => {
            println!("result: the soak could not run: {e}");
            1
        }
    }
}

/// The soak itself, printing progress as it goes; the report says what held.
pub async fn soak(args: &SoakArgs) -> Result<SoakReport, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    soak_in(args, dir.path()).await
}

async fn soak_in(args: &SoakArgs, dir: &Path) -> Result<SoakReport, String> {
    let clock = Clock::system();
    let server = crate::server::start_embedded(&dir.join("server"), clock.clone(), None)
        .await
        .map_err(|e| e.to_string())?;
    let control = Control::new(server.url(), server.admin_token());
    let behavior = args.behavior.behavior();
    control
        .publish_toml(&soak_project(behavior))
        .await
        .map_err(|e| e.to_string())?;
    let remote = Remote::new(server.url(), "demo", "demo").map_err(|e| e.to_string())?;
    println!(
        "soak: {} clients for {} min, Background sync behavior {behavior:?}, fault rate {}, server {}",
        args.clients,
        args.minutes,
        args.fault_rate,
        server.url()
    );

    // Every client starts with a first sync, before faults and edits begin.
    let counters = Arc::new(Counters::default());
    let mut clients = Vec::new();
    for n in 0..args.clients {
        let path = dir.join(format!("client-{n}.db"));
        let mut store = Store::open(&path).map_err(|e| e.to_string())?;
        init_profile(&mut store, server.url(), "demo", Some("demo")).map_err(|e| e.to_string())?;
        drop(store);
        let client = Device::start(&path, clock.clone(), |c| {
            c.request_timeout = SOAK_REQUEST_TIMEOUT;
            c.page_limit = 200;
        })
        .map_err(|e| e.to_string())?;
        let last = sync_once(client.engine()).await;
        if let Some(e) = last.error {
            return Err(format!("client {n}: the first sync failed: {e}"));
        }
        clients.push(client);
    }
    // Count every sync each engine finishes from now on.
    let mut listeners = Vec::new();
    for client in &clients {
        let mut events = client.engine().subscribe();
        let counters = counters.clone();
        listeners.push(tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(EngineEvent::Finished(last)) => {
                        let c = if last.error.is_none() {
                            &counters.syncs_ok
                        } else {
                            &counters.syncs_failed
                        };
                        c.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                }
            }
        }));
    }

    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.minutes * 60.0);
    let stop = Arc::new(AtomicBool::new(false));
    let faults = tokio::spawn(inject_faults(
        control.clone(),
        args.fault_rate,
        deadline,
        counters.clone(),
    ));
    let mut editors = Vec::new();
    for (n, client) in clients.into_iter().enumerate() {
        editors.push(tokio::spawn(edit(
            n,
            client,
            deadline,
            stop.clone(),
            counters.clone(),
        )));
    }
    let mut ticker = tokio::time::interval(Duration::from_secs(5));
    ticker.tick().await;
    while Instant::now() < deadline {
        tokio::select! {
            _ = ticker.tick() => println!(
                "{:>6.1}s  saved {}  refused {}  created {}  syncs {} ok / {} failed  faults {}",
                started.elapsed().as_secs_f64(),
                counters.saved.load(Ordering::Relaxed),
                counters.refused.load(Ordering::Relaxed),
                counters.created.load(Ordering::Relaxed),
                counters.syncs_ok.load(Ordering::Relaxed),
                counters.syncs_failed.load(Ordering::Relaxed),
                counters.faults.load(Ordering::Relaxed),
            ),
            _ = tokio::time::sleep_until(deadline.into()) => {}
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = faults.await;
    control.clear_faults().await.map_err(|e| e.to_string())?;
    let mut clients = Vec::new();
    let mut creates: Vec<(String, String)> = Vec::new();
    for editor in editors {
        let (client, made) = editor
            .await
            .map_err(|e| format!("an editor panicked: {e}"))?;
        clients.push(client);
        creates.extend(made);
    }
    let edit_secs = started.elapsed().as_secs_f64();
    let syncs_during = counters.syncs_ok.load(Ordering::Relaxed);

    // Faults stopped: every client syncs until nothing is pending and all agree.
    let mut report = SoakReport::default();
    let settle_started = Instant::now();
    let mut rounds = 0;
    let mut converged = false;
    while rounds < FINAL_ROUNDS && !converged {
        rounds += 1;
        for client in &clients {
            sync_once(client.engine()).await;
        }
        converged = true;
        for client in &clients {
            let pending = client.store().pending_count().map_err(|e| e.to_string())?;
            if pending > 0 {
                converged = false;
            }
        }
        if converged {
            // One more round so every device has what the others uploaded last.
            for client in &clients {
                sync_once(client.engine()).await;
            }
        }
    }
    let settle_secs = settle_started.elapsed().as_secs_f64();

    let mut server_data = BTreeMap::new();
    for (entity, _) in EDITED {
        server_data.insert(
            entity,
            server_records(&remote, entity)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    let (mut conflicts, mut lost_by_cause) = (0usize, BTreeMap::<String, usize>::new());
    for (n, client) in clients.iter().enumerate() {
        let store = client.store();
        match store.integrity_check() {
            Ok(ok) if ok == "ok" => {}
            other => report
                .failures
                .push(format!("client {n}: integrity check: {other:?}")),
        }
        for (entity, kept, rows) in store.count_mismatches().map_err(|e| e.to_string())? {
            report.failures.push(format!(
                "client {n}: {entity}: a kept count of {kept} records, but {rows} rows"
            ));
        }
        let pending = store.pending_count().map_err(|e| e.to_string())?;
        let unresolved = store.unresolved_count().map_err(|e| e.to_string())?;
        if pending > 0 || unresolved > 0 {
            report.failures.push(format!(
                "client {n}: {pending} records still pending, {unresolved} unresolved conflicts after {rounds} final rounds"
            ));
        }
        for (entity, server) in &server_data {
            let device = device_records(store, entity).map_err(|e| e.to_string())?;
            let diff = differences(entity, &device, server);
            if !diff.is_empty() {
                report.failures.push(format!(
                    "client {n}: {} records differ from the server, e.g. {}",
                    diff.len(),
                    diff[0]
                ));
            }
        }
        let journal = full_journal(store).map_err(|e| e.to_string())?;
        conflicts += journal
            .iter()
            .filter(|e| e.kind == JournalKind::Conflict)
            .count();
        let lost = auditor::audit(store, |entity, id| {
            server_data
                .get(entity)
                .and_then(|m| m.get(id))
                .map(|r| r.fields.clone())
        })
        .map_err(|e| e.to_string())?;
        for l in &lost {
            *lost_by_cause.entry(format!("{:?}", l.cause)).or_default() += 1;
            let fails = match l.cause {
                LossCause::Unexplained => true,
                LossCause::OverwrittenBySync => args.behavior.keeps_every_edit(),
                // Device Wins never discards, and nobody resolves anything by hand here.
                LossCause::ServerWins | LossCause::DiscardedByUser => true,
            };
            if fails {
                report.failures.push(format!(
                    "client {n}: lost edit {} {} {} = {:?} ({:?}: {})",
                    l.entity, l.id, l.field, l.value, l.cause, l.detail
                ));
            }
        }
    }
    // Every create on the server exactly once (ids are the client's; names are unique too).
    for (entity, id) in &creates {
        let Some(server) = server_data.get(entity.as_str()) else {
            continue;
        };
        let Some(record) = server.get(id) else {
            report
                .failures
                .push(format!("created {entity} {id} is not on the server"));
            continue;
        };
        let name_field = if entity == "account" {
            "name"
        } else {
            "full_name"
        };
        let name = record.fields.get(name_field);
        let copies = server
            .values()
            .filter(|r| r.fields.get(name_field) == name)
            .count();
        if copies != 1 {
            report.failures.push(format!(
                "created {entity} {id} ({name:?}) is on the server {copies} times"
            ));
        }
    }
    for client in &clients {
        client.engine().send(Command::Shutdown);
    }
    for l in listeners {
        l.abort();
    }
    drop(clients);
    let _ = server.shutdown().await;

    let saved = counters.saved.load(Ordering::Relaxed);
    let lost_total: usize = lost_by_cause.values().sum();
    let lost_text = if lost_by_cause.is_empty() {
        "0".to_string()
    } else {
        format!(
            "{lost_total} ({})",
            lost_by_cause
                .iter()
                .map(|(c, n)| format!("{c}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    report.lines = vec![
        format!("clients            {}", args.clients),
        format!("behavior           {behavior:?}"),
        format!("editing            {edit_secs:.1} s"),
        format!(
            "edits saved        {saved} ({} creates), {} refused by the save gate",
            counters.created.load(Ordering::Relaxed),
            counters.refused.load(Ordering::Relaxed)
        ),
        format!(
            "faults injected    {}",
            counters.faults.load(Ordering::Relaxed)
        ),
        format!(
            "syncs completed    {} ({syncs_during} while editing), {} failed and retried later",
            counters.syncs_ok.load(Ordering::Relaxed),
            counters.syncs_failed.load(Ordering::Relaxed)
        ),
        format!("conflicts          {conflicts} (settled by Device Wins)"),
        format!("lost edits         {lost_text}"),
        format!(
            "throughput         {:.1} saves/s, {:.1} syncs/min while editing",
            saved as f64 / edit_secs,
            syncs_during as f64 * 60.0 / edit_secs
        ),
        format!("converged          in {rounds} final rounds, {settle_secs:.1} s"),
    ];
    Ok(report)
}

fn full_journal(store: &Store) -> Result<Vec<crate::store::JournalEntry>, StoreError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let batch = store.journal(after, 10_000)?;
        let Some(last) = batch.last() else {
            return Ok(out);
        };
        after = last.seq;
        out.extend(batch);
    }
}

/// One client's user: random edits and creates with short pauses until the deadline. Returns
/// the client and the records it created.
async fn edit(
    n: usize,
    mut client: Device,
    deadline: Instant,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
) -> (Device, Vec<(String, String)>) {
    let mut created = Vec::new();
    let mut serial = 0u64;
    while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
        let pause = rand::rng().random_range(20..250);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        serial += 1;
        let (entity, field) = EDITED[rand::rng().random_range(0..EDITED.len())];
        let value = format!("soak {n}-{serial}");
        let create = rand::rng().random_bool(0.1);
        let outcome = if create {
            let fields = if entity == "account" {
                [("name", value.as_str()), ("credit_limit", "5000")]
            } else {
                [("full_name", value.as_str()), (field, "Soak tester")]
            };
            let fields = fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            match client.create(entity, &fields) {
                Ok((id, outcome)) => {
                    if matches!(outcome, SaveOutcome::Saved { .. }) {
                        created.push((entity.to_string(), id));
                        counters.created.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(outcome)
                }
                Err(e) => Err(e),
            }
        } else {
            let count = client.store().count(entity).unwrap_or(0);
            if count == 0 {
                continue;
            }
            // A small set of hot records, so clients edit the same ones and conflict.
            let offset = rand::rng().random_range(0..count.min(HOT_RECORDS));
            let primary = if entity == "account" {
                "name"
            } else {
                "full_name"
            };
            let Some(record) = client
                .store()
                .list(entity, primary, "", 1, offset)
                .ok()
                .and_then(|mut v| v.pop())
            else {
                continue;
            };
            let fields = [(field.to_string(), value)].into_iter().collect();
            client.save(entity, &record.id, &fields, "soak")
        };
        match outcome {
            Ok(SaveOutcome::Saved { .. }) => {
                counters.saved.fetch_add(1, Ordering::Relaxed);
            }
            Ok(SaveOutcome::Refused(_)) => {
                counters.refused.fetch_add(1, Ordering::Relaxed);
            }
            Ok(SaveOutcome::Unchanged) => {}
            Err(e) => eprintln!("soak client {n}: save failed: {e}"),
        }
    }
    (client, created)
}

/// Arms a random fault now and then until the deadline.
async fn inject_faults(control: Control, rate: f64, deadline: Instant, counters: Arc<Counters>) {
    const PATHS: [Option<&str>; 6] = [
        None,
        Some("/api/v1/session"),
        Some("/api/v1/project"),
        Some("/api/v1/batch"),
        Some("/api/v1/entities/"),
        Some("/api/v1/files/"),
    ];
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (arm, path, count, fault) = {
            let mut rng = rand::rng();
            let fault = match rng.random_range(0..8) {
                0 => Fault::Status {
                    status: 500,
                    retry_after_s: None,
                },
                1 => Fault::Status {
                    status: 503,
                    retry_after_s: Some(rng.random_range(0..=1)),
                },
                2 => Fault::Status {
                    status: 429,
                    retry_after_s: Some(0),
                },
                3 => Fault::Reset,
                4 => Fault::DropAfterCommit,
                5 => Fault::CloseMidBody,
                6 => Fault::Latency {
                    ms: SOAK_REQUEST_TIMEOUT.as_millis() as u64 + 500,
                },
                _ => Fault::Latency {
                    ms: rng.random_range(50..400),
                },
            };
            (
                rng.random_bool(rate),
                PATHS[rng.random_range(0..PATHS.len())],
                rng.random_range(1..=2),
                fault,
            )
        };
        if arm && control.fault(None, path, count, fault).await.is_ok() {
            counters
                .faults
                .fetch_add(u64::from(count), Ordering::Relaxed);
        }
    }
}
