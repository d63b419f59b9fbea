//! End to end with two operator processes sharing one Lease: exactly one syncs, the other
//! stands by ready, and on SIGTERM the leader releases the Lease and the standby takes over.

#[path = "support/harness.rs"]
mod support;

use std::time::Duration;

use jira_align_user_sync::crd::SYNC_NOW_ANNOTATION;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::events::v1::Event;
use kube::Api;
use support::cluster::RELEASE;
use support::fixture::{annotate, base_seed, wait_for_reason};
use support::operator::{Operator, OperatorOptions, message};
use support::scenario::Scenario;

async fn holder(client: &kube::Client, lease: &str) -> Option<String> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), RELEASE);
    let lease = leases
        .get_opt(lease)
        .await
        .expect("the lease can be read")?;
    lease.spec?.holder_identity
}

/// Once the scenario's operator leads, starts a second one on the same Lease and waits until
/// it is ready: a standby is ready once it has reached the API server, so rollouts do not
/// stall on it.
async fn standby(world: &Scenario, identity: &str) -> Operator {
    let acquired = |l: &serde_json::Value| message(l) == "acquired the lease";
    world
        .operator
        .wait_for_log(Duration::from_secs(20), acquired);
    let options = OperatorOptions {
        namespaces: vec![world.namespace.clone()],
        lease_name: world.namespace.clone(),
        identity: identity.to_owned(),
    };
    let standby = Operator::start(world.setup, &options);
    standby.wait_ready(Duration::from_secs(10)).await;
    standby
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_operators_only_the_leader_syncs_and_the_standby_takes_over() {
    let mut world = Scenario::start("e2e-leader", base_seed()).await;
    let lease = world.namespace.clone();
    let leader_id = world.operator.identity.clone();
    let standby = standby(&world, "e2e-leader-standby").await;
    assert_eq!(holder(&world.client, &lease).await, Some(leader_id.clone()));

    world.create(&world.manifest("leader")).await;
    wait_for_reason(&world.client, &world.namespace, "leader", "Synced").await;
    assert_eq!(world.operator.wait_for_outcomes("leader", 1).len(), 1);
    assert_eq!(standby.outcomes("leader").len(), 0);
    let events: Api<Event> = Api::namespaced(world.client.clone(), &world.namespace);
    let events = events.list(&Default::default()).await.expect("events list");
    let instances: Vec<_> = events
        .items
        .iter()
        .map(|e| e.reporting_instance.clone())
        .collect();
    assert_eq!(instances, vec![Some(leader_id.clone())]);

    // SIGTERM: the leader finishes, releases the Lease and exits cleanly.
    assert_eq!(world.operator.terminate(Duration::from_secs(20)), Some(0));
    let released = world
        .operator
        .logs()
        .iter()
        .any(|l| message(l) == "released the lease");
    assert!(released, "{:#?}", world.operator.logs());
    standby.wait_for_log(Duration::from_secs(20), |l| {
        message(l) == "acquired the lease"
    });
    assert_eq!(
        holder(&world.client, &lease).await.as_deref(),
        Some("e2e-leader-standby")
    );

    // The new leader keeps the due time the old one wrote (an hour away) instead of
    // running the resource again at once.
    let synced = wait_for_reason(&world.client, &world.namespace, "leader", "Synced").await;
    let next = synced
        .status
        .as_ref()
        .and_then(|s| s.next_sync_time.clone());
    let kept = standby.wait_for_log(Duration::from_secs(20), |l| {
        message(l) == "kept the schedule from the status" && l["fields"]["name"] == "leader"
    });
    assert_eq!(kept["fields"]["next_sync_time"].as_str(), next.as_deref());
    assert_eq!(standby.outcomes("leader").len(), 0);

    // The new leader syncs on the next trigger.
    annotate(
        &world.client,
        &world.namespace,
        "leader",
        SYNC_NOW_ANNOTATION,
        "1",
    )
    .await;
    standby.wait_for_log(Duration::from_secs(30), |l| {
        message(l) == "sync outcome" && l["fields"]["name"] == "leader"
    });
    assert_eq!(standby.outcomes("leader")[0]["fields"]["reason"], "Synced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_takes_over_a_lease_its_holder_stopped_renewing() {
    let mut world = Scenario::start("e2e-takeover", base_seed()).await;
    let lease = world.namespace.clone();
    let standby = standby(&world, "e2e-takeover-standby").await;

    // SIGKILL: no release, so the standby must wait for the 6 s Lease to expire.
    let killed_at = std::time::Instant::now();
    world.operator.kill();
    standby.wait_for_log(Duration::from_secs(20), |l| {
        message(l) == "acquired the lease"
    });
    let waited = killed_at.elapsed();
    assert!(
        waited >= Duration::from_secs(3),
        "took over after {waited:?}"
    );
    assert_eq!(
        holder(&world.client, &lease).await.as_deref(),
        Some("e2e-takeover-standby")
    );

    support::fixture::create(&world.client, &world.manifest("takeover")).await;
    wait_for_reason(&world.client, &world.namespace, "takeover", "Synced").await;
    assert_eq!(standby.wait_for_outcomes("takeover", 1).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_running_sync_finish_before_exiting() {
    let mut world = Scenario::start("e2e-sigterm", base_seed()).await;
    let slow = jira_align_sim::Latency {
        fixed: Duration::from_millis(400),
        ..Default::default()
    };
    let config = jira_align_sim::SimConfig {
        latency: slow,
        ..Default::default()
    };
    world.site.admin().set_config(config);
    world.create(&world.manifest("sigterm")).await;

    // Stop the operator while it applies the plan.
    world
        .operator
        .wait_for_log(Duration::from_secs(30), |l| message(l) == "read both sides");
    assert_eq!(world.operator.terminate(Duration::from_secs(30)), Some(0));

    let logs = world.operator.logs();
    let finished = logs
        .iter()
        .any(|l| message(l) == "controllers finished their running syncs");
    assert!(finished, "{logs:#?}");
    let synced = wait_for_reason(&world.client, &world.namespace, "sigterm", "Synced").await;
    assert_eq!(support::fixture::actions(&synced).created, 6);
    let created = world
        .site
        .admin()
        .users()
        .iter()
        .filter(|u| u.id > 3)
        .count();
    assert_eq!(created, 6);
}
