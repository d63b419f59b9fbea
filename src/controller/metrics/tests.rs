//! The exposition text after known outcomes.

use std::time::Duration;

use super::*;
use crate::controller::outcome::{Outcome, Retry, RunFacts, reason};
use crate::jira_align::AnswerCounts;

fn key() -> ResourceKey {
    ResourceKey {
        namespace: "team-a".into(),
        name: "engineering".into(),
    }
}

fn synced() -> Outcome {
    Outcome {
        reason: reason::SYNCED,
        ready: true,
        message: String::new(),
        warning: false,
        retry: Retry::Interval,
        ran: true,
        facts: Some(RunFacts {
            directory_members: 12,
            counts: ActionCounts {
                created: 2,
                deactivated: 1,
                ..ActionCounts::default()
            },
            ..RunFacts::default()
        }),
        duration: Duration::from_millis(300),
    }
}

fn lines(metrics: &Metrics) -> Vec<String> {
    let text = metrics.encode().expect("metrics encode");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_synced_run_counts_its_result_actions_requests_and_gauges() {
    let metrics = Metrics::new();
    let stats = ClientStats {
        list: AnswerCounts {
            success: 3,
            ..AnswerCounts::default()
        },
        create: AnswerCounts {
            success: 2,
            client_error: 1,
            ..AnswerCounts::default()
        },
        throttled: 1,
        ..ClientStats::default()
    };
    metrics.record(&key(), &synced(), Some(&stats));
    let lines = lines(&metrics);
    let has = |wanted: &str| lines.iter().any(|line| line == wanted);
    assert!(
        has(r#"alignsync_runs_total{result="success",reason="Synced"} 1"#),
        "{lines:#?}"
    );
    assert!(
        has(r#"alignsync_actions_total{action="create"} 2"#),
        "{lines:#?}"
    );
    assert!(
        has(r#"alignsync_actions_total{action="deactivate"} 1"#),
        "{lines:#?}"
    );
    assert!(
        has(r#"alignsync_jira_align_requests_total{status_class="2xx"} 5"#),
        "{lines:#?}"
    );
    assert!(
        has(r#"alignsync_jira_align_requests_total{status_class="4xx"} 1"#),
        "{lines:#?}"
    );
    assert!(has("alignsync_jira_align_throttled_total 1"), "{lines:#?}");
    assert!(has("alignsync_run_duration_seconds_count 1"), "{lines:#?}");
    assert!(
        has(r#"alignsync_directory_members{namespace="team-a",name="engineering"} 12"#),
        "{lines:#?}"
    );
    // The times come from the resource as written, through `track`.
    assert!(
        !lines.iter().any(|l| l.contains("timestamp_seconds{")),
        "{lines:#?}"
    );
}

#[test]
fn the_resource_times_are_exported_as_given_and_a_never_synced_resource_has_no_success() {
    let metrics = Metrics::new();
    metrics.track(&key(), Some(1_700_000_000.5), None);
    let created = r#"alignsync_resource_created_timestamp_seconds{namespace="team-a",name="engineering"} 1700000000.5"#;
    assert_eq!(
        lines(&metrics)
            .into_iter()
            .filter(|l| l.contains("timestamp_seconds{"))
            .collect::<Vec<_>>(),
        vec![created.to_string()]
    );

    metrics.track(&key(), Some(1_700_000_000.5), Some(1_800_000_000.0));
    let success = r#"alignsync_last_success_timestamp_seconds{namespace="team-a",name="engineering"} 1800000000.0"#;
    let mut times: Vec<String> = lines(&metrics)
        .into_iter()
        .filter(|l| l.contains("timestamp_seconds{"))
        .collect();
    times.sort();
    assert_eq!(times, vec![success.to_string(), created.to_string()]);
}

/// Whether any exposed series starts with `prefix`.
fn exposes(metrics: &Metrics, prefix: &str) -> bool {
    lines(metrics).iter().any(|l| l.starts_with(prefix))
}

#[test]
fn a_dry_run_counts_no_actions_and_a_deleted_resource_loses_its_gauges() {
    let metrics = Metrics::new();
    let mut dry = synced();
    dry.reason = reason::DRY_RUN;
    metrics.record(&key(), &dry, None);
    metrics.track(&key(), Some(1.0), Some(2.0));
    assert!(!exposes(&metrics, "alignsync_actions_total"));
    assert!(exposes(&metrics, "alignsync_directory_members{"));

    // Suspended: the times go, the members stay.
    metrics.untrack(&key());
    assert!(!exposes(&metrics, "alignsync_last_success"));
    assert!(!exposes(&metrics, "alignsync_resource_created"));
    assert!(exposes(&metrics, "alignsync_directory_members{"));

    // Deleted: every per-resource series goes.
    metrics.track(&key(), Some(1.0), Some(2.0));
    metrics.forget(&key());
    for prefix in [
        "alignsync_directory_members{",
        "alignsync_last_success",
        "alignsync_resource_created",
    ] {
        assert!(!exposes(&metrics, prefix), "{prefix}");
    }
}
