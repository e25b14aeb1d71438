//! The control API under `/admin/`: what a support engineer turns to make the server slow,
//! conflicting, updated or broken on demand. Every endpoint needs the admin Bearer token.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

use super::api;
use super::auth::Admin;
use super::extract::{ApiJson, ApiPath, ApiQuery, JSON, TOML, body, content_type, parse_json};
use super::problem::ApiError;
use super::request_log::CAPACITY;
use super::seed;
use super::state::{AppState, project_etag};
use super::store;
use super::writes::Op;
use crate::assets;
use crate::project::Project;
use crate::wire::{
    AdminRecordBody, Delay, Delays, FaultList, FaultRule, GenerateRequest, Generated, PublishAsset,
    Published, PurgeRequest, Purged, RequestLog, RequestLogQuery, ResetDone,
};

type AppRef = State<Arc<AppState>>;

/// Longest business-logic delay (ten minutes): longer only looks like a hung server.
const MAX_DELAY_MS: u64 = 600_000;
/// Most records one `generate` call inserts.
const MAX_GENERATE: u32 = 1_000_000;
/// Requests shown when `limit` is absent.
const DEFAULT_REQUESTS: usize = 100;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/admin/project", get(published_project))
        .route("/admin/publish", post(publish))
        .route(
            "/admin/entities/{entity}/{id}",
            get(admin_read)
                .put(admin_create)
                .patch(admin_update)
                .delete(admin_delete),
        )
        .route("/admin/delays", get(delays))
        .route("/admin/delays/{entity}", put(set_delay))
        .route(
            "/admin/faults",
            get(faults).post(add_fault).delete(clear_faults),
        )
        .route("/admin/reset", post(reset))
        .route("/admin/requests", get(requests))
        .route("/admin/generate", post(generate))
        .route("/admin/purge-tombstones", post(purge))
}

/// Publishes a shipped project (`{"asset":"v2"}`) or a posted one (`Content-Type:
/// application/toml`). Devices see it as the next version, whatever the file says.
async fn publish(
    State(state): AppRef,
    _admin: Admin,
    req: Request,
) -> Result<Json<Published>, ApiError> {
    let is_toml = content_type(req.headers(), &[JSON, TOML])? == TOML;
    let bytes = body(req, state.body_read_timeout).await?;
    let project = if is_toml {
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            ApiError::bad_request("invalid-project", "the posted project is not UTF-8 text")
        })?;
        Project::parse(Path::new("posted project"), text)
            .map_err(|e| ApiError::bad_request("invalid-project", e.to_string()))?
    } else {
        let PublishAsset { asset } = parse_json(&bytes)?;
        match asset.as_str() {
            "v1" => assets::project_v1(),
            "v2" => assets::project_v2(),
            other => {
                return Err(ApiError::bad_request(
                    "unknown-asset",
                    format!("there is no shipped project `{other}` (v1, v2); or post TOML as application/toml"),
                )
                .with_field("asset"));
            }
        }
    };
    let now = state.clock.now();
    let project = state
        .db
        .write(move |tx| {
            let mut project = project;
            project.version = store::current_project(tx)?.version + 1;
            store::insert_project(tx, &project, now)?;
            Ok(project)
        })
        .await?;
    tracing::info!(version = project.version, "published project");
    let published = Published {
        version: project.version,
        name: project.name.clone(),
        etag: project_etag(project.version),
    };
    state.set_project(project, false);
    Ok(Json(published))
}

/// The project as published now (the JSON devices download from `/api/v1/project`): what the
/// Woodford screen shows and edits. Read on the control API, so no device credentials are needed.
async fn published_project(State(state): AppRef, _admin: Admin) -> Json<Project> {
    Json(state.published().project.clone())
}

/// The admin's body: optional for a delete, which needs no fields; one sent must be JSON.
async fn admin_body(req: Request, timeout: Duration) -> Result<AdminRecordBody, ApiError> {
    let declared = content_type(req.headers(), &[JSON]);
    let bytes = body(req, timeout).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(AdminRecordBody::default());
    }
    declared?;
    parse_json(&bytes)
}

/// The demo user to act as: `backoffice` unless named.
fn acting_user(state: &AppState, body: &AdminRecordBody) -> Result<String, ApiError> {
    let name = body
        .as_user
        .clone()
        .unwrap_or_else(|| seed::SEED_USER.to_string());
    if state.users.iter().any(|u| u.name == name) {
        Ok(name)
    } else {
        Err(
            ApiError::bad_request("unknown-user", format!("`{name}` is not a demo user"))
                .with_field("as_user"),
        )
    }
}

/// An `If-Match` the admin sends is honored; without one, the write applies to any version.
fn admin_if_match(headers: &HeaderMap) -> Option<String> {
    let given = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok());
    Some(given.unwrap_or("*").to_string())
}

