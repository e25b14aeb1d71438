//! Request extractors whose every refusal is a problem+json body naming what is wrong, instead
//! of axum's plain-text rejections.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use super::problem::ApiError;
use super::state::AppState;
use crate::wire::MAX_BODY_BYTES;

pub const JSON: &str = "application/json";
pub const TOML: &str = "application/toml";

/// A JSON body, declared as such: anything else is refused with 415 before the body is read.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        content_type(req.headers(), &[JSON])?;
        let bytes = body(req, state.body_read_timeout).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Which of `accepted` the `Content-Type` names (parameters such as `charset` are ignored, case
/// too); a missing or other type is 415, naming the accepted ones.
pub fn content_type(
    headers: &HeaderMap,
    accepted: &[&'static str],
) -> Result<&'static str, ApiError> {
    let given = headers.get(header::CONTENT_TYPE).map(|v| {
        let text = String::from_utf8_lossy(v.as_bytes());
        text.chars().take(100).collect::<String>()
    });
    if let Some(given) = &given {
        let media = given.split(';').next().unwrap_or("").trim();
        if let Some(found) = accepted.iter().find(|a| a.eq_ignore_ascii_case(media)) {
            return Ok(found);
        }
    }
    let expected = accepted
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    let given = match given {
        Some(given) => format!("`{given}`"),
        None => "none".to_string(),
    };
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        format!("the body must be sent with Content-Type {expected}; this request's is {given}"),
    )
    .with_field("Content-Type"))
}

/// The raw body, at most [`MAX_BODY_BYTES`], in at most `timeout`: a client that stops sending
/// it must not hold the request (and its connection) open.
pub async fn body(req: Request, timeout: Duration) -> Result<Bytes, ApiError> {
    let read = tokio::time::timeout(timeout, Bytes::from_request(req, &()));
    let Ok(read) = read.await else {
        let mut e = ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request-timeout",
            format!("the request body did not arrive whole within {timeout:?}"),
        );
        e.close = true;
        return Err(e);
    };
    read.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
            )
        } else {
            ApiError::bad_request("unreadable-body", e.body_text())
        }
    })
}

/// Parses JSON, naming the member at fault: `fields.credit_limit: invalid type: ...`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return ApiError::bad_request(
                "invalid-json",
                format!("the body is not valid JSON: {inner}"),
            );
        }
        let message = inner.to_string();
        // serde names a missing member in back-ticks; the path stops at its parent.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (missing, path.as_str()) {
            (Some(name), ".") => Some(name.to_string()),
            (Some(name), parent) => Some(format!("{parent}.{name}")),
            (None, ".") => None,
            (None, path) => Some(path.to_string()),
        };
        let detail = if path == "." {
            message
        } else {
            format!("`{path}`: {message}")
        };
        let problem = ApiError::bad_request("invalid-body", detail);
        match field {
            Some(field) => problem.with_field(&field),
            None => problem,
        }
    })?;
    de.end().map_err(|e| {
        ApiError::bad_request("invalid-json", format!("the body is not valid JSON: {e}"))
    })?;
    Ok(value)
}

/// Query parameters.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| ApiError::bad_request("invalid-query", e.body_text()))
    }
}

/// Path parameters.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| ApiPath(p))
            .map_err(|e| ApiError::bad_request("invalid-path", e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::RecordBody;

    #[test]
    fn json_errors_name_the_member() {
        let err = parse_json::<RecordBody>(br#"{"fields":{"credit_limit":5}}"#).unwrap_err();
        assert_eq!(err.problem.field.as_deref(), Some("fields.credit_limit"));
        let err = parse_json::<RecordBody>(br#"{"fields":{},"colour":1}"#).unwrap_err();
        assert_eq!(err.problem.field.as_deref(), Some("colour"));
        let err = parse_json::<RecordBody>(br#"{}"#).unwrap_err();
        assert_eq!(err.problem.field.as_deref(), Some("fields"));
        let err = parse_json::<RecordBody>(br#"{"fields":"#).unwrap_err();
        assert_eq!(err.problem.kind, "urn:autosync:problem:invalid-json");
        let err = parse_json::<RecordBody>(br#"{"fields":{}} x"#).unwrap_err();
        assert_eq!(err.problem.kind, "urn:autosync:problem:invalid-json");
    }

    #[test]
    fn content_types_match_without_parameters_and_case() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            content_type(&headers, &[JSON, TOML])
        };
        assert_eq!(with("application/json").unwrap(), JSON);
        assert_eq!(with("Application/JSON ; charset=UTF-8").unwrap(), JSON);
        assert_eq!(with("application/toml").unwrap(), TOML);
        for refused in ["text/plain", "application/jsonl", "application/json x", ""] {
            let err = with(refused).unwrap_err();
            assert_eq!(err.problem.status, 415, "{refused}");
            assert!(err.problem.detail.contains("`application/toml`"));
        }
        let err = content_type(&HeaderMap::new(), &[JSON]).unwrap_err();
        assert!(
            err.problem.detail.ends_with("is none"),
            "{}",
            err.problem.detail
        );
    }
}
