//! `docs/benchmarks.md` from the results of one run: the template in
//! `templates/benchmarks.md` with its `{{placeholders}}` filled by tables built here.

mod analysis;
mod figures;
mod format;
mod targets;

pub use format::count;

use std::fmt::Write;
use std::path::Path;

use crate::error::BenchError;
use crate::machine::Machine;
use crate::scenario::{Outcome, Side};
use crate::suite::{BUDGET_PER_MINUTE, LATENCY, Results};
use format::{mib, ratio, seconds, short, times};

const TEMPLATE: &str = include_str!("../templates/benchmarks.md");
const TEMPLATE_PATH: &str = "testenv/bench/templates/benchmarks.md";

/// Where and how the run happened.
pub struct RunFacts {
    pub command: String,
    pub date: String,
    pub machine: Machine,
}

/// The whole document.
pub fn render(results: &Results, facts: &RunFacts) -> Result<String, BenchError> {
    let (main, ad): (Vec<&Outcome>, Vec<&Outcome>) = results
        .scenarios
        .iter()
        .partition(|o| !o.scenario.key.starts_with("ad-"));
    let values = [
        ("command", facts.command.clone()),
        ("date", facts.date.clone()),
        ("took", seconds(results.took)),
        ("machine", facts.machine.line()),
        ("targets", targets::table(results)),
        ("setup", setup(results)),
        ("scenarios", main.iter().map(|o| scenario(o)).collect()),
        ("sweep", sweep(&results.sweep)),
        ("ad", ad.iter().map(|o| scenario(o)).collect()),
        ("planner", planner(results)),
        ("analysis", analysis::analysis(results)),
    ];
    fill(TEMPLATE, &values)
}

/// Replaces each `{{name}}`; a name the template lacks is an error, so nothing measured is
/// silently left out.
fn fill(template: &str, values: &[(&str, String)]) -> Result<String, BenchError> {
    let mut text = template.to_owned();
    for (name, value) in values {
        let placeholder = format!("{{{{{name}}}}}");
        if !text.contains(&placeholder) {
            return Err(BenchError::Template {
                path: TEMPLATE_PATH.into(),
                name: (*name).to_owned(),
            });
        }
        text = text.replace(&placeholder, value.trim_end());
    }
    Ok(text)
}

/// Writes the document, creating its directory.
pub fn write(path: &Path, text: &str) -> Result<(), BenchError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(BenchError::io("create", dir))?;
    }
    std::fs::write(path, text).map_err(BenchError::io("write", path))
}

fn setup(results: &Results) -> String {
    let mut out = String::new();
    let latency = format!(
        "{} ms plus a uniform 0-{} ms (mean {} ms)",
        LATENCY.fixed.as_millis(),
        LATENCY.jitter.as_millis(),
        (LATENCY.fixed + LATENCY.jitter / 2).as_millis()
    );
    let _ = writeln!(
        out,
        "- Latency added by the simulator to every answer, where a scenario has it: {latency} \
         (the least time of an answer; the simulator works within it)."
    );
    let _ = writeln!(
        out,
        "- Budget of the throttled scenario: {BUDGET_PER_MINUTE} requests a minute for the token \
         (the simulator's fixed one-minute window, 429 with `Retry-After` beyond it); both \
         clients are configured with the same figure."
    );
    for (what, took) in &results.setup {
        let _ = writeln!(out, "- {what}: {}.", seconds(*took));
    }
    out
}

fn scenario(outcome: &Outcome) -> String {
    let s = &outcome.scenario;
    let e = &outcome.expected;
    let mut out = format!("### {}\n\n", s.title);
    let kind = if s.target.active_directory {
        "Active Directory (Samba) group"
    } else {
        "OpenLDAP group"
    };
    let latency = match s.latency {
        Some(_) => "50 ms mean latency",
        None => "no added latency",
    };
    let budget = s.per_minute.map_or("no budget".to_owned(), |b| {
        format!("budget {b} requests/minute")
    });
    let _ = writeln!(
        out,
        "{kind} `{}` with {} members; site of {} users; {latency}; {budget}. Each run must \
         create {}, reactivate {}, deactivate {}, repair {}, update {} and leave {} unchanged.\n",
        s.target.group_dn,
        count(s.site.member_count() as u64),
        count(outcome.site_users as u64),
        count(e.created),
        count(e.reactivated),
        count(e.deactivated),
        count(e.repaired),
        count(e.updated),
        count(e.unchanged),
    );
    for (who, side) in [("ours", &outcome.ours), ("baseline", &outcome.baseline)] {
        for problem in &side.problems {
            let _ = writeln!(
                out,
                "**{who} did not do what the site calls for:** {problem}\n"
            );
        }
    }
    out.push_str(&comparison(&outcome.ours, &outcome.baseline));
    out.push('\n');
    out
}

