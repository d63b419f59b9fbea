//! End to end with several resources under one operator: two namespaces syncing two sites
//! at once, and two resources that would both deactivate on one site.

#[path = "support/harness.rs"]
mod support;

use std::time::Duration;

use jira_align_sim::{RouteKind, SimConfig, start};
use jira_align_user_sync::crd::ActionCounts;
use serde_json::json;
use support::fixture::{
    actions, active, base_seed, create, jira_user, manifest, patch, ready, wait_for,
    wait_for_reason,
};
use support::scenario::Scenario;
use test_directories::StandardLdap;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_namespaces_sync_two_sites_at_once() {
    let world = Scenario::start_in(&["e2e-site-a", "e2e-site-b"], base_seed()).await;
    let (ns_a, ns_b) = (&world.namespaces[0], &world.namespaces[1]);
    let mut seed_b = base_seed();
    seed_b
        .users
        .push(jira_user(2001, "bob", "Bob", "Brown", "Engineer", false));
    let site_b = start(seed_b, SimConfig::default())
        .await
        .expect("site b starts");

    create(&world.client, &world.manifest("sync")).await;
    create(
        &world.client,
        &manifest(ns_b, "sync", site_b.base_url(), &world.directory),
    )
    .await;
    let a = wait_for_reason(&world.client, ns_a, "sync", "Synced").await;
    let b = wait_for_reason(&world.client, ns_b, "sync", "Synced").await;

    let expected_a = ActionCounts {
        created: 6,
        skipped: 2,
        ..ActionCounts::default()
    };
    assert_eq!(actions(&a), expected_a);
    // On b, bob is back (deactivated before) and his stale name and email are brought in step.
    let expected_b = ActionCounts {
        created: 5,
        reactivated: 1,
        updated: 1,
        skipped: 2,
        ..ActionCounts::default()
    };
    assert_eq!(actions(&b), expected_b);

    // Each site saw only its own resource's requests.
    assert_eq!(world.site.admin().count(RouteKind::CreateUser, 201), 6);
    assert_eq!(site_b.admin().count(RouteKind::CreateUser, 201), 5);
    assert!(active(&site_b, "bob") && world.active("bob"));

    let (_, metrics) = world.operator.http_get("/metrics").await;
    for ns in [ns_a, ns_b] {
        let series = format!("alignsync_directory_members{{namespace=\"{ns}\",name=\"sync\"}} 7");
        assert!(metrics.contains(&series), "{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_later_of_two_deactivating_resources_on_one_site_deactivates_nothing() {
    let world = Scenario::start_in(&["e2e-first", "e2e-later"], base_seed()).await;
    let (ns_a, ns_b) = (&world.namespaces[0], &world.namespaces[1]);
    let client = &world.client;

    // The first resource syncs everyone in jira-align-users.
    create(client, &world.manifest("everyone")).await;
    wait_for_reason(client, ns_a, "everyone", "Synced").await;

    // The later one reads only engineering, so it would deactivate alice, bob and judy.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut later = manifest(ns_b, "engineering", world.site.base_url(), &world.directory);
    later["spec"]["directory"]["groups"] = json!([StandardLdap::ENGINEERING_GROUP_DN]);
    create(client, &later).await;
    let conflicted = wait_for_reason(client, ns_b, "engineering", "Conflict").await;
    let (status, _, message) = ready(&conflicted).expect("a Ready condition");
    assert_eq!(status, "False");
    let expected = format!(
        "deactivation is off: {ns_a}/everyone also deactivates users of {}/ and was created \
         first; turn off spec.policy.deactivate on one of them",
        world.site.base_url()
    );
    assert_eq!(message, expected);
    assert_eq!(actions(&conflicted).deactivated, 0);
    assert!(["alice", "bob", "judy"].iter().all(|key| world.active(key)));

    // Turning deactivation off on the first ends the conflict without touching the later.
    patch(
        client,
        ns_a,
        "everyone",
        json!({"spec": {"policy": {"deactivate": false}}}),
    )
    .await;
    let resolved = wait_for(client, ns_b, "engineering", Duration::from_secs(60), |r| {
        ready(r).is_some_and(|(_, reason, _)| reason == "Synced")
    })
    .await;
    assert_eq!(resolved.metadata.generation, Some(1));
    assert_eq!(actions(&resolved).deactivated, 3);
    assert!(
        ["alice", "bob", "judy"]
            .iter()
            .all(|key| !world.active(key))
    );
    world.site.admin().assert_no_violations();
}
