//! One phase's progress — what it has done of how much, for how long — and how it reads:
//! "Download · Contacts 220,000 / 300,240 · 41k rec/s · ETA 2 s", the same words on Home, the
//! sync screen and `autosync sync`.

use std::time::Duration;

use serde::Serialize;

use crate::rules::Phase;

/// A rate measured over less than this is mostly the first request's latency: until then no
/// rate and no ETA are shown.
pub const MIN_MEASURED: Duration = Duration::from_secs(1);

/// One phase's progress in the current sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhaseProgress {
    pub phase: Phase,
    pub state: PhaseState,
    /// What the phase has done: records uploaded, changes downloaded (records and deletions,
    /// as the server's `total` counts them), or files.
    pub done: u64,
    /// `None` while unknown: the Download has a total per entity (`items`), not one for all.
    pub total: Option<u64>,
    /// Per entity, in the order they came (Upload, Download). The Download goes entity by
    /// entity: the last is the one it is on.
    pub items: Vec<ItemProgress>,
    /// Since the phase began, as of `done`: the rate is `done / elapsed`.
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PhaseState {
    Pending,
    Running,
    Done,
    Failed,
}

/// One entity's part of a phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemProgress {
    /// The entity's label ("Contacts").
    pub label: String,
    pub done: u64,
    /// A download's from the entity's first page: `None` when resumed from a cursor, whose
    /// first page came in an earlier sync.
    pub total: Option<u64>,
}

/// What a phase counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Unit {
    Records,
    Files,
}

impl Unit {
    pub fn plural(self) -> &'static str {
        match self {
            Unit::Records => "records",
            Unit::Files => "files",
        }
    }

    pub fn per_second(self) -> &'static str {
        match self {
            Unit::Records => "rec/s",
            Unit::Files => "files/s",
        }
    }
}

