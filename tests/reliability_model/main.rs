//! Model check of the reference's data-loss race (issue 8, item 3).
//!
//! Generated interleavings of user saves, server-side edits and sync phase points (the upload
//! acknowledging each operation, the download applying each page, the non-entity phases after
//! it), for every Background sync behavior, compared with a small reference model of what each
//! behavior promises:
//!
//! * Block Save, Block Save & Defer Sync and Rebase lose nothing: the auditor finds no lost
//!   edit, and after a quiet sync device and server hold the same records.
//! * No action loses exactly the edits saved while a sync ran on a record that same sync then
//!   wrote (the upload's answer or a downloaded page), and the auditor reports exactly those
//!   (newest edit per field), no more, no fewer, each as `OverwrittenBySync`.
//!
//! Two levels: `store_level_*` drives the real local database (`Store::save_edit`,
//! `pending_ops`, `complete_op`, `apply_chunk` with `rules::concurrent_edit` and the gate of
//! `rules::save_gate`) against an in-memory server, hundreds of cases in seconds;
//! `engine_level_*` drives the real engine against the real demo server, the save landing
//! during the upload held open by the server's business-logic delay, a few cases.
//! `AUTOSYNC_LONG=1` multiplies both case counts.
//!
//! The modules: `model` (the reference model, the rounds, the in-memory server),
//! `store_level`, `engine_level`.

#[path = "../engine_common/mod.rs"]
mod engine_common;

use autosync::settings::BackgroundBehavior;
use chrono::{DateTime, Utc};
use proptest::prelude::*;

const ENTITY: &str = "account";
const RECORDS: usize = 3;
const FIELDS: [&str; 2] = ["city", "phone"];

fn long() -> bool {
    std::env::var("AUTOSYNC_LONG").is_ok_and(|v| v == "1")
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T09:00:00Z")
        .unwrap()
        .to_utc()
}

fn behavior() -> impl Strategy<Value = BackgroundBehavior> {
    proptest::sample::select(BackgroundBehavior::ALL.to_vec())
}

mod engine_level;
mod model;
mod store_level;
