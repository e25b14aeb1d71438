//! The device-facing endpoints under `/api/v1/`: project, entity pages, record reads and
//! writes, batches, files. `docs/PROTOCOL.md` describes each with examples.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::auth::User;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::files;
use super::pages;
use super::problem::ApiError;
use super::state::AppState;
use super::store;
use super::writes::{Op, Outcome, Writer};
use crate::wire::{
    BatchRequest, BatchResponse, BatchResult, FileKind, FileList, FileQuery, IDEMPOTENCY_KEY,
    MAX_BATCH_OPERATIONS, PageQuery, Record, RecordBody, Session,
};

type AppRef = State<Arc<AppState>>;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/session", get(session))
        .route("/api/v1/project", get(project))
        .route("/api/v1/entities/{entity}", get(page))
        .route(
            "/api/v1/entities/{entity}/{id}",
            get(read_record).put(create).patch(update).delete(delete),
        )
        .route("/api/v1/batch", post(batch))
        .route("/api/v1/files/{kind}", get(list_files))
        .route("/api/v1/files/{kind}/{id}", get(download))
}

/// Connect: checks the credentials and tells the device which project version is published,
/// so a sync with nothing new never downloads the project.
async fn session(State(state): AppRef, User(user): User) -> Response {
    let published = state.published();
    let full_name = state
        .users
        .iter()
        .find(|u| u.name == user)
        .map(|u| u.full_name.clone())
        .unwrap_or_default();
    let body = Session {
        user,
        full_name,
        project_version: published.project.version,
        project_etag: published.etag.clone(),
        server_time: state.clock.now(),
    };
    json_response(
        StatusCode::OK,
        serde_json::to_vec(&body).unwrap_or_default(),
        None,
    )
}

async fn project(State(state): AppRef, _user: User, headers: HeaderMap) -> Response {
    let published = state.published();
    let etag = HeaderValue::from_str(&published.etag).unwrap_or(HeaderValue::from_static(""));
    if if_none_match(&headers, &published.etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    json_response(
        StatusCode::OK,
        published.json.clone().into_bytes(),
        Some(etag),
    )
}

/// `If-None-Match` lists the tag (or is `*`); weak comparison, as RFC 9110 asks for it.
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    let Some(value) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let weak = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    value.trim() == "*" || value.split(',').any(|tag| weak(tag) == weak(etag))
}

fn entity_exists(state: &AppState, entity: &str) -> Result<(), ApiError> {
    match state.published().project.entity(entity) {
        Some(_) => Ok(()),
        None => Err(ApiError::unknown_entity(entity)),
    }
}

async fn page(
    State(state): AppRef,
    _user: User,
    ApiPath(entity): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    entity_exists(&state, &entity)?;
    let body = state
        .db
        .read(move |tx| {
            let now = store::state(tx)?;
            let (window, limit) = pages::window(&now, &query)?;
            let total = match query.cursor {
                None => Some(pages::window_total(tx, &entity, window)?),
                Some(_) => None,
            };
            pages::write_page(tx, &entity, &now.epoch, window, limit, total)
        })
        .await?;
    Ok(json_response(StatusCode::OK, body, None))
}

async fn read_record(
    State(state): AppRef,
    _user: User,
    ApiPath((entity, id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    record_reply(&state, entity, id).await
}

/// The current version of a record (`GET` on the user API and on the control API).
pub(super) async fn record_reply(
    state: &AppState,
    entity: String,
    id: String,
) -> Result<Response, ApiError> {
    entity_exists(state, &entity)?;
    let found = {
        let (entity, id) = (entity.clone(), id.clone());
        state
            .db
            .read(move |tx| store::record(tx, &entity, &id))
            .await?
    };
    match found {
        Some(record) => Ok(record_response(StatusCode::OK, &record)),
        None => Err(ApiError::not_found(format!(
            "`{entity}` `{id}` does not exist (or was deleted)"
        ))
        .with_entity(&entity)),
    }
}

async fn create(
    State(state): AppRef,
    User(user): User,
    ApiPath((entity, id)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RecordBody>,
) -> Result<Response, ApiError> {
    if header_str(&headers, header::IF_NONE_MATCH).map(str::trim) != Some("*") {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            "PUT only creates: send `If-None-Match: *` (and PATCH to update)",
        )
        .with_field("If-None-Match"));
    }
    let Some(key) = header_str(&headers, HeaderName::from_static("idempotency-key")) else {
        return Err(ApiError::bad_request(
            "idempotency-key-missing",
            format!(
                "a create needs an {IDEMPOTENCY_KEY} header, so that a retry cannot create it twice"
            ),
        )
        .with_field(IDEMPOTENCY_KEY));
    };
    let op = Op::Create {
        entity,
        id,
        idempotency_key: Some(key.to_string()),
        fields: body.fields,
    };
    single(&state, user, op).await
}

async fn update(
    State(state): AppRef,
    User(user): User,
    ApiPath((entity, id)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RecordBody>,
) -> Result<Response, ApiError> {
    let op = Op::Update {
        entity,
        id,
        if_match: if_match(&headers),
        fields: body.fields,
    };
    single(&state, user, op).await
}

async fn delete(
    State(state): AppRef,
    User(user): User,
    ApiPath((entity, id)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let op = Op::Delete {
        entity,
        id,
        if_match: if_match(&headers),
    };
    single(&state, user, op).await
}

async fn batch(
    State(state): AppRef,
    User(user): User,
    ApiJson(batch): ApiJson<BatchRequest>,
) -> Result<Response, ApiError> {
    if batch.operations.len() > MAX_BATCH_OPERATIONS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-many-operations",
            format!(
                "a batch holds at most {MAX_BATCH_OPERATIONS} operations, not {}; split it",
                batch.operations.len()
            ),
        )
        .with_field("operations"));
    }
    let ops = batch.operations.into_iter().map(Op::from).collect();
    let results = run(&state, user, ops)
        .await?
        .into_iter()
        .map(|outcome| match outcome {
            Ok((status, record)) => BatchResult {
                status: status.as_u16(),
                record,
                problem: None,
            },
            Err(e) => BatchResult {
                status: e.problem.status,
                record: None,
                problem: Some(*e.problem),
            },
        })
        .collect();
    json_ok(&BatchResponse { results })
}

