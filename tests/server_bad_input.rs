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
