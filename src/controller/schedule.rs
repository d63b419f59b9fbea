//! When each resource runs next. Every watch event reaches the reconciler, including the
//! ones caused by our own status writes, so the schedule decides whether an event is a
//! reason to run: a changed input (spec, annotations, Secret versions) always is; otherwise
//! the resource waits for its next due time, or for a change after invalid input.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::crd::JiraAlignUserSync;

/// First delay after a failed run; it doubles per consecutive failure.
pub const BACKOFF_BASE: Duration = Duration::from_secs(10);
/// Longest delay after failed runs.
pub const BACKOFF_MAX: Duration = Duration::from_secs(600);
/// Share of the interval by which a run may come early or late, so resources created
/// together do not all reach their sites at the same moment.
pub const JITTER: f64 = 0.10;

/// Names one resource.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKey {
    pub namespace: String,
    pub name: String,
}

impl ResourceKey {
    /// The namespace and name of a resource; None for an object without them.
    pub fn of(resource: &JiraAlignUserSync) -> Option<Self> {
        Some(ResourceKey {
            namespace: resource.metadata.namespace.clone()?,
            name: resource.metadata.name.clone()?,
        })
    }
}

impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// What to do with a reconcile request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Run,
    /// Not due yet: ask again after this long.
    Wait(Duration),
    /// The last run found invalid input that has not changed since.
    AwaitChange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Next {
    At(DateTime<Utc>),
    OnChange,
}

#[derive(Clone, Debug)]
struct Entry {
    fingerprint: String,
    next: Next,
    failures: u32,
}

/// The schedule of every resource this replica has run.
#[derive(Debug, Default)]
pub struct Schedule {
    entries: Mutex<HashMap<ResourceKey, Entry>>,
}

/// The delay after `failures` consecutive failed runs (1 or more).
pub fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    BACKOFF_BASE.saturating_mul(1 << doublings).min(BACKOFF_MAX)
}

/// The interval moved by `spread` (between -1 and 1) times the jitter share.
pub fn jittered(interval: Duration, spread: f64) -> Duration {
    interval.mul_f64(1.0 + JITTER * spread.clamp(-1.0, 1.0))
}

impl Schedule {
    pub fn new() -> Self {
        Schedule::default()
    }

    /// Whether a resource whose inputs hash to `fingerprint` should run at `now`.
    pub fn gate(&self, key: &ResourceKey, fingerprint: &str, now: DateTime<Utc>) -> Gate {
        let entries = self.lock();
        let Some(entry) = entries.get(key) else {
            return Gate::Run;
        };
        if entry.fingerprint != fingerprint {
            return Gate::Run;
        }
        match entry.next {
            Next::OnChange => Gate::AwaitChange,
            Next::At(due) if due <= now => Gate::Run,
            Next::At(due) => Gate::Wait((due - now).to_std().unwrap_or(Duration::ZERO)),
        }
    }

    /// Records a run that did its job; the next one is due after `delay`.
    pub fn succeeded(
        &self,
        key: &ResourceKey,
        fingerprint: &str,
        now: DateTime<Utc>,
        delay: Duration,
    ) -> DateTime<Utc> {
        self.record(key, fingerprint, Next::At(now + delay), |_| 0)
    }

    /// Records a failed run; the next one comes after the backoff, at most `cap` later.
    pub fn failed(
        &self,
        key: &ResourceKey,
        fingerprint: &str,
        now: DateTime<Utc>,
        cap: Duration,
    ) -> (DateTime<Utc>, Duration) {
        let failures = self.lock().get(key).map_or(0, |e| e.failures) + 1;
        let delay = backoff(failures).min(cap);
        let due = self.record(key, fingerprint, Next::At(now + delay), |n| n + 1);
        (due, delay)
    }

    /// Records a run stopped by invalid input: nothing runs until the inputs change.
    pub fn await_change(&self, key: &ResourceKey, fingerprint: &str) {
        self.record(key, fingerprint, Next::OnChange, |n| n);
    }

    /// Takes over the due time a previous leader wrote, for a resource this replica has not
    /// scheduled yet whose inputs still hash to `fingerprint`. True when it was taken.
    pub fn resume(&self, key: &ResourceKey, fingerprint: &str, due: DateTime<Utc>) -> bool {
        let mut entries = self.lock();
        if entries.contains_key(key) {
            return false;
        }
        let entry = Entry {
            fingerprint: fingerprint.to_owned(),
            next: Next::At(due),
            failures: 0,
        };
        entries.insert(key.clone(), entry);
        true
    }

    /// Forgets every resource for which `keep` is false; returns the ones forgotten.
    pub fn retain(&self, keep: impl Fn(&ResourceKey) -> bool) -> Vec<ResourceKey> {
        let mut entries = self.lock();
        let gone: Vec<ResourceKey> = entries.keys().filter(|key| !keep(key)).cloned().collect();
        for key in &gone {
            entries.remove(key);
        }
        gone
    }

