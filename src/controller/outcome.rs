//! What one reconcile concluded, in one value that the status, the Event, the metrics and the
//! log line are all built from, so they can never disagree.

use std::time::Duration;

use crate::crd::{ActionCounts, MAX_STATUS_USER_ERRORS, PlanSummary, SkippedUser, UserError};
use crate::sync::{SyncError, SyncReport};

/// Condition reasons, also used as Event reasons and as the `result` metric label.
pub mod reason {
    pub const SYNCED: &str = "Synced";
    pub const DRY_RUN: &str = "DryRun";
    pub const DEACTIVATION_LIMIT_EXCEEDED: &str = "DeactivationLimitExceeded";
    pub const PARTIAL_FAILURE: &str = "PartialFailure";
    pub const SECRET_MISSING: &str = "SecretMissing";
    pub const INVALID_SPEC: &str = "InvalidSpec";
    pub const CONFLICT: &str = "Conflict";
    pub const SUSPENDED: &str = "Suspended";
    /// The Kubernetes API failed while the inputs were read.
    pub const API_UNAVAILABLE: &str = "KubernetesApiUnavailable";
}

/// When the resource should run again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// At the sync interval.
    Interval,
    /// After the per-resource backoff.
    Backoff,
    /// Only once an input changes.
    OnChange,
}

/// What a run that got as far as planning saw and did.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RunFacts {
    pub directory_members: u64,
    pub directory_excluded: u64,
    pub jira_align_users: u64,
    pub counts: ActionCounts,
    /// At most `MAX_STATUS_USER_ERRORS`.
    pub user_errors: Vec<UserError>,
    pub user_error_count: u64,
    /// At most `MAX_STATUS_USER_ERRORS`: the skips first, then the shared keys.
    pub skipped_users: Vec<SkippedUser>,
    pub pending_plan: Option<PlanSummary>,
}

/// The conclusion of one reconcile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub reason: &'static str,
    /// The status of the Ready condition.
    pub ready: bool,
    /// Said in the condition, the Event and the log line.
    pub message: String,
    /// Whether the Event is a Warning.
    pub warning: bool,
    pub retry: Retry,
    /// Whether a sync run was attempted (false when the inputs stopped it first).
    pub ran: bool,
    /// Set when the run read both sides and planned.
    pub facts: Option<RunFacts>,
    pub duration: Duration,
}

impl Outcome {
    /// A reconcile that stopped before any run, for a reason that is not a sync failure.
    pub fn stopped(reason: &'static str, message: String, retry: Retry) -> Self {
        Outcome {
            reason,
            ready: false,
            message,
            warning: reason != self::reason::SUSPENDED,
            retry,
            ran: false,
            facts: None,
            duration: Duration::ZERO,
        }
    }

    /// A run that failed before it wrote anything.
    pub fn failed(error: &SyncError, duration: Duration) -> Self {
        // A refused credential is not retried soon: repeated binds with a wrong password can
        // lock the service account. A changed Secret still runs at once.
        let retry = match error.reason() {
            "BindFailed" | "JiraAlignUnauthorized" => Retry::Interval,
            _ => Retry::Backoff,
        };
        Outcome {
            reason: error.reason(),
            ready: false,
            message: error.to_string(),
            warning: true,
            retry,
            ran: true,
            facts: None,
            duration,
        }
    }

