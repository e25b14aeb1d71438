//! The protocol's answers, status by status, against a real server over loopback.

mod server_common;

use std::time::{Duration, Instant};

use autosync::wire::{BatchResponse, Record};
use reqwest::{Method, StatusCode};
use serde_json::json;
use server_common::{Harness, problem, t0};

const ACC: &str = "/api/v1/entities/account/acc-0001";

#[tokio::test]
async fn project_is_200_with_an_etag_and_304_when_unchanged() {
    let h = Harness::start().await;
    let r = h.user(Method::GET, "/api/v1/project").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let project: autosync::project::Project = r.json().await.unwrap();
    assert_eq!(project.version, 1);
    let r = h
        .user(Method::GET, "/api/v1/project")
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()["etag"], etag.as_str());
    assert!(r.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn missing_or_wrong_credentials_are_401_with_a_challenge() {
    let h = Harness::start().await;
    let requests = [
        h.client.get(h.url("/api/v1/project")),
        h.as_user("demo", "wrong", Method::GET, "/api/v1/project"),
        h.as_user("nobody", "demo", Method::GET, "/api/v1/project"),
        h.client
            .get(h.url("/api/v1/project"))
            .header("Authorization", "Basic !!!"),
    ];
    for request in requests {
        let r = request.send().await.unwrap();
        assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"autosync\"");
        problem(r, 401).await;
    }
    for (user, password) in [("backoffice", "backoffice"), ("alice", "wonderland")] {
        let r = h
            .as_user(user, password, Method::GET, "/api/v1/project")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn record_reads_are_200_or_404() {
    let h = Harness::start().await;
    let record = h.record("account", "acc-0001").await;
    assert_eq!(record.fields["name"], "Datum Outfitters");
    assert_eq!(record.modified_on, t0());
    let r = h
        .user(Method::GET, "/api/v1/entities/account/acc-9999")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 404).await.entity.as_deref(), Some("account"));
    let r = h
        .user(Method::GET, "/api/v1/entities/planet/p1")
        .send()
        .await
        .unwrap();
    let p = problem(r, 404).await;
    assert_eq!(p.entity.as_deref(), Some("planet"));
    assert!(p.detail.contains("planet"));
    let r = h
        .user(Method::GET, "/api/v1/nothing-here")
        .send()
        .await
        .unwrap();
    problem(r, 404).await;
}

