//! The Jira Align client against a failing simulator, in strict mode: random 5xx and
//! dropped connections, 429 bursts, lost and refused create answers, slow answers and an
//! exhausted per-token budget. Everything that can succeed does, and nobody is created twice.

#[path = "jira_align_support.rs"]
mod support;

use std::time::{Duration, Instant};

use jira_align_sim::{
    Burst429, FaultAction, FaultPlan, RequestBudget, RouteKind, RunningSimulator, ScriptedFault,
    SimConfig,
};
use jira_align_user_sync::jira_align::{Client, ClientConfig, PatchOp, RetryPolicy};
use support::{
    ADMIN_TOKEN, client, client_with, config, new_user, seen, simulator, users_with_email,
};

fn with_faults(faults: FaultPlan) -> SimConfig {
    SimConfig {
        faults,
        seed: 11,
        ..SimConfig::default()
    }
}

/// The admin's configuration with a 300 ms timeout.
fn impatient(sim: &RunningSimulator) -> ClientConfig {
    ClientConfig {
        timeout: Duration::from_millis(300),
        ..config(sim, ADMIN_TOKEN)
    }
}

/// Lists every user, then creates and deactivates `people` new ones, checking each step
/// against the simulator's state.
async fn list_create_and_deactivate(sim: &RunningSimulator, client: &Client, people: u32) {
    let snapshot = client.list_users().await.expect("the listing succeeds");
    assert_eq!(snapshot.users.len(), sim.admin().users().len());
    for n in 0..people {
        let person = new_user(n);
        let id = client
            .create_user(&person)
            .await
            .expect("the create succeeds");
        let deactivate = PatchOp::deactivate();
        client
            .patch_user(id, &deactivate)
            .await
            .expect("the patch succeeds");
        assert_eq!(users_with_email(sim, &person.email), 1, "{}", person.email);
        assert_eq!(sim.admin().user(id as i64).map(|u| u.is_locked), Some(-1));
    }
}

#[tokio::test]
async fn every_operation_succeeds_through_twenty_percent_server_errors() {
    let faults = FaultPlan {
        error_500: 0.1,
        error_503: 0.1,
        ..FaultPlan::default()
    };
    let sim = simulator(1000, with_faults(faults)).await;
    let client = client(&sim);

    list_create_and_deactivate(&sim, &client, 20).await;

    // Pages still in flight when the short page arrives are abandoned uncounted, so the
    // listing's counts may fall short of the simulator's; the writes are one at a time.
    let stats = client.stats();
    let server_errors = |route| sim.admin().count(route, 500) + sim.admin().count(route, 503);
    assert!(stats.list.server_error <= server_errors(RouteKind::ListUsers));
    assert_eq!(
        stats.create.server_error,
        server_errors(RouteKind::CreateUser)
    );
    assert_eq!(
        stats.patch.server_error,
        server_errors(RouteKind::PatchUser)
    );
    assert_eq!(stats.create.success + stats.patch.success, 40);
    assert!(stats.create.server_error + stats.patch.server_error > 0);
    sim.admin().assert_no_violations();
}

#[tokio::test]
async fn every_operation_succeeds_through_dropped_connections() {
    let faults = FaultPlan {
        drop_connection: 0.2,
        ..FaultPlan::default()
    };
    let sim = simulator(1000, with_faults(faults)).await;
    let client = client(&sim);

    list_create_and_deactivate(&sim, &client, 10).await;

    let stats = client.stats();
    let dropped = |route| sim.admin().count(route, jira_align_sim::DROPPED);
    let write_drops = dropped(RouteKind::CreateUser) + dropped(RouteKind::PatchUser);
    assert!(write_drops > 0);
    assert_eq!(stats.create.no_answer + stats.patch.no_answer, write_drops);
    assert!(stats.list.no_answer + stats.find.no_answer <= dropped(RouteKind::ListUsers));
    sim.admin().assert_no_violations();
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_found_not_repeated() {
    let faults = FaultPlan {
        scripted: vec![ScriptedFault::drop_after_apply("POST", 2)],
        ..FaultPlan::default()
    };
    let sim = simulator(10, with_faults(faults)).await;
    let client = client(&sim);

    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(
            client
                .create_user(&new_user(n))
                .await
                .expect("the create succeeds"),
        );
    }

    for (n, id) in (1..=3).zip(&ids) {
        let email = new_user(n).email;
        assert_eq!(users_with_email(&sim, &email), 1, "{email}");
        assert_eq!(
            sim.admin().user(*id as i64).and_then(|u| u.email),
            Some(email)
        );
    }
    // Three POSTs, the second applied but unanswered, then one look-up by email.
    assert_eq!(seen(&sim, RouteKind::CreateUser), 3);
    assert_eq!(sim.admin().count(RouteKind::CreateUser, 0), 1);
    assert_eq!(client.stats().find.success, 1);
    sim.admin().assert_no_violations();
}

#[tokio::test]
async fn a_create_refused_with_503_is_looked_up_then_sent_again() {
    let faults = FaultPlan {
        scripted: vec![ScriptedFault::fail_nth("POST", 1, 503)],
        ..FaultPlan::default()
    };
    let sim = simulator(10, with_faults(faults)).await;
    let client = client(&sim);

    let person = new_user(1);
    let id = client
        .create_user(&person)
        .await
        .expect("the create succeeds");

    assert_eq!(users_with_email(&sim, &person.email), 1);
    assert_eq!(
        sim.admin().user(id as i64).and_then(|u| u.external_id),
        person.external_id
    );
    let routes: Vec<(RouteKind, u16)> = sim
        .admin()
        .request_log()
        .iter()
        .map(|r| (r.route, r.status))
        .collect();
    let expected = vec![
        (RouteKind::CreateUser, 503),
        // Look-ups by email, then by externalId: neither finds the user.
        (RouteKind::ListUsers, 200),
        (RouteKind::ListUsers, 200),
        (RouteKind::CreateUser, 201),
    ];
    assert_eq!(routes, expected);
    sim.admin().assert_no_violations();
}

