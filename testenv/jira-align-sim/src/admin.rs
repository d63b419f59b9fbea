//! In-process access to a running simulator for tests: the full state, the request journal,
//! strict-mode violations, configuration changes and resets.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::SimConfig;
use crate::journal::{LoggedRequest, RouteCount, Violation};
use crate::routes::RouteKind;
use crate::seed::Seed;
use crate::state::Shared;
use crate::user::User;

/// A cloneable handle on one simulator's state.
#[derive(Clone)]
pub struct Admin {
    shared: Arc<Shared>,
}

impl Admin {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Admin { shared }
    }

    /// Every user, sorted by id.
    pub fn users(&self) -> Vec<User> {
        self.shared.store().users().values().cloned().collect()
    }

    pub fn user(&self, id: i64) -> Option<User> {
        self.shared.store().user(id).cloned()
    }

    /// The whole site as a seed (users, reference lists, roles, tokens).
    pub fn state(&self) -> Seed {
        self.shared.store().to_seed()
    }

    /// API requests in arrival order (the oldest are dropped past `request_log_limit`).
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.shared.runtime().journal.log()
    }

    /// Requests by route kind and answer status (`DROPPED`, 0, for dropped connections).
    pub fn request_counts(&self) -> BTreeMap<(RouteKind, u16), u64> {
        self.shared.runtime().journal.counts()
    }

    /// The same counts as rows, the shape the admin HTTP surface serves.
    pub fn request_count_rows(&self) -> Vec<RouteCount> {
        self.shared.runtime().journal.count_rows()
    }

    /// Requests of one route kind answered with one status.
    pub fn count(&self, route: RouteKind, status: u16) -> u64 {
        self.request_counts()
            .get(&(route, status))
            .copied()
            .unwrap_or(0)
    }

    /// Strict-mode violations since start or the last reset.
    pub fn violations(&self) -> Vec<Violation> {
        self.shared.runtime().journal.violations()
    }

    /// Panics, listing them, if any request broke the documented contract. Meant for tests:
    /// a violation is a client bug the suite must report.
    pub fn assert_no_violations(&self) {
        let violations = self.violations();
        if !violations.is_empty() {
            let lines: Vec<String> = violations
                .iter()
                .map(|v| {
                    format!(
                        "#{} {} {}: {:?} {}",
                        v.seq, v.method, v.path, v.kind, v.detail
                    )
                })
                .collect();
            panic!(
                "the client broke the documented API contract:\n{}",
                lines.join("\n")
            );
        }
    }

    pub fn config(&self) -> SimConfig {
        (*self.shared.runtime().config).clone()
    }

    /// Replaces the configuration; fault counters, randomness and budgets restart.
    pub fn set_config(&self, config: SimConfig) {
        self.shared.set_config(config);
    }

    /// Replaces the site data with `seed` and clears the journal; the configuration stays.
    pub fn reset(&self, seed: Seed) {
        self.shared.reset(&seed);
    }

    /// Back to the seed the simulator started with.
    pub fn reset_to_initial(&self) {
        let seed = self.shared.initial_seed().clone();
        self.shared.reset(&seed);
    }

    /// Gives `user_id` a new token secret, as regenerating a token does: the old one stops
    /// working.
    pub fn set_token(&self, user_id: i64, secret: &str) {
        self.shared.store_mut().set_token(user_id, secret);
    }
}