    fn record(
        &self,
        key: &ResourceKey,
        fingerprint: &str,
        next: Next,
        failures: impl Fn(u32) -> u32,
    ) -> DateTime<Utc> {
        let mut entries = self.lock();
        let previous = entries.get(key).map_or(0, |e| e.failures);
        let entry = Entry {
            fingerprint: fingerprint.to_owned(),
            next,
            failures: failures(previous),
        };
        entries.insert(key.clone(), entry);
        match next {
            Next::At(due) => due,
            Next::OnChange => DateTime::<Utc>::MAX_UTC,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ResourceKey, Entry>> {
        // Entries are replaced whole, so a panic elsewhere cannot leave one half-written.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn key() -> ResourceKey {
        ResourceKey {
            namespace: "team-a".into(),
            name: "engineering".into(),
        }
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0)
            .single()
            .expect("valid timestamp")
    }

    #[test]
    fn backoff_doubles_from_ten_seconds_up_to_ten_minutes() {
        let delays: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(delays, vec![10, 20, 40, 80, 160, 320, 600, 600]);
        assert_eq!(backoff(u32::MAX), BACKOFF_MAX);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let hour = Duration::from_secs(3600);
        assert_eq!(jittered(hour, 0.0), hour);
        assert_eq!(jittered(hour, 1.0), Duration::from_secs(3960));
        assert_eq!(jittered(hour, -1.0), Duration::from_secs(3240));
        assert_eq!(jittered(hour, 7.0), Duration::from_secs(3960));
    }

    #[test]
    fn an_unknown_resource_runs_at_once() {
        assert_eq!(Schedule::new().gate(&key(), "f1", at(0)), Gate::Run);
    }

    #[test]
    fn a_synced_resource_waits_for_its_interval_unless_its_inputs_change() {
        let schedule = Schedule::new();
        let due = schedule.succeeded(&key(), "f1", at(0), Duration::from_secs(3600));
        assert_eq!(due, at(3600));
        assert_eq!(
            schedule.gate(&key(), "f1", at(600)),
            Gate::Wait(Duration::from_secs(3000))
        );
        assert_eq!(schedule.gate(&key(), "f1", at(3600)), Gate::Run);
        assert_eq!(schedule.gate(&key(), "f2", at(600)), Gate::Run);
    }

    #[test]
    fn failures_back_off_and_a_success_resets_the_count() {
        let schedule = Schedule::new();
        let hour = Duration::from_secs(3600);
        assert_eq!(
            schedule.failed(&key(), "f1", at(0), hour),
            (at(10), backoff(1))
        );
        assert_eq!(
            schedule.failed(&key(), "f1", at(10), hour),
            (at(30), backoff(2))
        );
        assert_eq!(
            schedule.failed(&key(), "f1", at(30), hour),
            (at(70), backoff(3))
        );
        schedule.succeeded(&key(), "f1", at(70), hour);
        assert_eq!(
            schedule.failed(&key(), "f1", at(100), hour),
            (at(110), backoff(1))
        );
    }

    #[test]
    fn the_backoff_never_exceeds_its_cap() {
        let schedule = Schedule::new();
        let cap = Duration::from_secs(15);
        schedule.failed(&key(), "f1", at(0), cap);
        let (due, delay) = schedule.failed(&key(), "f1", at(10), cap);
        assert_eq!((due, delay), (at(25), cap));
    }

    #[test]
    fn invalid_input_waits_for_a_change() {
        let schedule = Schedule::new();
        schedule.await_change(&key(), "missing-secret");
        assert_eq!(
            schedule.gate(&key(), "missing-secret", at(99_999)),
            Gate::AwaitChange
        );
        assert_eq!(schedule.gate(&key(), "secret-created", at(1)), Gate::Run);
    }

    #[test]
    fn a_written_due_time_is_taken_over_once_and_only_for_the_same_inputs() {
        let schedule = Schedule::new();
        assert!(schedule.resume(&key(), "f1", at(3600)));
        assert_eq!(
            schedule.gate(&key(), "f1", at(600)),
            Gate::Wait(Duration::from_secs(3000))
        );
        assert_eq!(schedule.gate(&key(), "f2", at(600)), Gate::Run);
        assert_eq!(schedule.gate(&key(), "f1", at(3600)), Gate::Run);
        // This replica's own schedule wins over anything written later.
        schedule.succeeded(&key(), "f1", at(3600), Duration::from_secs(60));
        assert!(!schedule.resume(&key(), "f1", at(99_999)));
        assert_eq!(schedule.gate(&key(), "f1", at(3660)), Gate::Run);
    }

    #[test]
    fn forgotten_resources_run_again() {
        let schedule = Schedule::new();
        schedule.succeeded(&key(), "f1", at(0), Duration::from_secs(3600));
        assert_eq!(schedule.retain(|k| k.name != "engineering"), vec![key()]);
        assert_eq!(schedule.gate(&key(), "f1", at(1)), Gate::Run);
    }
}
