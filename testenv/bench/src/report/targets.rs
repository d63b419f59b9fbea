//! The targets of the issue, each judged from the run's own figures.

use std::fmt::Write;
use std::time::Duration;

use super::figures::{failed, find, floor_ratio, per_user_requests, speedup};
use super::format::{count, mib, short};
use crate::scenario::Outcome;
use crate::suite::Results;

/// The site size at which memory and planning are judged.
const LARGE_SITE: usize = 100_000;

fn verdict(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}

/// The targets table.
pub fn table(results: &Results) -> String {
    let mut rows: Vec<(String, String, &str)> = Vec::new();
    for (key, name) in [("steady", "Steady state"), ("churn", "Churn")] {
        let Some(o) = find(results, key) else {
            continue;
        };
        let fast = speedup(o);
        rows.push((
            format!("{name}: at least 8 times faster than the baseline"),
            format!("{fast:.1}×"),
            verdict(fast >= 8.0),
        ));
        let near = floor_ratio(&o.ours).unwrap_or(f64::INFINITY);
        rows.push((
            format!("{name}: within 1.3 times of the floor"),
            format!("{near:.2}"),
            verdict(near <= 1.3),
        ));
    }
    if let Some(o) = find(results, "throttled") {
        let near = floor_ratio(&o.ours).unwrap_or(f64::INFINITY);
        rows.push((
            "Throttled: within 1.1 times of the budget's floor".into(),
            format!("{near:.2}"),
            verdict(near <= 1.1),
        ));
        let failed = failed(&o.ours);
        rows.push((
            "Throttled: no action failed because of 429s".into(),
            format!(
                "429 answers: {}, retries: {}, failed: {failed}",
                o.ours.server.throttled, o.ours.measurement.counts.retries
            ),
            verdict(failed == 0 && o.ours.problems.is_empty()),
        ));
    }
    let large: Vec<&Outcome> = results
        .scenarios
        .iter()
        .chain(&results.sweep)
        .filter(|o| o.site_users >= LARGE_SITE)
        .collect();
    if let Some(peak) = large
        .iter()
        .map(|o| o.ours.measurement.peak_rss_bytes)
        .max()
    {
        rows.push((
            "Peak memory under 100 MiB at 100,000 Jira Align users".into(),
            format!("{} (largest of {} runs)", mib(peak), large.len()),
            verdict(peak < 100 * 1024 * 1024),
        ));
    }
    if let Some(slowest) = results.planner.iter().map(|t| t.cpu_median).max() {
        let users = results.planner.first().map_or(0, |t| t.jira_users);
        rows.push((
            format!(
                "Planning {} users in under 50 ms of CPU",
                count(users as u64)
            ),
            format!("{} (median, slowest input)", short(slowest)),
            verdict(slowest < Duration::from_millis(50) && users >= LARGE_SITE),
        ));
    }
    if let Some((text, met)) = linearity(&results.sweep) {
        rows.push(("Cost grows linearly with size".into(), text, verdict(met)));
    }
    let steady: Vec<&Outcome> = ["steady", "sweep-small", "sweep-medium", "sweep-large"]
        .iter()
        .filter_map(|key| find(results, key))
        .collect();
    if !steady.is_empty() {
        let per_user: u64 = steady.iter().map(|o| per_user_requests(&o.ours)).sum();
        rows.push((
            "No per-user request in the steady state".into(),
            format!(
                "{per_user} find, get, create or patch requests in {} runs",
                steady.len()
            ),
            verdict(per_user == 0),
        ));
    }

    let mut out = String::from("| target | measured | met |\n|---|---|---|\n");
    for (target, measured, met) in rows {
        let _ = writeln!(out, "| {target} | {measured} | {met} |");
    }
    out
}

/// Judged linear when each added site user costs the largest step at most 1.5 times the
/// CPU it cost the step before (the smallest site is mostly start-up), and the two larger
/// sites need the same requests per site user within 10 %.
fn linearity(sweep: &[Outcome]) -> Option<(String, bool)> {
    let steps: Vec<&Outcome> = sweep
        .iter()
        .filter(|o| o.scenario.key.starts_with("sweep-"))
        .collect();
    let [small, middle, large] = steps.as_slice() else {
        return None;
    };
    let cpu = |o: &Outcome| o.ours.measurement.cpu.as_secs_f64();
    let users = |o: &Outcome| o.site_users as f64;
    let marginal = |a: &Outcome, b: &Outcome| (cpu(b) - cpu(a)) / (users(b) - users(a));
    let (first, second) = (marginal(small, middle), marginal(middle, large));
    let requests = |o: &Outcome| o.ours.server.all as f64 / users(o);
    let request_growth = requests(large) / requests(middle);
    let text = format!(
        "CPU per added site user {:.1} µs up to {}, {:.1} µs from there to {}; requests per \
         site user ×{request_growth:.2} from {} to {}",
        first * 1e6,
        count(middle.site_users as u64),
        second * 1e6,
        count(large.site_users as u64),
        count(middle.site_users as u64),
        count(large.site_users as u64),
    );
    let met = second <= 1.5 * first.max(0.0) && (0.9..=1.1).contains(&request_growth);
    Some((text, met))
}
