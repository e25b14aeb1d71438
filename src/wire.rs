//! The sync protocol's messages: every JSON body the demo server sends or accepts, shared by the
//! server and the client so both sides agree by construction. `docs/PROTOCOL.md` describes the
//! endpoints that carry them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Media type of every error body (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";
/// Header that makes a create safe to retry.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// Most operations one `POST /api/v1/batch` may carry.
pub const MAX_BATCH_OPERATIONS: usize = 100;
/// Page size when the client names none.
pub const DEFAULT_PAGE_LIMIT: u32 = 1000;
/// Largest page a client may ask for.
pub const MAX_PAGE_LIMIT: u32 = 5000;
/// Largest request body the server reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A record's field values by field name. Every value is a string, as in `assets/seed.toml`.
pub type Fields = BTreeMap<String, String>;

/// One record as the server stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub id: String,
    /// Opaque; send it back in `If-Match`. Changes on every write.
    pub etag: String,
    pub fields: Fields,
    pub modified_on: DateTime<Utc>,
    /// The user whose write produced this version.
    pub modified_by: String,
}

/// `GET /api/v1/session`: who the server thinks you are and what it has published. The
/// device's Connect phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub user: String,
    pub full_name: String,
    /// The published project version.
    pub project_version: u32,
    /// Its ETag, as `GET /api/v1/project` sends it.
    pub project_etag: String,
    pub server_time: DateTime<Utc>,
}

/// One page of `GET /api/v1/entities/{entity}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityPage {
    /// Records created or changed in the window, oldest change first.
    pub records: Vec<Record>,
    /// Ids deleted in the window.
    pub deleted: Vec<String>,
    /// The next page's path and query, while pages remain.
    pub next: Option<String>,
    /// On the last page only: pass it as `since` to get what changed after this download.
    pub delta_token: Option<String>,
    /// On a download's first page: how many changes (records, and deletions after a token) the
    /// whole download holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// An [`EntityPage`] as the device's download reads it: each record's fields stay the JSON text
/// the server sent ([`FieldsJson`]), so that applying the page stores that text instead of
/// building a map and serializing it again. Anything an `EntityPage` would refuse, this refuses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DownloadPage {
    pub records: Vec<PageRecord>,
    pub deleted: Vec<String>,
    pub next: Option<String>,
    pub delta_token: Option<String>,
    #[serde(default)]
    pub total: Option<u64>,
}

/// One record of a [`DownloadPage`]: a [`Record`] whose fields are still JSON text.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageRecord {
    pub id: String,
    pub etag: String,
    pub fields: FieldsJson,
    pub modified_on: DateTime<Utc>,
    pub modified_by: String,
}

impl PageRecord {
    /// The record with its fields read (for a record the device has pending edits of).
    pub fn to_record(&self) -> Record {
        Record {
            id: self.id.clone(),
            etag: self.etag.clone(),
            fields: self.fields.to_fields(),
            modified_on: self.modified_on,
            modified_by: self.modified_by.clone(),
        }
    }
}

/// The JSON text of a [`Fields`] object, checked while it is read to be an object of strings.
#[derive(Debug, Clone)]
pub struct FieldsJson(Box<serde_json::value::RawValue>);

impl FieldsJson {
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    pub fn to_fields(&self) -> Fields {
        // Checked when it was read: an object of strings always reads as `Fields`.
        serde_json::from_str(self.0.get()).unwrap_or_default()
    }
}

impl<'de> Deserialize<'de> for FieldsJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        serde_json::from_str::<StringMap>(raw.get()).map_err(serde::de::Error::custom)?;
        Ok(FieldsJson(raw))
    }
}

/// Reads a JSON object whose values are all strings, keeping nothing (no allocation per entry).
struct StringMap;

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = StringMap;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of field names to string values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<StringMap, A::Error> {
                while map.next_entry::<AnyStr, AnyStr>()?.is_some() {}
                Ok(StringMap)
            }
        }
        d.deserialize_map(Visit)
    }
}

/// Any JSON string, read and dropped.
struct AnyStr;

