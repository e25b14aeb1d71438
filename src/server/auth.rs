//! Who is asking: a demo user with HTTP Basic on `/api/`, the administrator with a Bearer token
//! on `/admin/`. Neither credential opens the other's door.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::problem::{ApiError, BASIC_CHALLENGE, BEARER_CHALLENGE};
use super::request_log::UserSlot;
use super::state::AppState;

/// The name the request log shows for the control API's caller.
pub const ADMIN: &str = "admin";

/// An authenticated demo user.
#[derive(Debug, Clone)]
pub struct User(pub String);

/// An authenticated administrator.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

impl FromRequestParts<Arc<AppState>> for User {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let refused = |detail| ApiError::unauthorized(BASIC_CHALLENGE, detail);
        let credentials = scheme_value(parts, "Basic")
            .ok_or_else(|| refused("sign in with HTTP Basic as a demo user (e.g. demo/demo)"))?;
        let decoded = STANDARD
            .decode(credentials.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| {
                refused("the Basic credentials are not valid base64 of user:password")
            })?;
        let (name, password) = decoded.split_once(':').ok_or_else(|| {
            refused("the Basic credentials are not valid base64 of user:password")
        })?;
        // Every user is compared, so the time taken does not tell which names exist.
        let known = state.users.iter().fold(false, |found, u| {
            found
                | (same(u.name.as_bytes(), name.as_bytes())
                    & same(u.password.as_bytes(), password.as_bytes()))
        });
        if !known {
            return Err(refused("unknown user or wrong password"));
        }
        note_user(parts, name);
        Ok(User(name.to_string()))
    }
}

impl FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let token = scheme_value(parts, "Bearer").ok_or_else(|| {
            ApiError::unauthorized(
                BEARER_CHALLENGE,
                "the control API needs `Authorization: Bearer <admin token>`",
            )
        })?;
        if !same(token.trim().as_bytes(), state.admin_token.as_bytes()) {
            return Err(ApiError::unauthorized(
                BEARER_CHALLENGE,
                "wrong admin token",
            ));
        }
        note_user(parts, ADMIN);
        Ok(Admin)
    }
}

/// The credentials after `<scheme> ` in the Authorization header (scheme case-insensitive).
fn scheme_value(parts: &Parts, scheme: &str) -> Option<String> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (given, rest) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.to_string())
}

fn note_user(parts: &Parts, name: &str) {
    if let Some(slot) = parts.extensions.get::<UserSlot>() {
        slot.set(name);
    }
}

/// Equality whose time depends only on the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
