//! Shared setup of the Jira Align client tests: a simulator with generated users, a client
//! with short backoffs and a budget of its own, and the users it creates.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use jira_align_sim::{
    DEFAULT_CITY_ID, DEFAULT_COST_CENTER_ID, DEFAULT_DIVISION_ID, DEFAULT_REGION_ID, GeneratorSpec,
    MEMBER_ROLE_ID, RouteKind, RunningSimulator, SimConfig, generate,
};
use jira_align_user_sync::jira_align::{
    Budget, BudgetLimits, Client, ClientConfig, NewUser, RetryPolicy,
};

pub const ADMIN_TOKEN: &str = "user:1|admin-secret";
pub const READER_TOKEN: &str = "user:2|reader-secret";
pub const RETIRED_TOKEN: &str = "user:3|retired-secret";

/// A simulator holding the service accounts and `users` generated people.
pub async fn simulator(users: u32, config: SimConfig) -> RunningSimulator {
    let seed = generate(&GeneratorSpec {
        users,
        ..GeneratorSpec::default()
    });
    jira_align_sim::start(seed, config)
        .await
        .expect("the simulator binds a local port")
}

/// A 2 s timeout and up to 8 attempts.
pub fn config(sim: &RunningSimulator, token: &str) -> ClientConfig {
    ClientConfig {
        timeout: Duration::from_secs(2),
        max_attempts: 8,
        ..ClientConfig::new(sim.base_url(), token)
    }
}

/// Backoff from 5 ms to 50 ms, `Retry-After` honoured up to 5 s.
pub fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
    }
}

/// A client of `config` with fast retries and a budget no other test shares.
pub fn client_with(config: ClientConfig) -> Client {
    let limits = BudgetLimits {
        requests_per_minute: 100_000,
        max_concurrency: config.max_concurrency,
    };
    let policy = fast_retries(config.max_attempts);
    let budget = Arc::new(Budget::new(limits));
    Client::with_budget(config, budget)
        .expect("the test configuration is valid")
        .with_retry_policy(policy)
}

pub fn client(sim: &RunningSimulator) -> Client {
    client_with(config(sim, ADMIN_TOKEN))
}

/// A person the generated seed does not have.
pub fn new_user(n: u32) -> NewUser {
    NewUser {
        first_name: "New".into(),
        last_name: format!("Person{n}"),
        email: format!("new.person{n}@example.test"),
        external_id: Some(format!("new{n:04}")),
        title: Some("Engineer".into()),
        role_id: MEMBER_ROLE_ID as u64,
        cost_center_id: DEFAULT_COST_CENTER_ID as u64,
        division_id: DEFAULT_DIVISION_ID as u64,
        region_id: DEFAULT_REGION_ID as u64,
        city_id: DEFAULT_CITY_ID as u64,
        is_external: false,
    }
}

/// Requests the simulator saw on `route`, whatever their answer.
pub fn seen(sim: &RunningSimulator, route: RouteKind) -> u64 {
    let counts = sim.admin().request_counts();
    counts
        .iter()
        .filter(|((r, _), _)| *r == route)
        .map(|(_, n)| *n)
        .sum()
}

/// Users the simulator holds with `email`, ignoring case.
pub fn users_with_email(sim: &RunningSimulator, email: &str) -> usize {
    let users = sim.admin().users();
    users
        .iter()
        .filter(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .count()
}
