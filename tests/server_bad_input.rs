//! Bad requests get the right 4xx as problem+json, and the server keeps serving, under load too.

mod server_common;

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::json;
use server_common::{Harness, problem};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const ACC: &str = "/api/v1/entities/account/acc-0001";

#[tokio::test]
async fn malformed_json_wrong_types_and_unknown_names_are_400_naming_them() {
    let h = Harness::start().await;
    let patch = |body: &'static str| {
        h.user(Method::PATCH, ACC)
            .header("If-Match", "*")
            .header("Content-Type", "application/json")
            .body(body)
    };
    let cases = [
        (r#"{"fields": {"name": "#, None),
        (r#"not json at all"#, None),
        (r#"{"fields": {"name": "A"}} trailing"#, None),
        (
            r#"{"fields": {"credit_limit": 75000}}"#,
            Some("fields.credit_limit"),
        ),
        (r#"{"fields": ["name"]}"#, Some("fields")),
        (r#"{"fields": {}, "colour": "red"}"#, Some("colour")),
        (r#"{}"#, Some("fields")),
        (r#"{"fields": {"colour": "red"}}"#, Some("colour")),
        (
            r#"{"fields": {"credit_limit": "a lot"}}"#,
            Some("credit_limit"),
        ),
        (r#"{"fields": {"phone": "no digits"}}"#, Some("phone")),
    ];
    for (body, field) in cases {
        let p = problem(patch(body).send().await.unwrap(), 400).await;
        if let Some(field) = field {
            assert_eq!(p.field.as_deref(), Some(field), "{body}: {}", p.detail);
            assert!(
                p.detail.contains(field.rsplit('.').next().unwrap()),
                "{body}: {}",
                p.detail
            );
        }
    }
    let r = h
        .user(Method::POST, "/api/v1/batch")
        .json(&json!({"operations": [{"op": "upsert"}]}))
        .send()
        .await
        .unwrap();
    problem(r, 400).await;
    let r = h
        .user(Method::PATCH, "/api/v1/entities/planet/p1")
        .header("If-Match", "*")
        .json(&json!({"fields": {}}))
        .send()
        .await
        .unwrap();
    let p = problem(r, 404).await;
    assert!(p.detail.contains("planet"));
    let r = h
        .user(Method::POST, ACC)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    problem(r, 405).await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let h = Harness::start().await;
    let big = format!(
        r#"{{"fields": {{"name": "{}"}}}}"#,
        "x".repeat(autosync::wire::MAX_BODY_BYTES)
    );
    let r = h
        .user(Method::PATCH, ACC)
        .header("If-Match", "*")
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    problem(r, 413).await;
    assert_eq!(
        h.user(Method::GET, ACC).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests_each_get_their_answer() {
    let h = Arc::new(Harness::start().await);
    // Bounded, so the test measures the server and not the client's socket limits.
    let permits = Arc::new(Semaphore::new(64));
    let mut set = JoinSet::new();
    for i in 0..1000 {
        let (h, permits) = (h.clone(), permits.clone());
        set.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            let (request, expected) = match i % 5 {
                0 => (
                    h.user(Method::PATCH, ACC)
                        .header("If-Match", "*")
                        .header("Content-Type", "application/json")
                        .body("{oops"),
                    400,
                ),
                1 => (h.user(Method::GET, "/api/v1/entities/planet"), 404),
                2 => (
                    h.as_user("demo", "nope", Method::GET, "/api/v1/project"),
                    401,
                ),
                3 => (
                    h.user(Method::GET, "/api/v1/entities/account?since=%21%21"),
                    400,
                ),
                _ => (
                    h.user(
                        Method::GET,
                        &format!("/api/v1/entities/contact/con-{:04}", 1 + i % 300),
                    ),
                    200,
                ),
            };
            let r = request.send().await.unwrap();
            assert_eq!(r.status().as_u16(), expected, "request {i}");
            if expected != 200 {
                problem(r, expected).await;
            } else {
                r.bytes().await.unwrap();
            }
        });
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
    assert_eq!(
        h.user(Method::GET, "/api/v1/project")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

/// Every endpoint of both APIs that takes a JSON body, with a body it accepts as JSON.
fn json_endpoints() -> Vec<(bool, Method, &'static str, serde_json::Value)> {
    let update = json!({"fields": {"city": "Linz"}});
    vec![
        (
            true,
            Method::PUT,
            "/api/v1/entities/account/acc-new",
            json!({"fields": {"name": "New"}}),
        ),
        (true, Method::PATCH, ACC, update.clone()),
        (
            true,
            Method::POST,
            "/api/v1/batch",
            json!({"operations": [
            {"op": "update", "entity": "account", "id": "acc-0003", "if_match": "*", "fields": {"city": "Linz"}}]}),
        ),
        (
            false,
            Method::POST,
            "/admin/publish",
            json!({"asset": "v2"}),
        ),
        (
            false,
            Method::PUT,
            "/admin/entities/account/acc-adm",
            json!({"fields": {"name": "Adm"}}),
        ),
        (
            false,
            Method::PATCH,
            "/admin/entities/account/acc-0004",
            update,
        ),
        (
            false,
            Method::PUT,
            "/admin/delays/account",
            json!({"ms": 5}),
        ),
        (
            false,
            Method::POST,
            "/admin/faults",
            json!({"count": 1, "path_prefix": "/api/v1/nowhere", "fault": {"kind": "status", "status": 503}}),
        ),
        (
            false,
            Method::POST,
            "/admin/generate",
            json!({"entity": "account", "count": 3}),
        ),
        (
            false,
            Method::POST,
            "/admin/purge-tombstones",
            json!({"keep_seqs": 0}),
        ),
        // Last: a purge after it would put the test's delta token behind the horizon.
        (
            false,
            Method::DELETE,
            "/admin/entities/account/acc-0002",
            json!({"as_user": "alice"}),
        ),
    ]
}

#[tokio::test]
async fn a_body_not_declared_json_is_415_on_every_json_endpoint_and_changes_nothing() {
    let h = Harness::start().await;
    let pages = h.download("/api/v1/entities/account").await;
    let token = pages.last().unwrap().delta_token.clone().unwrap();
    let request = |device: bool, method: &Method, path: &str| {
        let r = if device {
            h.user(method.clone(), path)
        } else {
            h.admin(method.clone(), path)
        };
        r.header("If-None-Match", "*")
            .header("If-Match", "*")
            .header("Idempotency-Key", "k-415")
    };
    let refused = [
        Some("text/plain"),
        None,
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonl"),
        Some("application/problem+json"),
    ];
    for (device, method, path, body) in json_endpoints() {
        for content_type in refused {
            let mut r = request(device, &method, path).body(body.to_string());
            if let Some(content_type) = content_type {
                r = r.header("Content-Type", content_type);
            }
            let p = problem(r.send().await.unwrap(), 415).await;
            assert_eq!(p.kind, "urn:autosync:problem:unsupported-media-type");
            assert_eq!(p.field.as_deref(), Some("Content-Type"));
            let named = content_type.map_or("none".to_string(), |c| format!("`{c}`"));
            assert!(
                p.detail.contains("`application/json`") && p.detail.contains(&named),
                "{method} {path}: {}",
                p.detail
            );
        }
    }

    // Nothing was published, written, armed or delayed.
    let session: autosync::wire::Session = h
        .user(Method::GET, "/api/v1/session")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session.project_version, 1);
    let delta = h
        .download(&format!("/api/v1/entities/account?since={token}"))
        .await;
    assert!(
        delta
            .iter()
            .all(|p| p.records.is_empty() && p.deleted.is_empty()),
        "{delta:?}"
    );
    let h = &h;
    let admin_get = |path: &'static str| async move {
        let r = h.admin(Method::GET, path).send().await.unwrap();
        r.json::<serde_json::Value>().await.unwrap()
    };
    assert_eq!(admin_get("/admin/delays").await, json!({"delays": {}}));
    assert_eq!(admin_get("/admin/faults").await, json!({"faults": []}));

    // The same requests declared JSON (with a parameter, in any case) are accepted.
    for (device, method, path, body) in json_endpoints() {
        let r = request(device, &method, path)
            .header("Content-Type", "Application/JSON; charset=utf-8")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{method} {path}: {}", r.status());
    }
    assert_eq!(
        h.page(&format!("/api/v1/entities/account?since={token}"))
            .await
            .deleted,
        ["acc-0002"]
    );
}

#[tokio::test]
async fn an_admin_delete_without_a_body_needs_no_content_type() {
    let h = Harness::start().await;
    let r = h
        .admin(Method::DELETE, "/admin/entities/account/acc-0002")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = h
        .admin(Method::POST, "/admin/publish")
        .header("Content-Type", "text/x-toml")
        .body(autosync::assets::PROJECT_V2.1)
        .send()
        .await
        .unwrap();
    let p = problem(r, 415).await;
    assert!(p.detail.contains("`application/toml`"), "{}", p.detail);
}
