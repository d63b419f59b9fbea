//! Running one scenario twice, with our client and with the baseline configuration, on the
//! same site and directory group: reset the simulator to the scenario's site, write the
//! manifest, run the one-shot sync, then check that it did exactly what the site calls for.

use std::path::PathBuf;
use std::time::Duration;

use jira_align_sim::{Latency, RequestBudget, RouteKind, RunningSimulator, SimConfig};

use crate::error::BenchError;
use crate::floor::{self, Limits};
use crate::manifest::{self, CONCURRENCY, DirectoryTarget, UNLIMITED_PER_MINUTE};
use crate::measure::{self, Invocation, Measurement};
use crate::planner::matches;
use crate::site::{Expected, SiteSpec};

/// The token of the simulator's service user 1, who may manage users.
const TOKEN: &str = "user:1|admin-secret";

/// One scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Short name, also used for file names.
    pub key: &'static str,
    pub title: &'static str,
    pub site: SiteSpec,
    pub target: DirectoryTarget,
    /// Added latency per answer; `None` for none.
    pub latency: Option<Latency>,
    /// The simulator's budget, which the client is configured to respect.
    pub per_minute: Option<u32>,
}

/// Requests the simulator answered, by route, and its 429 answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerCounts {
    pub list: u64,
    pub get: u64,
    pub create: u64,
    pub patch: u64,
    pub throttled: u64,
    pub all: u64,
}

/// One client's run of a scenario.
#[derive(Clone, Debug)]
pub struct Side {
    pub measurement: Measurement,
    pub server: ServerCounts,
    pub floor: Duration,
    /// Everything that did not go as the site calls for; empty for a valid run.
    pub problems: Vec<String>,
}

/// Both runs of a scenario.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub scenario: Scenario,
    pub expected: Expected,
    pub site_users: usize,
    pub ours: Side,
    pub baseline: Side,
}

/// The simulator and the files every run shares.
pub struct Runner {
    pub sim: RunningSimulator,
    pub operator: PathBuf,
    pub work: PathBuf,
    /// Before each run, print its command and wait for Ctrl-C, so the run can be repeated
    /// by hand against the same servers and site.
    pub hold: bool,
}

impl Runner {
    /// Runs `scenario` with our client, then with the baseline configuration.
    pub async fn run(&self, scenario: &Scenario) -> Result<Outcome, BenchError> {
        let site = scenario.site.build();
        let site_users = site.seed.users.len();
        tracing::info!(
            scenario = scenario.key,
            site_users,
            members = scenario.site.member_count(),
            "scenario"
        );
        let mut sides = Vec::with_capacity(2);
        for baseline in [false, true] {
            self.sim.admin().reset(site.seed.clone());
            self.sim.admin().set_config(sim_config(scenario));
            let side = self.run_side(scenario, &site.expected, baseline).await?;
            tracing::info!(
                scenario = scenario.key,
                baseline,
                wall_seconds = side.measurement.wall.as_secs_f64(),
                requests = side.server.all,
                problems = side.problems.len(),
                "run finished"
            );
            sides.push(side);
        }
        let baseline = sides.pop();
        let ours = sides.pop();
        match (ours, baseline) {
            (Some(ours), Some(baseline)) => Ok(Outcome {
                scenario: scenario.clone(),
                expected: site.expected,
                site_users,
                ours,
                baseline,
            }),
            // Both sides were pushed above.
            _ => unreachable!("two runs per scenario"),
        }
    }