impl<'de> Deserialize<'de> for AnyStr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = AnyStr;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<AnyStr, E> {
                Ok(AnyStr)
            }
        }
        d.deserialize_str(Visit)
    }
}

/// Query of `GET /api/v1/entities/{entity}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// A delta token from an earlier download; absent → everything.
    pub since: Option<String>,
    /// Set by the server in `next` links; continues a download.
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// Body of a create (`PUT`) or an update (`PATCH`): the fields to set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    pub fields: Fields,
}

/// Body of `POST /api/v1/batch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    pub operations: Vec<BatchOperation>,
}

/// One operation of a batch; each means what the single-record endpoint means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum BatchOperation {
    Create {
        entity: String,
        id: String,
        idempotency_key: String,
        fields: Fields,
    },
    Update {
        entity: String,
        id: String,
        /// Absent → the operation fails with 428, like a `PATCH` without `If-Match`.
        if_match: Option<String>,
        fields: Fields,
    },
    Delete {
        entity: String,
        id: String,
        if_match: Option<String>,
    },
}

/// Response of `POST /api/v1/batch`: one result per operation, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchResponse {
    pub results: Vec<BatchResult>,
}

/// The outcome of one batch operation: the status the single endpoint would have answered, with
/// the record on success (none for a delete) or the problem on failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchResult {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Record>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

/// An error body (RFC 9457), with the members this protocol adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URN naming the kind of problem, e.g. `urn:autosync:problem:stale-etag`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The entity at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// The field (or header, or query parameter) at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// On `412`: the record as the server has it now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Record>,
}

/// The three kinds of files a device downloads after the entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Attachments,
    Documents,
    Emails,
}

impl FileKind {
    pub const ALL: [FileKind; 3] = [FileKind::Attachments, FileKind::Documents, FileKind::Emails];

    /// The name used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Attachments => "attachments",
            FileKind::Documents => "documents",
            FileKind::Emails => "emails",
        }
    }

    pub fn parse(s: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One file in a listing; its bytes are at `GET /api/v1/files/{kind}/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInfo {
    pub id: String,
    pub name: String,
    pub size: u64,
    pub content_type: String,
    pub etag: String,
}

/// Response of `GET /api/v1/files/{kind}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileList {
    pub files: Vec<FileInfo>,
    pub delta_token: String,
}

/// Query of `GET /api/v1/files/{kind}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    pub since: Option<String>,
}

// ---- Control API (`/admin/`) ----

/// `POST /admin/publish` with `Content-Type: application/json`: publish a shipped project file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishAsset {
    /// `v1` or `v2` (`assets/project-v1.toml`, `assets/project-v2.toml`).
    pub asset: String,
}

/// What a publish produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Published {
    /// The version devices now see: always the previous one plus one.
    pub version: u32,
    pub name: String,
    pub etag: String,
}

/// Body of the admin record writes: act as `as_user` (default `backoffice`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminRecordBody {
    #[serde(default)]
    pub fields: Fields,
    pub as_user: Option<String>,
}

/// `PUT /admin/delays/{entity}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delay {
    pub ms: u64,
}

/// `GET /admin/delays`: the business-logic delay of each entity that has one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delays {
    pub delays: BTreeMap<String, u64>,
}

/// A fault injected into the next `count` `/api/` requests that match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Only requests with this method (any when absent).
    pub method: Option<String>,
    /// Only requests whose path starts with this (any when absent).
    pub path_prefix: Option<String>,
    /// How many more requests it applies to.
    pub count: u32,
    /// Matching requests to let pass first (answered normally, or by an earlier rule): the
    /// fault then hits exactly the request after them (`0`: the next one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub after: u32,
    pub fault: Fault,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer with this status instead of running the request.
    Status {
        status: u16,
        retry_after_s: Option<u64>,
    },
    /// Wait this long, then run the request.
    Latency { ms: u64 },
    /// Run the request (its write commits), then fail the response body before any of it.
    DropAfterCommit,
    /// Run the request, send the first half of the body, then fail the stream.
    CloseMidBody,
    /// Abort the connection without running the request, as a reset connection does.
    Reset,
}

/// `GET /admin/faults`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultList {
    pub faults: Vec<FaultRule>,
}

