//! Injected faults: the control API arms a rule, and the next N matching `/api/` requests get
//! it: an error status, added latency, a response lost after its write committed, a body cut
//! off half-way, or a connection reset before the request runs. This is how a support engineer reproduces a flaky network on demand.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::problem::ApiError;
use super::request_log::FaultNote;
use super::state::AppState;
use crate::wire::{Fault, FaultRule};

/// `Retry-After` for an injected 429 or 503 that names none.
const DEFAULT_RETRY_AFTER_S: u64 = 1;

#[derive(Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
}

impl Faults {
    /// Checks and arms a rule; rules are tried in the order they were added.
    pub fn add(&self, rule: FaultRule) -> Result<(), ApiError> {
        if rule.count == 0 {
            return Err(
                ApiError::bad_request("invalid-fault", "count must be 1 or more")
                    .with_field("count"),
            );
        }
        if let Fault::Status { status, .. } = rule.fault
            && !(400..=599).contains(&status)
        {
            return Err(ApiError::bad_request(
                "invalid-fault",
                format!("status {status} is no error status (400-599)"),
            )
            .with_field("fault.status"));
        }
        self.lock().push(rule);
        Ok(())
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The fault for this request, if a rule matches; the rule is used up by one. A rule still
    /// letting requests pass (`after`) counts this one and lets it go to the rules after it.
    fn take(&self, method: &str, path: &str) -> Option<Fault> {
        let mut rules = self.lock();
        let matches = |r: &FaultRule| {
            r.method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && r.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
        };
        let mut chosen = None;
        for (i, rule) in rules.iter_mut().enumerate() {
            if !matches(rule) {
                continue;
            }
            if rule.after > 0 {
                rule.after -= 1;
            } else if chosen.is_none() {
                chosen = Some(i);
            }
        }
        let i = chosen?;
        let fault = rules[i].fault.clone();
        rules[i].count -= 1;
        if rules[i].count == 0 {
            rules.remove(i);
        }
        Some(fault)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub async fn middleware(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Some(fault) = state.faults.take(req.method().as_str(), req.uri().path()) else {
        return next.run(req).await;
    };
    let (note, mut response) = match fault {
        Fault::Status {
            status,
            retry_after_s,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut error = ApiError::new(
                status,
                "injected-fault",
                "fault injected through the control API",
            );
            error.retry_after = retry_after_s.or(matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            )
            .then_some(DEFAULT_RETRY_AFTER_S));
            ("status", error.into_response())
        }
        Fault::Latency { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ("latency", next.run(req).await)
        }
        Fault::DropAfterCommit => {
            let response = next.run(req).await;
            ("drop_after_commit", broken(response, Bytes::new()))
        }
        Fault::Reset => (
            "reset",
            broken(StatusCode::OK.into_response(), Bytes::new()),
        ),
        Fault::CloseMidBody => {
            let (parts, body) = next.run(req).await.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let half = bytes.slice(..bytes.len() / 2);
            (
                "close_mid_body",
                broken(Response::from_parts(parts, Body::empty()), half),
            )
        }
    };
    response.extensions_mut().insert(FaultNote(note));
    response
}

/// The response's status and headers, then `prefix` of its body, then a failed stream: hyper
/// aborts the connection, so the client never reads a complete response.
fn broken(response: Response, prefix: Bytes) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    // hyper sends a 204 or 304 without polling the body, which would deliver it intact.
    if matches!(
        parts.status,
        StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED
    ) {
        parts.status = StatusCode::OK;
    }
    let cut = std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "fault injected: response cut off",
    );
    let chunks: Vec<Result<Bytes, std::io::Error>> = if prefix.is_empty() {
        vec![Err(cut)]
    } else {
        vec![Ok(prefix), Err(cut)]
    };
    Response::from_parts(parts, Body::from_stream(stream::iter(chunks)))
}
