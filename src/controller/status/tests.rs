//! Status building and merge patches, with fixed clocks and outcomes.

use std::time::Duration;

use chrono::TimeZone;
use serde_json::json;

use super::*;
use crate::controller::outcome::{RunFacts, reason};
use crate::crd::{ActionCounts, PlanSummary};

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0)
        .single()
        .expect("valid timestamp")
}

fn synced(members: u64, created: u64) -> Outcome {
    Outcome {
        reason: reason::SYNCED,
        ready: true,
        message: "created".into(),
        warning: false,
        retry: Retry::Interval,
        ran: true,
        facts: Some(RunFacts {
            directory_members: members,
            directory_excluded: 4,
            jira_align_users: 40,
            counts: ActionCounts {
                created,
                unchanged: 3,
                ..ActionCounts::default()
            },
            ..RunFacts::default()
        }),
        duration: Duration::from_millis(1250),
    }
}

fn unreachable() -> Outcome {
    Outcome {
        reason: "DirectoryUnreachable",
        ready: false,
        message: "directory ldaps://dc1 is unreachable: connection refused".into(),
        warning: true,
        retry: Retry::Backoff,
        ran: true,
        facts: None,
        duration: Duration::from_millis(40),
    }
}

fn transition(status: &JiraAlignUserSyncStatus) -> i64 {
    status.conditions[0].last_transition_time.0.as_second() - 1_800_000_000
}

#[test]
fn a_first_successful_run_fills_every_field() {
    let status = build(None, &synced(12, 2), Some(3), at(0), Some(at(3600)));
    assert_eq!(status.observed_generation, Some(3));
    assert_eq!(status.conditions.len(), 1);
    let ready = &status.conditions[0];
    assert_eq!(
        (ready.type_.as_str(), ready.status.as_str()),
        ("Ready", "True")
    );
    assert_eq!(
        (ready.reason.as_str(), ready.observed_generation),
        ("Synced", Some(3))
    );
    assert_eq!(transition(&status), 0);
    assert_eq!(
        status.last_sync_time.as_deref(),
        Some("2027-01-15T08:00:00Z")
    );
    assert_eq!(status.last_successful_sync_time, status.last_sync_time);
    assert_eq!(
        status.next_sync_time.as_deref(),
        Some("2027-01-15T09:00:00Z")
    );
    assert_eq!(status.last_sync_duration_seconds.as_deref(), Some("1.250"));
    assert_eq!(
        (
            status.directory_members,
            status.directory_excluded,
            status.jira_align_users
        ),
        (Some(12), Some(4), Some(40))
    );
    assert_eq!(
        status.actions.map(|a| (a.created, a.unchanged)),
        Some((2, 3))
    );
}

#[test]
fn the_transition_time_moves_only_when_ready_flips() {
    let first = build(None, &synced(12, 2), Some(1), at(0), Some(at(3600)));
    let second = build(
        Some(&first),
        &synced(12, 0),
        Some(1),
        at(3600),
        Some(at(7200)),
    );
    assert_eq!(transition(&second), 0);

    let failed = build(
        Some(&second),
        &unreachable(),
        Some(1),
        at(7200),
        Some(at(7210)),
    );
    assert_eq!(transition(&failed), 7200);
    assert_eq!(failed.conditions[0].status, "False");

    let mut bind_failed = unreachable();
    bind_failed.reason = "BindFailed";
    let again = build(
        Some(&failed),
        &bind_failed,
        Some(1),
        at(7210),
        Some(at(7230)),
    );
    assert_eq!(transition(&again), 7200);
    assert_eq!(again.conditions[0].reason, "BindFailed");
}

