//! Syncs of a device that already holds everything: with nothing changed (the no-op sync),
//! and with 10,000 pending edits to upload.

use std::path::Path;
use std::time::{Duration, Instant};

use autosync::control::Control;
use autosync::remote::Remote;
use autosync::wire::Fields;

use crate::world::{self, ENTITY, USER};

pub struct Incremental {
    /// Each no-op sync, trigger to `Finished`.
    pub noop: Vec<Duration>,
    /// The phases of the median no-op sync, with their time.
    pub noop_phases: Vec<(String, Duration)>,
    /// Each `GET /api/v1/session` round trip (the cheapest request a sync makes).
    pub round_trip: Vec<Duration>,
    /// What a sync sets up before its first request: its own database connection
    /// (`Store::open`), and what the engine builds once for all its syncs, its HTTP client
    /// (`Remote::new`); medians.
    pub setup: (Duration, Duration),
    pub edits: usize,
    /// Saving the edits on the device (`Store::save_edit`, one transaction each).
    pub local_saves: Duration,
    /// The Upload phase of the sync that sent them.
    pub upload: Duration,
    /// `POST /api/v1/batch` requests that sync made.
    pub upload_requests: usize,
    /// The server's own time in them (its request log).
    pub upload_server: Duration,
}

/// `profile` is synced with the server over `server_dir`.
pub fn measure(server_dir: &Path, profile: &Path, noop_runs: usize, edits: usize) -> Incremental {
    world::runtime().block_on(async {
        let server = world::start_server(server_dir).await;
        world::point_profile(profile, server.url());
        let mut client = world::start_client(profile);
        // The first one after a restart warms the connection pool and the page cache.
        world::timed_sync(&client).await;
        let mut syncs = Vec::with_capacity(noop_runs);
        for _ in 0..noop_runs {
            let sync = world::timed_sync(&client).await;
            assert_eq!(client.store().pending_count().expect("pending"), 0);
            syncs.push(sync);
        }
        syncs.sort_by_key(|s| s.total);
        let noop: Vec<Duration> = syncs.iter().map(|s| s.total).collect();
        let noop_phases = syncs[syncs.len() / 2].phases.clone();
        let mut opens = Vec::with_capacity(noop_runs);
        let mut clients = Vec::with_capacity(noop_runs);
        for _ in 0..noop_runs {
            let started = Instant::now();
            drop(autosync::store::Store::open(profile).expect("open"));
            opens.push(started.elapsed());
            let started = Instant::now();
            drop(Remote::new(server.url(), USER, USER).expect("remote"));
            clients.push(started.elapsed());
        }
        let setup = (world::median(&opens), world::median(&clients));
        let remote = Remote::new(server.url(), USER, USER).expect("remote");
        let mut round_trip = Vec::with_capacity(noop_runs);
        for _ in 0..noop_runs {
            let started = Instant::now();
            remote.session().await.expect("session");
            round_trip.push(started.elapsed());
        }

        let ids: Vec<String> = client
            .store()
            .list(ENTITY, "full_name", "", edits, 0)
            .expect("list the records")
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(
            ids.len(),
            edits,
            "the device holds fewer records than edits"
        );
        let started = Instant::now();
        for (i, id) in ids.iter().enumerate() {
            let values: Fields = [("job_title".to_string(), format!("Benchmarked {i}"))].into();
            let now = client.now();
            client
                .store_mut()
                .save_edit(ENTITY, id, &values, USER, now)
                .expect("save");
        }
        let local_saves = started.elapsed();
        assert_eq!(client.store().pending_count().expect("pending"), edits);

        let sync = world::timed_sync(&client).await;
        assert_eq!(
            client.store().pending_count().expect("pending"),
            0,
            "every edit is uploaded"
        );
        let control = Control::new(server.url(), server.admin_token());
        let log = control.requests(1000).await.expect("request log");
        let batches: Vec<_> = log
            .requests
            .iter()
            .filter(|r| r.method == "POST" && r.path.starts_with("/api/v1/batch"))
            .collect();
        let upload_server =
            Duration::from_secs_f64(batches.iter().map(|r| r.duration_ms).sum::<f64>() / 1000.0);
        client.engine().send(autosync::engine::Command::Shutdown);
        server.shutdown().await.expect("server shutdown");
        Incremental {
            noop,
            noop_phases,
            round_trip,
            setup,
            edits,
            local_saves,
            upload: sync.phase("Upload"),
            upload_requests: batches.len(),
            upload_server,
        }
    })
}
