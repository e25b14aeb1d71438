//! `cargo bench --bench sync`: sync, responsiveness and start-up measured side by side with the
//! baselines they are compared to, all in one run, against the embedded demo server on loopback
//! with generated contacts (six text fields). Prints one table and a closing `BENCH_JSON {...}`
//! line; `--quick` uses 10,000 records instead of 100,000 (CI smoke runs). Targets are goals
//! reported here, never assertions. See docs/PERFORMANCE.md.

mod child;
mod cold_start;
mod download;
mod incremental;
mod report;
mod saves;
mod scenarios;
mod ui;
mod world;

use std::path::Path;
use std::time::{Duration, Instant};

use autosync::store::Store;
use child::FirstSync;
use report::{Report, Target};
use world::{ENTITY, median, ms, percentile};

/// What one run measures, at which sizes.
struct Plan {
    quick: bool,
    /// Generated contacts for every figure but the scaling.
    records: u32,
    /// Fresh first syncs at `records`, each in its own process.
    first_syncs: usize,
    /// Baseline inserts of the same rows.
    raw_inserts: usize,
    /// The other sizes of the scaling fit, with how many first syncs each.
    scale: &'static [(u32, usize)],
    cold_starts: usize,
    noop_syncs: usize,
    edits: usize,
    /// Scenario files played for `scenarios_s`: all of them, or the first few.
    scenarios: Option<usize>,
}

impl Plan {
    fn full() -> Plan {
        Plan {
            quick: false,
            records: 100_000,
            first_syncs: 3,
            raw_inserts: 3,
            scale: &[(10_000, 3), (1_000_000, 1)],
            cold_starts: 5,
            noop_syncs: 20,
            edits: 10_000,
            scenarios: None,
        }
    }

    fn quick() -> Plan {
        Plan {
            quick: true,
            records: 10_000,
            first_syncs: 3,
            raw_inserts: 3,
            scale: &[(1_000, 3), (3_000, 3)],
            cold_starts: 3,
            noop_syncs: 20,
            edits: 10_000,
            scenarios: Some(5),
        }
    }
}

fn main() {
    if let Some(code) = child::dispatch() {
        std::process::exit(code);
    }
    // `cargo bench` passes `--bench`; anything but `--quick` is ignored.
    let plan = if std::env::args().any(|a| a == "--quick") {
        Plan::quick()
    } else {
        Plan::full()
    };
    let dir = tempfile::Builder::new()
        .prefix("autosync-bench-")
        .tempdir()
        .expect("a temporary directory");
    let report = run(&plan, dir.path());
    println!("{}", report.render());
}

fn step(what: &str) {
    eprintln!("[bench] {what}");
}