/// One line of the recent-request log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestLogEntry {
    pub at: DateTime<Utc>,
    pub method: String,
    /// Path and query.
    pub path: String,
    pub status: u16,
    pub duration_ms: f64,
    /// The authenticated user (`admin` for the control API), when authentication succeeded.
    pub user: Option<String>,
    /// The injected fault this request got, if any (`status`, `latency`, ...).
    pub fault: Option<String>,
}

/// `GET /admin/requests`: oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestLog {
    pub requests: Vec<RequestLogEntry>,
}

/// Query of `GET /admin/requests`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestLogQuery {
    pub limit: Option<usize>,
}

/// `POST /admin/generate`: bulk-insert generated records (for benchmarks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    pub entity: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generated {
    pub entity: String,
    pub count: u32,
    /// Ids are `gen-<entity>-<n>` for n in `first..first+count`.
    pub first: u64,
}

/// `POST /admin/purge-tombstones`: forget deletions older than the last `keep_seqs` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurgeRequest {
    pub keep_seqs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purged {
    pub purged: u64,
    /// Delta tokens older than this change number are now answered with `410 Gone`.
    pub horizon: u64,
}

/// `POST /admin/reset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetDone {
    /// The new data epoch; every delta token issued before is now `410 Gone`.
    pub epoch: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_operations_are_tagged_by_op() {
        let json = r#"{"operations":[
            {"op":"create","entity":"account","id":"a1","idempotency_key":"k1","fields":{"name":"A"}},
            {"op":"update","entity":"account","id":"a2","if_match":"W/\"7\"","fields":{}},
            {"op":"delete","entity":"account","id":"a3"}]}"#;
        let batch: BatchRequest = serde_json::from_str(json).unwrap();
        assert_eq!(batch.operations.len(), 3);
        assert!(matches!(
            &batch.operations[2],
            BatchOperation::Delete { if_match: None, .. }
        ));
        let bad = r#"{"operations":[{"op":"delete","entity":"a","id":"b","colour":1}]}"#;
        assert!(serde_json::from_str::<BatchRequest>(bad).is_err());
    }

    #[test]
    fn problem_uses_the_rfc_member_names() {
        let p = Problem {
            kind: "urn:autosync:problem:x".into(),
            title: "X".into(),
            status: 400,
            detail: "d".into(),
            entity: None,
            field: Some("f".into()),
            current: None,
        };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "urn:autosync:problem:x");
        assert_eq!(v["field"], "f");
        assert!(v.get("current").is_none());
    }

    #[test]
    fn a_download_page_reads_what_an_entity_page_reads_and_refuses_what_it_refuses() {
        let page = |fields: &str| {
            format!(
                r#"{{"records":[{{"id":"a1","etag":"W/\"3\"","fields":{fields},"modified_on":"2026-01-01T00:00:00.000Z","modified_by":"demo"}}],"deleted":[],"next":null,"delta_token":"t"}}"#
            )
        };
        let good = page(r#"{"city":"Faro \"Sul\"","name":"A\u00e9"}"#);
        let entity: EntityPage = serde_json::from_str(&good).unwrap();
        let download: DownloadPage = serde_json::from_str(&good).unwrap();
        let record = &download.records[0];
        assert_eq!(record.to_record(), entity.records[0]);
        // The text is kept as sent, and reads back to the same fields.
        assert_eq!(
            record.fields.as_str(),
            r#"{"city":"Faro \"Sul\"","name":"A\u00e9"}"#
        );
        for bad in [
            r#"{"city":1}"#,
            r#"{"city":null}"#,
            r#"["Faro"]"#,
            r#""Faro""#,
            r#"{"city":{"name":"Faro"}}"#,
        ] {
            let text = page(bad);
            assert!(serde_json::from_str::<EntityPage>(&text).is_err(), "{bad}");
            assert!(
                serde_json::from_str::<DownloadPage>(&text).is_err(),
                "{bad}"
            );
        }
        let extra = good.replace(r#""deleted":[]"#, r#""deleted":[],"colour":1"#);
        assert!(serde_json::from_str::<DownloadPage>(&extra).is_err());
    }
}
