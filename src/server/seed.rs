//! What a new (or reset) server holds: project v1, the seed records of `assets/seed.toml`, and
//! small generated files; plus bulk generation of records for benchmarks. Generated content is
//! deterministic, so every fresh server is the same except for its epoch.

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};

use super::logic;
use super::store::{self, Row, SeqAllocator};
use crate::assets;
use crate::project::{Entity, FieldKind};
use crate::wire::{Fields, FileKind};

/// The user the seed data and generated records are attributed to.
pub const SEED_USER: &str = "backoffice";

fn json_error(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

/// Fills an empty database. Returns the new epoch.
pub fn seed(tx: &Transaction, now: DateTime<Utc>) -> rusqlite::Result<String> {
    let epoch = format!("{:016x}", rand::random::<u64>());
    tx.execute(
        "INSERT INTO state (id, epoch, seq, horizon) VALUES (1, ?1, 0, 0)",
        [&epoch],
    )?;
    let project = assets::project_v1();
    store::insert_project(tx, &project, now)?;
    let mut seqs = SeqAllocator::begin(tx)?;
    for record in assets::seed(&project) {
        let modified_by = record
            .fields
            .get("modified_by")
            .cloned()
            .unwrap_or_else(|| SEED_USER.into());
        let row = Row {
            seq: seqs.take(),
            deleted: false,
            fields: serde_json::to_string(&record.fields).map_err(json_error)?,
            modified_on: store::timestamp(now),
            modified_by,
        };
        store::put_row(tx, &record.entity, &record.id, &row)?;
    }
    for file in files() {
        tx.prepare_cached(
            "INSERT INTO files (seq, kind, id, name, content_type, content) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![seqs.take(), file.kind.as_str(), file.id, file.name, file.content_type, file.content])?;
    }
    seqs.finish(tx)?;
    Ok(epoch)
}

/// Back to the seed data, with a new epoch so that every earlier delta token is `410 Gone`.
pub fn reset(tx: &Transaction, now: DateTime<Utc>) -> rusqlite::Result<String> {
    tx.execute_batch(
        "DELETE FROM state; DELETE FROM projects; DELETE FROM records;
         DELETE FROM idempotency; DELETE FROM files;",
    )?;
    seed(tx, now)
}

/// Inserts `count` generated records of `entity` (ids `gen-<entity>-<n>`) with one prepared
/// statement in the caller's transaction. Returns the first `n`.
pub fn generate(
    tx: &Transaction,
    entity: &Entity,
    count: u32,
    now: DateTime<Utc>,
) -> rusqlite::Result<u64> {
    let mut seqs = SeqAllocator::begin(tx)?;
    let modified_on = store::timestamp(now);
    let mut first = None;
    let mut insert = tx.prepare_cached(
        "INSERT INTO records (seq, entity, id, deleted, fields, modified_on, modified_by)
         VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6)",
    )?;
    for _ in 0..count {
        let n = seqs.take();
        first.get_or_insert(n);
        let mut fields = generated_fields(entity, n);
        // Generated values are valid by construction; the logic derives what it derives.
        let _ = logic::apply(entity, &mut fields, SEED_USER);
        let json = serde_json::to_string(&fields).map_err(json_error)?;
        insert.execute(params![
            n,
            entity.name,
            format!("gen-{}-{n}", entity.name),
            json,
            modified_on,
            SEED_USER
        ])?;
    }
    drop(insert);
    seqs.finish(tx)?;
    Ok(first.unwrap_or(0))
}

fn generated_fields(entity: &Entity, n: u64) -> Fields {
    const LIMITS: [&str; 7] = [
        "5000", "10000", "25000", "50000", "75000", "100000", "250000",
    ];
    entity
        .fields
        .iter()
        .map(|f| {
            let value = match f.kind {
                FieldKind::Phone => format!("+1 555 {:03} {:04}", n % 1000, n % 10_000),
                FieldKind::Email => format!("record{n}@generated.example"),
                FieldKind::Number | FieldKind::Money => LIMITS[(n % 7) as usize].to_string(),
                FieldKind::Lookup => String::new(),
                FieldKind::Text => format!("{} {n}", f.label),
            };
            (f.name.clone(), value)
        })
        .collect()
}

/// A generated file.
pub struct SeedFile {
    pub kind: FileKind,
    pub id: String,
    pub name: String,
    pub content_type: &'static str,
    pub content: Vec<u8>,
}

/// 20 attachments, 5 cloud documents and 10 emails of 2 to 8 KB each.
pub fn files() -> Vec<SeedFile> {
    let mut out = Vec::new();
    for i in 1..=20u64 {
        let size = size_for(i);
        let (name, content_type, content) = if i % 2 == 1 {
            (
                format!("visit-note-{i:02}.txt"),
                "text/plain",
                text(&format!("Visit note {i}"), size),
            )
        } else {
            (
                format!("scan-{i:02}.bin"),
                "application/octet-stream",
                noise(i, size),
            )
        };
        out.push(SeedFile {
            kind: FileKind::Attachments,
            id: format!("att-{i:04}"),
            name,
            content_type,
            content,
        });
    }
    let documents = [
        "Price list 2026",
        "Product catalog",
        "Sales playbook",
        "Travel policy",
        "Quarterly targets",
    ];
    for (i, title) in (1..).zip(documents) {
        out.push(SeedFile {
            kind: FileKind::Documents,
            id: format!("doc-{i:04}"),
            name: format!("{title}.md"),
            content_type: "text/markdown",
            content: text(&format!("# {title}\n"), size_for(i + 20)),
        });
    }
    for i in 1..=10u64 {
        let head = format!(
            "From: backoffice@fieldsales.example\r\nTo: demo@fieldsales.example\r\nSubject: Follow-up {i}\r\nContent-Type: text/plain\r\n\r\n"
        );
        out.push(SeedFile {
            kind: FileKind::Emails,
            id: format!("eml-{i:04}"),
            name: format!("follow-up-{i:02}.eml"),
            content_type: "message/rfc822",
            content: text(&head, size_for(i + 25)),
        });
    }
    out
}

/// Between 2 and 8 KB, varying by index.
fn size_for(i: u64) -> usize {
    2048 + ((i * 2477) % 6145) as usize
}

fn text(head: &str, size: usize) -> Vec<u8> {
    let mut out = head.as_bytes().to_vec();
    let mut line = 1;
    while out.len() < size {
        out.extend_from_slice(
            format!("Line {line}: notes taken on site, to be synchronized.\n").as_bytes(),
        );
        line += 1;
    }
    out.truncate(size);
    out
}

/// Deterministic bytes (xorshift64*), as a stand-in for binary content.
fn noise(seed: u64, size: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..size)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_small_deterministic_and_of_every_kind() {
        let a = files();
        let b = files();
        assert_eq!(a.len(), 35);
        assert!(a.iter().all(|f| (2048..=8192).contains(&f.content.len())));
        assert!(a.iter().zip(&b).all(|(x, y)| x.content == y.content));
        for kind in FileKind::ALL {
            assert!(a.iter().any(|f| f.kind == kind));
        }
    }
}
