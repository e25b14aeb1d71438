//! The one clock the program reads. It can run with the wall clock or be frozen, and either way
//! it can be advanced ("16 minutes later") without waiting. Rules never read it: they take `now`.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone)]
pub struct Clock {
    state: Arc<Mutex<ClockState>>,
}

#[derive(Debug, Clone, Copy)]
enum ClockState {
    /// Wall-clock time plus everything the user has advanced.
    Running { offset: Duration },
    /// Time stands still except when advanced: tests and scenarios.
    Frozen { now: DateTime<Utc> },
}

impl Clock {
    /// The wall clock, advanceable.
    pub fn system() -> Self {
        Self::with(ClockState::Running {
            offset: Duration::zero(),
        })
    }

    /// A clock that stands at `now` until advanced.
    pub fn frozen(now: DateTime<Utc>) -> Self {
        Self::with(ClockState::Frozen { now })
    }

    fn with(state: ClockState) -> Self {
        Clock {
            state: Arc::new(Mutex::new(state)),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match *self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            ClockState::Running { offset } => Utc::now() + offset,
            ClockState::Frozen { now } => now,
        }
    }

    /// Moves time forward (or back, with a negative duration) for every holder of this clock.
    pub fn advance(&self, by: Duration) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        *state = match *state {
            ClockState::Running { offset } => ClockState::Running {
                offset: offset + by,
            },
            ClockState::Frozen { now } => ClockState::Frozen { now: now + by },
        };
    }

    /// How far the clock has been moved away from the wall clock (zero for a frozen clock's
    /// own notion; reported in the UI as "+16 min").
    pub fn offset(&self) -> Option<Duration> {
        match *self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            ClockState::Running { offset } => Some(offset),
            ClockState::Frozen { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_advanced_and_clones_share_it() {
        let t0 = DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")
            .unwrap()
            .to_utc();
        let clock = Clock::frozen(t0);
        let other = clock.clone();
        assert_eq!(clock.now(), t0);
        other.advance(Duration::minutes(16));
        assert_eq!(clock.now(), t0 + Duration::minutes(16));
    }

    #[test]
    fn system_clock_adds_the_offset() {
        let clock = Clock::system();
        clock.advance(Duration::minutes(16));
        let ahead = clock.now() - Utc::now();
        assert!(ahead > Duration::minutes(15) && ahead <= Duration::minutes(16));
        assert_eq!(clock.offset(), Some(Duration::minutes(16)));
    }
}
