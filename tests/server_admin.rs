//! The control API: its own credentials, publishing, edits as another user, restart.

mod server_common;

use autosync::project::Project;
use autosync::wire::{Published, Record, RequestLog};
use reqwest::{Method, StatusCode};
use serde_json::json;
use server_common::{ADMIN_TOKEN, Harness, problem};

#[tokio::test]
async fn admin_and_user_credentials_do_not_open_each_others_doors() {
    let h = Harness::start().await;
    let challenge = "Bearer realm=\"autosync-admin\"";
    let refused = [
        h.client.get(h.url("/admin/delays")),
        h.client
            .get(h.url("/admin/delays"))
            .bearer_auth("not-the-token"),
        h.client
            .get(h.url("/admin/delays"))
            .basic_auth("demo", Some("demo")),
        h.client
            .get(h.url("/admin/delays"))
            .basic_auth("admin", Some(ADMIN_TOKEN)),
    ];
    for request in refused {
        let r = request.send().await.unwrap();
        assert_eq!(r.headers()["www-authenticate"], challenge);
        problem(r, 401).await;
    }
    let r = h
        .client
        .get(h.url("/api/v1/project"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"autosync\"");
    problem(r, 401).await;
    let r = h
        .client
        .get(h.url("/api/v1/project"))
        .basic_auth("admin", Some(ADMIN_TOKEN))
        .send()
        .await
        .unwrap();
    problem(r, 401).await;
    assert_eq!(
        h.admin(Method::GET, "/admin/delays")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn publishing_v2_changes_the_project_devices_see() {
    let h = Harness::start().await;
    let r = h.user(Method::GET, "/api/v1/project").send().await.unwrap();
    let v1_etag = r.headers()["etag"].to_str().unwrap().to_string();
    let r = h
        .admin(Method::POST, "/admin/publish")
        .json(&json!({"asset": "v2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let published: Published = r.json().await.unwrap();
    assert_eq!(published.version, 2);

    let r = h
        .user(Method::GET, "/api/v1/project")
        .header("If-None-Match", &v1_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the old ETag no longer matches");
    assert_eq!(r.headers()["etag"], published.etag.as_str());
    let project: Project = r.json().await.unwrap();
    assert_eq!(project.version, 2);
    let account = project.entity("account").unwrap();
    assert!(account.form_fields().any(|f| f.name == "industry"));

    // The new field can be written at once.
    let record = h.record("account", "acc-0001").await;
    let r = h
        .user(Method::PATCH, "/api/v1/entities/account/acc-0001")
        .header("If-Match", &record.etag)
        .json(&json!({"fields": {"industry": "Retail"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Record>().await.unwrap().fields["industry"],
        "Retail"
    );

    // Publishing again (even the v1 file) is the next version.
    let r = h
        .admin(Method::POST, "/admin/publish")
        .json(&json!({"asset": "v1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Published>().await.unwrap().version, 3);
}

/// The Woodford screen's read and publish: the published project on the control API, and a
/// changed copy of it, posted as a project file, becomes the next version devices see.
#[tokio::test]
async fn the_published_project_is_read_on_the_control_api_and_a_draft_of_it_published() {
    let h = Harness::start().await;
    let r = h.client.get(h.url("/admin/project")).send().await.unwrap();
    problem(r, 401).await;
    let r = h.admin(Method::GET, "/admin/project").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let current: Project = r.json().await.unwrap();
    assert_eq!(current, autosync::assets::project_v1());

    let mut draft = autosync::woodford::Draft::of(&current);
    draft.configuration.background_sync_behavior =
        autosync::settings::BackgroundBehavior::BlockSave;
    draft
        .configuration
        .locked
        .insert(autosync::settings::SettingKey::AutoSync);
    let next = autosync::woodford::next_project(&current, &draft).unwrap();
    let r = h
        .admin(Method::POST, "/admin/publish")
        .header("Content-Type", "application/toml")
        .body(autosync::project::project_toml(&next))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Published>().await.unwrap().version, next.version);
    let r = h.user(Method::GET, "/api/v1/project").send().await.unwrap();
    assert_eq!(r.json::<Project>().await.unwrap(), next);
    let r = h.admin(Method::GET, "/admin/project").send().await.unwrap();
    assert_eq!(r.json::<Project>().await.unwrap(), next);
}

#[tokio::test]
async fn a_posted_project_is_validated_with_the_file_error_message() {
    let h = Harness::start().await;
    let toml = autosync::assets::PROJECT_V2
        .1
        .replace("primary_field = \"name\"", "primary_field = \"title\"");
    let r = h
        .admin(Method::POST, "/admin/publish")
        .header("Content-Type", "application/toml")
        .body(toml)
        .send()
        .await
        .unwrap();
    let p = problem(r, 400).await;
    assert!(
        p.detail.contains("posted project:") && p.detail.contains("title"),
        "{}",
        p.detail
    );

    let r = h
        .admin(Method::POST, "/admin/publish")
        .header("Content-Type", "application/toml")
        .body(autosync::assets::PROJECT_V2.1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Published>().await.unwrap().version, 2);
    let r = h
        .admin(Method::POST, "/admin/publish")
        .json(&json!({"asset": "v9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 400).await.field.as_deref(), Some("asset"));
}

#[tokio::test]
async fn admin_writes_act_as_another_user_and_run_the_business_logic() {
    let h = Harness::start().await;
    let r = h
        .admin(Method::PUT, "/admin/entities/account/srv-1")
        .json(&json!({"fields": {"name": "Server Side", "credit_limit": "250000", "phone": "5551112222"}, "as_user": "alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Record = r.json().await.unwrap();
    assert_eq!(created.modified_by, "alice");
    assert_eq!(created.fields["rating"], "Hot");
    assert_eq!(created.fields["phone"], "+1 555 111 2222");
    let edited = h
        .admin_patch("account", "srv-1", json!({"city": "Porto"}))
        .await;
    assert_eq!(edited.modified_by, "backoffice");
    assert_ne!(edited.etag, created.etag);
    let r = h
        .admin(Method::PATCH, "/admin/entities/account/srv-1")
        .json(&json!({"as_user": "mallory"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 400).await.field.as_deref(), Some("as_user"));
    let r = h
        .admin(Method::DELETE, "/admin/entities/account/srv-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    problem(
        h.user(Method::GET, "/api/v1/entities/account/srv-1")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let r = h
        .admin(Method::PUT, "/admin/delays/planet")
        .json(&json!({"ms": 5}))
        .send()
        .await
        .unwrap();
    problem(r, 404).await;
}

#[tokio::test]
async fn the_request_log_shows_method_path_status_and_user_but_no_secrets() {
    let h = Harness::start().await;
    h.user(Method::GET, "/api/v1/entities/account/acc-0001")
        .send()
        .await
        .unwrap();
    h.as_user("demo", "bad-password", Method::GET, "/api/v1/project")
        .send()
        .await
        .unwrap();
    let log: RequestLog = h
        .admin(Method::GET, "/admin/requests?limit=2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log.requests.len(), 2);
    let (ok, refused) = (&log.requests[0], &log.requests[1]);
    assert_eq!(
        (ok.method.as_str(), ok.path.as_str(), ok.status),
        ("GET", "/api/v1/entities/account/acc-0001", 200)
    );
    assert_eq!(ok.user.as_deref(), Some("demo"));
    assert_eq!((refused.status, refused.user.as_deref()), (401, None));
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains("bad-password") && !text.contains(ADMIN_TOKEN));
}

#[tokio::test]
async fn a_restart_keeps_the_data_and_the_published_version() {
    let h = Harness::start().await;
    let before = h
        .admin_patch("account", "acc-0007", json!({"city": "Bratislava"}))
        .await;
    h.admin(Method::POST, "/admin/publish")
        .json(&json!({"asset": "v2"}))
        .send()
        .await
        .unwrap();
    let token = h
        .download("/api/v1/entities/account?limit=5000")
        .await
        .pop()
        .unwrap()
        .delta_token
        .unwrap();
    let old_url = h.server.url().to_string();

    let h = h.restart().await;
    assert_ne!(h.server.url(), old_url, "a new ephemeral port");
    assert!(h.data_dir().join("server.db").exists());
    assert_eq!(h.record("account", "acc-0007").await, before);
    let project: Project = h
        .user(Method::GET, "/api/v1/project")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(project.version, 2);
    let delta = h
        .page(&format!("/api/v1/entities/account?since={token}"))
        .await;
    assert!(delta.records.is_empty(), "tokens survive a restart");
}