#[test]
fn a_failed_run_keeps_what_it_did_not_observe() {
    let good = build(None, &synced(12, 2), Some(1), at(0), Some(at(3600)));
    let failed = build(Some(&good), &unreachable(), Some(1), at(60), Some(at(70)));
    assert_eq!(
        failed.last_sync_time.as_deref(),
        Some("2027-01-15T08:01:00Z")
    );
    assert_eq!(
        failed.last_successful_sync_time.as_deref(),
        Some("2027-01-15T08:00:00Z")
    );
    assert_eq!(failed.directory_members, Some(12));
    assert_eq!(failed.actions, None);
    assert_eq!(failed.last_sync_duration_seconds.as_deref(), Some("0.040"));
}

#[test]
fn input_that_waits_for_a_change_has_no_next_sync_time() {
    let outcome = Outcome::stopped(
        reason::SECRET_MISSING,
        "secret team-a/token not found (spec.jiraAlign.tokenSecretRef)".into(),
        Retry::OnChange,
    );
    let status = build(None, &outcome, Some(1), at(0), None);
    assert_eq!(status.next_sync_time, None);
    assert_eq!(status.last_sync_time, None);
    assert_eq!(status.conditions[0].reason, "SecretMissing");
}

#[test]
fn a_blocked_plan_is_reported_with_its_hash() {
    let mut outcome = synced(10, 0);
    let plan = PlanSummary {
        hash: "4f2a9c0d1e2b3a4c".into(),
        reason: reason::DEACTIVATION_LIMIT_EXCEEDED.into(),
        actions: ActionCounts {
            deactivated: 30,
            ..ActionCounts::default()
        },
        deactivate: vec!["jdoe".into()],
        over_limit: false,
    };
    if let Some(facts) = outcome.facts.as_mut() {
        facts.pending_plan = Some(plan.clone());
    }
    let status = build(None, &outcome, Some(1), at(0), Some(at(3600)));
    assert_eq!(status.pending_plan, Some(plan));
}

#[test]
fn a_completed_dry_run_counts_as_a_success_and_a_blocked_run_does_not() {
    let first = build(None, &synced(10, 0), Some(1), at(0), Some(at(3600)));
    let mut dry = synced(10, 0);
    dry.reason = reason::DRY_RUN;
    let after_dry = build(Some(&first), &dry, Some(1), at(100), Some(at(3700)));
    assert_eq!(
        after_dry.last_successful_sync_time,
        after_dry.last_sync_time
    );
    assert_eq!(
        after_dry.last_sync_time.as_deref(),
        Some("2027-01-15T08:01:40Z")
    );

    let mut blocked = synced(10, 0);
    blocked.reason = reason::DEACTIVATION_LIMIT_EXCEEDED;
    blocked.ready = false;
    let after_blocked = build(Some(&after_dry), &blocked, Some(1), at(200), Some(at(3800)));
    assert_eq!(
        after_blocked.last_successful_sync_time.as_deref(),
        Some("2027-01-15T08:01:40Z")
    );
    assert_eq!(
        after_blocked.last_sync_time.as_deref(),
        Some("2027-01-15T08:03:20Z")
    );
}

#[test]
fn merge_patches_change_members_and_null_out_removed_ones() {
    let old = json!({"a": 1, "plan": {"hash": "x", "deactivate": ["u1"]}, "gone": true});
    let new = json!({"a": 1, "plan": {"hash": "y"}, "added": [1]});
    let patch = merge_patch(&old, &new).expect("they differ");
    assert_eq!(
        patch,
        json!({"plan": {"hash": "y", "deactivate": null}, "gone": null, "added": [1]})
    );
    assert_eq!(merge_patch(&new, &new), None);
}

#[test]
fn an_unchanged_status_needs_no_patch() {
    let first = build(None, &synced(12, 2), Some(1), at(0), Some(at(3600)));
    let same = build(Some(&first), &synced(12, 2), Some(1), at(0), Some(at(3600)));
    let (old, new) = (serde_json::to_value(&first), serde_json::to_value(&same));
    let (Ok(old), Ok(new)) = (old, new) else {
        panic!("statuses serialize")
    };
    assert_eq!(merge_patch(&old, &new), None);
}
