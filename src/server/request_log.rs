//! One log line per request (to stderr through tracing, and to a ring buffer the control API
//! reads): method, path, status, duration, user. Headers are never logged, so neither are
//! passwords nor tokens.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::state::AppState;
use crate::wire::RequestLogEntry;

/// How many recent requests `GET /admin/requests` can show.
pub const CAPACITY: usize = 1000;

/// Where authentication leaves the user's name for the log line.
#[derive(Debug, Clone, Default)]
pub struct UserSlot(Arc<OnceLock<String>>);

impl UserSlot {
    pub fn set(&self, name: &str) {
        let _ = self.0.set(name.to_string());
    }
}

/// Set on a response whose request got an injected fault, so the log says so.
#[derive(Debug, Clone, Copy)]
pub struct FaultNote(pub &'static str);

#[derive(Default)]
pub struct RequestLog {
    entries: Mutex<VecDeque<RequestLogEntry>>,
}

impl RequestLog {
    fn push(&self, entry: RequestLogEntry) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() == CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// The newest `limit` entries, oldest first.
    pub fn recent(&self, limit: usize) -> Vec<RequestLogEntry> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let skip = entries.len().saturating_sub(limit);
        entries.iter().skip(skip).cloned().collect()
    }
}

pub async fn middleware(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let at = state.clock.now();
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), |p| p.to_string());
    let slot = UserSlot::default();
    req.extensions_mut().insert(slot.clone());
    let response = next.run(req).await;
    // Microseconds are plenty, and keep the JSON short.
    let duration_ms = (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0;
    let status = response.status().as_u16();
    let user = slot.0.get().cloned();
    let fault = response.extensions().get::<FaultNote>().map(|f| f.0);
    tracing::info!(
        %method,
        %path,
        status,
        duration_ms,
        user = user.as_deref().unwrap_or("-"),
        fault = fault.unwrap_or("-"),
        "request"
    );
    state.requests.push(RequestLogEntry {
        at,
        method,
        path,
        status,
        duration_ms,
        user,
        fault: fault.map(str::to_string),
    });
    response
}
