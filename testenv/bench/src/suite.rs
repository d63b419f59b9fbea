//! The whole benchmark: start the directories and the simulator, time the planner alone, run
//! every scenario with both clients, and hand the results to the report.

use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use jira_align_sim::{GeneratorSpec, Latency, generate};
use test_directories::{SambaAd, SambaStatus};

use jira_align_user_sync::directory::{DirectoryConfig, read_members_at};

use crate::ad_group;
use crate::error::BenchError;
use crate::ldap::LdapDirectory;
use crate::manifest::{self, DirectoryTarget};
use crate::people::Population;
use crate::planner::{self, PlannerTiming};
use crate::report::count;
use crate::scenario::{Outcome, Runner, Scenario};
use crate::site::{SiteSpec, SiteState};

/// The added latency of every scenario that has one: 40 ms plus up to 20 ms, 50 ms on average.
pub const LATENCY: Latency = Latency {
    fixed: Duration::from_millis(40),
    jitter: Duration::from_millis(20),
};
/// The budget of the throttled scenario.
pub const BUDGET_PER_MINUTE: u32 = 600;

/// How big everything is.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// People in the large OpenLDAP directory, in `levels` nested groups of equal runs.
    pub ldap_people: usize,
    pub ldap_levels: usize,
    /// People in the small OpenLDAP directory of the sweep's smallest site.
    pub small_ldap_people: usize,
    /// Site people (besides the service accounts) of the steady-state and churn scenarios.
    pub site_people: usize,
    pub first_sync_members: usize,
    pub throttled_members: usize,
    pub ad_members: usize,
    /// Site people of the size sweep; each site's group holds half of them.
    pub sweep: [usize; 3],
}

impl Sizes {
    pub const FULL: Sizes = Sizes {
        ldap_people: 50_000,
        ldap_levels: 10,
        small_ldap_people: 500,
        site_people: 100_000,
        first_sync_members: 10_000,
        throttled_members: 15_000,
        ad_members: 5_000,
        sweep: [1_000, 10_000, 100_000],
    };

    /// A tenth of everything (the AD group keeps its size), to try the suite quickly.
    pub const QUICK: Sizes = Sizes {
        ldap_people: 5_000,
        ldap_levels: 10,
        small_ldap_people: 50,
        site_people: 10_000,
        first_sync_members: 1_000,
        throttled_members: 1_500,
        ad_members: 5_000,
        sweep: [100, 1_000, 10_000],
    };
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    pub operator: PathBuf,
    pub work: PathBuf,
    pub sizes: Sizes,
    pub with_ad: bool,
    pub planner_runs: usize,
    /// Keys of the scenarios to run; all when empty.
    pub only: Vec<String>,
    /// Wait for Ctrl-C before each run (see `Runner::hold`).
    pub hold: bool,
}

/// Everything the report shows.
pub struct Results {
    pub setup: Vec<(String, Duration)>,
    /// Groups read alone, in this process, by the operator's directory reader.
    pub directory_reads: Vec<(String, Duration)>,
    pub planner: Vec<PlannerTiming>,
    pub scenarios: Vec<Outcome>,
    pub sweep: Vec<Outcome>,
    pub took: Duration,
}

