//! Every error the server answers with, as an RFC 9457 problem: a status, a type URN a client can
//! match on, a sentence a person can act on, and the headers the status calls for.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::wire::{PROBLEM_JSON, Problem, Record};

/// A problem ready to be sent; handlers return it as their error.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Boxed: a problem can carry a whole record, and errors travel in every `Result`.
    pub problem: Box<Problem>,
    /// Seconds for `Retry-After` (429 and 503).
    pub retry_after: Option<u64>,
    /// The `WWW-Authenticate` challenge (401).
    pub challenge: Option<&'static str>,
    /// Sends `Connection: close`: the request was not read whole, so the connection is unusable.
    pub close: bool,
}

pub const BASIC_CHALLENGE: &str = "Basic realm=\"autosync\"";
pub const BEARER_CHALLENGE: &str = "Bearer realm=\"autosync-admin\"";

impl ApiError {
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Self {
        ApiError {
            problem: Box::new(Problem {
                kind: format!("urn:autosync:problem:{slug}"),
                title: status.canonical_reason().unwrap_or("Error").to_string(),
                status: status.as_u16(),
                detail: detail.into(),
                entity: None,
                field: None,
                current: None,
            }),
            retry_after: None,
            challenge: None,
            close: false,
        }
    }

    pub fn with_entity(mut self, entity: &str) -> Self {
        self.problem.entity = Some(entity.to_string());
        self
    }

    pub fn with_field(mut self, field: &str) -> Self {
        self.problem.field = Some(field.to_string());
        self
    }

    pub fn with_current(mut self, current: Record) -> Self {
        self.problem.current = Some(current);
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn bad_request(slug: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, slug, detail)
    }

    pub fn unknown_entity(entity: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "unknown-entity",
            format!("the project has no entity `{entity}`"),
        )
        .with_entity(entity)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn unauthorized(challenge: &'static str, detail: &str) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail);
        e.challenge = Some(challenge);
        e
    }

    /// A failure of the server itself; the detail goes to the log, not to the client.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {err}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; see its log",
        )
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        ApiError::internal(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&self.problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(challenge) = self.challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if self.close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
