//! A `clock` step's amount: `advance_minutes = N` or `advance_seconds = N`, exactly one, never
//! negative, kept in the unit the file wrote.

use serde::{Deserialize, Serialize};

/// How far a `clock` step moves the virtual clock, in the unit the file wrote it (so a recorded
/// session reads `advance_minutes = 16`, and a 45-second interval `advance_seconds = 45`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "RawClockAdvance", into = "RawClockAdvance")]
pub enum ClockAdvance {
    Minutes(u32),
    Seconds(u32),
}

impl ClockAdvance {
    /// The smallest step that says `by` exactly: whole minutes when it is some, else seconds.
    /// `None` when `by` is negative or too long for a scenario.
    pub fn of(by: chrono::Duration) -> Option<ClockAdvance> {
        let seconds = u32::try_from(by.num_seconds()).ok()?;
        Some(if seconds % 60 == 0 {
            ClockAdvance::Minutes(seconds / 60)
        } else {
            ClockAdvance::Seconds(seconds)
        })
    }

    pub fn duration(self) -> chrono::Duration {
        match self {
            ClockAdvance::Minutes(m) => chrono::Duration::minutes(i64::from(m)),
            ClockAdvance::Seconds(s) => chrono::Duration::seconds(i64::from(s)),
        }
    }
}

/// A `clock` step's keys as written; [`ClockAdvance`] is what is left once exactly one is given.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawClockAdvance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    advance_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    advance_seconds: Option<i64>,
}

impl TryFrom<RawClockAdvance> for ClockAdvance {
    type Error = String;

    fn try_from(raw: RawClockAdvance) -> Result<Self, String> {
        let forward = |key: &str, n: i64| {
            u32::try_from(n).map_err(|_| {
                if n < 0 {
                    format!("`{key}` must be 0 or more, not {n}: the clock only moves forward")
                } else {
                    format!("`{key}` = {n} is too far: at most {}", u32::MAX)
                }
            })
        };
        match (raw.advance_minutes, raw.advance_seconds) {
            (Some(m), None) => Ok(ClockAdvance::Minutes(forward("advance_minutes", m)?)),
            (None, Some(s)) => Ok(ClockAdvance::Seconds(forward("advance_seconds", s)?)),
            (Some(_), Some(_)) => Err(
                "`advance_minutes` and `advance_seconds` together: give exactly one of them".into(),
            ),
            (None, None) => Err(
                "a clock step needs `advance_minutes` or `advance_seconds`, e.g. advance_seconds = 45"
                    .into(),
            ),
        }
    }
}

impl From<ClockAdvance> for RawClockAdvance {
    fn from(advance: ClockAdvance) -> Self {
        let (advance_minutes, advance_seconds) = match advance {
            ClockAdvance::Minutes(m) => (Some(i64::from(m)), None),
            ClockAdvance::Seconds(s) => (None, Some(i64::from(s))),
        };
        RawClockAdvance {
            advance_minutes,
            advance_seconds,
        }
    }
}
