//! What every reconcile shares: the Kubernetes client, the event recorder, the metrics, the
//! schedule, the watch caches and the leadership flag.

use std::collections::BTreeSet;
use std::sync::Arc;

use kube::runtime::events::Recorder;
use kube::runtime::reflector::Store;

use super::conflict::{self, SiteClaim};
use super::http::Health;
use super::metrics::Metrics;
use super::schedule::{ResourceKey, Schedule};
use super::validate::site_of;
use crate::crd::JiraAlignUserSync;
use crate::jira_align::BudgetRegistry;

/// Shared by all reconciles of one leadership term.
pub struct Context {
    pub client: kube::Client,
    pub recorder: Recorder,
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub schedule: Schedule,
    /// One cache per watched scope (all namespaces, or each listed namespace).
    pub stores: Vec<Store<JiraAlignUserSync>>,
}

impl Context {
    /// Every resource in the watch caches.
    pub fn resources(&self) -> Vec<Arc<JiraAlignUserSync>> {
        self.stores.iter().flat_map(Store::state).collect()
    }

    /// The site claims of every cached resource with a usable URL.
    pub fn claims(&self) -> Vec<SiteClaim> {
        self.resources()
            .iter()
            .filter_map(|resource| conflict::claim_of(resource, site_of(&resource.spec)?))
            .collect()
    }

    /// Forgets the schedule, metric series and site-budget claims of deleted resources.
    pub fn prune(&self) {
        let existing = self.keys();
        for gone in self.schedule.retain(|key| existing.contains(key)) {
            self.forget(&gone);
        }
    }

    /// Whether the resource is still in the watch caches (a run may outlive its resource).
    pub fn exists(&self, key: &ResourceKey) -> bool {
        self.keys().contains(key)
    }

    /// Forgets everything kept about a deleted resource.
    pub fn forget(&self, key: &ResourceKey) {
        self.schedule.retain(|other| other != key);
        self.metrics.forget(key);
        BudgetRegistry::global().release(&key.to_string());
    }

    fn keys(&self) -> BTreeSet<ResourceKey> {
        self.resources()
            .iter()
            .filter_map(|r| ResourceKey::of(r))
            .collect()
    }
}
