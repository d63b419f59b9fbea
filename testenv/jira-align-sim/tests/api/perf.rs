//! The simulator must never be the bottleneck: a full listing of 100,000 users in pages of
//! 100, with no added latency, measured with a minimal client.

use std::time::{Duration, Instant};

use jira_align_sim::SimConfig;

use crate::support::harness_with;

#[tokio::test]
async fn a_full_listing_of_100000_users_is_fast() {
    let spec = jira_align_sim::GeneratorSpec {
        users: 100_000,
        ..Default::default()
    };
    let h = harness_with(spec, SimConfig::default()).await;
    let started = Instant::now();
    let users = h.list_all().await;
    let elapsed = started.elapsed();
    assert_eq!(users.len(), 100_003);
    eprintln!(
        "listed {} users in pages of 100 in {elapsed:?}",
        users.len()
    );
    // A debug build on a shared 2-core machine; the release figure is in the README.
    assert!(elapsed < Duration::from_secs(120), "took {elapsed:?}");
    h.sim.admin().assert_no_violations();
}
