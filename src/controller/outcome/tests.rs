//! How run reports become outcomes: reason, readiness, message and retry.

use std::time::Duration;

use super::*;
use crate::apply::ApplyOutcome;
use crate::directory::DirectoryError;
use crate::plan::{DeactivationLimit, LimitCheck, Plan, deactivation_hash};

fn report(counts: ActionCounts, errors: Vec<UserError>) -> SyncReport {
    SyncReport {
        directory_members: 12,
        directory_excluded: 1,
        jira_align_users: 40,
        plan: Plan {
            unchanged: counts.unchanged,
            ..Plan::default()
        },
        outcome: Some(ApplyOutcome { counts, errors }),
        dry_run: false,
        duration: Duration::from_millis(900),
    }
}

/// 30 deactivations against limits of 25 users or 10 % of 40.
fn thirty_over_the_limit() -> DeactivationLimit {
    DeactivationLimit {
        hash: "9f86d081884c7d65".into(),
        check: LimitCheck {
            deactivations: 30,
            managed_active: 40,
            max_count: 25,
            max_percent: 10,
        },
        keys: (0..30).map(|n| format!("user{n:02}")).collect(),
    }
}

fn user_error(n: usize) -> UserError {
    UserError {
        user: format!("user{n:02}"),
        action: "create".into(),
        message: "refused".into(),
    }
}

#[test]
fn a_clean_run_is_synced_and_ready() {
    let counts = ActionCounts {
        created: 2,
        reactivated: 1,
        unchanged: 9,
        ..ActionCounts::default()
    };
    let outcome = Outcome::completed(&report(counts, Vec::new()), None);
    assert_eq!(
        (outcome.reason, outcome.ready, outcome.warning),
        ("Synced", true, false)
    );
    assert_eq!(outcome.retry, Retry::Interval);
    assert_eq!(outcome.result(), "success");
    assert_eq!(
        outcome.message,
        "created 2, reactivated 1, deactivated 0, updated 0, repaired 0; 9 unchanged, 0 skipped"
    );
    let facts = outcome.facts.expect("a completed run has facts");
    assert_eq!((facts.directory_members, facts.jira_align_users), (12, 40));
}

#[test]
fn failed_users_make_a_partial_failure_that_backs_off_with_capped_errors() {
    let errors: Vec<UserError> = (0..25).map(user_error).collect();
    let counts = ActionCounts {
        created: 1,
        failed: 25,
        ..ActionCounts::default()
    };
    let outcome = Outcome::completed(&report(counts, errors), None);
    assert_eq!(
        (outcome.reason, outcome.ready, outcome.retry),
        ("PartialFailure", false, Retry::Backoff)
    );
    let facts = outcome.facts.expect("facts");
    assert_eq!(facts.user_errors.len(), 20);
    assert_eq!(facts.user_error_count, 25);
    assert_eq!(facts.user_errors[19].user, "user19");
}

#[test]
fn withheld_deactivations_ask_for_approval_with_the_hash() {
    let mut report = report(ActionCounts::default(), Vec::new());
    report.plan.withheld = Some(thirty_over_the_limit());
    let outcome = Outcome::completed(&report, None);
    assert_eq!(outcome.reason, "DeactivationLimitExceeded");
    assert_eq!(
        (outcome.ready, outcome.warning, outcome.result()),
        (false, true, "blocked")
    );
    assert_eq!(
        outcome.message,
        "plan 9f86d081884c7d65 would deactivate 30 users, over the limit; nothing was \
         deactivated. Set annotation alignsync.dev/approve-plan=9f86d081884c7d65 to apply this plan"
    );
    let plan = outcome
        .facts
        .and_then(|f| f.pending_plan)
        .expect("a pending plan");
    assert_eq!(
        (plan.hash.as_str(), plan.actions.deactivated),
        ("9f86d081884c7d65", 30)
    );
}

#[test]
fn a_dry_run_is_ready_and_reports_the_plan_it_did_not_apply() {
    let mut report = report(ActionCounts::default(), Vec::new());
    report.outcome = None;
    report.dry_run = true;
    let outcome = Outcome::completed(&report, None);
    assert_eq!((outcome.reason, outcome.ready), ("DryRun", true));
    let hash = deactivation_hash(&[]);
    assert_eq!(
        outcome.message,
        format!(
            "dry run, nothing changed; plan {hash} would create 0, reactivate 0, deactivate 0, \
             update 0, repair 0; 0 unchanged, 0 skipped"
        )
    );
}

#[test]
fn a_dry_run_over_the_limit_says_a_live_run_would_hold_it_back() {
    let mut report = report(ActionCounts::default(), Vec::new());
    report.outcome = None;
    report.dry_run = true;
    report.plan.withheld = Some(thirty_over_the_limit());
    let outcome = Outcome::completed(&report, None);
    assert_eq!((outcome.reason, outcome.ready), ("DryRun", true));
    assert!(
        outcome.message.ends_with(
            "; its 30 deactivations exceed the limit, so a live run would hold them back until \
             the plan is approved"
        ),
        "{}",
        outcome.message
    );
    let plan = outcome.facts.and_then(|f| f.pending_plan).expect("a plan");
    assert_eq!(
        (plan.reason.as_str(), plan.hash.as_str(), plan.over_limit),
        ("DryRun", "9f86d081884c7d65", true)
    );
}

#[test]
fn a_conflict_overrides_success_but_not_a_blocked_plan() {
    let counts = ActionCounts {
        created: 1,
        ..ActionCounts::default()
    };
    let message = "deactivation is off: team-a/eng also deactivates users".to_owned();
    let outcome = Outcome::completed(&report(counts, Vec::new()), Some(message.clone()));
    assert_eq!(
        (outcome.reason, outcome.ready, outcome.retry),
        ("Conflict", false, Retry::Interval)
    );
    assert_eq!(outcome.message, message);
}

#[test]
fn a_refused_bind_waits_for_the_interval_with_the_error_reason() {
    let error = SyncError::Directory(DirectoryError::BindFailed {
        url: "ldaps://dc1".into(),
        bind_dn: "CN=svc".into(),
        code: 49,
        detail: "invalid credentials".into(),
    });
    let outcome = Outcome::failed(&error, Duration::from_millis(80));
    assert_eq!(
        (outcome.reason, outcome.ready, outcome.retry),
        ("BindFailed", false, Retry::Interval)
    );
    assert!(outcome.ran);
    assert_eq!(
        outcome.message,
        "directory read failed: bind as CN=svc on ldaps://dc1 failed with result code 49: \
         invalid credentials"
    );
}

#[test]
fn an_unreachable_directory_backs_off() {
    let error = SyncError::Directory(DirectoryError::DirectoryUnreachable {
        url: "ldaps://dc1".into(),
        detail: "connection refused".into(),
    });
    let outcome = Outcome::failed(&error, Duration::from_millis(80));
    assert_eq!(
        (outcome.reason, outcome.retry),
        ("DirectoryUnreachable", Retry::Backoff)
    );
}

#[test]
fn stopped_reconciles_did_not_run_and_suspension_is_no_warning() {
    let suspended = Outcome::stopped(reason::SUSPENDED, "suspended".into(), Retry::OnChange);
    assert_eq!(
        (suspended.ran, suspended.warning, suspended.result()),
        (false, false, "blocked")
    );
    let missing = Outcome::stopped(reason::SECRET_MISSING, "missing".into(), Retry::OnChange);
    assert_eq!((missing.warning, missing.result()), (true, "failure"));
}
