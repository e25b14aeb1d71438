//! Faults at every request of a sync (issue 8, item 1). For each request index `i` of a full
//! incremental sync — Connect, Customization, the upload batch, each download page, each file
//! list — and for each fault kind (500, 503 with `Retry-After`, 429, connection reset, response
//! dropped after the server committed, body cut short, a stall longer than the client's
//! timeout), the fault is armed through the control API for exactly that request; then:
//! - the status and the journal say, in words, what failed and that the sync retries, and when;
//! - the server's request log shows the faulted request and its retry;
//! - once the faults stop, the next sync succeeds and converges: every saved edit is on the
//!   server, every created record exactly once, every deleted one gone, nothing is pending, and
//!   the device's records equal the server's (ETags and fields).
//!
//! Each round edits a few accounts, creates one, deletes one and has the server change an
//! account and a contact, with 3 records per download page, so the sync has two account pages
//! (the second one requested ahead while the first is applied) and one contact page. Requests are targeted by
//! arming pass-through rules (`latency 0`) for the earlier requests with the same path, then the
//! fault for the next one. The clients' request timeout is 1 s (`EngineConfig::request_timeout`)
//! so a stall costs a second, not ten; `Retry-After: 1` is used for three indices only.
//!
//! The modules:
//! - `bench`: the shared harness (the device, the rounds, targeting a request, the checks);
//! - `every_request`: one fault at every request, retried away; a fault outlasting the retries;
//! - `edit_again`: the answer to an upload lost after the server committed it, then the user
//!   edits the same record again (an update, a create);
//! - `matrix`: a fault outlasting the retries at every request × the same records edited again
//!   × the next sync, for four fault kinds;
//! - `reconcile`: `410 Gone` after purged tombstones: what the full download removes and keeps;
//! - `resume`: a sync resuming a cut download (and `autosync sync` killed holding a cursor).

#[path = "../engine_common/mod.rs"]
mod engine_common;

mod bench;
mod edit_again;
mod every_request;
mod matrix;
mod reconcile;
mod resume;
