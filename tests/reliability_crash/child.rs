//! The child: a scripted editing session, this test binary re-executed with
//! `AUTOSYNC_CRASH_PROFILE` set (a no-op test without it).

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::engine_common::*;
use autosync::clock::Clock;
use autosync::device::{Device, SaveOutcome};
use autosync::engine::EngineEvent;
use autosync::store::JournalKind;
use rand::Rng;

use super::*;

fn say(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Not a test on its own: the editing session the crash tests run as a child and kill.
#[test]
fn crash_child_editing_session() {
    let Ok(profile) = std::env::var(CHILD_PROFILE) else {
        return;
    };
    let run: u64 = std::env::var(CHILD_RUN).unwrap().parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let mut client = Device::start(Path::new(&profile), Clock::system(), |c| {
            c.tick = Duration::from_secs(3600)
        })
        .unwrap();
        let mut events = client.engine().subscribe();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(EngineEvent::Journal(e)) if e.kind == JournalKind::Sync => {
                        if let Some(phase) = e.detail.strip_prefix("phase ") {
                            say(format!("PHASE {phase}"));
                        }
                    }
                    Ok(EngineEvent::Finished(last)) => say(format!("SYNCED {:?}", last.error)),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    _ => {}
                }
            }
        });
        // A parent that never kills does not leave this running.
        let until = Instant::now() + Duration::from_secs(20);
        let mut n = 0u64;
        while Instant::now() < until {
            n += 1;
            let pause = rand::rng().random_range(2..12);
            tokio::time::sleep(Duration::from_millis(pause)).await;
            if n % 7 == 3 {
                let name = format!("Crash {run}-{n} Ltd");
                say(format!("TRYC {name}"));
                let (id, outcome) = client
                    .create(
                        "account",
                        &fields(&[("name", &name), ("credit_limit", "2000")]),
                    )
                    .unwrap();
                assert!(matches!(outcome, SaveOutcome::Saved { .. }), "{outcome:?}");
                say(format!("ACKC {id} {name}"));
            } else {
                let id = format!("acc-{:04}", (n * 7 + run * 13) % 240 + 1);
                let value = format!("Crash {run}-{n}");
                say(format!("TRY {id} city {value}"));
                let outcome = client
                    .save("account", &id, &fields(&[("city", &value)]), "crash test")
                    .unwrap();
                match outcome {
                    SaveOutcome::Saved { .. } => say(format!("ACK {id} city {value}")),
                    other => panic!("Rebase never refuses a save: {other:?}"),
                }
            }
        }
    });
}