#[tokio::test]
async fn update_runs_the_business_logic_and_returns_the_stored_record() {
    let h = Harness::start().await;
    let before = h.record("account", "acc-0002").await;
    assert_eq!(before.fields["rating"], "Cold");
    let r = h
        .user(Method::PATCH, "/api/v1/entities/account/acc-0002")
        .header("If-Match", &before.etag)
        .json(&json!({"fields": {"credit_limit": "150000", "phone": "(555) 201-9876", "rating": "Cold"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let after: Record = r.json().await.unwrap();
    assert_eq!(after.etag, etag);
    assert_ne!(after.etag, before.etag);
    assert_eq!(
        after.fields["rating"], "Hot",
        "derived from the credit limit, not the one sent"
    );
    assert_eq!(after.fields["phone"], "+1 555 201 9876");
    assert_eq!(after.fields["modified_by"], "demo");
    assert_eq!(after.modified_by, "demo");
    assert_eq!(
        after.fields["name"], before.fields["name"],
        "fields not sent are kept"
    );
    assert_eq!(h.record("account", "acc-0002").await, after);
}

#[tokio::test]
async fn stale_if_match_is_412_with_the_current_record_and_no_if_match_is_428() {
    let h = Harness::start().await;
    let mine = h.record("account", "acc-0003").await;
    let theirs = h
        .admin_patch("account", "acc-0003", json!({"city": "Graz"}))
        .await;
    assert_eq!(theirs.modified_by, "backoffice");
    let r = h
        .user(Method::PATCH, "/api/v1/entities/account/acc-0003")
        .header("If-Match", &mine.etag)
        .json(&json!({"fields": {"city": "Linz"}}))
        .send()
        .await
        .unwrap();
    let p = problem(r, 412).await;
    assert_eq!(p.current.as_ref(), Some(&theirs));
    assert_eq!(p.current.unwrap().fields["city"], "Graz");

    let r = h
        .user(Method::PATCH, ACC)
        .json(&json!({"fields": {"city": "Linz"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 428).await.field.as_deref(), Some("If-Match"));
    let r = h.user(Method::DELETE, ACC).send().await.unwrap();
    problem(r, 428).await;
    let old = h.record("account", "acc-0001").await;
    let new = h
        .admin_patch("account", "acc-0001", json!({"city": "Graz"}))
        .await;
    let r = h
        .user(Method::DELETE, ACC)
        .header("If-Match", &old.etag)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 412).await.current, Some(new));
}

#[tokio::test]
async fn delete_is_204_and_the_record_is_then_404() {
    let h = Harness::start().await;
    let record = h.record("contact", "con-0001").await;
    let path = "/api/v1/entities/contact/con-0001";
    let r = h
        .user(Method::DELETE, path)
        .header("If-Match", &record.etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    problem(h.user(Method::GET, path).send().await.unwrap(), 404).await;
    let r = h
        .user(Method::PATCH, path)
        .header("If-Match", &record.etag)
        .json(&json!({"fields": {}}))
        .send()
        .await
        .unwrap();
    problem(r, 404).await;
    let r = h
        .user(Method::DELETE, path)
        .header("If-Match", "*")
        .send()
        .await
        .unwrap();
    problem(r, 404).await;
}

#[tokio::test]
async fn create_is_201_and_idempotent_per_key() {
    let h = Harness::start().await;
    let path = "/api/v1/entities/account/dev-0001";
    let create = |key: &str, name: &str| {
        h.user(Method::PUT, path)
            .header("If-None-Match", "*")
            .header("Idempotency-Key", key)
            .json(&json!({"fields": {"name": name, "credit_limit": "30000"}}))
    };
    let r = create("key-1", "Fabrikam").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["location"], path);
    let created: Record = r.json().await.unwrap();
    assert_eq!(created.fields["rating"], "Warm");

    let r = create("key-1", "Fabrikam").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        r.json::<Record>().await.unwrap(),
        created,
        "a replay returns the stored result"
    );

    let r = create("key-1", "Fabrikam Inc").send().await.unwrap();
    assert_eq!(
        problem(r, 422).await.field.as_deref(),
        Some("Idempotency-Key")
    );

    let r = create("key-2", "Fabrikam").send().await.unwrap();
    assert_eq!(problem(r, 412).await.current, Some(created.clone()));

    // Keys belong to a user: alice's key-1 is a new request, and the id is taken.
    let r = h
        .as_user("alice", "wonderland", Method::PUT, path)
        .header("If-None-Match", "*")
        .header("Idempotency-Key", "key-1")
        .json(&json!({"fields": {"name": "Fabrikam", "credit_limit": "30000"}}))
        .send()
        .await
        .unwrap();
    problem(r, 412).await;

    let r = h
        .user(Method::PUT, path)
        .header("Idempotency-Key", "k")
        .json(&json!({"fields": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(r, 428).await.field.as_deref(),
        Some("If-None-Match")
    );
    let r = h
        .user(Method::PUT, path)
        .header("If-None-Match", "*")
        .json(&json!({"fields": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(r, 400).await.field.as_deref(),
        Some("Idempotency-Key")
    );
}

#[tokio::test]
async fn a_create_whose_response_was_lost_is_not_created_twice_on_retry() {
    let h = Harness::start().await;
    let token = h
        .download("/api/v1/entities/account?limit=5000")
        .await
        .pop()
        .unwrap()
        .delta_token
        .unwrap();
    h.arm_fault(
        json!({"method": "PUT", "path_prefix": "/api/v1/entities/account", "count": 1,
                       "fault": {"kind": "drop_after_commit"}}),
    )
    .await;
    let create = || {
        h.user(Method::PUT, "/api/v1/entities/account/dev-lost")
            .header("If-None-Match", "*")
            .header("Idempotency-Key", "lost-1")
            .json(&json!({"fields": {"name": "Lost Response Ltd"}}))
    };
    match create().send().await {
        Err(_) => {}
        Ok(r) => assert!(
            r.bytes().await.is_err(),
            "the first response must not arrive intact"
        ),
    }
    let r = create().send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let record: Record = r.json().await.unwrap();
    let delta = h
        .download(&format!("/api/v1/entities/account?since={token}"))
        .await;
    let changed: Vec<&Record> = delta.iter().flat_map(|p| &p.records).collect();
    assert_eq!(changed, vec![&record], "exactly one record was created");

    let log = h
        .admin(Method::GET, "/admin/requests?limit=3")
        .send()
        .await
        .unwrap();
    let log: autosync::wire::RequestLog = log.json().await.unwrap();
    assert!(
        log.requests
            .iter()
            .any(|e| e.fault.as_deref() == Some("drop_after_commit") && e.status == 201)
    );
}

#[tokio::test]
async fn a_body_closed_mid_way_fails_and_the_server_keeps_serving() {
    let h = Harness::start().await;
    h.arm_fault(
        json!({"method": "GET", "path_prefix": "/api/v1/entities/", "count": 1,
                       "fault": {"kind": "close_mid_body"}}),
    )
    .await;
    match h.user(Method::GET, "/api/v1/entities/account").send().await {
        Err(_) => {}
        Ok(r) => assert!(r.bytes().await.is_err()),
    }
    h.page("/api/v1/entities/account").await;
}

#[tokio::test]
async fn injected_429_and_503_carry_retry_after_and_latency_delays() {
    let h = Harness::start().await;
    h.arm_fault(
        json!({"count": 1, "fault": {"kind": "status", "status": 503, "retry_after_s": 7}}),
    )
    .await;
    h.arm_fault(json!({"method": "get", "count": 1, "fault": {"kind": "status", "status": 429}}))
        .await;
    let r = h.user(Method::GET, "/api/v1/project").send().await.unwrap();
    assert_eq!(r.headers()["retry-after"], "7");
    problem(r, 503).await;
    let r = h.user(Method::GET, "/api/v1/project").send().await.unwrap();
    assert_eq!(r.headers()["retry-after"], "1");
    problem(r, 429).await;
    let r = h.user(Method::GET, "/api/v1/project").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "both rules are used up");

    h.arm_fault(json!({"count": 1, "fault": {"kind": "latency", "ms": 200}}))
        .await;
    let listed = h
        .admin(Method::GET, "/admin/faults")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(listed["faults"][0]["count"], 1);
    let started = Instant::now();
    h.user(Method::GET, "/api/v1/project").send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
    h.arm_fault(json!({"count": 5, "fault": {"kind": "status", "status": 500}}))
        .await;
    let r = h
        .admin(Method::DELETE, "/admin/faults")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        h.user(Method::GET, "/api/v1/project")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_business_logic_delay_holds_the_write_open() {
    let h = Harness::start().await;
    let r = h
        .admin(Method::PUT, "/admin/delays/account")
        .json(&json!({"ms": 300}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let before = h.record("account", "acc-0005").await;
    let started = Instant::now();
    let r = h
        .user(Method::PATCH, "/api/v1/entities/account/acc-0005")
        .header("If-Match", &before.etag)
        .json(&json!({"fields": {"credit_limit": "5", "phone": "15551234567"}}))
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    let after: Record = r.json().await.unwrap();
    assert_eq!(after.fields["rating"], "Cold");
    assert_eq!(after.fields["phone"], "+1 555 123 4567");
    assert_eq!(after.fields["modified_by"], "demo");

    // Other entities are not delayed; a batch serves the delay once, not per operation.
    let started = Instant::now();
    h.record("contact", "con-0002").await;
    assert!(started.elapsed() < Duration::from_millis(300));
    let ops: Vec<_> = (0..3)
        .map(|i| json!({"op": "create", "entity": "account", "id": format!("b-{i}"), "idempotency_key": format!("b-{i}"), "fields": {"name": "B"}}))
        .collect();
    let started = Instant::now();
    let r = h
        .user(Method::POST, "/api/v1/batch")
        .json(&json!({"operations": ops}))
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_millis(900),
        "{elapsed:?}"
    );
    let delays = h
        .admin(Method::GET, "/admin/delays")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(delays, json!({"delays": {"account": 300}}));
}

#[tokio::test]
async fn a_batch_answers_each_operation_like_its_single_endpoint() {
    let h = Harness::start().await;
    let a = h.record("account", "acc-0010").await;
    let c = h.record("contact", "con-0003").await;
    let body = json!({"operations": [
        {"op": "create", "entity": "contact", "id": "dev-c1", "idempotency_key": "c1", "fields": {"full_name": "Pat Doe", "phone": "555 300 4000"}},
        {"op": "update", "entity": "account", "id": "acc-0010", "if_match": a.etag, "fields": {"credit_limit": "100000"}},
        {"op": "update", "entity": "account", "id": "acc-0010", "if_match": a.etag, "fields": {"city": "Oslo"}},
        {"op": "delete", "entity": "contact", "id": "con-0003", "if_match": c.etag},
        {"op": "update", "entity": "account", "id": "acc-0011", "fields": {}},
        {"op": "create", "entity": "planet", "id": "p", "idempotency_key": "p", "fields": {}},
        {"op": "update", "entity": "account", "id": "acc-0012", "if_match": "*", "fields": {"colour": "red"}},
        {"op": "create", "entity": "contact", "id": "dev-c1", "idempotency_key": "c1", "fields": {"full_name": "Pat Doe", "phone": "555 300 4000"}}
    ]});
    let r = h
        .user(Method::POST, "/api/v1/batch")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let results = r.json::<BatchResponse>().await.unwrap().results;
    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [201, 200, 412, 204, 428, 404, 400, 201]);
    assert_eq!(
        results[0].record.as_ref().unwrap().fields["phone"],
        "+1 555 300 4000"
    );
    assert_eq!(results[1].record.as_ref().unwrap().fields["rating"], "Hot");
    let current = results[2]
        .problem
        .as_ref()
        .unwrap()
        .current
        .as_ref()
        .unwrap();
    assert_eq!(
        current,
        results[1].record.as_ref().unwrap(),
        "the 412 sees the earlier op's write"
    );
    assert_eq!(
        results[6].problem.as_ref().unwrap().field.as_deref(),
        Some("colour")
    );
    assert_eq!(
        results[7].record, results[0].record,
        "replayed, not created again"
    );

    let ops: Vec<_> = (0..101)
        .map(|i| json!({"op": "delete", "entity": "account", "id": format!("x{i}")}))
        .collect();
    let r = h
        .user(Method::POST, "/api/v1/batch")
        .json(&json!({"operations": ops}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 413).await.field.as_deref(), Some("operations"));
}

#[tokio::test]
async fn files_are_listed_since_a_token_and_downloaded() {
    let h = Harness::start().await;
    for (kind, at_least) in [("attachments", 20), ("documents", 5), ("emails", 10)] {
        let r = h
            .user(Method::GET, &format!("/api/v1/files/{kind}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let list: autosync::wire::FileList = r.json().await.unwrap();
        assert!(list.files.len() >= at_least, "{kind}");
        let file = &list.files[0];
        let r = h
            .user(Method::GET, &format!("/api/v1/files/{kind}/{}", file.id))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], file.content_type.as_str());
        assert_eq!(r.bytes().await.unwrap().len() as u64, file.size);
        assert!((2048..=8192).contains(&file.size));
        let r = h
            .user(
                Method::GET,
                &format!("/api/v1/files/{kind}?since={}", list.delta_token),
            )
            .send()
            .await
            .unwrap();
        assert!(
            r.json::<autosync::wire::FileList>()
                .await
                .unwrap()
                .files
                .is_empty()
        );
    }
    problem(
        h.user(Method::GET, "/api/v1/files/videos")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    problem(
        h.user(Method::GET, "/api/v1/files/emails/nope")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    problem(
        h.user(Method::GET, "/api/v1/files/emails?since=zzz")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
}

#[tokio::test]
async fn session_names_the_user_and_the_published_version() {
    let h = Harness::start().await;
    let r = h.user(Method::GET, "/api/v1/session").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let session: autosync::wire::Session = r.json().await.unwrap();
    assert_eq!(
        (session.user.as_str(), session.project_version),
        ("demo", 1)
    );
    assert_eq!(session.project_etag, "W/\"v1\"");
    let r = h
        .as_user("demo", "wrong", Method::GET, "/api/v1/session")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"autosync\"");
    problem(r, 401).await;
}