#[tokio::test]
async fn a_429_burst_is_waited_out_as_retry_after_asks() {
    let mut burst = ScriptedFault::fail_nth("GET", 1, 429);
    burst.times = 2;
    burst.action = FaultAction::Status {
        status: 429,
        retry_after_secs: Some(1),
    };
    let sim = simulator(
        0,
        with_faults(FaultPlan {
            scripted: vec![burst],
            ..FaultPlan::default()
        }),
    )
    .await;
    let client = client(&sim);

    let started = Instant::now();
    let user = client.get_user(1).await.expect("the read succeeds");
    let elapsed = started.elapsed();

    assert_eq!(user.id, 1);
    assert_eq!(client.stats().throttled, 2);
    assert_eq!(sim.admin().count(RouteKind::GetUser, 429), 2);
    // Two waits of the asked second, one after the other.
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    sim.admin().assert_no_violations();
}

#[tokio::test]
async fn random_429_bursts_slow_the_listing_but_lose_nothing() {
    let burst = Burst429 {
        probability: 0.1,
        length: 2,
        retry_after_secs: 0,
    };
    let sim = simulator(
        3000,
        with_faults(FaultPlan {
            burst_429: Some(burst),
            ..FaultPlan::default()
        }),
    )
    .await;
    let client = client(&sim);

    let snapshot = client.list_users().await.expect("the listing succeeds");

    assert_eq!(snapshot.users.len(), sim.admin().users().len());
    let throttled = sim.admin().count(RouteKind::ListUsers, 429);
    assert!(throttled > 0);
    assert_eq!(client.stats().throttled, throttled);
    sim.admin().assert_no_violations();
}

#[tokio::test]
async fn a_slow_answer_times_out_and_the_retry_succeeds() {
    let slow = |method: &str| ScriptedFault {
        action: FaultAction::Delay {
            delay: Duration::from_secs(3),
        },
        after_apply: true,
        ..ScriptedFault::drop_after_apply(method, 1)
    };
    let faults = FaultPlan {
        scripted: vec![slow("GET"), slow("PATCH"), slow("POST")],
        ..FaultPlan::default()
    };
    let sim = simulator(10, with_faults(faults)).await;
    let client = client_with(impatient(&sim));

    let snapshot = client.list_users().await.expect("the listing succeeds");
    assert_eq!(snapshot.users.len(), sim.admin().users().len());
    client
        .patch_user(1001, &PatchOp::deactivate())
        .await
        .expect("the patch succeeds");
    // The create is applied but answered too late; the look-up finds it.
    let person = new_user(1);
    let id = client
        .create_user(&person)
        .await
        .expect("the create succeeds");

    let stats = client.stats();
    let no_answers = (
        stats.list.no_answer,
        stats.patch.no_answer,
        stats.create.no_answer,
    );
    assert_eq!(no_answers, (1, 1, 1));
    assert_eq!((stats.find.success, stats.retries), (1, 3));
    assert_eq!(sim.admin().user(1001).map(|u| u.is_locked), Some(-1));
    assert_eq!(
        sim.admin().user(id as i64).and_then(|u| u.email),
        Some(person.email.clone())
    );
    assert_eq!(users_with_email(&sim, &person.email), 1);
    sim.admin().assert_no_violations();
}

#[tokio::test]
async fn a_single_attempt_that_times_out_is_a_timeout() {
    let slow = ScriptedFault {
        action: FaultAction::Delay {
            delay: Duration::from_secs(3),
        },
        ..ScriptedFault::fail_nth("GET", 1, 0)
    };
    let sim = simulator(
        0,
        with_faults(FaultPlan {
            scripted: vec![slow],
            ..FaultPlan::default()
        }),
    )
    .await;
    let mut config = impatient(&sim);
    config.max_attempts = 1;

    let error = client_with(config)
        .get_user(1)
        .await
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some("GET /Users/{id} for user 1 timed out after 1 attempts")
    );
    sim.admin().assert_no_violations();
}

#[tokio::test]
async fn an_exhausted_token_budget_ends_throttled() {
    let limited = SimConfig {
        budget: Some(RequestBudget { per_minute: 2 }),
        ..SimConfig::default()
    };
    let sim = simulator(0, limited).await;
    let mut config = config(&sim, ADMIN_TOKEN);
    config.max_attempts = 2;
    let client = client_with(config).with_retry_policy(RetryPolicy {
        max_retry_after: Duration::from_millis(50),
        ..support::fast_retries(2)
    });

    assert!(client.get_user(1).await.is_ok());
    assert!(client.get_user(1).await.is_ok());
    let error = client.get_user(1).await.err().map(|e| e.to_string());

    assert_eq!(
        error.as_deref(),
        Some("jira align throttled GET /Users/{id} for user 1 on all 2 attempts")
    );
    assert_eq!(client.stats().throttled, 2);
    assert_eq!(sim.admin().count(RouteKind::GetUser, 429), 2);
    sim.admin().assert_no_violations();
}
