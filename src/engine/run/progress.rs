//! The running phase's progress in the status. It is written as it is counted, but watchers are
//! woken at most every [`WAKE_EVERY`] (and at once when a count starts or ends): a download at
//! 40,000 records/s applies 160 chunks a second, more than anyone can read.

use std::time::Instant;

use super::*;
use crate::engine::progress::ItemProgress;

const WAKE_EVERY: Duration = Duration::from_millis(100);

/// When the running phase began and when watchers were last woken. `Instant`: this measures,
/// it decides nothing (the rules read the sync's `Clock`).
pub(super) struct Meter {
    started: Instant,
    woke: Instant,
}

impl Meter {
    pub(super) fn start() -> Self {
        let now = Instant::now();
        Meter {
            started: now,
            woke: now,
        }
    }
}

/// Whether an update wakes the status's watchers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wake {
    /// A count starts or ends: show it.
    Now,
    /// One more step of a count: shown with the next wake-up.
    WhenDue,
}

impl Wake {
    /// One more step of a count of `total`: the last one is shown at once.
    pub(super) fn step(done: u64, total: u64) -> Wake {
        if done >= total {
            Wake::Now
        } else {
            Wake::WhenDue
        }
    }
}

impl SyncRun {
    /// Updates `phase`'s progress (and its elapsed time).
    pub(super) fn progress(
        &mut self,
        phase: Phase,
        wake: Wake,
        update: impl FnOnce(&mut PhaseProgress),
    ) {
        let elapsed = self.meter.started.elapsed();
        let wake = wake == Wake::Now || self.meter.woke.elapsed() >= WAKE_EVERY;
        self.ctx.status.send_if_modified(|s| {
            if let Some(p) = s.phases.iter_mut().find(|p| p.phase == phase) {
                p.elapsed = elapsed;
                update(p);
            }
            wake
        });
        if wake {
            self.meter.woke = Instant::now();
        }
    }

    /// The running phase ends: its elapsed time becomes the whole phase's.
    pub(super) fn close_phase(&mut self) {
        let running = match self.ctx.status.borrow().activity {
            SyncActivity::Running { phase, .. } => Some(phase),
            _ => None,
        };
        if let Some(phase) = running {
            self.progress(phase, Wake::WhenDue, |_| {});
        }
    }

    /// `phase` has done `done` of `total`.
    pub(super) fn count(&mut self, phase: Phase, wake: Wake, done: u64, total: Option<u64>) {
        self.progress(phase, wake, |p| {
            p.done = done;
            p.total = total;
        });
    }

    /// The Download is on its `index`th entity, `item` (and has done `done` in all).
    pub(super) fn count_item(&mut self, wake: Wake, done: u64, index: usize, item: &ItemProgress) {
        self.progress(Phase::Download, wake, |p| {
            p.done = done;
            match p.items.get_mut(index) {
                Some(slot) => slot.clone_from(item),
                None => p.items.push(item.clone()),
            }
        });
    }
}

/// An upload's counts per entity, in the order its entities come.
#[derive(Default)]
pub(super) struct Tally {
    names: Vec<String>,
    items: Vec<ItemProgress>,
}

impl Tally {
    pub(super) fn entry(&mut self, project: &Project, entity: &str) -> &mut ItemProgress {
        let index = match self.names.iter().position(|n| n == entity) {
            Some(i) => i,
            None => {
                let label = project.entity(entity).map(|e| e.label.clone());
                self.names.push(entity.to_string());
                self.items.push(ItemProgress {
                    label: label.unwrap_or_else(|| entity.to_string()),
                    done: 0,
                    total: Some(0),
                });
                self.items.len() - 1
            }
        };
        &mut self.items[index]
    }
}

impl SyncRun {
    /// The Upload has done `done` of `total`, per entity as `tally` says.
    pub(super) fn count_upload(&mut self, wake: Wake, done: u64, total: u64, tally: &Tally) {
        self.progress(Phase::Upload, wake, |p| {
            (p.done, p.total) = (done, Some(total));
            p.items.clone_from(&tally.items);
        });
    }
}
