//! Shared by the `server_*` tests: a real embedded server on an ephemeral loopback port in a
//! temporary directory, and a real HTTP client.

#![allow(dead_code)]

use std::path::Path;

use autosync::clock::Clock;
use autosync::server::{EmbeddedServer, ServerLimits, start_embedded_with_limits};
use autosync::wire::{EntityPage, PROBLEM_JSON, Problem, Record};
use chrono::{DateTime, Utc};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

pub const ADMIN_TOKEN: &str = "test-admin-token";

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")
        .map(|t| t.to_utc())
        .unwrap()
}

pub struct Harness {
    pub server: EmbeddedServer,
    pub client: reqwest::Client,
    pub clock: Clock,
    dir: tempfile::TempDir,
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_with_limits(ServerLimits::default()).await
    }

    pub async fn start_with_limits(limits: ServerLimits) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::frozen(t0());
        let server =
            start_embedded_with_limits(dir.path(), clock.clone(), Some(ADMIN_TOKEN.into()), limits)
                .await
                .unwrap();
        Harness {
            server,
            client: reqwest::Client::new(),
            clock,
            dir,
        }
    }

    /// Stops the server as [`EmbeddedServer::shutdown`] does.
    pub async fn shutdown(self) {
        self.server.shutdown().await.unwrap();
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the server and starts a new one on the same data directory.
    pub async fn restart(self) -> Harness {
        let Harness {
            server,
            client,
            clock,
            dir,
        } = self;
        server.shutdown().await.unwrap();
        let server = start_embedded_with_limits(
            dir.path(),
            clock.clone(),
            Some(ADMIN_TOKEN.into()),
            ServerLimits::default(),
        )
        .await
        .unwrap();
        Harness {
            server,
            client,
            clock,
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// A request as the demo user.
    pub fn user(&self, method: Method, path: &str) -> RequestBuilder {
        self.as_user("demo", "demo", method, path)
    }

    pub fn as_user(
        &self,
        name: &str,
        password: &str,
        method: Method,
        path: &str,
    ) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .basic_auth(name, Some(password))
    }

    /// A request to the control API.
    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(ADMIN_TOKEN)
    }

    pub async fn record(&self, entity: &str, id: &str) -> Record {
        let r = self
            .user(Method::GET, &format!("/api/v1/entities/{entity}/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    pub async fn page(&self, path: &str) -> EntityPage {
        let r = self.user(Method::GET, path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.json().await.unwrap()
    }

    /// Every page of a download that starts at `path`.
    pub async fn download(&self, path: &str) -> Vec<EntityPage> {
        let mut pages = vec![self.page(path).await];
        while let Some(next) = pages.last().and_then(|p| p.next.clone()) {
            pages.push(self.page(&next).await);
        }
        pages
    }

    /// Edits a record as `backoffice` through the control API (a conflicting server change).
    pub async fn admin_patch(&self, entity: &str, id: &str, fields: Value) -> Record {
        let r = self
            .admin(Method::PATCH, &format!("/admin/entities/{entity}/{id}"))
            .json(&json!({ "fields": fields, "as_user": "backoffice" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    pub async fn arm_fault(&self, rule: Value) {
        let r = self
            .admin(Method::POST, "/admin/faults")
            .json(&rule)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap_or_default()
        );
    }
}

/// Asserts a problem+json answer with `status` and returns its body.
pub async fn problem(response: Response, status: u16) -> Problem {
    assert_eq!(
        response.status().as_u16(),
        status,
        "{:?}",
        response.headers()
    );
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert_eq!(content_type, PROBLEM_JSON);
    let problem: Problem = response.json().await.unwrap();
    assert_eq!(problem.status, status);
    assert!(
        problem.kind.starts_with("urn:autosync:problem:"),
        "{}",
        problem.kind
    );
    assert!(!problem.title.is_empty() && !problem.detail.is_empty());
    problem
}
