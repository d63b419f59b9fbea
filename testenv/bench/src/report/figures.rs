//! Figures the targets and the analysis both read from the results: a scenario by key,
//! speed-ups, floor ratios and request counts.

use crate::floor::ratio;
use crate::scenario::{Outcome, Side};
use crate::suite::Results;

/// The outcome of the scenario `key`, main or sweep.
pub fn find<'a>(results: &'a Results, key: &str) -> Option<&'a Outcome> {
    results
        .scenarios
        .iter()
        .chain(&results.sweep)
        .find(|o| o.scenario.key == key)
}

/// Baseline wall time over ours.
pub fn speedup(outcome: &Outcome) -> f64 {
    let ours = outcome.ours.measurement.wall.as_secs_f64();
    outcome.baseline.measurement.wall.as_secs_f64() / ours.max(f64::MIN_POSITIVE)
}

/// Wall time over the floor.
pub fn floor_ratio(side: &Side) -> Option<f64> {
    ratio(side.measurement.wall, side.floor)
}

/// Users whose action failed, from the report (`u64::MAX` without a report).
pub fn failed(side: &Side) -> u64 {
    side.measurement.report["counts"]["failed"]
        .as_u64()
        .unwrap_or(u64::MAX)
}

/// Requests about one user: look-ups, reads, creates and patches.
pub fn per_user_requests(side: &Side) -> u64 {
    let c = &side.measurement.counts;
    c.find + c.get + c.create + c.patch
}
