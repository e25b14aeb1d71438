//! What `autosync sync` shows while it runs, on stderr: a progress bar on a terminal; elsewhere
//! (a log, CI, a pipe) a plain line every [`PLAIN_EVERY`] while a sync runs, with the same
//! words as Home: "Download · Accounts 20,000 / 100,240 · 41k rec/s · ETA 2 s". At the end, the
//! totals of each phase and entity, on stdout with the summary.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::progress::{compact, thousands};
use crate::engine::{PhaseProgress, PhaseState, SyncStatus};
use crate::rules::{Phase, SyncActivity};

/// How often a plain line is printed while a sync runs: a line is due this long after the
/// last one, whatever the sync is doing (a stalled request shows as the same numbers again).
pub const PLAIN_EVERY: Duration = Duration::from_secs(2);

/// A bar's length: its position is the fraction shown, in thousandths.
const BAR_STEPS: u64 = 1000;

pub enum Progress {
    Bar {
        bar: ProgressBar,
        known: Option<bool>,
    },
    Plain {
        started: Instant,
    },
}

impl Progress {
    /// A bar when stderr is a terminal, plain lines otherwise.
    pub fn for_stderr(started: Instant) -> Self {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(BAR_STEPS), ProgressDrawTarget::stderr());
            Progress::Bar { bar, known: None }
        } else {
            Progress::Plain { started }
        }
    }

    /// A line of stdout, printed without tearing the bar.
    pub fn println(&self, text: &str) {
        match self {
            Progress::Bar { bar, .. } => bar.suspend(|| println!("{text}")),
            Progress::Plain { .. } => println!("{text}"),
        }
    }

    /// The status changed: the bar follows it (plain lines keep their pace).
    pub fn changed(&mut self, status: &SyncStatus) {
        let Progress::Bar { bar, known } = self else {
            return;
        };
        let Some((text, ratio)) = now_showing(status) else {
            return;
        };
        if *known != Some(ratio.is_some()) {
            *known = Some(ratio.is_some());
            let template = match ratio {
                Some(_) => "[{bar:24}] {percent:>3}% {wide_msg}",
                None => "[{bar:24}]      {wide_msg}",
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
        }
        bar.set_position((ratio.unwrap_or(0.0) * BAR_STEPS as f64) as u64);
        bar.set_message(text);
    }

    /// [`PLAIN_EVERY`] passed: a plain line, if a sync runs.
    pub fn due(&self, status: &SyncStatus) {
        let Progress::Plain { started } = self else {
            return;
        };
        if let Some((text, _)) = now_showing(status) {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{:>8.3}s  {text}", started.elapsed().as_secs_f64());
        }
    }

    pub fn finish(self) {
        if let Progress::Bar { bar, .. } = self {
            bar.finish_and_clear();
        }
    }
}

/// The line for what the sync does now, and how far it is (when a total is known).
fn now_showing(status: &SyncStatus) -> Option<(String, Option<f64>)> {
    match status.activity {
        SyncActivity::Idle => None,
        SyncActivity::Running { phase, .. } => {
            let p = status.phase(phase)?;
            Some((p.line(), p.ratio()))
        }
        waiting @ SyncActivity::WaitingForUiTransactions { .. } => {
            Some((waiting.to_string(), None))
        }
    }
}

/// The totals of each phase that ran, and of each entity in it:
/// `  Download         Done  100,600 in 4.20 s · 24k rec/s` then `    Accounts       100,240`.
pub fn totals(status: &SyncStatus) -> Vec<String> {
    let mut lines = Vec::new();
    for p in status
        .phases
        .iter()
        .filter(|p| p.state != PhaseState::Pending)
    {
        let counts = match p.total {
            Some(total) => format!("  {} / {}", thousands(p.done), thousands(total)),
            None if p.done > 0 => format!("  {}", thousands(p.done)),
            None => String::new(),
        };
        lines.push(format!(
            "  {:<16} {:?}{counts}{}",
            p.phase.to_string(),
            p.state,
            timing(p)
        ));
        let verb = match p.phase {
            Phase::Upload => "uploaded",
            _ => "downloaded",
        };
        for item in &p.items {
            let of = match item.total {
                Some(total) if total != item.done => format!(" of {}", thousands(total)),
                _ => String::new(),
            };
            lines.push(format!(
                "    {:<14} {} {verb}{of}",
                item.label,
                thousands(item.done)
            ));
        }
    }
    lines
}

/// " in 4.20 s · 24k rec/s": the phase's time and, when it counted something, its rate.
fn timing(p: &PhaseProgress) -> String {
    let secs = p.elapsed.as_secs_f64();
    let rate = match p.done {
        done if done > 0 && secs > 0.0 => {
            let rate = compact(done as f64 / secs);
            format!(" · {rate} {}", p.unit().per_second())
        }
        _ => String::new(),
    };
    format!(" in {secs:.2} s{rate}")
}
