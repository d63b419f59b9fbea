//! The state one simulator shares between its request handlers and its admin handle: the
//! site data behind a read-write lock, and the runtime (configuration, fault engine,
//! budgets, journal) behind a mutex. Neither lock is held across an await.

use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::budget::Budgets;
use crate::config::SimConfig;
use crate::faults::FaultEngine;
use crate::journal::Journal;
use crate::seed::Seed;
use crate::store::Store;

pub(crate) struct Runtime {
    pub config: Arc<SimConfig>,
    pub faults: FaultEngine,
    pub budgets: Budgets,
    pub journal: Journal,
}

impl Runtime {
    fn new(config: SimConfig) -> Self {
        Runtime {
            faults: FaultEngine::new(config.seed),
            config: Arc::new(config),
            budgets: Budgets::default(),
            journal: Journal::default(),
        }
    }
}

pub(crate) struct Shared {
    store: RwLock<Store>,
    runtime: Mutex<Runtime>,
    initial_seed: Seed,
    site_url: String,
}

// A panic inside a handler cannot leave the data half-written in a way later requests
// depend on (each write replaces a whole user), so a poisoned lock is used as it stands.
impl Shared {
    pub(crate) fn new(seed: Seed, config: SimConfig, site_url: &str) -> Self {
        Shared {
            store: RwLock::new(Store::from_seed(&seed, site_url)),
            runtime: Mutex::new(Runtime::new(config)),
            initial_seed: seed,
            site_url: site_url.to_owned(),
        }
    }

    pub(crate) fn store(&self) -> RwLockReadGuard<'_, Store> {
        self.store
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn store_mut(&self) -> RwLockWriteGuard<'_, Store> {
        self.store
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn runtime(&self) -> MutexGuard<'_, Runtime> {
        self.runtime
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn initial_seed(&self) -> &Seed {
        &self.initial_seed
    }

    /// Replaces the configuration; fault counters, the random source and budgets restart.
    pub(crate) fn set_config(&self, config: SimConfig) {
        let mut runtime = self.runtime();
        runtime.faults = FaultEngine::new(config.seed);
        runtime.budgets = Budgets::default();
        runtime.config = Arc::new(config);
    }

    /// Replaces the site data and forgets the journal; the configuration stays.
    pub(crate) fn reset(&self, seed: &Seed) {
        let fresh = Store::from_seed(seed, &self.site_url);
        *self.store_mut() = fresh;
        let mut runtime = self.runtime();
        let config = (*runtime.config).clone();
        *runtime = Runtime::new(config);
    }
}
