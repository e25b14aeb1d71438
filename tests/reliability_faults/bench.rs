//! The shared harness: a device that has synchronized once, small download pages, a 1 s
//! request timeout, rounds of edits on both sides, and faults armed at exactly one request.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use autosync::auditor;
use autosync::device::{Device, init_profile};
use autosync::engine::Command;
use autosync::invariants::{device_records, differences, server_records};
use autosync::rules::Trigger;
use autosync::settings::AutoSync;
use autosync::store::{JournalEntry, JournalKind, Store};
use autosync::wire::Fault;

use crate::engine_common::*;

pub const TIMEOUT: Duration = Duration::from_secs(1);
pub const PAGE: u32 = 3;
/// Tries of one request before the sync gives up on it (the engine's `MAX_ATTEMPTS`: the
/// journal says "attempt 2/4" to "attempt 4/4").
pub const ATTEMPTS: u32 = 4;

/// One request of the sync: its method, its path without the query, and which request with that
/// method and path it is (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub method: String,
    pub path: String,
    pub nth: u32,
}

pub struct Bench {
    pub world: World,
    pub device: Device,
    pub round: usize,
    /// (entity, id, field, value) saved on the device.
    pub edits: Vec<(String, String, String, String)>,
    /// (id, name) of created accounts.
    pub creates: Vec<(String, String)>,
    /// Ids of accounts deleted on the device.
    pub deletes: Vec<String>,
}

impl Bench {
    /// A device that has synchronized once, with Auto Sync Never (only the test starts syncs),
    /// small download pages and a 1 s request timeout.
    pub async fn new() -> Bench {
        let world = World::new().await;
        let path = world.dir.path().join("device.db");
        let mut store = Store::open(&path).unwrap();
        init_profile(&mut store, world.server.url(), "demo", Some("demo")).unwrap();
        drop(store);
        let tune = |c: &mut autosync::engine::EngineConfig| {
            c.tick = Duration::from_secs(3600);
            c.request_timeout = TIMEOUT;
        };
        let mut device = Device::start(&path, world.clock.clone(), tune).unwrap();
        set_auto_sync(&mut device, AutoSync::Never);
        assert_eq!(sync(&device, Trigger::Manual).await.error, None);
        device.engine().send(Command::Shutdown);
        drop(device);
        let device = Device::start(&path, world.clock.clone(), |c| {
            tune(c);
            c.page_limit = PAGE;
        })
        .unwrap();
        Bench {
            world,
            device,
            round: 0,
            edits: Vec::new(),
            creates: Vec::new(),
            deletes: Vec::new(),
        }
    }

    /// Two account edits, a create and a delete on the device, an account and a contact edit on
    /// the server: every phase of the next sync has work, on fresh records each round.
    pub async fn prepare_round(&mut self) {
        self.round += 1;
        let r = self.round;
        for n in [2 * r, 2 * r + 1] {
            let id = format!("acc-{n:04}");
            let value = format!("City {r}-{n}");
            let outcome = self
                .device
                .save("account", &id, &fields(&[("city", &value)]), "test")
                .unwrap();
            assert!(saved(&outcome), "{outcome:?}");
            self.edits
                .push(("account".into(), id, "city".into(), value.clone()));
        }
        let name = format!("Fault Round {r} Ltd");
        let (id, outcome) = self
            .device
            .create(
                "account",
                &fields(&[("name", &name), ("credit_limit", "1000")]),
            )
            .unwrap();
        assert!(saved(&outcome));
        self.creates.push((id, name));
        let deleted = format!("acc-{:04}", 150 + r);
        let outcome = self.device.delete("account", &deleted).unwrap();
        assert!(saved(&outcome), "{outcome:?}");
        self.deletes.push(deleted);
        self.world
            .control
            .edit(
                "account",
                &format!("acc-{:04}", 100 + r),
                fields(&[("email", &format!("round{r}@server.example"))]),
                None,
            )
            .await
            .unwrap();
        self.world
            .control
            .edit(
                "contact",
                &format!("con-{:04}", 1 + r),
                fields(&[("job_title", &format!("Title {r}"))]),
                None,
            )
            .await
            .unwrap();
    }

