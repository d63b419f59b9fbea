//! A running company: its directory in a throwaway slapd, its site in the simulator, the
//! sync resource that joins them, and in-process sync runs with a client tuned for tests
//! (short timeouts and backoffs, a budget of its own).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use jira_align_sim::{RunningSimulator, SimConfig};
use jira_align_user_sync::crd::JiraAlignUserSyncSpec;
use jira_align_user_sync::directory::DirectoryConfig;
use jira_align_user_sync::jira_align::{Budget, BudgetLimits, Client, ClientConfig, RetryPolicy};
use jira_align_user_sync::sync::{self, SyncError, SyncInputs, SyncReport};
use serde_json::{Value, json};
use test_directories::{LdifFixture, LoadMode, OpenLdap};

use super::company::{
    CITY_ID, COST_CENTER_ID, Company, DIVISION_ID, GROUP_DN, MEMBER_ROLE_ID, PEOPLE_DN, REGION_ID,
    TOKEN,
};

/// How patient the test client is.
#[derive(Clone, Copy, Debug)]
pub struct Tuning {
    pub timeout: Duration,
    pub max_attempts: u32,
    /// Longest `Retry-After` honoured.
    pub max_retry_after: Duration,
    pub concurrency: u32,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            timeout: Duration::from_secs(2),
            max_attempts: 8,
            max_retry_after: Duration::from_secs(2),
            concurrency: 4,
        }
    }
}

/// A client of `base_url` holding `token`, tuned as `tuning` says.
pub fn client_for(base_url: &str, token: &str, tuning: Tuning) -> Client {
    let config = ClientConfig {
        timeout: tuning.timeout,
        max_attempts: tuning.max_attempts,
        max_concurrency: tuning.concurrency,
        ..ClientConfig::new(base_url, token)
    };
    let budget = Arc::new(Budget::new(BudgetLimits {
        requests_per_minute: 100_000,
        max_concurrency: tuning.concurrency,
    }));
    let policy = RetryPolicy {
        max_attempts: tuning.max_attempts,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        max_retry_after: tuning.max_retry_after,
    };
    Client::with_budget(config, budget)
        .expect("the test client configuration is valid")
        .with_retry_policy(policy)
}

/// A JiraAlignUserSync resource for `site_url` and the directory at `directory_url`, with
/// a deactivation limit loose enough for the company's leavers.
pub fn manifest(site_url: &str, directory_url: &str) -> Value {
    json!({
        "apiVersion": "alignsync.dev/v1alpha1",
        "kind": "JiraAlignUserSync",
        "metadata": {"name": "reliability", "namespace": "tests"},
        "spec": {
            "jiraAlign": {
                "url": site_url,
                "tokenSecretRef": {"name": "jira-align-token", "key": "token"},
                "maxConcurrency": 4,
                "timeoutSeconds": 2
            },
            "directory": {
                "url": directory_url,
                "mode": "Ldap",
                "bindDn": OpenLdap::BIND_DN,
                "bindPasswordSecretRef": {"name": "directory-bind", "key": "password"},
                "baseDn": PEOPLE_DN,
                "groups": [GROUP_DN],
                "timeoutSeconds": 5
            },
            "defaults": {
                "roleId": MEMBER_ROLE_ID, "costCenterId": COST_CENTER_ID,
                "divisionId": DIVISION_ID, "regionId": REGION_ID, "cityId": CITY_ID
            },
            "policy": {"maxDeactivations": 25, "maxDeactivationPercent": 50}
        }
    })
}

/// The `spec` of a manifest.
pub fn spec_of(manifest: &Value) -> JiraAlignUserSyncSpec {
    serde_json::from_value(manifest["spec"].clone()).expect("the test manifest is a valid spec")
}

/// One in-process sync run of `spec`, reading the directory as `directory` says.
pub async fn run_with(
    spec: &JiraAlignUserSyncSpec,
    directory: DirectoryConfig,
    client: &Client,
) -> Result<SyncReport, SyncError> {
    let inputs = SyncInputs {
        spec,
        directory,
        approved_hash: None,
        now: Utc::now(),
    };
    sync::run(inputs, client).await
}

/// The company's directory and site, running.
pub struct World {
    pub company: Company,
    pub directory: OpenLdap,
    pub site: RunningSimulator,
    pub manifest: Value,
    pub ca_pem: Vec<u8>,
    pub bind_password: String,
    /// Overrides the directory URL of the manifest (a proxy in front of slapd).
    pub directory_url: Option<String>,
    /// Overrides the directory timeout (the spec's unit is whole seconds).
    pub directory_timeout: Option<Duration>,
}

impl World {
    /// Starts slapd with the company's directory and the simulator with its site.
    pub async fn start(company: Company, config: SimConfig) -> World {
        let fixture = LdifFixture::from_ldif(&company.ldif(), LoadMode::Offline);
        let directory = OpenLdap::start(&fixture).expect("slapd starts");
        let site = jira_align_sim::start(company.site.clone(), config)
            .await
            .expect("the simulator binds a local port");
        let manifest = manifest(site.base_url(), &directory.ldaps_url());
        let ca_pem = std::fs::read(directory.ca_pem_path()).expect("the CA file is readable");
        World {
            company,
            directory,
            site,
            manifest,
            ca_pem,
            bind_password: OpenLdap::BIND_PASSWORD.to_string(),
            directory_url: None,
            directory_timeout: None,
        }
    }

    pub fn spec(&self) -> JiraAlignUserSyncSpec {
        spec_of(&self.manifest)
    }

    /// The directory read configuration a run uses.
    pub fn directory_config(&self) -> DirectoryConfig {
        let spec = self.spec();
        let mut config = DirectoryConfig::from_spec(
            &spec.directory,
            &spec.overrides,
            self.bind_password.clone(),
            Some(self.ca_pem.clone()),
        );
        if let Some(url) = &self.directory_url {
            config.url = url.clone();
        }
        if let Some(timeout) = self.directory_timeout {
            config.timeout = timeout;
        }
        config
    }

    /// A test client of the site with the company's token.
    pub fn client(&self, tuning: Tuning) -> Client {
        client_for(self.site.base_url(), TOKEN, tuning)
    }

    /// One in-process sync run.
    pub async fn run(&self, client: &Client) -> Result<SyncReport, SyncError> {
        run_with(&self.spec(), self.directory_config(), client).await
    }

    /// Runs until a run finds nothing to do, at most `max_runs` times.
    pub async fn converge(&self, client: &Client, max_runs: u32) -> Convergence {
        let mut convergence = Convergence::default();
        while convergence.runs < max_runs {
            convergence.runs += 1;
            match self.run(client).await {
                Ok(report) => {
                    let done = report.plan.actions.is_empty() && report.plan.withheld.is_none();
                    convergence.failed_users += report.counts().failed;
                    if done {
                        convergence.converged = true;
                        return convergence;
                    }
                }
                Err(error) => convergence.run_errors.push(error.reason().to_string()),
            }
        }
        convergence
    }
}

/// How a series of runs went.
#[derive(Debug, Default)]
pub struct Convergence {
    pub runs: u32,
    pub converged: bool,
    /// Reasons of runs that stopped before applying anything.
    pub run_errors: Vec<String>,
    /// Users that failed, summed over the runs.
    pub failed_users: u64,
}