impl PhaseProgress {
    pub fn pending(phase: Phase) -> Self {
        PhaseProgress {
            phase,
            state: PhaseState::Pending,
            done: 0,
            total: None,
            items: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    pub fn unit(&self) -> Unit {
        match self.phase {
            Phase::Attachments | Phase::CloudDocuments | Phase::Emails => Unit::Files,
            _ => Unit::Records,
        }
    }

    /// The entity the line names: the Download's current one.
    fn item(&self) -> Option<&ItemProgress> {
        self.items.last().filter(|_| self.phase == Phase::Download)
    }

    /// Done and total of what the line shows: the entity's in a download, else the phase's.
    fn counted(&self) -> (u64, Option<u64>) {
        match self.item() {
            Some(item) => (item.done, item.total),
            None => (self.done, self.total),
        }
    }

    /// Per second over the whole phase; `None` until [`MIN_MEASURED`] has passed.
    pub fn rate(&self) -> Option<f64> {
        (self.elapsed >= MIN_MEASURED && self.done > 0)
            .then(|| self.done as f64 / self.elapsed.as_secs_f64())
    }

    /// What is left of what the line shows, at the phase's rate; only while it runs.
    pub fn eta(&self) -> Option<Duration> {
        let (done, total) = self.counted();
        let left = total?.checked_sub(done).filter(|l| *l > 0)?;
        let rate = self.rate().filter(|_| self.state == PhaseState::Running)?;
        Some(Duration::from_secs_f64(left as f64 / rate))
    }

    /// How far what the line shows is, 0–1 (nothing to do is all done); `None` without a
    /// total.
    pub fn ratio(&self) -> Option<f64> {
        match self.counted() {
            (_, Some(0)) => Some(1.0),
            (done, Some(total)) => Some((done as f64 / total as f64).min(1.0)),
            (_, None) => None,
        }
    }

    /// "Contacts 220,000 / 300,240", "3 / 20 files", "0 / 0", "250 records"; `None` before
    /// anything is counted.
    pub fn counts(&self) -> Option<String> {
        let (done, total) = self.counted();
        let numbers = match total {
            Some(total) => format!("{} / {}", thousands(done), thousands(total)),
            None if done > 0 || self.item().is_some() => thousands(done),
            None => return None,
        };
        Some(match (self.item(), self.unit(), total) {
            (Some(item), _, _) => format!("{} {numbers}", item.label),
            (None, Unit::Records, Some(_)) => numbers,
            (None, unit, _) => format!("{numbers} {}", unit.plural()),
        })
    }

    /// The line's parts, to be joined with " · " (or wrapped between them): the phase, the
    /// counts, the rate, the ETA — each only when known.
    pub fn parts(&self) -> Vec<String> {
        let mut parts = vec![self.phase.to_string()];
        parts.extend(self.counts());
        if let Some(rate) = self.rate() {
            parts.push(format!("{} {}", compact(rate), self.unit().per_second()));
        }
        if let Some(eta) = self.eta() {
            parts.push(format!("ETA {}", seconds(eta)));
        }
        parts
    }

    /// "Download · Contacts 220,000 / 300,240 · 41k rec/s · ETA 2 s".
    pub fn line(&self) -> String {
        self.parts().join(" · ")
    }
}

/// "300,240".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate in three significant characters or so: "0.5", "850", "4.1k", "41k", "1.2M".
pub fn compact(x: f64) -> String {
    match x {
        x if x < 10.0 => format!("{x:.1}"),
        x if x < 999.5 => format!("{x:.0}"),
        x if x < 9_950.0 => format!("{:.1}k", x / 1e3),
        x if x < 999_500.0 => format!("{:.0}k", x / 1e3),
        x => format!("{:.1}M", x / 1e6),
    }
}

/// A time left, rounded up so that what remains never reads "0 s": "2 s", "3 min 5 s",
/// "1 h 20 min".
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 && s % 60 == 0 => format!("{} min", s / 60),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn download(done: u64, total: Option<u64>, elapsed_ms: u64) -> PhaseProgress {
        PhaseProgress {
            state: PhaseState::Running,
            done,
            items: vec![ItemProgress {
                label: "Contacts".into(),
                done,
                total,
            }],
            elapsed: Duration::from_millis(elapsed_ms),
            ..PhaseProgress::pending(Phase::Download)
        }
    }

    #[test]
    fn a_download_reads_with_total_rate_and_eta() {
        let p = download(220_000, Some(300_240), 5_366);
        assert_eq!(
            p.line(),
            "Download · Contacts 220,000 / 300,240 · 41k rec/s · ETA 2 s"
        );
        assert!((p.ratio().unwrap() - 0.7327).abs() < 1e-3);
    }

    #[test]
    fn a_resumed_download_shows_what_it_did_without_a_total() {
        let p = download(20_000, None, 500);
        assert_eq!(p.line(), "Download · Contacts 20,000");
        assert_eq!((p.ratio(), p.eta()), (None, None));
    }

    #[test]
    fn files_and_numbers_read_compactly() {
        let p = PhaseProgress {
            state: PhaseState::Running,
            done: 3,
            total: Some(20),
            elapsed: Duration::from_secs(2),
            ..PhaseProgress::pending(Phase::Attachments)
        };
        assert_eq!(
            p.line(),
            "Attachments · 3 / 20 files · 1.5 files/s · ETA 12 s"
        );
        assert_eq!(PhaseProgress::pending(Phase::Connect).line(), "Connect");
        assert_eq!(
            [0, 999, 1_000, 1_234_567].map(thousands),
            ["0", "999", "1,000", "1,234,567"]
        );
        assert_eq!(
            [0.5, 850.0, 4_140.0, 41_000.0, 1_230_000.0].map(compact),
            ["0.5", "850", "4.1k", "41k", "1.2M"]
        );
        assert_eq!(
            [100, 2_000, 185_000, 4_800_000].map(|ms| seconds(Duration::from_millis(ms))),
            ["1 s", "2 s", "3 min 5 s", "1 h 20 min"]
        );
    }
}
