//! End to end on the local control plane, each test with its own namespace, slapd, simulated
//! site and operator: a membership change at the next run, token rotation, a replaced CA in
//! a ConfigMap, a missing Secret, a dry run, and a blocked plan applied once approved.

#[path = "support/harness.rs"]
mod support;

use jira_align_sim::RouteKind;
use jira_align_user_sync::crd::{
    APPROVE_PLAN_ANNOTATION, ActionCounts, JiraAlignUserSync, SYNC_NOW_ANNOTATION,
};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::events::v1::Event;
use kube::Api;
use serde_json::json;
use support::cluster::{put_config_map, put_secret};
use support::fixture::{
    TOKEN_SECRET, actions, annotate, base_seed, jira_user, ready, wait_for, wait_for_reason,
};
use support::scenario::Scenario;
use test_directories::{StandardLdap, TlsFiles};

/// The first run against the standard fixture and [`base_seed`]: ivan has no mail and the
/// token's own user is never touched.
fn first_run() -> ActionCounts {
    ActionCounts {
        created: 6,
        skipped: 2,
        ..ActionCounts::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_membership_change_is_applied_at_the_next_run() {
    let world = Scenario::start("e2e-members", base_seed()).await;
    world.create(&world.manifest("members")).await;
    let first = wait_for_reason(&world.client, &world.namespace, "members", "Synced").await;
    assert_eq!(actions(&first), first_run());
    // Seven entitled members; grace (ppolicy) and heidi (nsAccountLock) are locked.
    let status = first.status.as_ref();
    let entitled = StandardLdap::EXPECTED_ENTITLED.len() as u64;
    let locked =
        (StandardLdap::PPOLICY_LOCKED.len() + StandardLdap::NS_ACCOUNT_LOCKED.len()) as u64;
    assert_eq!(
        status.map(|s| (s.directory_members, s.directory_excluded)),
        Some((Some(entitled), Some(locked)))
    );
    assert_eq!((entitled, locked), (7, 2));
    let skipped: Vec<(String, String)> = first
        .status
        .iter()
        .flat_map(|s| s.skipped_users.iter())
        .map(|s| (s.user.clone(), s.reason.clone()))
        .collect();
    let expected = [
        (
            "ivan",
            "directory entry has no email, which Jira Align requires",
        ),
        ("svc-sync", "protected (token owner)"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(user, reason)| (user.to_string(), reason.to_string()))
        .collect();
    assert_eq!(skipped, expected);

    let ken = StandardLdap::user_dn("ken");
    let alice = StandardLdap::user_dn("alice");
    world
        .ldap
        .add_member(StandardLdap::ENTITLED_GROUP_DN, &ken)
        .expect("ken joins");
    world
        .ldap
        .remove_member(StandardLdap::ENTITLED_GROUP_DN, &alice)
        .expect("alice leaves");
    annotate(
        &world.client,
        &world.namespace,
        "members",
        SYNC_NOW_ANNOTATION,
        "1",
    )
    .await;

    let expected = ActionCounts {
        created: 1,
        deactivated: 1,
        unchanged: 5,
        skipped: 2,
        ..ActionCounts::default()
    };
    let second = wait_for(
        &world.client,
        &world.namespace,
        "members",
        std::time::Duration::from_secs(60),
        |r| actions(r) == expected,
    )
    .await;
    assert_eq!(ready(&second).map(|r| r.1), Some("Synced".to_owned()));
    assert!(world.active("ken") && !world.active("alice"));
    assert_eq!(world.operator.wait_for_outcomes("members", 2).len(), 2);
    // Each run said something else, so each has its own Event with its own message.
    let events: Api<Event> = Api::namespaced(world.client.clone(), &world.namespace);
    let mut notes: Vec<String> = events
        .list(&Default::default())
        .await
        .expect("events list")
        .items
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some("Synced"))
        .filter_map(|e| e.note)
        .collect();
    notes.sort();
    assert_eq!(
        notes,
        [
            "created 1, reactivated 0, deactivated 1, updated 0, repaired 0; 5 unchanged, \
             2 skipped",
            "created 6, reactivated 0, deactivated 0, updated 0, repaired 0; 0 unchanged, \
             2 skipped",
        ]
    );
    world.site.admin().assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_token_is_picked_up_from_the_secret() {
    let world = Scenario::start("e2e-rotate", base_seed()).await;
    world.create(&world.manifest("rotate")).await;
    wait_for_reason(&world.client, &world.namespace, "rotate", "Synced").await;

    // The token is regenerated in Jira Align: the Secret's copy stops working.
    world.site.admin().set_token(1, "rotated-secret");
    annotate(
        &world.client,
        &world.namespace,
        "rotate",
        SYNC_NOW_ANNOTATION,
        "1",
    )
    .await;
    let refused = wait_for_reason(
        &world.client,
        &world.namespace,
        "rotate",
        "JiraAlignUnauthorized",
    )
    .await;
    let (status, _, message) = ready(&refused).expect("a Ready condition");
    assert_eq!(status, "False");
    assert!(
        !message.contains("rotated-secret") && !message.contains("admin-secret"),
        "{message}"
    );

    // Only the Secret changes; its watch brings the resource back.
    put_secret(
        &world.client,
        &world.namespace,
        TOKEN_SECRET,
        "token",
        "user:1|rotated-secret",
    )
    .await;
    let synced = wait_for_reason(&world.client, &world.namespace, "rotate", "Synced").await;
    assert_eq!(synced.metadata.generation, Some(1));
    assert_eq!(world.operator.wait_for_outcomes("rotate", 3).len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_replaced_in_its_config_map_is_used_at_once() {
    const MAP: &str = "directory-ca-bundle";
    let world = Scenario::start("e2e-ca-map", base_seed()).await;
    let (ns, client) = (&world.namespace, &world.client);
    put_config_map(client, ns, MAP, "ca.pem", &world.directory.ca_pem).await;
    let mut manifest = world.manifest("ca-map");
    manifest["spec"]["directory"]["tls"] =
        json!({"ca": {"configMapRef": {"name": MAP, "key": "ca.pem"}}});
    world.create(&manifest).await;
    wait_for_reason(client, ns, "ca-map", "Synced").await;

    // Another CA replaces the right one. The next scheduled run is an hour away, so only the
    // ConfigMap's watch can bring the resource to this failure within the wait.
    let other = tempfile::tempdir().expect("a temporary directory");
    let other_ca = TlsFiles::generate(other.path(), &[]).expect("openssl makes a CA");
    let other_pem = std::fs::read_to_string(&other_ca.ca_pem).expect("the CA is readable");
    put_config_map(client, ns, MAP, "ca.pem", &other_pem).await;
    let refused = wait_for_reason(client, ns, "ca-map", "TlsFailed").await;
    assert_eq!(refused.metadata.generation, Some(1));
    let (status, _, message) = ready(&refused).expect("a Ready condition");
    assert_eq!(status, "False");
    assert!(message.contains("certificate is not trusted"), "{message}");

    put_config_map(client, ns, MAP, "ca.pem", &world.directory.ca_pem).await;
    let synced = wait_for_reason(client, ns, "ca-map", "Synced").await;
    assert_eq!(synced.metadata.generation, Some(1));
    assert_eq!(world.operator.wait_for_outcomes("ca-map", 3).len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_deleted_during_its_run_leaves_no_metric_behind() {
    let world = Scenario::start("e2e-deleted", base_seed()).await;
    // Every answer takes 3 s, so the first run is still reading when the resource goes.
    let admin = world.site.admin();
    let mut config = admin.config();
    config.latency = jira_align_sim::Latency {
        fixed: std::time::Duration::from_secs(3),
        jitter: std::time::Duration::ZERO,
    };
    admin.set_config(config);
    world.create(&world.manifest("doomed")).await;
    let api: Api<JiraAlignUserSync> = Api::namespaced(world.client.clone(), &world.namespace);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    api.delete("doomed", &Default::default())
        .await
        .expect("the resource is deleted");

    // The run went on after the deletion and ended (it read the site), unreported.
    let ended = world
        .operator
        .wait_for_log(std::time::Duration::from_secs(60), |l| {
            let said = support::operator::message(l);
            l["fields"]["name"] == "doomed"
                && (said == "resource deleted during its run" || said == "sync outcome")
        });
    assert_eq!(
        support::operator::message(&ended),
        "resource deleted during its run",
        "{ended:#}"
    );
    let listed = admin.request_log();
    assert!(listed.iter().any(|r| r.route == RouteKind::ListUsers));
    let (code, metrics) = world.operator.http_get("/metrics").await;
    assert_eq!(code, 200);
    assert!(!metrics.contains("name=\"doomed\""), "{metrics}");
    assert!(world.operator.outcomes("doomed").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_secret_is_reported_and_nothing_is_written() {
    let world = Scenario::start("e2e-secret", base_seed()).await;
    let secrets: Api<Secret> = Api::namespaced(world.client.clone(), &world.namespace);
    secrets
        .delete(TOKEN_SECRET, &Default::default())
        .await
        .expect("the token Secret is deleted");
    world.create(&world.manifest("secret")).await;

    let missing = wait_for_reason(&world.client, &world.namespace, "secret", "SecretMissing").await;
    let (status, _, message) = ready(&missing).expect("a Ready condition");
    assert_eq!(status, "False");
    let expected = format!(
        "secret {}/jira-align-token not found (spec.jiraAlign.tokenSecretRef)",
        world.namespace
    );
    assert_eq!(message, expected);
    assert_eq!(
        missing
            .status
            .as_ref()
            .and_then(|s| s.next_sync_time.clone()),
        None
    );
    assert!(world.site.admin().request_log().is_empty());

    // Creating the Secret is the change the resource waits for.
    let token = support::fixture::admin_token();
    put_secret(
        &world.client,
        &world.namespace,
        TOKEN_SECRET,
        "token",
        &token,
    )
    .await;
    let synced = wait_for_reason(&world.client, &world.namespace, "secret", "Synced").await;
    assert_eq!(actions(&synced), first_run());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_plans_and_reports_without_writing() {
    let world = Scenario::start("e2e-dry", base_seed()).await;
    let mut manifest = world.manifest("dry");
    manifest["spec"]["policy"] = json!({"dryRun": true});
    world.create(&manifest).await;

    let planned = wait_for_reason(&world.client, &world.namespace, "dry", "DryRun").await;
    assert_eq!(ready(&planned).map(|r| r.0), Some("True".to_owned()));
    let status = planned.status.clone().expect("a status");
    let plan = status.pending_plan.expect("the plan is reported");
    assert_eq!((plan.reason.as_str(), plan.hash.len()), ("DryRun", 16));
    assert_eq!(plan.actions, first_run());
    // A completed dry run counts as a successful sync (it read both sides and planned).
    assert!(status.last_sync_time.is_some());
    assert_eq!(status.last_successful_sync_time, status.last_sync_time);
    // The member without mail and the token's owner are listed with why.
    let skipped: Vec<&str> = status
        .skipped_users
        .iter()
        .map(|s| s.user.as_str())
        .collect();
    assert_eq!(skipped, ["ivan", "svc-sync"]);

    let admin = world.site.admin();
    let writes = admin
        .request_log()
        .iter()
        .filter(|r| r.route != RouteKind::ListUsers)
        .count();
    assert_eq!(writes, 0, "{:#?}", admin.request_log());
    assert!(!world.active("alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_plan_is_applied_once_its_hash_is_approved() {
    let mut seed = base_seed();
    let leavers: Vec<String> = (1..=30).map(|n| format!("leaver{n:02}")).collect();
    for (n, key) in leavers.iter().enumerate() {
        seed.users.push(jira_user(
            3000 + n as i64,
            key,
            "Former",
            "Employee",
            "Engineer",
            true,
        ));
    }
    let world = Scenario::start("e2e-approve", seed).await;
    world.create(&world.manifest("approve")).await;

    let blocked = wait_for_reason(
        &world.client,
        &world.namespace,
        "approve",
        "DeactivationLimitExceeded",
    )
    .await;
    let plan = blocked
        .status
        .clone()
        .and_then(|s| s.pending_plan)
        .expect("the blocked plan");
    assert_eq!(plan.actions.deactivated, 30);
    assert_eq!(
        plan.deactivate.first().map(String::as_str),
        Some("leaver01")
    );
    assert!(
        leavers.iter().all(|key| world.active(key)),
        "nobody is deactivated yet"
    );
    assert_eq!(actions(&blocked).created, 6, "creates are not held back");

    let events: Api<Event> = Api::namespaced(world.client.clone(), &world.namespace);
    let events = events.list(&Default::default()).await.expect("events list");
    let warning = events
        .items
        .iter()
        .find(|e| e.reason.as_deref() == Some("DeactivationLimitExceeded"));
    let warning = warning.expect("a Warning Event for the blocked run");
    assert_eq!(warning.type_.as_deref(), Some("Warning"));
    assert!(
        warning
            .note
            .as_deref()
            .unwrap_or_default()
            .contains(&plan.hash)
    );

    // Approving another plan changes nothing and says why.
    annotate(
        &world.client,
        &world.namespace,
        "approve",
        APPROVE_PLAN_ANNOTATION,
        "deadbeefdeadbeef",
    )
    .await;
    let refused = wait_for(
        &world.client,
        &world.namespace,
        "approve",
        std::time::Duration::from_secs(60),
        |r| {
            ready(r).is_some_and(|(_, _, message)| {
                message.ends_with(
                    "(the approved plan deadbeefdeadbeef is not this one: the users to \
                     deactivate differ)",
                )
            })
        },
    )
    .await;
    assert_eq!(
        ready(&refused).map(|r| r.1),
        Some("DeactivationLimitExceeded".into())
    );
    assert!(leavers.iter().all(|key| world.active(key)));

    annotate(
        &world.client,
        &world.namespace,
        "approve",
        APPROVE_PLAN_ANNOTATION,
        &plan.hash,
    )
    .await;
    let applied = wait_for_reason(&world.client, &world.namespace, "approve", "Synced").await;
    assert_eq!(actions(&applied).deactivated, 30);
    let annotations = applied.metadata.annotations.clone().unwrap_or_default();
    assert!(
        !annotations.contains_key(APPROVE_PLAN_ANNOTATION),
        "an approval is used once and then removed"
    );
    assert_eq!(applied.status.and_then(|s| s.pending_plan), None);
    assert!(leavers.iter().all(|key| !world.active(key)));
    world.site.admin().assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_resource_does_not_run_until_resumed() {
    let world = Scenario::start("e2e-suspend", base_seed()).await;
    let mut manifest = world.manifest("suspend");
    manifest["spec"]["suspend"] = json!(true);
    world.create(&manifest).await;

    let suspended = wait_for_reason(&world.client, &world.namespace, "suspend", "Suspended").await;
    assert_eq!(ready(&suspended).map(|r| r.0), Some("False".to_owned()));
    assert!(world.site.admin().request_log().is_empty());

    let resume = json!({"spec": {"suspend": false}});
    support::fixture::patch(&world.client, &world.namespace, "suspend", resume).await;
    let synced = wait_for_reason(&world.client, &world.namespace, "suspend", "Synced").await;
    assert_eq!(actions(&synced), first_run());
}