/// Runs writes as `user` in one transaction (see [`Writer::run`]).
pub async fn run(
    state: &Arc<AppState>,
    user: String,
    ops: Vec<Op>,
) -> Result<Vec<Outcome>, ApiError> {
    let published = state.published();
    let now = state.clock.now();
    let delay = state.delay_lookup();
    state
        .db
        .write(move |tx| {
            let writer = Writer {
                user: &user,
                now,
                project: &published.project,
                delay: &delay,
            };
            Ok(writer.run(tx, ops)?)
        })
        .await
}

/// Runs one write and answers as its single-record endpoint does.
pub async fn single(state: &Arc<AppState>, user: String, op: Op) -> Result<Response, ApiError> {
    let path = format!("/api/v1/entities/{}/", op.entity());
    let outcome = run(state, user, vec![op])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("a write produced no outcome"))?;
    match outcome? {
        (status, Some(record)) => {
            let mut response = record_response(status, &record);
            if status == StatusCode::CREATED
                && let Ok(location) = HeaderValue::from_str(&format!("{path}{}", record.id))
            {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Ok(response)
        }
        (status, None) => Ok(status.into_response()),
    }
}

fn record_response(status: StatusCode, record: &Record) -> Response {
    let etag = HeaderValue::from_str(&record.etag).ok();
    match serde_json::to_vec(record) {
        Ok(body) => json_response(status, body, etag),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

fn json_response(status: StatusCode, body: Vec<u8>, etag: Option<HeaderValue>) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(etag) = etag {
        headers.insert(header::ETAG, etag);
    }
    response
}

/// `200` with `value` as its JSON body.
fn json_ok(value: &impl serde::Serialize) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    Ok(json_response(StatusCode::OK, body, None))
}

/// The `If-Match` a device sends; without one, the write fails with 428.
fn if_match(headers: &HeaderMap) -> Option<String> {
    header_str(headers, header::IF_MATCH).map(str::to_string)
}

fn header_str(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn file_kind(kind: &str) -> Result<FileKind, ApiError> {
    FileKind::parse(kind).ok_or_else(|| {
        ApiError::not_found(format!(
            "there are no files of kind `{kind}` (attachments, documents, emails)"
        ))
        .with_field("kind")
    })
}

async fn list_files(
    State(state): AppRef,
    _user: User,
    ApiPath(kind): ApiPath<String>,
    ApiQuery(query): ApiQuery<FileQuery>,
) -> Result<Response, ApiError> {
    let kind = file_kind(&kind)?;
    let list = state
        .db
        .read(move |tx| {
            let now = store::state(tx)?;
            let since = match &query.since {
                Some(token) => pages::since_token(&now, token)?,
                None => 0,
            };
            let files = files::list(tx, kind, since)?;
            let delta_token = super::tokens::DeltaToken {
                epoch: now.epoch,
                seq: now.seq,
            }
            .encode();
            Ok(FileList { files, delta_token })
        })
        .await?;
    json_ok(&list)
}

async fn download(
    State(state): AppRef,
    _user: User,
    ApiPath((kind, id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let kind = file_kind(&kind)?;
    let found = {
        let id = id.clone();
        state
            .db
            .read(move |tx| Ok(files::content(tx, kind, &id)?))
            .await?
    };
    let Some(file) = found else {
        return Err(ApiError::not_found(format!(
            "there is no file `{id}` among the {}",
            kind.as_str()
        )));
    };
    let mut response = (StatusCode::OK, file.bytes).into_response();
    let headers = response.headers_mut();
    let values = [
        (header::CONTENT_TYPE, file.content_type),
        (header::ETAG, file.etag),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", file.name),
        ),
    ];
    for (name, value) in values {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    Ok(response)
}