/// Runs the whole benchmark.
pub async fn run(options: &Options) -> Result<Results, BenchError> {
    let started = Instant::now();
    let sizes = options.sizes;
    std::fs::create_dir_all(&options.work).map_err(BenchError::io("create", &options.work))?;
    let mut setup = Vec::new();

    let clock = Instant::now();
    let ldap = LdapDirectory::start(sizes.ldap_people, sizes.ldap_levels - 1)?;
    setup.push((
        format!(
            "OpenLDAP with {} people (slapadd)",
            count(sizes.ldap_people as u64)
        ),
        clock.elapsed(),
    ));
    let small = LdapDirectory::start(sizes.small_ldap_people, 1)?;

    let samba_was_running = matches!(SambaAd::status(), Ok(SambaStatus::Running { .. }));
    let ad = if options.with_ad {
        let clock = Instant::now();
        let target = ad_group::ensure(sizes.ad_members, &options.work)?;
        setup.push((
            format!(
                "Samba AD DC running with the group of {} people (created on the first run)",
                count(sizes.ad_members as u64)
            ),
            clock.elapsed(),
        ));
        Some(target)
    } else {
        None
    };

    let empty = generate(&GeneratorSpec {
        users: 0,
        ..GeneratorSpec::default()
    });
    let sim = jira_align_sim::start(empty, Default::default()).await?;
    let runner = Runner {
        sim,
        operator: options.operator.clone(),
        work: options.work.clone(),
        hold: options.hold,
    };

    let mut directory_reads = Vec::new();
    let everyone = ldap.group(0);
    let label = format!(
        "OpenLDAP group of {} people",
        count(everyone.1.clone().count() as u64)
    );
    directory_reads.push((label, time_directory_read(&everyone.0).await?));
    if let Some(target) = &ad {
        let label = format!(
            "Active Directory group of {} people",
            count(sizes.ad_members as u64)
        );
        directory_reads.push((label, time_directory_read(target).await?));
    }

    let planner = time_planner(&everyone, &sizes, options.planner_runs)?;
    let chosen = |scenario: &Scenario| {
        options.only.is_empty() || options.only.iter().any(|key| key == scenario.key)
    };
    let mut scenarios = Vec::new();
    for scenario in main_scenarios(&ldap, ad.as_ref(), &sizes) {
        if chosen(&scenario) {
            scenarios.push(runner.run(&scenario).await?);
        }
    }
    let mut sweep = Vec::new();
    for scenario in sweep_scenarios(&ldap, &small, &sizes) {
        if chosen(&scenario) {
            sweep.push(runner.run(&scenario).await?);
        }
    }

    if options.with_ad && !samba_was_running {
        SambaAd::stop_all()?;
    }
    Ok(Results {
        setup,
        directory_reads,
        planner,
        scenarios,
        sweep,
        took: started.elapsed(),
    })
}

/// Reads `target` once with the operator's own reader, as the sync does.
async fn time_directory_read(target: &DirectoryTarget) -> Result<Duration, BenchError> {
    let spec = manifest::spec("http://127.0.0.1:9", target)?;
    let ca = std::fs::read(&target.ca_pem).map_err(BenchError::io("read", &target.ca_pem))?;
    let config = DirectoryConfig::from_spec(
        &spec.directory,
        &spec.overrides,
        target.bind_password.clone(),
        Some(ca),
    );
    let started = Instant::now();
    let snapshot = read_members_at(&config, chrono::Utc::now())
        .await
        .map_err(|error| BenchError::Group {
            group: target.group_dn.clone(),
            detail: error.to_string(),
        })?;
    tracing::info!(group = %target.group_dn, members = snapshot.users.len(), "directory read");
    Ok(started.elapsed())
}

/// The planner alone on the steady-state and churn inputs of the full size, without any
/// server.
pub fn planner_only(runs: usize) -> Result<Vec<PlannerTiming>, BenchError> {
    let target = DirectoryTarget {
        ldaps_url: "ldaps://127.0.0.1:9".into(),
        ca_pem: PathBuf::new(),
        bind_dn: "cn=sync,ou=service,dc=example,dc=com".into(),
        bind_password: String::new(),
        base_dn: "ou=people,dc=example,dc=com".into(),
        group_dn: "cn=jira-align-users,ou=groups,dc=example,dc=com".into(),
        active_directory: false,
    };
    let sizes = Sizes::FULL;
    time_planner(&(target, 1..=sizes.ldap_people), &sizes, runs)
}

