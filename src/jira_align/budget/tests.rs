//! The token bucket's pacing and burst, the concurrency cap, and registry sharing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::*;

fn limits(requests_per_minute: u32, max_concurrency: u32) -> BudgetLimits {
    BudgetLimits {
        requests_per_minute,
        max_concurrency,
    }
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_concurrency_size_then_one_request_per_interval() {
    // 120 per minute = one every 500 ms, with a burst of 2.
    let budget = Budget::new(limits(120, 2));
    let started = Instant::now();
    let mut starts = Vec::new();
    for _ in 0..5 {
        let permit = budget.acquire().await;
        starts.push(started.elapsed());
        drop(permit);
    }
    let ms = Duration::from_millis;
    assert_eq!(starts, vec![ms(0), ms(0), ms(500), ms(1000), ms(1500)]);
}

#[tokio::test(start_paused = true)]
async fn the_bucket_refills_while_idle_but_never_beyond_its_burst() {
    let budget = Budget::new(limits(60, 3));
    for _ in 0..3 {
        drop(budget.acquire().await);
    }
    tokio::time::sleep(Duration::from_secs(100)).await;
    let started = Instant::now();
    for _ in 0..4 {
        drop(budget.acquire().await);
    }
    // Three tokens of burst, then the fourth waits one second.
    assert_eq!(started.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn no_more_than_max_concurrency_requests_hold_permits() {
    let budget = Arc::new(Budget::new(limits(100_000, 3)));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (budget, in_flight, peak) = (
            Arc::clone(&budget),
            Arc::clone(&in_flight),
            Arc::clone(&peak),
        );
        tasks.push(tokio::spawn(async move {
            let permit = budget.acquire().await;
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(10)).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
        }));
    }
    for task in tasks {
        task.await.expect("task does not panic");
    }
    assert_eq!(peak.load(Ordering::SeqCst), 3);
}

#[test]
fn clients_of_one_site_share_a_budget_and_new_limits_replace_it() {
    let registry = BudgetRegistry::new();
    let budget = |url: &str, owner: &str, rpm, concurrency| {
        registry
            .budget_for(url, owner, limits(rpm, concurrency))
            .unwrap_or_else(|e| panic!("{url} gets a budget: {e}"))
    };
    let first = budget("https://acme.jiraalign.com", "a/one", 600, 8);
    let second = budget("HTTPS://ACME.jiraalign.com/", "a/one", 600, 8);
    let other = budget("https://other.jiraalign.com", "b/one", 600, 8);
    assert!(Arc::ptr_eq(&first, &second));
    assert!(!Arc::ptr_eq(&first, &other));

    let changed = budget("https://acme.jiraalign.com", "a/one", 300, 4);
    assert_eq!(changed.limits(), limits(300, 4));
    assert!(
        registry
            .budget_for("not a url", "a/one", limits(1, 1))
            .is_err()
    );
}

#[test]
fn a_site_follows_the_strictest_limits_of_its_current_owners() {
    let registry = BudgetRegistry::new();
    let site = "https://acme.jiraalign.com";
    let ask = |owner: &str, rpm, concurrency| {
        let budget = registry.budget_for(site, owner, limits(rpm, concurrency));
        budget.map(|b| b.limits()).ok()
    };
    assert_eq!(ask("a/one", 600, 10), Some(limits(600, 10)));
    // A second resource asking for less lowers the rate; the first keeps its smaller
    // concurrency as the bound.
    assert_eq!(ask("a/two", 300, 20), Some(limits(300, 10)));
    assert_eq!(ask("a/one", 600, 10), Some(limits(300, 10)));
    // Once the stricter resource names another site, its limits no longer count here.
    let elsewhere = registry.budget_for("https://other.jiraalign.com", "a/two", limits(300, 20));
    assert_eq!(elsewhere.map(|b| b.limits()).ok(), Some(limits(300, 20)));
    assert_eq!(ask("a/one", 600, 10), Some(limits(600, 10)));
    // A deleted resource's claim ends with it.
    assert_eq!(ask("a/three", 60, 2), Some(limits(60, 2)));
    registry.release("a/three");
    assert_eq!(ask("a/one", 600, 10), Some(limits(600, 10)));
}

#[test]
fn zero_limits_are_raised_to_one() {
    assert_eq!(Budget::new(limits(0, 0)).limits(), limits(1, 1));
}
