//! Listing speed of the Jira Align client: 100,000 generated users from the simulator, with
//! no latency and with 50 ms per answer, 8 requests in flight. Ignored by default; run with
//! `cargo test --release --test jira_align_bench -- --ignored --nocapture`.

#[path = "jira_align_support.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use jira_align_sim::{Latency, RouteKind, SimConfig};
use jira_align_user_sync::jira_align::{Budget, BudgetLimits, Client};
use support::{ADMIN_TOKEN, config, fast_retries, seen, simulator};

const USERS: u32 = 100_000;

/// One listing: wall time, requests the simulator saw, time spent waiting on the budget.
async fn measure(latency: Duration, requests_per_minute: u32) -> (Duration, u64, Duration) {
    let latency = Latency {
        fixed: latency,
        jitter: Duration::ZERO,
    };
    let sim = simulator(
        USERS,
        SimConfig {
            latency,
            ..SimConfig::default()
        },
    )
    .await;
    let limits = BudgetLimits {
        requests_per_minute,
        max_concurrency: 8,
    };
    let client = Client::with_budget(config(&sim, ADMIN_TOKEN), Arc::new(Budget::new(limits)))
        .expect("the benchmark configuration is valid")
        .with_retry_policy(fast_retries(5));

    let started = Instant::now();
    let snapshot = client.list_users().await.expect("the listing succeeds");
    let elapsed = started.elapsed();

    assert_eq!(snapshot.users.len(), sim.admin().users().len());
    sim.admin().assert_no_violations();
    (
        elapsed,
        seen(&sim, RouteKind::ListUsers),
        client.stats().budget_wait,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run with --release -- --ignored --nocapture"]
async fn list_100k_users() {
    let cases = [
        (
            "no latency, 100,000 req/min budget",
            Duration::ZERO,
            100_000,
        ),
        (
            "no latency, budget out of the way",
            Duration::ZERO,
            10_000_000,
        ),
        (
            "50 ms latency, 100,000 req/min budget",
            Duration::from_millis(50),
            100_000,
        ),
    ];
    for (name, latency, requests_per_minute) in cases {
        let (elapsed, requests, waited) = measure(latency, requests_per_minute).await;
        eprintln!(
            "{name}: {USERS} users in {:.2} s, {requests} requests, {:.2} s summed budget wait",
            elapsed.as_secs_f64(),
            waited.as_secs_f64()
        );
    }
}