fn comparison(ours: &Side, base: &Side) -> String {
    let (o, b) = (&ours.measurement, &base.measurement);
    let kinds = |side: &Side| {
        let c = &side.measurement.counts;
        [c.list, c.find, c.get, c.create, c.patch]
            .map(count)
            .join(" / ")
    };
    let read = |side: &Side| side.measurement.read.map_or("-".to_owned(), seconds);
    let rows = [
        (
            "wall time",
            seconds(o.wall),
            seconds(b.wall),
            times(b.wall.as_secs_f64(), o.wall.as_secs_f64()),
        ),
        (
            "until both sides were read",
            read(ours),
            read(base),
            String::new(),
        ),
        (
            "requests: list / find / get / create / patch",
            kinds(ours),
            kinds(base),
            times(b.counts.total() as f64, o.counts.total() as f64),
        ),
        (
            "requests the site answered",
            count(ours.server.all),
            count(base.server.all),
            String::new(),
        ),
        (
            "429 answers / retries",
            format!("{} / {}", ours.server.throttled, o.counts.retries),
            format!("{} / {}", base.server.throttled, b.counts.retries),
            String::new(),
        ),
        (
            "peak RSS",
            mib(o.peak_rss_bytes),
            mib(b.peak_rss_bytes),
            times(b.peak_rss_bytes as f64, o.peak_rss_bytes as f64),
        ),
        (
            "CPU time (user + system)",
            seconds(o.cpu),
            seconds(b.cpu),
            times(b.cpu.as_secs_f64(), o.cpu.as_secs_f64()),
        ),
        (
            "floor",
            seconds(ours.floor),
            seconds(base.floor),
            String::new(),
        ),
        (
            "wall ÷ floor",
            ratio(crate::floor::ratio(o.wall, ours.floor)),
            ratio(crate::floor::ratio(b.wall, base.floor)),
            String::new(),
        ),
    ];
    let mut out = String::from("| | ours | baseline | baseline ÷ ours |\n|---|---:|---:|---:|\n");
    for (name, a, b, r) in rows {
        let _ = writeln!(out, "| {name} | {a} | {b} | {r} |");
    }
    out
}

fn sweep(outcomes: &[Outcome]) -> String {
    let mut out = String::from(
        "| site users | members | requests | wall | CPU | peak RSS | CPU per site user | \
         baseline wall | baseline CPU | baseline peak RSS |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for outcome in outcomes {
        let (o, b) = (&outcome.ours.measurement, &outcome.baseline.measurement);
        let per_user = o.cpu.as_secs_f64() * 1e6 / outcome.site_users.max(1) as f64;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {per_user:.1} µs | {} | {} | {} |",
            count(outcome.site_users as u64),
            members(outcome),
            count(outcome.ours.server.all),
            seconds(o.wall),
            seconds(o.cpu),
            mib(o.peak_rss_bytes),
            seconds(b.wall),
            seconds(b.cpu),
            mib(b.peak_rss_bytes),
        );
    }
    for outcome in outcomes {
        for problem in outcome
            .ours
            .problems
            .iter()
            .chain(&outcome.baseline.problems)
        {
            let _ = writeln!(
                out,
                "\n**{} did not go as planned:** {problem}",
                outcome.scenario.key
            );
        }
    }
    out
}

fn members(outcome: &Outcome) -> String {
    let members = count(outcome.scenario.site.member_count() as u64);
    match outcome.scenario.key {
        "site-only" => format!("{members} (site only)"),
        _ => members,
    }
}

fn planner(results: &Results) -> String {
    let mut out = String::from(
        "| input | Jira Align users | members | actions | runs | CPU median | CPU min - max | \
         wall median | plan as expected |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for t in &results.planner {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} - {} | {} | {} |",
            t.label,
            count(t.jira_users as u64),
            count(t.members as u64),
            count(t.actions as u64),
            t.runs,
            short(t.cpu_median),
            short(t.cpu_min),
            short(t.cpu_max),
            short(t.wall_median),
            if t.as_expected { "yes" } else { "NO" },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled_and_a_missing_one_is_an_error() {
        let text = fill("a {{x}} b {{y}}", &[("x", "1".into()), ("y", "2\n".into())]);
        assert_eq!(text.ok().as_deref(), Some("a 1 b 2"));
        let missing = fill("a {{x}}", &[("z", "1".into())])
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            missing.as_deref(),
            Some("template testenv/bench/templates/benchmarks.md has no placeholder z")
        );
    }
}
