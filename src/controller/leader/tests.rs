//! Lease observation and claiming, at fixed instants.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;

use super::*;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + seconds).expect("valid timestamp")
}

fn settings(identity: &str) -> LeaseSettings {
    LeaseSettings {
        namespace: "alignsync-system".into(),
        name: "jira-align-user-sync".into(),
        identity: identity.into(),
        duration: Duration::from_secs(15),
    }
}

fn held_by(holder: &str, renewed: i64) -> LeaseSpec {
    LeaseSpec {
        holder_identity: Some(holder.into()),
        lease_duration_seconds: Some(15),
        acquire_time: Some(MicroTime(at(0))),
        renew_time: Some(MicroTime(at(renewed))),
        lease_transitions: Some(2),
        ..LeaseSpec::default()
    }
}

#[test]
fn timings_leave_a_margin_before_takeover() {
    let settings = settings("a");
    assert_eq!(settings.renew_period(), Duration::from_secs(5));
    assert_eq!(settings.renew_deadline(), Duration::from_secs(10));
    assert_eq!(settings.retry_period(), Duration::from_secs(3));
}

#[test]
fn a_missing_or_released_lease_is_free() {
    assert_eq!(observe(None, "a", at(0)), Observation::Free);
    let released = LeaseSpec {
        holder_identity: None,
        ..held_by("b", 0)
    };
    assert_eq!(observe(Some(&released), "a", at(1)), Observation::Free);
}

#[test]
fn another_holder_keeps_the_lease_until_it_expires() {
    let spec = held_by("b", 100);
    let held = Observation::HeldByOther { holder: "b".into() };
    assert_eq!(observe(Some(&spec), "a", at(114)), held);
    assert_eq!(observe(Some(&spec), "a", at(115)), Observation::Free);
    assert_eq!(observe(Some(&spec), "b", at(500)), Observation::HeldByMe);
}

#[test]
fn a_takeover_counts_a_transition_and_a_renewal_does_not() {
    let taken = claimed(Some(&held_by("b", 0)), &settings("a"), at(30));
    assert_eq!(taken.holder_identity.as_deref(), Some("a"));
    assert_eq!(taken.lease_transitions, Some(3));
    assert_eq!(taken.acquire_time, Some(MicroTime(at(30))));
    assert_eq!(taken.lease_duration_seconds, Some(15));

    let renewed = claimed(Some(&taken), &settings("a"), at(35));
    assert_eq!(renewed.lease_transitions, Some(3));
    assert_eq!(renewed.acquire_time, Some(MicroTime(at(30))));
    assert_eq!(renewed.renew_time, Some(MicroTime(at(35))));
}

#[test]
fn a_new_lease_starts_with_one_transition() {
    let created = claimed(None, &settings("a"), at(0));
    assert_eq!(created.lease_transitions, Some(1));
    assert_eq!(created.holder_identity.as_deref(), Some("a"));
}