async fn admin_create(
    State(state): AppRef,
    _admin: Admin,
    ApiPath((entity, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<AdminRecordBody>,
) -> Result<Response, ApiError> {
    let user = acting_user(&state, &body)?;
    let op = Op::Create {
        entity,
        id,
        idempotency_key: None,
        fields: body.fields,
    };
    api::single(&state, user, op).await
}

/// A record as the server has it now. Faults are armed on the user API only, so this read is
/// never one of them: scenario checks and tests read the server here without using one up.
async fn admin_read(
    State(state): AppRef,
    _admin: Admin,
    ApiPath((entity, id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    api::record_reply(&state, entity, id).await
}

async fn admin_update(
    State(state): AppRef,
    _admin: Admin,
    ApiPath((entity, id)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<AdminRecordBody>,
) -> Result<Response, ApiError> {
    let user = acting_user(&state, &body)?;
    let op = Op::Update {
        entity,
        id,
        if_match: admin_if_match(&headers),
        fields: body.fields,
    };
    api::single(&state, user, op).await
}

async fn admin_delete(
    State(state): AppRef,
    _admin: Admin,
    ApiPath((entity, id)): ApiPath<(String, String)>,
    req: Request,
) -> Result<Response, ApiError> {
    let if_match = admin_if_match(req.headers());
    let body = admin_body(req, state.body_read_timeout).await?;
    let user = acting_user(&state, &body)?;
    let op = Op::Delete {
        entity,
        id,
        if_match,
    };
    api::single(&state, user, op).await
}

async fn delays(State(state): AppRef, _admin: Admin) -> Json<Delays> {
    Json(Delays {
        delays: state.delays(),
    })
}

async fn set_delay(
    State(state): AppRef,
    _admin: Admin,
    ApiPath(entity): ApiPath<String>,
    ApiJson(delay): ApiJson<Delay>,
) -> Result<Json<Delays>, ApiError> {
    if state.published().project.entity(&entity).is_none() {
        return Err(ApiError::unknown_entity(&entity));
    }
    if delay.ms > MAX_DELAY_MS {
        return Err(ApiError::bad_request(
            "invalid-delay",
            format!("a delay is at most {MAX_DELAY_MS} ms"),
        )
        .with_field("ms"));
    }
    state.set_delay(&entity, delay.ms);
    Ok(Json(Delays {
        delays: state.delays(),
    }))
}

async fn faults(State(state): AppRef, _admin: Admin) -> Json<FaultList> {
    Json(FaultList {
        faults: state.faults.list(),
    })
}

async fn add_fault(
    State(state): AppRef,
    _admin: Admin,
    ApiJson(rule): ApiJson<FaultRule>,
) -> Result<Response, ApiError> {
    state.faults.add(rule)?;
    Ok((
        StatusCode::CREATED,
        Json(FaultList {
            faults: state.faults.list(),
        }),
    )
        .into_response())
}

async fn clear_faults(State(state): AppRef, _admin: Admin) -> StatusCode {
    state.faults.clear();
    StatusCode::NO_CONTENT
}

/// Back to the seed data and project v1 with a new epoch; delays and faults are cleared too.
async fn reset(State(state): AppRef, _admin: Admin) -> Result<Json<ResetDone>, ApiError> {
    let now = state.clock.now();
    let epoch = state.db.write(move |tx| Ok(seed::reset(tx, now)?)).await?;
    state.set_project(assets::project_v1(), true);
    state.clear_delays();
    state.faults.clear();
    tracing::info!("reset to the seed data");
    Ok(Json(ResetDone { epoch }))
}

async fn requests(
    State(state): AppRef,
    _admin: Admin,
    ApiQuery(query): ApiQuery<RequestLogQuery>,
) -> Json<RequestLog> {
    let limit = query.limit.unwrap_or(DEFAULT_REQUESTS).min(CAPACITY);
    Json(RequestLog {
        requests: state.requests.recent(limit),
    })
}

async fn generate(
    State(state): AppRef,
    _admin: Admin,
    ApiJson(request): ApiJson<GenerateRequest>,
) -> Result<Json<Generated>, ApiError> {
    let published = state.published();
    let Some(entity) = published.project.entity(&request.entity).cloned() else {
        return Err(ApiError::unknown_entity(&request.entity));
    };
    if request.count == 0 || request.count > MAX_GENERATE {
        return Err(ApiError::bad_request(
            "invalid-count",
            format!("count must be 1 to {MAX_GENERATE}"),
        )
        .with_field("count"));
    }
    let now = state.clock.now();
    let count = request.count;
    let first = state
        .db
        .write(move |tx| Ok(seed::generate(tx, &entity, count, now)?))
        .await?;
    Ok(Json(Generated {
        entity: request.entity,
        count,
        first,
    }))
}

async fn purge(
    State(state): AppRef,
    _admin: Admin,
    ApiJson(request): ApiJson<PurgeRequest>,
) -> Result<Json<Purged>, ApiError> {
    let (purged, horizon) = state
        .db
        .write(move |tx| Ok(store::purge_tombstones(tx, request.keep_seqs)?))
        .await?;
    Ok(Json(Purged { purged, horizon }))
}