    async fn run_side(
        &self,
        scenario: &Scenario,
        expected: &Expected,
        baseline: bool,
    ) -> Result<Side, BenchError> {
        let label = if baseline { "baseline" } else { "ours" };
        let file = |suffix: &str| self.work.join(format!("{}-{label}.{suffix}", scenario.key));
        let per_minute = scenario.per_minute.unwrap_or(UNLIMITED_PER_MINUTE);
        let spec = manifest::spec_json(self.sim.base_url(), &scenario.target, per_minute);
        let invocation = Invocation {
            operator: self.operator.clone(),
            manifest: file("manifest.json"),
            token_file: self.work.join("token"),
            password_file: file("bind-password"),
            ca_file: scenario.target.ca_pem.clone(),
            stats_file: file("stats.json"),
            usage_file: file("usage"),
            baseline,
        };
        manifest::write(&invocation.manifest, spec)?;
        write_secret(&invocation.token_file, TOKEN)?;
        write_secret(&invocation.password_file, &scenario.target.bind_password)?;
        if self.hold {
            hold(scenario, &invocation).await;
        }

        let measurement = tokio::task::spawn_blocking(move || measure::run(&invocation))
            .await
            .map_err(|error| BenchError::Wait {
                source: std::io::Error::other(error.to_string()),
            })??;
        let report_path = file("report.json");
        let _ = std::fs::write(&report_path, measurement.report.to_string());

        let server = self.server_counts();
        let limits = Limits {
            concurrency: if baseline { 1 } else { CONCURRENCY },
            mean_latency: scenario
                .latency
                .map_or(Duration::ZERO, |l| l.fixed + l.jitter / 2),
            per_minute: scenario.per_minute,
        };
        let floor = floor::floor(server.all - server.throttled, &limits);
        let problems = self.problems(&measurement, expected, scenario);
        Ok(Side {
            measurement,
            server,
            floor,
            problems,
        })
    }

    fn server_counts(&self) -> ServerCounts {
        let mut counts = ServerCounts::default();
        for ((route, status), count) in self.sim.admin().request_counts() {
            counts.all += count;
            if status == 429 {
                counts.throttled += count;
            }
            match route {
                RouteKind::ListUsers => counts.list += count,
                RouteKind::GetUser => counts.get += count,
                RouteKind::CreateUser => counts.create += count,
                RouteKind::PatchUser => counts.patch += count,
                _ => {}
            }
        }
        counts
    }

    fn problems(&self, run: &Measurement, expected: &Expected, scenario: &Scenario) -> Vec<String> {
        let mut problems = Vec::new();
        if run.exit_code != 0 {
            problems.push(format!("exit code {}: {}", run.exit_code, run.stderr_tail));
        }
        let counts = serde_json::from_value(run.report["counts"].clone());
        match counts {
            Ok(counts) if matches(&counts, expected) => {}
            Ok(counts) => problems.push(format!("counts {counts:?}, expected {expected:?}")),
            Err(_) => problems.push(format!("no report: {}", run.stderr_tail)),
        }
        let members = run.report["directoryMembers"].as_u64();
        if members != Some(scenario.site.member_count() as u64) {
            problems.push(format!(
                "directory members {members:?}, expected {}",
                scenario.site.member_count()
            ));
        }
        let violations = self.sim.admin().violations();
        if let Some(first) = violations.first() {
            problems.push(format!(
                "{} API contract violations, first: {:?} {}",
                violations.len(),
                first.kind,
                first.detail
            ));
        }
        problems
    }
}

/// Prints the command of the run about to start and waits for Ctrl-C. Scenarios that write
/// leave the site changed after a run by hand; the steady state and the sweep do not.
async fn hold(scenario: &Scenario, invocation: &Invocation) {
    eprintln!(
        "holding before {} ({}); run it by hand, then press Ctrl-C to go on:\n  {}",
        scenario.key,
        if invocation.baseline {
            "baseline"
        } else {
            "ours"
        },
        measure::command_line(invocation)
    );
    let _ = tokio::signal::ctrl_c().await;
}

fn sim_config(scenario: &Scenario) -> SimConfig {
    SimConfig {
        latency: scenario.latency.unwrap_or_default(),
        budget: scenario
            .per_minute
            .map(|per_minute| RequestBudget { per_minute }),
        seed: 1,
        ..SimConfig::default()
    }
}

fn write_secret(path: &std::path::Path, value: &str) -> Result<(), BenchError> {
    std::fs::write(path, value).map_err(BenchError::io("write", path))
}
