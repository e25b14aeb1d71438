//! A typed client for the demo server's control API (`/admin/`): what the TUI's demo controls,
//! scenario replay and tests use to make the server slow, conflicting, updated or broken.

use reqwest::{Method, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::project::Project;
use crate::remote::urlencode;
use crate::wire::{
    AdminRecordBody, Delay, Fault, FaultRule, Fields, GenerateRequest, Generated, PublishAsset,
    Published, PurgeRequest, Purged, Record, RequestLog,
};

/// Sends a control request and reads its whole body; an error status is an error with the
/// server's answer in it.
async fn send(what: &str, request: reqwest::RequestBuilder) -> Result<Vec<u8>, ControlError> {
    let failed = |e: reqwest::Error| ControlError {
        what: what.to_string(),
        detail: e.to_string(),
        status: None,
    };
    let response = request.send().await.map_err(failed)?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(failed)?;
    if !status.is_success() {
        return Err(ControlError {
            what: what.to_string(),
            detail: format!("{status}: {}", String::from_utf8_lossy(&bytes)),
            status: Some(status.as_u16()),
        });
    }
    Ok(bytes.to_vec())
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("control API {what}: {detail}")]
pub struct ControlError {
    pub what: String,
    pub detail: String,
    /// The HTTP status, when the server answered with an error.
    pub status: Option<u16>,
}

/// The client of the server's control API (`/admin/`: faults, publishing, back-office edits),
/// authenticated with the admin token (never shown in errors). Not the sync protocol: that is
/// [`crate::remote::Remote`].
#[derive(Clone)]
pub struct Control {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Control {
    pub fn new(base_url: &str, admin_token: &str) -> Control {
        Control {
            // Without TLS roots for a plain http:// server (`remote::client_builder`).
            http: crate::remote::client_builder(base_url)
                .build()
                .unwrap_or_else(|e| {
                    tracing::warn!("control client for {base_url}: {e}; using the default client");
                    reqwest::Client::new()
                }),
            base: base_url.trim_end_matches('/').to_string(),
            token: admin_token.to_string(),
        }
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Option<T>, ControlError> {
        let what = format!("{method} {path}");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let bytes = send(&what, request).await?;
        if bytes.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ControlError {
                what,
                detail: e.to_string(),
                status: None,
            })
    }

    /// Publishes a shipped project file (`v1` or `v2`) as the next version.
    pub async fn publish_asset(&self, asset: &str) -> Result<Published, ControlError> {
        let body = PublishAsset {
            asset: asset.to_string(),
        };
        self.call(Method::POST, "/admin/publish", Some(&body))
            .await?
            .ok_or_else(|| empty("publish"))
    }

    /// The project as published now.
    pub async fn project(&self) -> Result<Project, ControlError> {
        self.call::<(), Project>(Method::GET, "/admin/project", None)
            .await?
            .ok_or_else(|| empty("project"))
    }

    /// Publishes project TOML as the next version.
    pub async fn publish_toml(&self, toml: &str) -> Result<Published, ControlError> {
        let what = "POST /admin/publish".to_string();
        let request = self
            .http
            .post(format!("{}/admin/publish", self.base))
            .bearer_auth(&self.token)
            .header(header::CONTENT_TYPE, "application/toml")
            .body(toml.to_string());
        let bytes = send(&what, request).await?;
        serde_json::from_slice(&bytes).map_err(|e| ControlError {
            what,
            detail: e.to_string(),
            status: None,
        })
    }

    /// Bulk-inserts `count` generated records of `entity` (large lists, a large download to watch).
    pub async fn generate(&self, entity: &str, count: u32) -> Result<Generated, ControlError> {
        let body = GenerateRequest {
            entity: entity.to_string(),
            count,
        };
        self.call(Method::POST, "/admin/generate", Some(&body))
            .await?
            .ok_or_else(|| empty("generate"))
    }

    /// Edits a record on the server as another user (default `backoffice`).
    pub async fn edit(
        &self,
        entity: &str,
        id: &str,
        fields: Fields,
        as_user: Option<&str>,
    ) -> Result<Record, ControlError> {
        let body = AdminRecordBody {
            fields,
            as_user: as_user.map(str::to_string),
        };
        let path = format!("/admin/entities/{entity}/{}", urlencode(id));
        self.call(Method::PATCH, &path, Some(&body))
            .await?
            .ok_or_else(|| empty("edit"))
    }

    /// The server's current version of a record (`None`: not there), read on the control API,
    /// which no armed fault touches.
    pub async fn record(&self, entity: &str, id: &str) -> Result<Option<Record>, ControlError> {
        let path = format!("/admin/entities/{entity}/{}", urlencode(id));
        match self.call::<(), Record>(Method::GET, &path, None).await {
            Ok(record) => Ok(record),
            Err(ControlError {
                status: Some(404), ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes a record on the server as another user.
    pub async fn delete(&self, entity: &str, id: &str) -> Result<(), ControlError> {
        let path = format!("/admin/entities/{entity}/{}", urlencode(id));
        self.call::<(), serde_json::Value>(Method::DELETE, &path, None)
            .await
            .map(|_| ())
    }

    /// Sets the business-logic delay of an entity's writes.
    pub async fn set_delay(&self, entity: &str, ms: u64) -> Result<(), ControlError> {
        let path = format!("/admin/delays/{entity}");
        self.call::<_, serde_json::Value>(Method::PUT, &path, Some(&Delay { ms }))
            .await
            .map(|_| ())
    }

    /// Injects a fault into the next `count` matching requests.
    pub async fn fault(
        &self,
        method: Option<&str>,
        path_prefix: Option<&str>,
        count: u32,
        fault: Fault,
    ) -> Result<(), ControlError> {
        let rule = FaultRule {
            method: method.map(str::to_string),
            path_prefix: path_prefix.map(str::to_string),
            count,
            after: 0,
            fault,
        };
        self.arm(&rule).await
    }

    /// Arms `rule` as it is (its method, path, count, `after` and fault).
    pub async fn arm(&self, rule: &FaultRule) -> Result<(), ControlError> {
        self.call::<_, serde_json::Value>(Method::POST, "/admin/faults", Some(rule))
            .await
            .map(|_| ())
    }

    /// Injects `fault` into the one matching request after the next `after` (which pass, or
    /// meet the rules armed before this one).
    pub async fn fault_after(
        &self,
        path_prefix: Option<&str>,
        after: u32,
        fault: Fault,
    ) -> Result<(), ControlError> {
        let rule = FaultRule {
            method: None,
            path_prefix: path_prefix.map(str::to_string),
            count: 1,
            after,
            fault,
        };
        self.arm(&rule).await
    }

    pub async fn clear_faults(&self) -> Result<(), ControlError> {
        self.call::<(), serde_json::Value>(Method::DELETE, "/admin/faults", None)
            .await
            .map(|_| ())
    }

    pub async fn reset(&self) -> Result<(), ControlError> {
        self.call::<(), serde_json::Value>(Method::POST, "/admin/reset", None)
            .await
            .map(|_| ())
    }

    /// Forgets deletions older than the last `keep_seqs` changes: delta tokens from before them
    /// are answered with `410 Gone` from now on.
    pub async fn purge_tombstones(&self, keep_seqs: u64) -> Result<Purged, ControlError> {
        self.call(
            Method::POST,
            "/admin/purge-tombstones",
            Some(&PurgeRequest { keep_seqs }),
        )
        .await?
        .ok_or_else(|| empty("purge-tombstones"))
    }

    pub async fn requests(&self, limit: usize) -> Result<RequestLog, ControlError> {
        self.call::<(), RequestLog>(Method::GET, &format!("/admin/requests?limit={limit}"), None)
            .await?
            .ok_or_else(|| empty("requests"))
    }
}

fn empty(what: &str) -> ControlError {
    ControlError {
        what: what.to_string(),
        detail: "empty answer".into(),
        status: None,
    }
}
