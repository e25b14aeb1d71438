//! The device's side of the sync protocol: typed requests to the sync server, and every failure
//! sorted into what the engine does about it (retry later, ask for the password, record
//! against the operation) with a message a user understands. Never logs the password.

use std::time::Duration;

use reqwest::{Method, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::project::Project;
use crate::wire::{
    BatchOperation, BatchRequest, BatchResponse, DownloadPage, EntityPage, FileKind, FileList,
    Problem, Record,
};

/// How long one request may take before it counts as a stalled connection (the default of
/// [`crate::engine::EngineConfig::request_timeout`]).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request failed, sorted by what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    #[error("no network connection is active")]
    Offline,
    #[error("cannot reach the sync server at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// No complete answer within the request timeout (it is carried for the message).
    #[error("the sync server did not answer within {} s", seconds(*.0))]
    Timeout(Duration),
    #[error("the server rejected the user name or password; enter the password and sync again")]
    Unauthorized,
    /// 429 and 5xx, and connections cut mid-answer: back off and try again.
    #[error("the sync server is unavailable ({status}){}", retry_after.map(|d| format!("; it asks to retry after {} s", d.as_secs())).unwrap_or_default())]
    Transient {
        status: u16,
        retry_after: Option<Duration>,
        detail: String,
    },
    /// The answer broke off or could not be read: the request may or may not have taken effect.
    #[error("the sync server's answer was cut off or unreadable: {0}")]
    Broken(String),
    /// `410 Gone`: the delta token is unknown or expired.
    #[error("the server no longer knows this download position; downloading everything again")]
    Gone,
    /// Any other 4xx: the request itself is wrong; never retried blindly.
    #[error("the server refused the request ({}): {}", problem.status, problem.detail)]
    Rejected { problem: Box<Problem> },
}

impl RemoteError {
    /// Worth trying again after a pause.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            RemoteError::Transient { .. }
                | RemoteError::Broken(_)
                | RemoteError::Timeout(_)
                | RemoteError::Unreachable { .. }
        )
    }
}

pub type Result<T> = std::result::Result<T, RemoteError>;

/// Whether `GET /api/v1/project` found something new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectFetch {
    Unchanged,
    Changed {
        project: Box<Project>,
        etag: Option<String>,
    },
}

/// The wire client: the sync protocol's requests to one sync server as one user (the
/// administrator's control API is [`crate::control::Control`]).
#[derive(Clone)]
pub struct Remote {
    http: reqwest::Client,
    base: String,
    user: String,
    password: String,
    timeout: Duration,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("base", &self.base)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// An HTTP client builder for `base_url`. A plain `http://` server (the embedded demo server on
/// loopback) needs no TLS roots: loading the system's certificates costs 4 to 10 ms per client,
/// paid before the first frame at start and by every scenario. An `https://` server gets the
/// platform's verifier as before.
pub fn client_builder(base_url: &str) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder();
    if base_url.starts_with("http://") {
        builder.tls_certs_only(Vec::new())
    } else {
        builder
    }
}

impl Remote {
    pub fn new(base_url: &str, user: &str, password: &str) -> Result<Remote> {
        Self::with_timeout(base_url, user, password, REQUEST_TIMEOUT)
    }

    /// [`Remote::new`] whose requests count as stalled after `timeout` instead of
    /// [`REQUEST_TIMEOUT`] (tests of the stall fault use a short one).
    pub fn with_timeout(
        base_url: &str,
        user: &str,
        password: &str,
        timeout: Duration,
    ) -> Result<Remote> {
        let http = client_builder(base_url)
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| RemoteError::Unreachable {
                url: base_url.to_string(),
                detail: e.to_string(),
            })?;
        Ok(Remote {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            user: user.to_string(),
            password: password.to_string(),
            timeout,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Whether this connection talks to `base_url` as `user` with `password` and `timeout`:
    /// then a new sync can reuse it (and its open connections) instead of building another.
    pub fn serves(&self, base_url: &str, user: &str, password: &str, timeout: Duration) -> bool {
        self.base == base_url.trim_end_matches('/')
            && self.user == user
            && self.password == password
            && self.timeout == timeout
    }

    async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        let url = format!("{}{}", self.base, path_and_query);
        let request = build(
            self.http
                .request(method, &url)
                .basic_auth(&self.user, Some(&self.password)),
        );
        let response = request.send().await.map_err(|e| self.classify_send(&e))?;
        let status = response.status();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.bytes().await.unwrap_or_default();
        let problem = serde_json::from_slice::<Problem>(&body).unwrap_or_else(|_| Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("error").into(),
            status: status.as_u16(),
            detail: String::from_utf8_lossy(&body).chars().take(200).collect(),
            entity: None,
            field: None,
            current: None,
        });
        Err(match status {
            StatusCode::UNAUTHORIZED => RemoteError::Unauthorized,
            StatusCode::GONE => RemoteError::Gone,
            StatusCode::TOO_MANY_REQUESTS => RemoteError::Transient {
                status: 429,
                retry_after,
                detail: problem.detail,
            },
            s if s.is_server_error() => RemoteError::Transient {
                status: s.as_u16(),
                retry_after,
                detail: problem.detail,
            },
            _ => RemoteError::Rejected {
                problem: Box::new(problem),
            },
        })
    }

    fn classify_send(&self, e: &reqwest::Error) -> RemoteError {
        if e.is_timeout() {
            RemoteError::Timeout(self.timeout)
        } else if e.is_connect() {
            RemoteError::Unreachable {
                url: self.base.clone(),
                detail: "connection refused".into(),
            }
        } else {
            RemoteError::Broken(e.to_string())
        }
    }

