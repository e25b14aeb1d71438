//! What every request handler shares: the database, the clock, the credentials, the published
//! project, and the knobs the control API turns (delays, faults, the request log).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use crate::assets::DemoUser;
use crate::clock::Clock;
use crate::project::Project;

use super::db::Db;
use super::faults::Faults;
use super::request_log::RequestLog;

pub struct AppState {
    pub db: Db,
    pub clock: Clock,
    pub admin_token: String,
    pub users: Vec<DemoUser>,
    pub faults: Faults,
    pub requests: RequestLog,
    /// How long a handler waits for a request body ([`super::ServerLimits`]).
    pub body_read_timeout: Duration,
    project: RwLock<Arc<PublishedProject>>,
    delays: Mutex<BTreeMap<String, u64>>,
}

/// The published project with its JSON and ETag, computed once per publish.
pub struct PublishedProject {
    pub project: Project,
    pub json: String,
    pub etag: String,
}

/// A project version's ETag.
pub fn project_etag(version: u32) -> String {
    format!("W/\"v{version}\"")
}

impl PublishedProject {
    pub fn new(project: Project) -> PublishedProject {
        let json = serde_json::to_string(&project).unwrap_or_default();
        let etag = project_etag(project.version);
        PublishedProject {
            project,
            json,
            etag,
        }
    }
}

impl AppState {
    pub fn new(db: Db, clock: Clock, admin_token: String, project: Project) -> AppState {
        AppState {
            db,
            clock,
            admin_token,
            users: crate::assets::users(),
            faults: Faults::default(),
            requests: RequestLog::default(),
            body_read_timeout: super::ServerLimits::default().body_read_timeout,
            project: RwLock::new(Arc::new(PublishedProject::new(project))),
            delays: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn published(&self) -> Arc<PublishedProject> {
        self.project
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Makes `project` the one served. Racing publishes keep the highest version; a reset
    /// (`force`) always wins.
    pub fn set_project(&self, project: Project, force: bool) {
        let mut current = self.project.write().unwrap_or_else(PoisonError::into_inner);
        if force || project.version > current.project.version {
            *current = Arc::new(PublishedProject::new(project));
        }
    }

    pub fn delays(&self) -> BTreeMap<String, u64> {
        self.delays
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn set_delay(&self, entity: &str, ms: u64) {
        let mut delays = self.delays.lock().unwrap_or_else(PoisonError::into_inner);
        if ms == 0 {
            delays.remove(entity);
        } else {
            delays.insert(entity.to_string(), ms);
        }
    }

    pub fn clear_delays(&self) {
        self.delays
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// A snapshot of the delays for a write running on a blocking thread.
    pub fn delay_lookup(&self) -> impl Fn(&str) -> Duration + Send + 'static {
        let delays = self.delays();
        move |entity| Duration::from_millis(delays.get(entity).copied().unwrap_or(0))
    }
}