    /// The requests of one sync, in the order the server finished them.
    pub async fn learn_requests(&mut self) -> Vec<Target> {
        self.prepare_round().await;
        let marker = format!("marker-{}", self.round);
        assert!(
            self.world
                .remote()
                .record("account", &marker)
                .await
                .unwrap()
                .is_none()
        );
        let last = sync(&self.device, Trigger::Manual).await;
        assert_eq!(last.error, None);
        let log = self.world.control.requests(200).await.unwrap().requests;
        let start = log.iter().rposition(|e| e.path.ends_with(&marker)).unwrap();
        let mut targets: Vec<Target> = Vec::new();
        for entry in &log[start + 1..] {
            let path = entry.path.split('?').next().unwrap().to_string();
            let nth = 1 + targets
                .iter()
                .filter(|t| t.method == entry.method && path.starts_with(&t.path))
                .count() as u32;
            targets.push(Target {
                method: entry.method.clone(),
                path,
                nth,
            });
        }
        self.assert_converged().await;
        targets
    }

    /// Arms `fault` for exactly the request `target`.
    pub async fn arm(&self, target: &Target, fault: Fault) {
        let control = &self.world.control;
        if target.nth > 1 {
            control
                .fault(
                    Some(&target.method),
                    Some(&target.path),
                    target.nth - 1,
                    Fault::Latency { ms: 0 },
                )
                .await
                .unwrap();
        }
        control
            .fault(Some(&target.method), Some(&target.path), 1, fault)
            .await
            .unwrap();
    }

    /// Every saved edit on the server, every create exactly once, nothing pending, device and
    /// server equal.
    pub async fn assert_converged(&self) {
        let status = self.device.engine().status();
        assert_eq!(status.pending_uploads, 0, "{status:?}");
        assert_eq!(status.unresolved_conflicts, 0);
        let remote = self.world.remote();
        let accounts = server_records(&remote, "account").await.unwrap();
        for (entity, id, field, value) in &self.edits {
            assert_eq!(entity, "account");
            assert_eq!(
                accounts[id].fields.get(field),
                Some(value),
                "the saved edit {id}.{field} is on the server"
            );
        }
        for (id, name) in &self.creates {
            assert!(accounts.contains_key(id), "created {name} is on the server");
            let copies = accounts
                .values()
                .filter(|r| r.fields.get("name") == Some(name))
                .count();
            assert_eq!(copies, 1, "{name} exactly once");
        }
        for id in &self.deletes {
            assert!(
                !accounts.contains_key(id),
                "deleted {id} is gone from the server"
            );
        }
        let store = self.device.store();
        for (entity, server) in [
            ("account", accounts.clone()),
            ("contact", server_records(&remote, "contact").await.unwrap()),
        ] {
            let device = device_records(store, entity).unwrap();
            let diff = differences(entity, &device, &server);
            assert!(diff.is_empty(), "device and server differ: {diff:#?}");
        }
    }

    /// Arms `fault` for the request `target` and for each of its retries, so that it outlasts
    /// them and the sync fails there.
    pub async fn arm_outlasting(&self, target: &Target, fault: Fault) {
        let control = &self.world.control;
        if target.nth > 1 {
            control
                .fault(
                    Some(&target.method),
                    Some(&target.path),
                    target.nth - 1,
                    Fault::Latency { ms: 0 },
                )
                .await
                .unwrap();
        }
        control
            .fault(Some(&target.method), Some(&target.path), ATTEMPTS, fault)
            .await
            .unwrap();
    }

    /// Saves `values` on `id` as the user would; a save that is not saved is a problem.
    pub fn save(&mut self, id: &str, values: &[(&str, &str)]) -> Result<(), String> {
        let outcome = self
            .device
            .save("account", id, &fields(values), "Save button")
            .map_err(|e| format!("saving {id}: {e}"))?;
        if saved(&outcome) {
            Ok(())
        } else {
            Err(format!("saving {id}: {outcome:?}"))
        }
    }

    /// Records `id.field = value` as the newest edit of that field (replacing an older one).
    pub fn expect_edit(&mut self, id: &str, field: &str, value: &str) {
        self.edits.retain(|(_, i, f, _)| !(i == id && f == field));
        self.edits
            .push(("account".into(), id.into(), field.into(), value.into()));
    }

