//! The request budget of one Jira Align site: a token bucket for requests per minute and a
//! semaphore for requests in flight. Every client of the same site shares one budget through
//! the process-wide `BudgetRegistry`, so several resources naming a site cannot overload it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::config::site_key;
use super::error::JiraAlignError;

/// How much one site may be asked of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetLimits {
    /// Requests started per minute, retries included; at least 1.
    pub requests_per_minute: u32,
    /// Requests in flight at once; at least 1.
    pub max_concurrency: u32,
}

/// A shared request budget. The bucket holds at most `max_concurrency` requests' worth of
/// burst, so over any minute at most `requests_per_minute + max_concurrency` requests start.
#[derive(Debug)]
pub struct Budget {
    limits: BudgetLimits,
    bucket: Mutex<Bucket>,
    in_flight: Arc<Semaphore>,
}

#[derive(Debug)]
struct Bucket {
    /// Tokens available now; negative when callers have reserved tokens not yet refilled.
    tokens: f64,
    refilled_at: Instant,
}

/// Permission to send one request; the concurrency slot is freed when it is dropped.
#[derive(Debug)]
pub struct BudgetPermit {
    _slot: OwnedSemaphorePermit,
    /// How long the caller waited for rate and concurrency.
    pub waited: Duration,
}

impl Budget {
    pub fn new(limits: BudgetLimits) -> Self {
        let limits = BudgetLimits {
            requests_per_minute: limits.requests_per_minute.max(1),
            max_concurrency: limits.max_concurrency.max(1),
        };
        let burst = f64::from(limits.max_concurrency.min(limits.requests_per_minute));
        Budget {
            limits,
            bucket: Mutex::new(Bucket {
                tokens: burst,
                refilled_at: Instant::now(),
            }),
            in_flight: Arc::new(Semaphore::new(limits.max_concurrency as usize)),
        }
    }

    pub fn limits(&self) -> BudgetLimits {
        self.limits
    }

    /// Waits for a concurrency slot, then for the rate; returns once a request may start.
    pub async fn acquire(&self) -> BudgetPermit {
        let started = Instant::now();
        let slot = match Arc::clone(&self.in_flight).acquire_owned().await {
            Ok(slot) => slot,
            // The semaphore lives as long as the budget and is never closed.
            Err(_) => unreachable!("budget semaphore closed"),
        };
        let wait = self.reserve_token(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        BudgetPermit {
            _slot: slot,
            waited: started.elapsed(),
        }
    }

    /// Takes one token, possibly on credit, and returns how long until it is covered.
    /// Reserving instead of polling keeps callers in arrival order.
    fn reserve_token(&self, now: Instant) -> Duration {
        let per_second = f64::from(self.limits.requests_per_minute) / 60.0;
        let burst = f64::from(
            self.limits
                .max_concurrency
                .min(self.limits.requests_per_minute),
        );
        let mut bucket = match self.bucket.lock() {
            Ok(bucket) => bucket,
            // The bucket holds two numbers that no panic can leave inconsistent.
            Err(poisoned) => poisoned.into_inner(),
        };
        let elapsed = now
            .saturating_duration_since(bucket.refilled_at)
            .as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(burst);
        bucket.refilled_at = now;
        bucket.tokens -= 1.0;
        if bucket.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-bucket.tokens / per_second)
        }
    }
}

/// The budgets of every site this process talks to, keyed by normalised site URL. Each
/// site's budget has the strictest limits any of its current owners (the resources naming
/// it) asks for, so resources that disagree can never together exceed either limit.
#[derive(Debug, Default)]
pub struct BudgetRegistry {
    sites: Mutex<HashMap<String, Site>>,
}

#[derive(Debug)]
struct Site {
    /// The limits each owner asked for.
    owners: HashMap<String, BudgetLimits>,
    budget: Arc<Budget>,
}

impl BudgetRegistry {
    pub fn new() -> Self {
        BudgetRegistry::default()
    }

    /// The registry shared by every client of this process.
    pub fn global() -> &'static BudgetRegistry {
        static GLOBAL: OnceLock<BudgetRegistry> = OnceLock::new();
        GLOBAL.get_or_init(BudgetRegistry::new)
    }

    /// The budget of the site at `base_url`, for `owner` asking for `limits`. An owner names
    /// one site at a time, so its claim on any other site ends here. When the strictest
    /// limits change, the site gets a fresh budget with them; requests already holding a
    /// permit of the old one finish under it.
    pub fn budget_for(
        &self,
        base_url: &str,
        owner: &str,
        limits: BudgetLimits,
    ) -> Result<Arc<Budget>, JiraAlignError> {
        let key = site_key(base_url)?;
        let wanted = Budget::new(limits).limits();
        let mut sites = self.lock();
        for (other, site) in sites.iter_mut() {
            if *other != key {
                site.owners.remove(owner);
            }
        }
        let site = sites.entry(key).or_insert_with(|| Site {
            owners: HashMap::new(),
            budget: Arc::new(Budget::new(wanted)),
        });
        site.owners.insert(owner.to_owned(), wanted);
        let strictest = site
            .owners
            .values()
            .fold(wanted, |least, limits| BudgetLimits {
                requests_per_minute: least.requests_per_minute.min(limits.requests_per_minute),
                max_concurrency: least.max_concurrency.min(limits.max_concurrency),
            });
        if site.budget.limits() != strictest {
            site.budget = Arc::new(Budget::new(strictest));
        }
        Ok(Arc::clone(&site.budget))
    }

    /// Ends every claim of `owner` (a deleted resource); the sites it named follow their
    /// remaining owners from their next request for a budget.
    pub fn release(&self, owner: &str) {
        let mut sites = self.lock();
        for site in sites.values_mut() {
            site.owners.remove(owner);
        }
        sites.retain(|_, site| !site.owners.is_empty());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Site>> {
        match self.sites.lock() {
            Ok(sites) => sites,
            // Entries are changed whole; a panic elsewhere cannot leave one half-written.
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests;