    /// A run that read both sides; `conflict` is set when deactivation was turned off.
    pub fn completed(report: &SyncReport, conflict: Option<String>) -> Self {
        let facts = facts_of(report);
        let failed = facts.counts.failed;
        let retry = if failed > 0 {
            Retry::Backoff
        } else {
            Retry::Interval
        };
        let pending = facts.pending_plan.clone();
        let (reason, ready, message) = match (&pending, conflict) {
            (Some(plan), _) if plan.reason == reason::DEACTIVATION_LIMIT_EXCEEDED => (
                reason::DEACTIVATION_LIMIT_EXCEEDED,
                false,
                format!(
                    "plan {} would deactivate {} users, over the limit; nothing was deactivated. \
                     Set annotation alignsync.dev/approve-plan={} to apply this plan",
                    plan.hash, plan.actions.deactivated, plan.hash
                ),
            ),
            (_, Some(conflict)) => (reason::CONFLICT, false, conflict),
            _ if failed > 0 => (
                reason::PARTIAL_FAILURE,
                false,
                format!(
                    "{failed} users failed; {}; see status.userErrors",
                    summary(&facts.counts, Tense::Done)
                ),
            ),
            (Some(plan), None) => {
                let mut message = format!(
                    "dry run, nothing changed; plan {} would {}",
                    plan.hash,
                    summary(&plan.actions, Tense::Planned)
                );
                if plan.over_limit {
                    message.push_str(&format!(
                        "; its {} deactivations exceed the limit, so a live run would hold \
                         them back until the plan is approved",
                        plan.actions.deactivated
                    ));
                }
                (reason::DRY_RUN, true, message)
            }
            (None, None) => (reason::SYNCED, true, summary(&facts.counts, Tense::Done)),
        };
        Outcome {
            reason,
            ready,
            message,
            warning: !ready,
            retry,
            ran: true,
            facts: Some(facts),
            duration: report.duration,
        }
    }

    /// `success`, `blocked` or `failure`: the coarse result for dashboards.
    pub fn result(&self) -> &'static str {
        match self.reason {
            reason::SYNCED | reason::DRY_RUN => "success",
            reason::DEACTIVATION_LIMIT_EXCEEDED | reason::CONFLICT | reason::SUSPENDED => "blocked",
            _ => "failure",
        }
    }
}

fn facts_of(report: &SyncReport) -> RunFacts {
    let errors = report
        .outcome
        .as_ref()
        .map(|o| o.errors.as_slice())
        .unwrap_or_default();
    RunFacts {
        directory_members: report.directory_members,
        directory_excluded: report.directory_excluded,
        jira_align_users: report.jira_align_users,
        // The status counts what was done; a dry run's planned counts live in its pending plan.
        counts: report.applied_counts(),
        user_errors: errors
            .iter()
            .take(MAX_STATUS_USER_ERRORS)
            .cloned()
            .collect(),
        user_error_count: errors.len() as u64,
        skipped_users: skipped_users(report),
        pending_plan: report.pending_plan(),
    }
}

fn skipped_users(report: &SyncReport) -> Vec<SkippedUser> {
    let plan = &report.plan;
    let skips = plan.skipped.iter().map(|skip| SkippedUser {
        user: skip.key.clone(),
        reason: skip.reason.describe(),
    });
    let conflicts = plan.conflicts.iter().map(|conflict| SkippedUser {
        user: conflict.key.clone(),
        reason: conflict.describe(),
    });
    skips
        .chain(conflicts)
        .take(MAX_STATUS_USER_ERRORS)
        .collect()
}

/// Whether counts are of things done or planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tense {
    Done,
    Planned,
}

/// The counts as words: `created 2, reactivated 1, ...` or `create 2, reactivate 1, ...`.
pub fn summary(counts: &ActionCounts, tense: Tense) -> String {
    let verbs = match tense {
        Tense::Done => [
            "created",
            "reactivated",
            "deactivated",
            "updated",
            "repaired",
        ],
        Tense::Planned => ["create", "reactivate", "deactivate", "update", "repair"],
    };
    let numbers = [
        counts.created,
        counts.reactivated,
        counts.deactivated,
        counts.updated,
        counts.repaired,
    ];
    let parts: Vec<String> = verbs
        .iter()
        .zip(numbers)
        .map(|(verb, number)| format!("{verb} {number}"))
        .collect();
    format!(
        "{}; {} unchanged, {} skipped",
        parts.join(", "),
        counts.unchanged,
        counts.skipped
    )
}

#[cfg(test)]
mod tests;
