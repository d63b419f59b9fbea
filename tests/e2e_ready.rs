//! End to end on the local control plane: a resource reading the shared Samba AD DC reaches
//! Ready with the exact counts, reports one outcome line, one Event and its metrics, and the
//! simulated site ends up as the directory says.

#[path = "support/harness.rs"]
mod support;

use std::time::Duration;

use jira_align_sim::{SimConfig, start};
use jira_align_user_sync::crd::ActionCounts;
use k8s_openapi::api::events::v1::Event;
use kube::Api;
use support::cluster::{admin_client, kubectl, namespace, setup};
use support::fixture::{
    Directory, admin_token, base_seed, create, jira_user, manifest, put_secrets, ready,
    wait_for_reason,
};
use support::operator::{Operator, OperatorOptions};
use test_directories::SambaAd;

/// The site before the first run: alice in step, bob deactivated, carol with a stale title,
/// grace (disabled in AD) and ken (in no group) still active.
fn seed() -> jira_align_sim::Seed {
    let mut seed = base_seed();
    seed.users.extend([
        jira_user(
            2001,
            "alice.adams",
            "Alice",
            "Adams",
            "Product Manager",
            true,
        ),
        jira_user(
            2002,
            "bob.baker",
            "Bob",
            "Baker",
            "Release Train Engineer",
            false,
        ),
        jira_user(2003, "carol.chen", "Carol", "Chen", "Engineer", true),
        jira_user(2004, "ken.kim", "Ken", "Kim", "Contract Developer", true),
        jira_user(2005, "grace.green", "Grace", "Green", "Scrum Master", true),
    ]);
    seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_reaches_ready_with_the_exact_counts_against_samba_ad() {
    let setup = setup();
    let dc = SambaAd::ensure().unwrap_or_else(|error| panic!("{error}"));
    let site = start(seed(), SimConfig::default())
        .await
        .expect("the simulator starts");
    let client = admin_client(setup).await;
    let ns = namespace(&client, "e2e-ready").await;
    let directory = Directory::samba(&dc);
    put_secrets(&client, &ns, &admin_token(), &directory).await;

    let operator = Operator::start(
        setup,
        &OperatorOptions {
            namespaces: vec![ns.clone()],
            lease_name: ns.clone(),
            identity: "ready-1".into(),
        },
    );
    create(
        &client,
        &manifest(&ns, "engineering", site.base_url(), &directory),
    )
    .await;
    let synced = wait_for_reason(&client, &ns, "engineering", "Synced").await;

    let status = synced.status.clone().expect("a status");
    assert_eq!(ready(&synced).map(|r| r.0), Some("True".to_owned()));
    assert_eq!(status.observed_generation, Some(1));
    assert_eq!(status.directory_members, Some(9));
    assert_eq!(status.jira_align_users, Some(7));
    // ivan.ito has no mail, so no account can be made for him; the token's own user is
    // never touched; alice is in step; carol's title drifted.
    let expected = ActionCounts {
        created: 5,
        reactivated: 1,
        deactivated: 2,
        repaired: 0,
        updated: 1,
        unchanged: 1,
        skipped: 2,
        failed: 0,
    };
    assert_eq!(status.actions, Some(expected));
    assert_eq!(status.pending_plan, None);
    assert!(status.last_successful_sync_time.is_some());
    assert_eq!(status.last_successful_sync_time, status.last_sync_time);

    // The site now holds exactly the entitled members as active users.
    let users = site.admin().users();
    let active = |key: &str| {
        users
            .iter()
            .any(|u| u.external_id.as_deref() == Some(key) && u.is_active())
    };
    for member in test_directories::AdFixture::EXPECTED_ENTITLED {
        assert_eq!(active(member), *member != "ivan.ito", "{member}");
    }
    assert!(!active("ken.kim") && !active("grace.green"));
    site.admin().assert_no_violations();

    // One outcome line, one Event, and the metrics of the run.
    let outcomes = operator.wait_for_outcomes("engineering", 1);
    assert_eq!(outcomes.len(), 1, "{:#?}", operator.logs());
    assert_eq!(outcomes[0]["fields"]["reason"], "Synced");
    assert_eq!(outcomes[0]["fields"]["created"], 5);
    let events: Api<Event> = Api::namespaced(client.clone(), &ns);
    let events = events.list(&Default::default()).await.expect("events list");
    let reasons: Vec<_> = events
        .items
        .iter()
        .map(|e| e.reason.clone().unwrap_or_default())
        .collect();
    assert_eq!(reasons, vec!["Synced".to_owned()]);

    let (code, metrics) = operator.http_get("/metrics").await;
    assert_eq!(code, 200);
    assert!(
        metrics.contains("alignsync_runs_total{result=\"success\",reason=\"Synced\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("alignsync_actions_total{action=\"create\"} 5"),
        "{metrics}"
    );
    let members =
        format!("alignsync_directory_members{{namespace=\"{ns}\",name=\"engineering\"}} 9");
    assert!(metrics.contains(&members), "{metrics}");
    // The resource's times, for the stale-sync alert: both exported, the success after the
    // creation.
    let time_of = |metric: &str| -> f64 {
        let series = format!("{metric}{{namespace=\"{ns}\",name=\"engineering\"}} ");
        let line = metrics.lines().find(|l| l.starts_with(&series));
        let value = line.and_then(|l| l[series.len()..].parse().ok());
        value.unwrap_or_else(|| panic!("{series} in {metrics}"))
    };
    let created = time_of("alignsync_resource_created_timestamp_seconds");
    let succeeded = time_of("alignsync_last_success_timestamp_seconds");
    assert!(
        created <= succeeded && succeeded - created < 300.0,
        "{created} {succeeded}"
    );
    assert_eq!(
        operator.http_get("/ready").await.0,
        200,
        "{:#?}",
        operator.logs()
    );

    // kubectl shows the outcome in the printer columns: NAME READY LAST-SYNC MEMBERS
    // CREATED REACTIVATED DEACTIVATED FAILED AGE.
    let table = kubectl(setup, &["get", "jaus", "--namespace", &ns, "--no-headers"]);
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    let columns: Vec<&str> = table.split_whitespace().collect();
    assert_eq!(columns.len(), 9, "{table}");
    assert_eq!(&columns[..2], ["engineering", "True"], "{table}");
    assert_eq!(&columns[3..8], ["9", "5", "1", "2", "0"], "{table}");

    // Nothing changes and nothing is written again until the next interval.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(operator.wait_for_outcomes("engineering", 1).len(), 1);
}
