//! The observed state of a sync as written by the operator: conditions, counts of the last
//! run, per-user errors and, when a run is held back, the plan waiting for approval.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Most per-user errors kept in the status; `userErrorCount` has the total.
pub const MAX_STATUS_USER_ERRORS: usize = 20;

/// What the operator last saw and did.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct JiraAlignUserSyncStatus {
    /// The `metadata.generation` the status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// `Ready` says whether the last run succeeded; its reason names what went wrong.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,

    /// When the last run ended (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_time: Option<String>,

    /// When the last run that completed ended: it applied its whole plan or, in a dry run,
    /// computed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_sync_time: Option<String>,

    /// When the next run is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_sync_time: Option<String>,

    /// A hash of the inputs the last run saw (spec, annotations, the versions of the Secrets
    /// and ConfigMap it names). While they are unchanged, an operator that starts or takes
    /// over the lease keeps nextSyncTime instead of running at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_inputs: Option<String>,

    /// How long the last run took, in seconds with millisecond precision, as text (`"1.250"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_duration_seconds: Option<String>,

    /// Entitled directory members read by the last run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_members: Option<u64>,

    /// Members of the groups the last run left out: disabled, expired, locked, outside
    /// userFilter, or without a value for the key attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_excluded: Option<u64>,

    /// Jira Align users read by the last run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jira_align_users: Option<u64>,

    /// Count of each action of the last run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<ActionCounts>,

    /// Per-user errors of the last run, at most 20.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_errors: Vec<UserError>,

    /// Total per-user errors of the last run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_error_count: Option<u64>,

    /// Users the last run left alone on purpose, at most 20, each with why: protected, a
    /// directory entry missing a field Jira Align requires, an email another user has, a
    /// key several users share, or an action the policy switches off. `actions.skipped`
    /// counts them all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_users: Vec<SkippedUser>,

    /// The plan of the last run when it was held back (limit exceeded) or a dry run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_plan: Option<PlanSummary>,
}

/// How many users each kind of action touched.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ActionCounts {
    pub created: u64,
    pub reactivated: u64,
    pub deactivated: u64,
    pub repaired: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub failed: u64,
}

/// One user the last run left alone, and why.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SkippedUser {
    /// The user's key as matched.
    pub user: String,
    /// Why nothing was done for the user.
    pub reason: String,
}

/// One user whose action failed.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserError {
    /// The user's key as matched.
    pub user: String,
    /// The action that failed.
    pub action: String,
    /// What went wrong, with Jira Align's own message where it gave one.
    pub message: String,
}

/// A plan that was computed but not applied.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct PlanSummary {
    /// Identifies the plan; set the `alignsync.dev/approve-plan` annotation to this value to
    /// apply exactly this plan.
    pub hash: String,
    /// Why it was not applied: `DeactivationLimitExceeded` or `DryRun`.
    pub reason: String,
    /// Counts of planned actions.
    pub actions: ActionCounts,
    /// Keys of the users the plan would deactivate, at most 50.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deactivate: Vec<String>,
    /// In a dry run: the deactivations exceed the limit, so a live run would hold them back
    /// until this plan's hash is approved.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub over_limit: bool,
}