fn run(plan: &Plan, dir: &Path) -> Report {
    let started = Instant::now();
    let load_before = world::load_average();
    println!(
        "autosync sync benchmark: {} records{}, {} CPUs, load average {load_before}",
        plan.records,
        if plan.quick { " (--quick)" } else { "" },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );

    step(&format!(
        "generating {} contacts on the server",
        plan.records
    ));
    let main_server = dir.join("server-main");
    let generated = world::prepare_server(&main_server, plan.records);
    println!(
        "  server: {} contacts generated in {:.0} ms",
        plan.records,
        ms(generated)
    );

    // --- first sync, its baseline, peak memory ------------------------------------------
    let mut firsts: Vec<FirstSync> = Vec::new();
    for i in 0..plan.first_syncs {
        step(&format!("first sync {}/{}", i + 1, plan.first_syncs));
        let profile = dir.join(format!("first-{i}.db"));
        firsts.push(child::run_first_sync(&main_server, &profile));
        if i + 1 < plan.first_syncs {
            remove_database(&profile);
        }
    }
    let synced = dir.join(format!("first-{}.db", plan.first_syncs - 1));
    for f in &firsts {
        println!(
            "  first sync: {} rows in {:.0} ms (download {:.0} ms; {} pages, {:.0} ms of them in the server), RSS {:.1} MB before, {:.1} MB peak; WAL {:.1} MB",
            f.rows,
            f.total_ms,
            f.download_ms,
            f.pages,
            f.server_pages_ms,
            f.rss_before_mb,
            f.rss_peak_mb,
            f.wal_mb
        );
    }
    let rows = firsts[0].rows;
    let first_total = median_ms(firsts.iter().map(|f| f.total_ms));
    let first_download = median_ms(firsts.iter().map(|f| f.download_ms));

    step("baseline: the same rows, one prepared statement, one transaction");
    let raw_rows = download::rows_of(&synced);
    assert_eq!(
        raw_rows.len() as u64,
        rows,
        "the baseline inserts the synced rows"
    );
    let raw: Vec<Duration> = (0..plan.raw_inserts)
        .map(|i| {
            let path = dir.join(format!("raw-{i}.db"));
            let took = download::raw_insert(&raw_rows, &path);
            remove_database(&path);
            took
        })
        .collect();
    drop(raw_rows);
    let raw_insert = median(&raw);
    println!(
        "  raw insert: {:?} ms",
        raw.iter().map(|d| ms(*d).round()).collect::<Vec<_>>()
    );

    // --- cold start ---------------------------------------------------------------------
    step("cold start of target/release/autosync in a pseudo-terminal");
    let contacts = Store::open(&synced)
        .and_then(|s| s.count(ENTITY))
        .expect("count the synced contacts");
    let cold_dir = dir.join("cold");
    std::fs::create_dir_all(&cold_dir).expect("mkdir");
    world::copy_database(
        &autosync::server::database_path(&main_server),
        &cold_dir.join("server.db"),
    );
    world::copy_database(&synced, &cold_dir.join("client.db"));
    let home = dir.join("home");
    std::fs::create_dir_all(&home).expect("mkdir");
    let cold = cold_start::measure(&cold_dir, &home, contacts, plan.cold_starts);
    println!(
        "  cold start: app {:?} ms, open-only {:?} ms",
        cold.app.iter().map(|d| ms(*d).round()).collect::<Vec<_>>(),
        cold.baseline
            .iter()
            .map(|d| ms(*d).round())
            .collect::<Vec<_>>()
    );
    let _ = std::fs::remove_dir_all(&cold_dir);

    // --- responsiveness during the first sync --------------------------------------------
    step("keys every 5 ms into the App during the first sync");
    let ui_profile = dir.join("ui.db");
    let ui = ui::measure(&main_server, &ui_profile);
    remove_database(&ui_profile);
    println!(
        "  ui: {} keys during the sync ({:.0} ms), {} idle, {} frames, slowest draw {:.2} ms",
        ui.during.len(),
        ms(ui.sync),
        ui.idle.len(),
        ui.frames,
        ms(ui.slowest_draw)
    );

    step("form saves during the first sync");
    let saves_profile = dir.join("saves.db");
    let saves = saves::measure(&main_server, &saves_profile);
    remove_database(&saves_profile);
    println!(
        "  saves: {} during the sync ({:.0} ms; longest lock wait {:.1} ms), {} idle; p50 {:.2} / {:.2} ms",
        saves.during.len(),
        ms(saves.sync),
        ms(saves.max_lock_wait),
        saves.idle.len(),
        ms(percentile(&saves.during, 50.0)),
        ms(percentile(&saves.idle, 50.0)),
    );

    // --- incremental syncs --------------------------------------------------------------
    step("no-op syncs and the upload of pending edits");
    let inc = incremental::measure(&main_server, &synced, plan.noop_syncs, plan.edits);
    println!(
        "  no-op sync: p50 {:.1} ms, max {:.1} ms; session round trip p50 {:.2} ms",
        ms(median(&inc.noop)),
        ms(*inc.noop.iter().max().expect("runs")),
        ms(median(&inc.round_trip))
    );
    let phases: Vec<String> = inc
        .noop_phases
        .iter()
        .map(|(p, d)| format!("{p} {:.1}", ms(*d)))
        .collect();
    println!(
        "  no-op sync phases (ms): {}; a sync's own connection opens in {:.1} ms; an HTTP client (built once per engine) builds in {:.1} ms",
        phases.join(", "),
        ms(inc.setup.0),
        ms(inc.setup.1)
    );
    println!(
        "  upload: {} edits saved locally in {:.0} ms, uploaded in {:.0} ms with {} batch requests ({:.0} ms of them in the server)",
        inc.edits,
        ms(inc.local_saves),
        ms(inc.upload),
        inc.upload_requests,
        ms(inc.upload_server)
    );
    remove_database(&synced);
    let _ = std::fs::remove_dir_all(&main_server);

    // --- scaling ------------------------------------------------------------------------
    let mut points = vec![(
        rows as f64,
        Duration::from_secs_f64(first_download / 1000.0),
    )];
    let mut raw_points = vec![(rows as f64, raw_insert)];
    let mut peaks = vec![(
        rows,
        firsts.iter().map(|f| f.rss_peak_mb).fold(0.0, f64::max),
    )];
    // The largest size of the scaling: its first sync against its own baseline insert, and its
    // peak memory (`download_ratio_1m`, `peak_rss_mb_1m`).
    let mut largest: Option<(u64, f64, Duration, f64)> = None;
    for &(n, runs) in plan.scale {
        step(&format!("scaling: generating {n} contacts"));
        let server = dir.join(format!("server-{n}"));
        world::prepare_server(&server, n);
        let mut at_n = Vec::new();
        let mut scale_raw = None;
        for i in 0..runs {
            step(&format!("scaling: first sync of {n} ({}/{runs})", i + 1));
            let profile = dir.join(format!("scale-{n}.db"));
            at_n.push(child::run_first_sync(&server, &profile));
            if i + 1 == runs {
                let scale_rows = download::rows_of(&profile);
                let path = dir.join(format!("raw-{n}.db"));
                let raw = download::raw_insert(&scale_rows, &path);
                raw_points.push((scale_rows.len() as f64, raw));
                remove_database(&path);
                scale_raw = Some(raw);
            }
            remove_database(&profile);
        }
        let _ = std::fs::remove_dir_all(&server);
        let download = median_ms(at_n.iter().map(|f| f.download_ms));
        let total = median_ms(at_n.iter().map(|f| f.total_ms));
        let peak = at_n.iter().map(|f| f.rss_peak_mb).fold(0.0, f64::max);
        let wal = at_n.iter().map(|f| f.wal_mb).fold(0.0, f64::max);
        println!(
            "  {} rows: download {download:.0} ms, first sync {total:.0} ms, RSS peak {peak:.1} MB, WAL {wal:.1} MB",
            at_n[0].rows
        );
        points.push((
            at_n[0].rows as f64,
            Duration::from_secs_f64(download / 1000.0),
        ));
        peaks.push((at_n[0].rows, peak));
        if largest.is_none_or(|(rows, ..)| at_n[0].rows > rows) {
            let raw = scale_raw.expect("the last run measures the baseline");
            largest = Some((at_n[0].rows, total, raw, peak));
        }
    }
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    raw_points.sort_by(|a, b| a.0.total_cmp(&b.0));
    for ((n, t), (_, r)) in points.iter().zip(&raw_points) {
        println!(
            "  scale: {n:>9.0} rows  download {:>8.0} ms  raw insert {:>7.0} ms  ({:.0} rows/s)",
            ms(*t),
            ms(*r),
            n / t.as_secs_f64()
        );
    }
    let exponent = world::fit_exponent(&points);
    let raw_exponent = world::fit_exponent(&raw_points);
    let peak_rss = peaks
        .iter()
        .find(|(n, _)| *n == rows)
        .map(|(_, p)| *p)
        .unwrap_or(f64::NAN);
    let rss_before = median_ms(firsts.iter().map(|f| f.rss_before_mb));

    // --- scenarios ----------------------------------------------------------------------
    step("every shipped scenario through autosync play");
    let played = scenarios::measure(plan.scenarios);
    println!(
        "  scenarios: {} files played in {:.1} s",
        played.files,
        played.took.as_secs_f64()
    );

    println!(
        "  load average {load_before} before, {} after; {:.0} s in all\n",
        world::load_average(),
        started.elapsed().as_secs_f64()
    );

    let mut r = Report::default();
    r.context.push(("records", rows.into()));
    r.context.push(("quick", plan.quick.into()));
    let raw_s = raw_insert.as_secs_f64();
    r.add_ratio(
        "download_ratio",
        first_total,
        (
            ms(raw_insert),
            "the same rows inserted with one prepared statement in one transaction (p50)",
        ),
        "ms",
        Target::AtMost(1.5),
    );
    let (large_rows, large_total, large_raw, large_peak) =
        largest.expect("the scaling has a largest size");
    r.context.push(("records_1m", large_rows.into()));
    r.add_ratio(
        "download_ratio_1m",
        large_total,
        (
            ms(large_raw),
            "the same rows inserted with one prepared statement in one transaction",
        ),
        "ms",
        Target::AtMost(1.5),
    );
    r.add(
        "download_rows_per_s",
        rows as f64 / (first_total / 1000.0),
        Some((
            rows as f64 / raw_s,
            "rows/s of the same rows inserted with one prepared statement in one transaction",
        )),
        Target::Report,
    );
    r.add(
        "upload_edits_per_s",
        inc.edits as f64 / inc.upload.as_secs_f64(),
        Some((
            inc.edits as f64 / inc.local_saves.as_secs_f64(),
            "edits/s saved on the device (Store::save_edit, one transaction each)",
        )),
        Target::AtLeast(40_000.0),
    );
    r.add(
        "upload_requests",
        inc.upload_requests as f64,
        Some((
            inc.edits.div_ceil(autosync::wire::MAX_BATCH_OPERATIONS) as f64,
            "edits / operations allowed per batch request",
        )),
        Target::AtMost(100.0),
    );
    r.add(
        "noop_sync_ms",
        ms(median(&inc.noop)),
        Some((
            ms(median(&inc.round_trip)),
            "one GET /api/v1/session round trip (p50)",
        )),
        Target::AtMost(2.0),
    );
    r.add(
        "ui_p99_ms",
        ms(percentile(&ui.during, 99.0)),
        Some((
            ms(percentile(&ui.idle, 99.0)),
            "p99 of the same keys with no sync running",
        )),
        Target::Below(16.0),
    );
    r.add(
        "ui_max_ms",
        ms(*ui.during.iter().max().expect("keys")),
        Some((
            ms(*ui.idle.iter().max().expect("keys")),
            "max of the same keys with no sync running",
        )),
        Target::Below(50.0),
    );
    r.add(
        "save_p99_ms",
        ms(percentile(&saves.during, 99.0)),
        Some((
            ms(percentile(&saves.idle, 99.0)),
            "p99 of the same saves with no sync running",
        )),
        Target::AtMost(10.0),
    );
    r.add(
        "cold_start_ms",
        ms(median(&cold.app)),
        Some((
            ms(median(&cold.baseline)),
            "a process that only opens the profile with Store::open (p50)",
        )),
        Target::AtMost(30.0),
    );
    r.add(
        "peak_rss_mb",
        peak_rss,
        Some((
            rss_before,
            "the same process's RSS before the sync (server started, device opened)",
        )),
        Target::Below(150.0),
    );
    r.add(
        "peak_rss_mb_1m",
        large_peak,
        Some((
            rss_before,
            "the 100k first sync's process RSS before the sync (server started, device opened)",
        )),
        Target::AtMost(64.0),
    );
    r.add(
        "scale_exponent",
        exponent,
        Some((
            raw_exponent,
            "the exponent of the baseline insert at the same sizes",
        )),
        Target::AtMost(1.05),
    );
    r.context.push(("scenarios", played.files.into()));
    r.add(
        "scenarios_s",
        played.took.as_secs_f64(),
        None,
        Target::AtMost(15.0),
    );
    r
}

fn median_ms(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Removes a database and its WAL files.
fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
