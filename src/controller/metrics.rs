//! The Prometheus metrics of the operator, recorded once per reconcile outcome from the same
//! `Outcome` the status and the Event come from.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use super::outcome::Outcome;
use super::schedule::ResourceKey;
use crate::crd::ActionCounts;
use crate::jira_align::ClientStats;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    result: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusClassLabels {
    status_class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResourceLabels {
    namespace: String,
    name: String,
}

impl ResourceLabels {
    fn of(key: &ResourceKey) -> Self {
        ResourceLabels {
            namespace: key.namespace.clone(),
            name: key.name.clone(),
        }
    }
}

/// Every metric, registered under the `alignsync_` prefix.
pub struct Metrics {
    registry: Registry,
    runs: Family<RunLabels, Counter>,
    actions: Family<ActionLabels, Counter>,
    requests: Family<StatusClassLabels, Counter>,
    throttled: Counter,
    duration: Histogram,
    last_success: Family<ResourceLabels, Gauge<f64, AtomicU64>>,
    created: Family<ResourceLabels, Gauge<f64, AtomicU64>>,
    members: Family<ResourceLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("alignsync");
        let runs = Family::default();
        let actions = Family::default();
        let requests = Family::default();
        let throttled = Counter::default();
        // 0.1 s to about 55 min.
        let duration = Histogram::new(exponential_buckets(0.1, 2.0, 16));
        let last_success = Family::default();
        let created = Family::default();
        let members = Family::default();

        let help = "Reconcile outcomes by coarse result and condition reason";
        registry.register("runs", help, runs.clone());
        let help = "Actions applied to Jira Align users, by kind";
        registry.register("actions", help, actions.clone());
        let help = "Jira Align requests by answer status class";
        registry.register("jira_align_requests", help, requests.clone());
        let help = "Jira Align answers with status 429";
        registry.register("jira_align_throttled", help, throttled.clone());
        let help = "Duration of sync runs";
        registry.register("run_duration_seconds", help, duration.clone());
        let help = "Unix time of the last run that completed (applied its whole plan, or \
                    computed it in a dry run); kept in the status, so it survives a restart";
        registry.register("last_success_timestamp_seconds", help, last_success.clone());
        let help = "Unix time the resource was created; a resource with this series and no \
                    last success has never synced";
        registry.register("resource_created_timestamp_seconds", help, created.clone());
        let help = "Entitled directory members read by the last run";
        registry.register("directory_members", help, members.clone());

        Metrics {
            registry,
            runs,
            actions,
            requests,
            throttled,
            duration,
            last_success,
            created,
            members,
        }
    }

    /// Records one reconcile outcome; `stats` are the Jira Align client's counters of that run.
    pub fn record(&self, key: &ResourceKey, outcome: &Outcome, stats: Option<&ClientStats>) {
        let labels = RunLabels {
            result: outcome.result().to_owned(),
            reason: outcome.reason.to_owned(),
        };
        self.runs.get_or_create(&labels).inc();
        if outcome.ran {
            self.duration.observe(outcome.duration.as_secs_f64());
        }
        if let Some(facts) = &outcome.facts {
            let resource = ResourceLabels::of(key);
            let members = i64::try_from(facts.directory_members).unwrap_or(i64::MAX);
            self.members.get_or_create(&resource).set(members);
            if outcome.reason != super::outcome::reason::DRY_RUN {
                self.count_actions(&facts.counts);
            }
        }
        if let Some(stats) = stats {
            self.count_requests(stats);
        }
    }

    /// Sets the per-resource times from the resource as written: its creation, and its last
    /// successful sync (from the status, so a restarted operator exports it before its first
    /// run). Together they let an alert fire for a resource that never synced.
    pub fn track(
        &self,
        key: &ResourceKey,
        created_unix: Option<f64>,
        last_success_unix: Option<f64>,
    ) {
        let resource = ResourceLabels::of(key);
        if let Some(created) = created_unix {
            self.created.get_or_create(&resource).set(created);
        }
        if let Some(last_success) = last_success_unix {
            self.last_success.get_or_create(&resource).set(last_success);
        }
    }

    /// Drops the per-resource times, so that the stale-sync alert leaves the resource alone.
    pub fn untrack(&self, key: &ResourceKey) {
        let resource = ResourceLabels::of(key);
        self.last_success.remove(&resource);
        self.created.remove(&resource);
    }

    /// Drops the per-resource series of a resource that no longer exists.
    pub fn forget(&self, key: &ResourceKey) {
        self.untrack(key);
        self.members.remove(&ResourceLabels::of(key));
    }

    /// The text exposition format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    fn count_actions(&self, counts: &ActionCounts) {
        let kinds = [
            ("create", counts.created),
            ("reactivate", counts.reactivated),
            ("deactivate", counts.deactivated),
            ("repair", counts.repaired),
            ("update", counts.updated),
            ("failed", counts.failed),
        ];
        for (action, count) in kinds {
            if count > 0 {
                let labels = ActionLabels {
                    action: action.to_owned(),
                };
                self.actions.get_or_create(&labels).inc_by(count);
            }
        }
    }

    fn count_requests(&self, stats: &ClientStats) {
        let operations = [stats.list, stats.find, stats.get, stats.create, stats.patch];
        let mut classes = [
            ("2xx", 0),
            ("4xx", 0),
            ("5xx", 0),
            ("other", 0),
            ("none", 0),
        ];
        for answers in operations {
            classes[0].1 += answers.success;
            classes[1].1 += answers.client_error;
            classes[2].1 += answers.server_error;
            classes[3].1 += answers.other;
            classes[4].1 += answers.no_answer;
        }
        for (class, count) in classes.into_iter().filter(|(_, count)| *count > 0) {
            let labels = StatusClassLabels {
                status_class: class.to_owned(),
            };
            self.requests.get_or_create(&labels).inc_by(count);
        }
        self.throttled.inc_by(stats.throttled);
    }
}

#[cfg(test)]
mod tests;
