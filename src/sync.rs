//! One sync run as a pipeline: read the directory and Jira Align, plan, apply, report. The
//! one-shot CLI and the controller both drive this, so they behave the same.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::apply::{ApplyOutcome, apply};
use crate::crd::{ActionCounts, JiraAlignSpec, JiraAlignUserSyncSpec, PlanSummary};
use crate::directory::{self, DirectoryConfig, DirectoryError};
use crate::jira_align::{Client, ClientConfig, JiraAlignError};
use crate::memory;
use crate::plan::{Plan, PlanInput, plan};

/// Most deactivation keys copied into a plan summary.
const SUMMARY_KEYS: usize = 50;

/// Everything a run needs, with secrets already resolved.
pub struct SyncInputs<'a> {
    pub spec: &'a JiraAlignUserSyncSpec,
    pub directory: DirectoryConfig,
    /// The hash a person approved for a blocked plan, from the approval annotation.
    pub approved_hash: Option<&'a str>,
    /// The current time, for account expiry.
    pub now: DateTime<Utc>,
}

/// What one run saw, decided and did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub directory_members: u64,
    pub directory_excluded: u64,
    pub jira_align_users: u64,
    pub plan: Plan,
    /// None when nothing was applied (dry run).
    #[serde(skip)]
    pub outcome: Option<ApplyOutcome>,
    pub dry_run: bool,
    #[serde(skip)]
    pub duration: Duration,
}

impl SyncReport {
    /// The counts of what was done, or of what is planned in a dry run.
    pub fn counts(&self) -> ActionCounts {
        match &self.outcome {
            Some(outcome) => outcome.counts.clone(),
            None => self.plan.counts(),
        }
    }

    /// The counts of what was done: in a dry run, nothing was (only unchanged and skipped).
    pub fn applied_counts(&self) -> ActionCounts {
        match &self.outcome {
            Some(outcome) => outcome.counts.clone(),
            None => {
                let planned = self.plan.counts();
                ActionCounts {
                    unchanged: planned.unchanged,
                    skipped: planned.skipped,
                    ..ActionCounts::default()
                }
            }
        }
    }

    /// Set when the plan was not applied in full: deactivations withheld, or a dry run.
    pub fn pending_plan(&self) -> Option<PlanSummary> {
        // A dry run reports the hash a live run would withhold, so approving what a dry run
        // showed works on the live run.
        let hash = match &self.plan.withheld {
            Some(limit) => limit.hash.clone(),
            None => {
                let ids: Vec<u64> = (self.plan.actions.iter())
                    .filter(|a| a.steps.contains(&crate::plan::Step::Deactivate))
                    .filter_map(|a| a.jira_id)
                    .collect();
                crate::plan::deactivation_hash(&ids)
            }
        };
        let reason = match (&self.plan.withheld, self.dry_run) {
            (_, true) => "DryRun",
            (Some(_), false) => "DeactivationLimitExceeded",
            (None, false) => return None,
        };
        let mut actions = self.plan.counts();
        if let Some(limit) = &self.plan.withheld {
            actions.deactivated = limit.keys.len() as u64;
        }
        let mut deactivate = self.plan.deactivation_keys();
        deactivate.truncate(SUMMARY_KEYS);
        Some(PlanSummary {
            hash,
            reason: reason.to_string(),
            actions,
            deactivate,
            over_limit: self.dry_run && self.plan.withheld.is_some(),
        })
    }

    /// Whether every planned action was applied and nothing was withheld.
    pub fn succeeded(&self) -> bool {
        self.plan.withheld.is_none() && self.outcome.as_ref().is_some_and(|o| o.counts.failed == 0)
    }
}

/// Why a run stopped before applying anything.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("directory read failed: {0}")]
    Directory(#[from] DirectoryError),
    #[error("jira align read failed: {0}")]
    JiraAlign(#[from] JiraAlignError),
}

impl SyncError {
    /// A static category used as the condition reason, Event reason and metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            SyncError::Directory(error) => error.reason(),
            SyncError::JiraAlign(error) => error.reason(),
        }
    }
}

/// Runs one sync. A failed read on either side returns an error before any write, so an
/// incomplete directory read can never deactivate anyone.
pub async fn run(inputs: SyncInputs<'_>, client: &Client) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let spec = inputs.spec;

    let directory = async {
        let members = directory::read_members_at(&inputs.directory, inputs.now).await;
        memory::release_freed();
        members
    };
    let (members, users) = tokio::join!(directory, client.list_users());
    memory::release_freed();
    let members = members?;
    let users = users?;
    tracing::info!(
        members = members.users.len(),
        excluded = members.excluded.len(),
        jira_align_users = users.users.len(),
        "read both sides"
    );

    let plan = plan(&PlanInput {
        directory: &members,
        jira: &users,
        match_on: spec.match_on,
        defaults: &spec.defaults,
        overrides: &spec.overrides,
        policy: &spec.policy,
        token_user_id: client.token_user_id(),
        approved_hash: inputs.approved_hash,
    });

    let dry_run = spec.policy.dry_run;
    let outcome = if dry_run {
        None
    } else {
        let concurrency = spec.jira_align.max_concurrency as usize;
        Some(apply(client, &plan, concurrency).await)
    };

    Ok(SyncReport {
        directory_members: members.users.len() as u64,
        directory_excluded: members.excluded.len() as u64,
        jira_align_users: users.users.len() as u64,
        plan,
        outcome,
        dry_run,
        duration: started.elapsed(),
    })
}

/// The client configuration a spec asks for; the site's budget comes from the process-wide
/// registry, so every resource naming the same site shares it.
pub fn client_config(spec: &JiraAlignSpec, token: String) -> ClientConfig {
    let mut config = ClientConfig::new(spec.url.clone(), token);
    config.requests_per_minute = spec.requests_per_minute;
    config.max_concurrency = spec.max_concurrency;
    config.timeout = Duration::from_secs(u64::from(spec.timeout_seconds));
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// The controller runs syncs on a shared multi-threaded runtime, which needs `Send`.
    #[test]
    fn a_run_is_send() {
        let spec: JiraAlignUserSyncSpec = serde_yaml::from_str(
            "jiraAlign: {url: 'http://127.0.0.1:9', tokenSecretRef: {name: t, key: t}}\n\
             directory: {url: 'ldaps://127.0.0.1:9', bindDn: cn=x, baseDn: dc=x,\n\
             bindPasswordSecretRef: {name: p, key: p}, groups: [cn=g]}\n\
             defaults: {roleId: 1, costCenterId: 1, divisionId: 1, regionId: 1, cityId: 1}\n",
        )
        .expect("spec parses");
        let client =
            Client::new(client_config(&spec.jira_align, "user:1|x".into())).expect("client builds");
        let directory = DirectoryConfig::from_spec(&spec.directory, &[], String::new(), None);
        let inputs = SyncInputs {
            spec: &spec,
            directory,
            approved_hash: None,
            now: Utc::now(),
        };
        let future = run(inputs, &client);
        assert_send(&future);
    }
}