    async fn json<T: DeserializeOwned>(&self, response: reqwest::Response) -> Result<T> {
        let bytes = self.body(response).await?;
        serde_json::from_slice(bytes.as_ref())
            .map_err(|e| RemoteError::Broken(format!("unexpected answer: {e}")))
    }

    /// The whole body of an answer.
    async fn body(&self, response: reqwest::Response) -> Result<impl AsRef<[u8]> + Send + 'static> {
        response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                RemoteError::Timeout(self.timeout)
            } else {
                RemoteError::Broken(e.without_url().to_string())
            }
        })
    }

    /// Connect: authenticate and learn the published project version.
    pub async fn session(&self) -> Result<crate::wire::Session> {
        self.json(self.send(Method::GET, "/api/v1/session", |r| r).await?)
            .await
    }

    /// Customization check: `If-None-Match` with the ETag of the project we have.
    pub async fn project(&self, known_etag: Option<&str>) -> Result<ProjectFetch> {
        let response = self
            .send(Method::GET, "/api/v1/project", |r| match known_etag {
                Some(etag) => r.header(header::IF_NONE_MATCH, etag),
                None => r,
            })
            .await?;
        if response.status() == StatusCode::NOT_MODIFIED {
            return Ok(ProjectFetch::Unchanged);
        }
        let etag = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let project: Project = self.json(response).await?;
        Ok(ProjectFetch::Changed {
            project: Box::new(project),
            etag,
        })
    }

    /// One page of the delta download: from `cursor` (a `next` link) or from `since`.
    pub async fn page(
        &self,
        entity: &str,
        since: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<EntityPage> {
        let path = page_path(entity, since, cursor, limit);
        self.json(self.send(Method::GET, &path, |r| r).await?).await
    }

    /// [`Remote::page`] as the device's download applies it: the records' fields kept as the
    /// JSON text the server sent (checked), so they are stored without being parsed into a map
    /// and serialized again.
    pub async fn download_page(
        &self,
        entity: &str,
        since: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<DownloadPage> {
        let path = page_path(entity, since, cursor, limit);
        let response = self.send(Method::GET, &path, |r| r).await?;
        let bytes = self.body(response).await?;
        // Parsed on a blocking thread: off the runtime's workers, one of which applies the
        // previous page meanwhile, so the two can run on both cores.
        tokio::task::spawn_blocking(move || serde_json::from_slice(bytes.as_ref()))
            .await
            .map_err(|e| RemoteError::Broken(format!("reading the answer: {e}")))?
            .map_err(|e| RemoteError::Broken(format!("unexpected answer: {e}")))
    }

    pub async fn record(&self, entity: &str, id: &str) -> Result<Option<Record>> {
        match self
            .send(
                Method::GET,
                &format!("/api/v1/entities/{entity}/{}", urlencode(id)),
                |r| r,
            )
            .await
        {
            Ok(resp) => self.json(resp).await.map(Some),
            Err(RemoteError::Rejected { problem }) if problem.status == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Online mode: `PATCH` one record with `If-Match`.
    pub async fn update(
        &self,
        entity: &str,
        id: &str,
        etag: &str,
        fields: &crate::wire::Fields,
    ) -> Result<Record> {
        let body = crate::wire::RecordBody {
            fields: fields.clone(),
        };
        let path = format!("/api/v1/entities/{entity}/{}", urlencode(id));
        self.json(
            self.send(Method::PATCH, &path, |r| {
                r.header(header::IF_MATCH, etag).json(&body)
            })
            .await?,
        )
        .await
    }

    /// Up to 100 creates and updates in one request.
    pub async fn batch(&self, operations: Vec<BatchOperation>) -> Result<BatchResponse> {
        let body = BatchRequest { operations };
        self.json(
            self.send(Method::POST, "/api/v1/batch", |r| r.json(&body))
                .await?,
        )
        .await
    }

    pub async fn files(&self, kind: FileKind, since: Option<&str>) -> Result<FileList> {
        let mut path = format!("/api/v1/files/{}", kind.as_str());
        if let Some(token) = since {
            path.push_str("?since=");
            path.push_str(&urlencode(token));
        }
        self.json(self.send(Method::GET, &path, |r| r).await?).await
    }

    pub async fn file(&self, kind: FileKind, id: &str) -> Result<Vec<u8>> {
        let response = self
            .send(
                Method::GET,
                &format!("/api/v1/files/{}/{}", kind.as_str(), urlencode(id)),
                |r| r,
            )
            .await?;
        response.bytes().await.map(|b| b.to_vec()).map_err(|e| {
            if e.is_timeout() {
                RemoteError::Timeout(self.timeout)
            } else {
                RemoteError::Broken(e.without_url().to_string())
            }
        })
    }
}

/// The path and query of a page: the `next` link itself, or a download from `since`.
fn page_path(entity: &str, since: Option<&str>, cursor: Option<&str>, limit: u32) -> String {
    match cursor {
        Some(next) => next.to_string(),
        None => {
            let mut p = format!("/api/v1/entities/{entity}?limit={limit}");
            if let Some(token) = since {
                p.push_str("&since=");
                p.push_str(&urlencode(token));
            }
            p
        }
    }
}

/// `10` for whole seconds, `0.5` otherwise.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{:.1}", d.as_secs_f64())
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