fn time_planner(
    (target, members): &Group,
    sizes: &Sizes,
    runs: usize,
) -> Result<Vec<PlannerTiming>, BenchError> {
    let spec = manifest::spec("http://127.0.0.1:9", target)?;
    let mut timings = Vec::new();
    for (label, state) in [
        ("steady state", SiteState::InStep),
        ("churn", SiteState::Churned),
    ] {
        let site = SiteSpec {
            population: Population::LdapBulk,
            members: members.clone(),
            people: sizes.site_people,
            state,
        };
        timings.push(planner::time_plans(label, &site, &spec, runs));
    }
    Ok(timings)
}

/// A directory group and the people it holds.
type Group = (DirectoryTarget, RangeInclusive<usize>);

/// The group of `ldap` holding `members` people; the top group if none does.
fn ldap_group(ldap: &LdapDirectory, members: usize) -> Group {
    let level = ldap.level_holding(members).unwrap_or(0);
    ldap.group(level)
}

fn scenario(
    key: &'static str,
    title: &'static str,
    (target, members): Group,
    population: Population,
    people: usize,
    state: SiteState,
) -> Scenario {
    Scenario {
        key,
        title,
        site: SiteSpec {
            population,
            members,
            people,
            state,
        },
        target,
        latency: Some(LATENCY),
        per_minute: None,
    }
}

fn main_scenarios(
    ldap: &LdapDirectory,
    ad: Option<&DirectoryTarget>,
    sizes: &Sizes,
) -> Vec<Scenario> {
    let bulk = Population::LdapBulk;
    let everyone = ldap.group(0);
    let mut scenarios = vec![
        scenario(
            "steady",
            "1. Steady state",
            everyone.clone(),
            bulk,
            sizes.site_people,
            SiteState::InStep,
        ),
        scenario(
            "churn",
            "2. Churn",
            everyone,
            bulk,
            sizes.site_people,
            SiteState::Churned,
        ),
        scenario(
            "first-sync",
            "3. First sync",
            ldap_group(ldap, sizes.first_sync_members),
            bulk,
            sizes.first_sync_members,
            SiteState::BeforeFirstSync,
        ),
    ];
    let mut throttled = scenario(
        "throttled",
        "4. Throttled churn",
        ldap_group(ldap, sizes.throttled_members),
        bulk,
        sizes.throttled_members * 2,
        SiteState::Churned,
    );
    throttled.per_minute = Some(BUDGET_PER_MINUTE);
    scenarios.push(throttled);
    if let Some(target) = ad {
        let group = (target.clone(), 1..=sizes.ad_members);
        let people = sizes.ad_members * 2;
        let ad_people = Population::AdBench;
        scenarios.push(scenario(
            "ad-steady",
            "6. Active Directory, steady state",
            group.clone(),
            ad_people,
            people,
            SiteState::InStep,
        ));
        scenarios.push(scenario(
            "ad-churn",
            "7. Active Directory, churn",
            group,
            ad_people,
            people,
            SiteState::Churned,
        ));
    }
    scenarios
}

fn sweep_scenarios(ldap: &LdapDirectory, small: &LdapDirectory, sizes: &Sizes) -> Vec<Scenario> {
    const KEYS: [&str; 3] = ["sweep-small", "sweep-medium", "sweep-large"];
    let mut scenarios = Vec::new();
    for (key, people) in KEYS.into_iter().zip(sizes.sweep) {
        let group = if people / 2 == sizes.small_ldap_people {
            small.group(0)
        } else {
            ldap_group(ldap, people / 2)
        };
        let mut step = scenario(
            key,
            "5. Size sweep",
            group,
            Population::LdapBulk,
            people,
            SiteState::InStep,
        );
        step.latency = None;
        scenarios.push(step);
    }
    // The largest site with the smallest group: what the Jira Align side alone costs.
    let mut site_only = scenario(
        "site-only",
        "5. Size sweep",
        small.group(0),
        Population::LdapBulk,
        sizes.sweep[2],
        SiteState::InStep,
    );
    site_only.latency = None;
    scenarios.push(site_only);
    scenarios
}