    /// The journal's last sequence number: entries after it are this test's from now on.
    pub fn journal_end(&self) -> i64 {
        journal_since(self.device.store(), 0)
            .last()
            .map_or(0, |e| e.seq)
    }

    /// Everything a user (or the auditor) would see wrong after the device's last sync, one line
    /// each; empty when the device converged: nothing pending, refused or waiting under Sync
    /// Errors, no device value discarded since journal entry `since` (Server Wins or
    /// overwritten), every newest saved edit on the server, every create exactly once, the
    /// device equal to the server, and no lost edit by the auditor.
    pub async fn convergence_problems(&self, since: i64) -> Vec<String> {
        let mut problems = Vec::new();
        let store = self.device.store();
        let pending = store.pending_ops(i64::MAX).unwrap();
        if !pending.is_empty() {
            let ops: Vec<String> = pending
                .iter()
                .map(|op| format!("{:?} {} {} {:?}", op.kind, op.entity, op.id, op.fields))
                .collect();
            problems.push(format!("still pending: {ops:?}"));
        }
        let refused = store.rejected_ops().unwrap();
        if !refused.is_empty() {
            problems.push(format!("refused by the server, left pending: {refused:?}"));
        }
        let conflicts = store.unresolved_conflicts().unwrap();
        if !conflicts.is_empty() {
            let items: Vec<String> = conflicts
                .iter()
                .map(|c| format!("{:?} {} {}", c.kind, c.entity, c.record_id))
                .collect();
            problems.push(format!("unresolved sync errors: {items:?}"));
        }
        for e in journal_since(store, since) {
            if matches!(e.kind, JournalKind::ServerWins | JournalKind::Overwritten) {
                problems.push(format!(
                    "the journal says a device value was discarded ({:?}): {:?} {:?}.{:?}: {}",
                    e.kind, e.entity, e.record_id, e.field, e.detail
                ));
            }
        }
        let remote = self.world.remote();
        let accounts = server_records(&remote, "account").await.unwrap();
        let contacts = server_records(&remote, "contact").await.unwrap();
        for (_, id, field, value) in &self.edits {
            let server = accounts.get(id).and_then(|r| r.fields.get(field));
            if server != Some(value) {
                problems.push(format!(
                    "the saved edit {id}.{field} = {value:?} is not on the server, which has {server:?}"
                ));
            }
        }
        for (id, name) in &self.creates {
            let copies = accounts
                .values()
                .filter(|r| r.fields.get("name") == Some(name))
                .count();
            if copies != 1 || !accounts.contains_key(id) {
                problems.push(format!(
                    "created {name} ({id}) is on the server {copies} time(s), under its own id: {}",
                    accounts.contains_key(id)
                ));
            }
        }
        for id in &self.deletes {
            if accounts.contains_key(id) {
                problems.push(format!("deleted {id} is still on the server"));
            }
        }
        for (entity, server) in [("account", &accounts), ("contact", &contacts)] {
            let device = device_records(store, entity).unwrap();
            problems.extend(differences(entity, &device, server));
        }
        let lost = auditor::audit(store, |entity, id| {
            match entity {
                "account" => accounts.get(id),
                "contact" => contacts.get(id),
                _ => None,
            }
            .map(|r| r.fields.clone())
        })
        .unwrap();
        for l in lost {
            problems.push(format!(
                "the auditor reports a lost edit: {} {}.{} = {:?} ({:?}: {})",
                l.entity, l.id, l.field, l.value, l.cause, l.detail
            ));
        }
        problems
    }
}

/// Every journal entry after `since`.
pub fn journal_since(store: &Store, since: i64) -> Vec<JournalEntry> {
    let mut out = Vec::new();
    let mut after = since;
    loop {
        let batch = store.journal(after, 10_000).unwrap();
        let Some(last) = batch.last() else {
            return out;
        };
        after = last.seq;
        out.extend(batch);
    }
}

/// Every `last_error` the status shows from now on.
pub fn watch_errors(device: &Device) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut rx = device.engine().watch_status();
    let out = seen.clone();
    tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let error = rx.borrow_and_update().last_error.clone();
            if let Some(e) = error {
                let mut v = out.lock().unwrap();
                if v.last() != Some(&e) {
                    v.push(e);
                }
            }
        }
    });
    seen
}
