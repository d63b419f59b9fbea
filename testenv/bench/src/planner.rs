//! The planner alone: the operator's `plan` on snapshots built in memory (the same site and
//! directory group as a scenario, no server), timed in CPU time of the calling thread over
//! several runs.

use std::time::{Duration, Instant};

use jira_align_sim::User;
use jira_align_user_sync::crd::{ActionCounts, JiraAlignUserSyncSpec};
use jira_align_user_sync::plan::{Plan, PlanInput, plan};
use jira_align_user_sync::snapshot::{DirectorySnapshot, JiraAlignSnapshot, JiraUser};

use crate::site::{Expected, SiteSpec};

/// The token user of every run (`user:1|admin-secret`).
const TOKEN_USER_ID: u64 = 1;

/// Timings of repeated plans of one input.
#[derive(Clone, Debug)]
pub struct PlannerTiming {
    pub label: String,
    pub jira_users: usize,
    pub members: usize,
    pub runs: usize,
    pub cpu_median: Duration,
    pub cpu_min: Duration,
    pub cpu_max: Duration,
    pub wall_median: Duration,
    pub actions: usize,
    /// Whether the plan matched what the site calls for.
    pub as_expected: bool,
}

/// Plans the site `site` describes `runs` times with the policy of `spec`.
pub fn time_plans(
    label: &str,
    site: &SiteSpec,
    spec: &JiraAlignUserSyncSpec,
    runs: usize,
) -> PlannerTiming {
    let built = site.build();
    let jira = JiraAlignSnapshot {
        users: built.seed.users.iter().map(jira_user).collect(),
    };
    let directory = DirectorySnapshot {
        users: site
            .members
            .clone()
            .map(|index| site.population.directory_user(index))
            .collect(),
        excluded: Vec::new(),
    };
    let input = PlanInput {
        directory: &directory,
        jira: &jira,
        match_on: spec.match_on,
        defaults: &spec.defaults,
        overrides: &spec.overrides,
        policy: &spec.policy,
        token_user_id: Some(TOKEN_USER_ID),
        approved_hash: None,
    };

    let mut cpu = Vec::with_capacity(runs);
    let mut wall = Vec::with_capacity(runs);
    let mut last = Plan::default();
    for _ in 0..runs.max(1) {
        let cpu_started = thread_cpu_time();
        let wall_started = Instant::now();
        last = plan(&input);
        wall.push(wall_started.elapsed());
        cpu.push(thread_cpu_time().saturating_sub(cpu_started));
    }
    cpu.sort();
    wall.sort();
    PlannerTiming {
        label: label.to_owned(),
        jira_users: jira.users.len(),
        members: directory.users.len(),
        runs: cpu.len(),
        cpu_median: cpu[cpu.len() / 2],
        cpu_min: cpu[0],
        cpu_max: cpu[cpu.len() - 1],
        wall_median: wall[wall.len() / 2],
        actions: last.actions.len(),
        as_expected: matches(&last.counts(), &built.expected),
    }
}

/// Whether the counts of a plan or a report agree with what the site calls for; skips are
/// not judged (the service accounts are skipped on every site).
pub fn matches(counts: &ActionCounts, expected: &Expected) -> bool {
    let judged = ActionCounts {
        skipped: expected.skipped,
        ..counts.clone()
    };
    judged == *expected
}

/// A simulator user as the client's listing reads it.
fn jira_user(user: &User) -> JiraUser {
    let id = |value: Option<i64>| value.and_then(|v| u64::try_from(v).ok());
    let text = |value: &Option<String>| value.as_deref().map(Box::from);
    JiraUser {
        id: u64::try_from(user.id).unwrap_or(0),
        external_id: text(&user.external_id),
        email: text(&user.email),
        first_name: text(&user.first_name),
        last_name: text(&user.last_name),
        title: text(&user.title),
        is_locked: user.is_locked,
        role_id: id(user.role_id),
        division_id: id(user.division_id),
        city_id: id(user.city_id),
    }
}

/// CPU time the calling thread has used.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a live, writable timespec and the clock id is a constant Linux knows.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if status != 0 {
        return Duration::ZERO;
    }
    let seconds = u64::try_from(now.tv_sec).unwrap_or(0);
    let nanos = u32::try_from(now.tv_nsec).unwrap_or(0);
    Duration::new(seconds, nanos)
}
