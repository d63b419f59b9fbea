//! The status step: the new status built from the previous one and the outcome, and written
//! as a JSON merge patch to the status subresource only when something differs. The Ready
//! condition's lastTransitionTime moves only when its status flips.

use chrono::{DateTime, SecondsFormat, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::{Map, Value};

use super::outcome::{Outcome, Retry};
use crate::crd::{JiraAlignUserSync, JiraAlignUserSyncStatus};

/// The type of the one condition every resource carries.
pub const READY: &str = "Ready";

/// The status after `outcome`, keeping from `previous` what this reconcile did not observe.
pub fn build(
    previous: Option<&JiraAlignUserSyncStatus>,
    outcome: &Outcome,
    generation: Option<i64>,
    now: DateTime<Utc>,
    next_run: Option<DateTime<Utc>>,
) -> JiraAlignUserSyncStatus {
    let previous = previous.cloned().unwrap_or_default();
    let facts = outcome.facts.as_ref();
    let stamp = rfc3339(now);

    let ready = ready_condition(&previous.conditions, outcome, generation, now);
    let last_sync_time = if outcome.ran {
        Some(stamp.clone())
    } else {
        previous.last_sync_time
    };
    let last_successful_sync_time = if outcome.ran && outcome.result() == "success" {
        Some(stamp)
    } else {
        previous.last_successful_sync_time
    };
    let duration = outcome
        .ran
        .then(|| format!("{:.3}", outcome.duration.as_secs_f64()));

    JiraAlignUserSyncStatus {
        observed_generation: generation,
        conditions: vec![ready],
        last_sync_time,
        last_successful_sync_time,
        next_sync_time: next_run
            .filter(|_| outcome.retry != Retry::OnChange)
            .map(rfc3339),
        // Set by the caller, which knows the inputs the outcome came from.
        observed_inputs: previous.observed_inputs,
        last_sync_duration_seconds: duration.or(previous.last_sync_duration_seconds),
        directory_members: facts
            .map(|f| f.directory_members)
            .or(previous.directory_members),
        directory_excluded: facts
            .map(|f| f.directory_excluded)
            .or(previous.directory_excluded),
        jira_align_users: facts
            .map(|f| f.jira_align_users)
            .or(previous.jira_align_users),
        actions: facts.map(|f| f.counts.clone()),
        user_errors: facts.map(|f| f.user_errors.clone()).unwrap_or_default(),
        skipped_users: facts.map(|f| f.skipped_users.clone()).unwrap_or_default(),
        user_error_count: facts.map(|f| f.user_error_count),
        pending_plan: facts.and_then(|f| f.pending_plan.clone()),
    }
}

fn ready_condition(
    previous: &[Condition],
    outcome: &Outcome,
    generation: Option<i64>,
    now: DateTime<Utc>,
) -> Condition {
    let status = if outcome.ready { "True" } else { "False" };
    let unchanged = previous
        .iter()
        .find(|c| c.type_ == READY && c.status == status);
    let last_transition_time = match unchanged {
        Some(condition) => condition.last_transition_time.clone(),
        None => Time(Timestamp::from_second(now.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH)),
    };
    Condition {
        type_: READY.to_owned(),
        status: status.to_owned(),
        reason: outcome.reason.to_owned(),
        message: outcome.message.clone(),
        observed_generation: generation,
        last_transition_time,
    }
}

/// Seconds precision, `Z` suffix: the form the API server itself writes.
pub fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The JSON merge patch (RFC 7386) that turns `old` into `new`: changed members, and `null`
/// for members `new` lacks. None when they are equal.
pub fn merge_patch(old: &Value, new: &Value) -> Option<Value> {
    if old == new {
        return None;
    }
    let (Value::Object(old), Value::Object(new)) = (old, new) else {
        return Some(new.clone());
    };
    let mut patch = Map::new();
    for (key, new_value) in new {
        let change = match old.get(key) {
            Some(old_value) => merge_patch(old_value, new_value),
            None => Some(new_value.clone()),
        };
        if let Some(change) = change {
            patch.insert(key.clone(), change);
        }
    }
    for key in old.keys().filter(|key| !new.contains_key(*key)) {
        patch.insert(key.clone(), Value::Null);
    }
    Some(Value::Object(patch))
}

/// Writes `status` when it differs from what `resource` carries. Returns whether it wrote.
pub async fn write(
    api: &Api<JiraAlignUserSync>,
    resource: &JiraAlignUserSync,
    status: &JiraAlignUserSyncStatus,
) -> Result<bool, kube::Error> {
    let old = serde_json::to_value(resource.status.clone().unwrap_or_default())
        .map_err(kube::Error::SerdeError)?;
    let new = serde_json::to_value(status).map_err(kube::Error::SerdeError)?;
    let Some(diff) = merge_patch(&old, &new) else {
        return Ok(false);
    };
    let name = resource.metadata.name.clone().unwrap_or_default();
    let patch = serde_json::json!({ "status": diff });
    api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    Ok(true)
}

#[cfg(test)]
mod tests;
