//! The table (figure, value, baseline measured in the same run, ratio, target, pass) and the
//! closing `BENCH_JSON` line.

use std::fmt::Write as _;

/// A figure's goal.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    AtMost(f64),
    Below(f64),
    AtLeast(f64),
    /// Reported, no goal.
    Report,
}

impl Target {
    fn passes(self, value: f64) -> Option<bool> {
        match self {
            Target::AtMost(t) => Some(value <= t),
            Target::Below(t) => Some(value < t),
            Target::AtLeast(t) => Some(value >= t),
            Target::Report => None,
        }
    }

    fn text(self) -> String {
        match self {
            Target::AtMost(t) => format!("≤ {}", number(t)),
            Target::Below(t) => format!("< {}", number(t)),
            Target::AtLeast(t) => format!("≥ {}", number(t)),
            Target::Report => "report".into(),
        }
    }
}

pub struct Figure {
    /// The `BENCH_JSON` key.
    pub key: &'static str,
    pub value: f64,
    /// The same quantity for the baseline, measured in this run, and what the baseline is.
    pub baseline: Option<(f64, &'static str)>,
    pub target: Target,
    /// The figure is the ratio itself: the JSON value and the target are value / baseline, and
    /// the table shows value and baseline in this unit.
    pub ratio_in: Option<&'static str>,
}

impl Figure {
    /// What `BENCH_JSON` holds and the target is checked against.
    fn figure(&self) -> f64 {
        match (self.ratio_in, self.baseline) {
            (Some(_), Some((b, _))) => self.value / b,
            _ => self.value,
        }
    }
}

#[derive(Default)]
pub struct Report {
    pub figures: Vec<Figure>,
    /// Extra keys for the JSON line (size, mode).
    pub context: Vec<(&'static str, serde_json::Value)>,
}

impl Report {
    pub fn add(
        &mut self,
        key: &'static str,
        value: f64,
        baseline: Option<(f64, &'static str)>,
        target: Target,
    ) {
        self.figures.push(Figure {
            key,
            value,
            baseline,
            target,
            ratio_in: None,
        });
    }

    /// A figure that is `value / baseline`, shown as both in `unit`.
    pub fn add_ratio(
        &mut self,
        key: &'static str,
        value: f64,
        baseline: (f64, &'static str),
        unit: &'static str,
        target: Target,
    ) {
        self.figures.push(Figure {
            key,
            value,
            baseline: Some(baseline),
            target,
            ratio_in: Some(unit),
        });
    }

    /// The table, then the baselines' meaning, then `BENCH_JSON {...}`.
    pub fn render(&self) -> String {
        let header = ["figure", "value", "baseline", "ratio", "target", "pass"];
        let rows: Vec<[String; 6]> = self
            .figures
            .iter()
            .map(|f| {
                let unit = f.ratio_in.map(|u| format!(" {u}")).unwrap_or_default();
                let (baseline, ratio) = match f.baseline {
                    Some((b, _)) => (
                        format!("{}{unit}", number(b)),
                        format!("{:.2}", f.value / b),
                    ),
                    None => ("—".into(), "—".into()),
                };
                let pass = match f.target.passes(f.figure()) {
                    Some(true) => "pass",
                    Some(false) => "FAIL",
                    None => "—",
                };
                [
                    f.key.to_string(),
                    format!("{}{unit}", number(f.value)),
                    baseline,
                    ratio,
                    match f.ratio_in {
                        Some(_) => format!("ratio {}", f.target.text()),
                        None => f.target.text(),
                    },
                    pass.to_string(),
                ]
            })
            .collect();
        let widths: Vec<usize> = (0..header.len())
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].chars().count())
                    .chain([header[c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let line = |out: &mut String, cells: &[String]| {
            let parts: Vec<String> = cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, w))| {
                    let pad = w - cell.chars().count();
                    if i == 0 {
                        format!("{cell}{}", " ".repeat(pad))
                    } else {
                        format!("{}{cell}", " ".repeat(pad))
                    }
                })
                .collect();
            let _ = writeln!(out, "| {} |", parts.join(" | "));
        };
        line(&mut out, &header.map(String::from));
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        let _ = writeln!(out, "|-{}-|", rule.join("-|-"));
        for row in &rows {
            line(&mut out, row);
        }
        let _ = writeln!(out);
        for f in &self.figures {
            if let Some((_, what)) = f.baseline {
                let _ = writeln!(out, "  {}: baseline = {what}", f.key);
            }
        }
        let _ = writeln!(out);
        let mut json = serde_json::Map::new();
        for (k, v) in &self.context {
            json.insert((*k).into(), v.clone());
        }
        for f in &self.figures {
            json.insert(f.key.into(), rounded(f.figure()));
        }
        let _ = write!(out, "BENCH_JSON {}", serde_json::Value::Object(json));
        out
    }
}

/// Three significant figures, at most three decimals.
fn number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn rounded(v: f64) -> serde_json::Value {
    if !v.is_finite() {
        return serde_json::Value::Null;
    }
    let r = (v * 1000.0).round() / 1000.0;
    if r.fract() == 0.0 && r.abs() < 1e15 {
        serde_json::Value::from(r as i64)
    } else {
        serde_json::Value::from(r)
    }
}
