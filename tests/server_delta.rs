//! Incremental download: pages, delta tokens, and changes made while a client pages through.

mod server_common;

use std::collections::{BTreeMap, BTreeSet};

use autosync::wire::{EntityPage, Record};
use reqwest::{Method, StatusCode};
use serde_json::json;
use server_common::{Harness, problem};

/// Applies pages to a local copy, as a client does, and checks no id comes twice in them.
fn apply(local: &mut BTreeMap<String, String>, pages: &[EntityPage]) -> BTreeSet<(String, String)> {
    let mut seen_ids = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for page in pages {
        for r in &page.records {
            assert!(
                seen_ids.insert(r.id.clone()),
                "{} came twice in one download",
                r.id
            );
            seen.insert((r.id.clone(), r.etag.clone()));
            local.insert(r.id.clone(), r.etag.clone());
        }
        for id in &page.deleted {
            assert!(
                seen_ids.insert(id.clone()),
                "{id} came twice in one download"
            );
            local.remove(id);
        }
    }
    seen
}

#[tokio::test]
async fn changes_made_while_paging_arrive_in_the_next_delta_once() {
    let h = Harness::start().await;
    let first = h.page("/api/v1/entities/account?limit=70").await;
    assert_eq!(first.records.len(), 70);
    assert!(first.next.is_some() && first.delta_token.is_none());
    let delivered = first.records[3].clone();
    let mut pages = vec![first];
    let mut writes: Vec<Record> = Vec::new();
    let mut step = 0;
    while let Some(next) = pages.last().and_then(|p| p.next.clone()) {
        // Between pages: change a delivered record, an undelivered one, create one, delete one.
        step += 1;
        writes.push(
            h.admin_patch(
                "account",
                &delivered.id,
                json!({"city": format!("City {step}")}),
            )
            .await,
        );
        let later = format!("acc-{:04}", 200 + step);
        writes.push(
            h.admin_patch("account", &later, json!({"city": "Later"}))
                .await,
        );
        let r = h
            .user(Method::PUT, &format!("/api/v1/entities/account/dev-{step}"))
            .header("If-None-Match", "*")
            .header("Idempotency-Key", format!("paging-{step}"))
            .json(&json!({"fields": {"name": format!("New {step}")}}))
            .send()
            .await
            .unwrap();
        writes.push(r.json().await.unwrap());
        let doomed = format!("acc-{:04}", 230 + step);
        let r = h
            .admin(Method::DELETE, &format!("/admin/entities/account/{doomed}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        pages.push(h.page(&next).await);
    }
    assert!(pages.len() >= 4, "{} pages", pages.len());
    let token = pages.last().unwrap().delta_token.clone().unwrap();

    let mut local = BTreeMap::new();
    let in_download = apply(&mut local, &pages);
    let delta = h
        .download(&format!("/api/v1/entities/account?since={token}&limit=2"))
        .await;
    assert!(delta.len() >= 3, "the delta pages too");
    let in_delta = apply(&mut local, &delta);

    // Nothing twice: no version is delivered by both the download and the delta.
    assert!(in_download.is_disjoint(&in_delta));
    // Nothing missed: every write's result arrived (unless a later write superseded it).
    let newest: BTreeMap<&str, &str> = writes
        .iter()
        .map(|r| (r.id.as_str(), r.etag.as_str()))
        .collect();
    for (id, etag) in &newest {
        assert!(
            in_delta.contains(&(id.to_string(), etag.to_string())),
            "{id} {etag} missed"
        );
    }
    let deleted: BTreeSet<String> = delta.iter().flat_map(|p| p.deleted.clone()).collect();
    assert_eq!(deleted.len(), step);
    // And the local copy now equals the server's.
    let truth: BTreeMap<String, String> = h
        .download("/api/v1/entities/account?limit=5000")
        .await
        .iter()
        .flat_map(|p| p.records.iter().map(|r| (r.id.clone(), r.etag.clone())))
        .collect();
    assert_eq!(local, truth);
    // A delta with nothing new is one empty page with a token.
    let last = delta.last().unwrap().delta_token.clone().unwrap();
    let empty = h
        .page(&format!("/api/v1/entities/account?since={last}"))
        .await;
    assert!(empty.records.is_empty() && empty.deleted.is_empty() && empty.next.is_none());
}

#[tokio::test]
async fn tokens_from_before_a_reset_or_a_purge_are_410_and_garbage_is_400() {
    let h = Harness::start().await;
    let before_delete = h
        .download("/api/v1/entities/contact?limit=5000")
        .await
        .pop()
        .unwrap()
        .delta_token
        .unwrap();
    let r = h
        .admin(Method::DELETE, "/admin/entities/contact/con-0009")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let after_delete = h
        .download("/api/v1/entities/contact?limit=5000")
        .await
        .pop()
        .unwrap()
        .delta_token
        .unwrap();
    let page = h
        .page(&format!("/api/v1/entities/contact?since={before_delete}"))
        .await;
    assert_eq!(page.deleted, ["con-0009"]);

    let r = h
        .admin(Method::POST, "/admin/purge-tombstones")
        .json(&json!({"keep_seqs": 0}))
        .send()
        .await
        .unwrap();
    let purged: autosync::wire::Purged = r.json().await.unwrap();
    assert_eq!(purged.purged, 1);
    let r = h
        .user(
            Method::GET,
            &format!("/api/v1/entities/contact?since={before_delete}"),
        )
        .send()
        .await
        .unwrap();
    problem(r, 410).await;
    h.page(&format!("/api/v1/entities/contact?since={after_delete}"))
        .await;

    let mid = h
        .page("/api/v1/entities/contact?limit=10")
        .await
        .next
        .unwrap();
    let r = h.admin(Method::POST, "/admin/reset").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for path in [
        format!("/api/v1/entities/contact?since={after_delete}"),
        mid,
    ] {
        problem(h.user(Method::GET, &path).send().await.unwrap(), 410).await;
    }
    h.record("contact", "con-0009").await;

    for query in [
        "since=garbage",
        "since=%00%01",
        "cursor=bm90LWEtY3Vyc29y",
        "limit=0",
        "limit=5001",
        "limit=ten",
        "colour=red",
    ] {
        let r = h
            .user(Method::GET, &format!("/api/v1/entities/contact?{query}"))
            .send()
            .await
            .unwrap();
        problem(r, 400).await;
    }
}

#[tokio::test]
async fn generated_records_download_in_pages() {
    let h = Harness::start().await;
    let r = h
        .admin(Method::POST, "/admin/generate")
        .json(&json!({"entity": "account", "count": 2500}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let generated: autosync::wire::Generated = r.json().await.unwrap();
    assert_eq!(generated.count, 2500);
    let pages = h.download("/api/v1/entities/account").await;
    assert_eq!(pages.len(), 3, "2,740 accounts at 1,000 a page");
    let records: Vec<&Record> = pages.iter().flat_map(|p| &p.records).collect();
    assert_eq!(records.len(), 240 + 2500);
    let one = records
        .iter()
        .find(|r| r.id == format!("gen-account-{}", generated.first))
        .unwrap();
    assert!(["Hot", "Warm", "Cold"].contains(&one.fields["rating"].as_str()));
    let r = h
        .admin(Method::POST, "/admin/generate")
        .json(&json!({"entity": "planet", "count": 1}))
        .send()
        .await
        .unwrap();
    problem(r, 404).await;
    let r = h
        .admin(Method::POST, "/admin/generate")
        .json(&json!({"entity": "account", "count": 0}))
        .send()
        .await
        .unwrap();
    problem(r, 400).await;
}

#[tokio::test]
async fn a_first_page_announces_how_many_changes_the_download_holds() {
    let h = Harness::start().await;
    let first = h.page("/api/v1/entities/account?limit=100").await;
    assert_eq!(first.total, Some(240), "every seeded account");
    let next = first.next.clone().unwrap();
    let second = h.page(&next).await;
    assert_eq!(second.total, None, "cursor pages carry no total");
    let mut token = second.delta_token.clone();
    let mut cursor = second.next.clone();
    while let Some(next) = cursor {
        let page = h.page(&next).await;
        token = page.delta_token.clone();
        cursor = page.next.clone();
    }
    let token = token.unwrap();
    h.admin_patch("account", "acc-0001", json!({"city": "Total"}))
        .await;
    h.admin_patch("account", "acc-0002", json!({"city": "Total"}))
        .await;
    let delta = h
        .page(&format!("/api/v1/entities/account?since={token}"))
        .await;
    assert_eq!(delta.total, Some(2), "{delta:?}");
    assert_eq!(delta.records.len(), 2);
}
