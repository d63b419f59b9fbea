//! Applying a plan to Jira Align: one request sequence per user, users in parallel within the
//! site's budget, one user's failure never stopping the others, and every status change read
//! back to confirm it took.

use futures::StreamExt;
use serde_json::{Value, json};

use crate::crd::{ActionCounts, UserError};
use crate::jira_align::{Client, JiraAlignError, PatchOp};
use crate::plan::{Plan, Step, UserAction, count_steps};

/// What applying a plan did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplyOutcome {
    pub counts: ActionCounts,
    /// Every user whose action failed, in key order.
    pub errors: Vec<UserError>,
}

/// The result of one user's action.
enum UserResult {
    Done,
    Failed { step: &'static str, message: String },
}

/// Applies every action of the plan with at most `concurrency` users in flight.
pub async fn apply(client: &Client, plan: &Plan, concurrency: usize) -> ApplyOutcome {
    let planned = plan.counts();
    let mut outcome = ApplyOutcome {
        counts: ActionCounts {
            unchanged: planned.unchanged,
            skipped: planned.skipped,
            ..ActionCounts::default()
        },
        errors: Vec::new(),
    };

    // Indexing (rather than streaming `&UserAction`s) keeps the future `Send`, so a sync can
    // run on a shared multi-threaded runtime.
    let actions = &plan.actions;
    let mut results: Vec<(&UserAction, UserResult)> = futures::stream::iter(0..actions.len())
        .map(|i| async move { (&actions[i], apply_user(client, &actions[i]).await) })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    results.sort_by(|a, b| a.0.key.cmp(&b.0.key));

    for (action, result) in results {
        match result {
            UserResult::Done => count_steps(&mut outcome.counts, &action.steps),
            UserResult::Failed { step, message } => {
                outcome.counts.failed += 1;
                outcome.errors.push(UserError {
                    user: action.key.clone(),
                    action: step.to_string(),
                    message,
                });
            }
        }
    }
    outcome
}

async fn apply_user(client: &Client, action: &UserAction) -> UserResult {
    if let Some(Step::Create { user }) = action.steps.first() {
        return match client.create_user(user).await {
            Ok(id) => {
                tracing::debug!(user = %action.key, id, "created");
                UserResult::Done
            }
            Err(error) => failed("create", &error),
        };
    }
    let Some(id) = action.jira_id else {
        return UserResult::Failed {
            step: "plan",
            message: "action without a Jira Align id".to_string(),
        };
    };

    // Repairs, updates and the status change travel in one JSON Patch, repairs first, so
    // Jira Align sees the division and city before it judges the status change.
    let ops = patch_ops(&action.steps);
    let status = status_target(&action.steps);
    let step = main_step_name(&action.steps);
    if let Err(error) = client.patch_user(id, &ops).await {
        return failed(step, &error);
    }
    let Some(want_locked) = status else {
        return UserResult::Done;
    };

    match client.get_user(id).await {
        Ok(user) if user.is_locked == want_locked => UserResult::Done,
        Ok(user) => UserResult::Failed {
            step,
            message: format!(
                "status change did not take: isLocked is {} after the update",
                user.is_locked
            ),
        },
        Err(error) => UserResult::Failed {
            step,
            message: format!("could not confirm the status change: {error}"),
        },
    }
}

fn failed(step: &'static str, error: &JiraAlignError) -> UserResult {
    UserResult::Failed {
        step,
        message: error.to_string(),
    }
}

/// The JSON Patch operations for every non-create step, in plan order.
pub fn patch_ops(steps: &[Step]) -> Vec<PatchOp> {
    let replace = |path: &'static str, value: Value| PatchOp {
        op: "replace",
        path,
        value,
    };
    let mut ops = Vec::new();
    for step in steps {
        match step {
            Step::Create { .. } => {}
            Step::Repair {
                division_id,
                city_id,
            } => {
                if let Some(division) = division_id {
                    ops.push(replace("/divisionId", json!(division)));
                }
                if let Some(city) = city_id {
                    ops.push(replace("/cityId", json!(city)));
                }
            }
            Step::Update { changes } => {
                for change in changes {
                    let path = match change.field {
                        "firstName" => "/firstName",
                        "lastName" => "/lastName",
                        "email" => "/email",
                        _ => "/title",
                    };
                    ops.push(replace(path, json!(change.to)));
                }
            }
            Step::Reactivate => {
                ops.push(replace("/isLocked", json!(0)));
                ops.push(replace("/userEndDate", Value::Null));
            }
            Step::Deactivate => ops.push(replace("/isLocked", json!(-1))),
        }
    }
    ops
}

fn status_target(steps: &[Step]) -> Option<i64> {
    steps.iter().find_map(|s| match s {
        Step::Reactivate => Some(0),
        Step::Deactivate => Some(-1),
        _ => None,
    })
}

fn main_step_name(steps: &[Step]) -> &'static str {
    match status_target(steps) {
        Some(0) => "reactivate",
        Some(_) => "deactivate",
        None if steps.iter().any(|s| matches!(s, Step::Update { .. })) => "update",
        None => "repair",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::FieldChange;

    #[test]
    fn repair_precedes_status_in_one_patch() {
        let steps = vec![
            Step::Repair {
                division_id: Some(5),
                city_id: Some(3),
            },
            Step::Update {
                changes: vec![FieldChange {
                    field: "title",
                    from: None,
                    to: "Lead".into(),
                }],
            },
            Step::Reactivate,
        ];
        let ops = serde_json::to_value(patch_ops(&steps)).expect("ops serialize");
        assert_eq!(
            ops,
            json!([
                {"op": "replace", "path": "/divisionId", "value": 5},
                {"op": "replace", "path": "/cityId", "value": 3},
                {"op": "replace", "path": "/title", "value": "Lead"},
                {"op": "replace", "path": "/isLocked", "value": 0},
                {"op": "replace", "path": "/userEndDate", "value": null},
            ])
        );
        assert_eq!(main_step_name(&steps), "reactivate");
    }

    #[test]
    fn deactivate_is_is_locked_minus_one() {
        let ops = serde_json::to_value(patch_ops(&[Step::Deactivate])).expect("ops serialize");
        assert_eq!(
            ops,
            json!([{"op": "replace", "path": "/isLocked", "value": -1}])
        );
        assert_eq!(status_target(&[Step::Deactivate]), Some(-1));
    }
}
