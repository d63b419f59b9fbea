//! Latency, budgets and injected faults: scripted and probabilistic, each reproducible.

use std::time::{Duration, Instant};

use jira_align_sim::{
    DROPPED, FaultAction, FaultPlan, Latency, READER_SECRET, RequestBudget, RouteKind,
    ScriptedFault, SimConfig, SlowResponses,
};
use serde_json::json;

use crate::support::{Harness, harness, new_user, read};

fn with_faults(faults: FaultPlan) -> SimConfig {
    SimConfig {
        faults,
        ..Default::default()
    }
}

fn title(value: &str) -> serde_json::Value {
    json!([{"op": "replace", "path": "/title", "value": value}])
}

#[tokio::test]
async fn the_third_patch_fails_and_is_not_applied() {
    let plan = FaultPlan {
        scripted: vec![ScriptedFault::fail_nth("PATCH", 3, 500)],
        ..Default::default()
    };
    let h = harness(with_faults(plan)).await;
    let mut statuses = Vec::new();
    for (i, id) in [1001, 1002, 1003, 1004].iter().enumerate() {
        let response = h
            .patch(&format!("/users/{id}"), &title(&format!("T{i}")))
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, vec![204, 204, 500, 204]);
    assert_eq!(h.sim.admin().user(1003).and_then(|u| u.title), None);
    let log = h.sim.admin().request_log();
    assert_eq!(
        (log[2].applied, log[2].fault.as_deref()),
        (false, Some("status 500"))
    );
}

#[tokio::test]
async fn the_second_post_is_applied_then_its_answer_is_lost() {
    let plan = FaultPlan {
        scripted: vec![ScriptedFault::drop_after_apply("POST", 2)],
        ..Default::default()
    };
    let h = harness(with_faults(plan)).await;
    assert_eq!(
        h.post("/users", &new_user("first@example.test"))
            .await
            .status()
            .as_u16(),
        201
    );

    let body = new_user("second@example.test");
    let request = h
        .http
        .post(h.url("/users"))
        .bearer_auth(&h.token)
        .json(&body);
    assert!(
        request.send().await.is_err(),
        "the connection closes without an answer"
    );
    let created = h
        .sim
        .admin()
        .users()
        .into_iter()
        .any(|u| u.email.as_deref() == Some("second@example.test"));
    assert!(
        created,
        "the write happened although the client saw an error"
    );
    assert_eq!(h.sim.admin().count(RouteKind::CreateUser, DROPPED), 1);
    let log = h.sim.admin().request_log();
    assert_eq!((log[1].status, log[1].applied), (DROPPED, true));
}

#[tokio::test]
async fn random_faults_repeat_with_the_same_seed() {
    let plan = FaultPlan {
        error_500: 0.3,
        error_503: 0.2,
        ..Default::default()
    };
    let run = |seed: u64| {
        let config = SimConfig {
            seed,
            ..with_faults(plan.clone())
        };
        async move {
            let h = harness(config).await;
            let mut statuses = Vec::new();
            for _ in 0..40 {
                statuses.push(h.get("/users?$top=1").await.status().as_u16());
            }
            statuses
        }
    };
    let first = run(11).await;
    assert_eq!(first, run(11).await);
    assert_ne!(first, run(12).await);
    assert!(first.contains(&500) && first.contains(&503) && first.contains(&200));
}

#[tokio::test]
async fn dropped_connections_are_errors_and_change_nothing() {
    let plan = FaultPlan {
        drop_connection: 1.0,
        ..Default::default()
    };
    let h = harness(with_faults(plan)).await;
    let request = h
        .http
        .patch(h.url("/users/1001"))
        .bearer_auth(&h.token)
        .json(&title("Lost"));
    assert!(request.send().await.is_err());
    assert_eq!(h.sim.admin().user(1001).and_then(|u| u.title), None);
    assert_eq!(h.sim.admin().request_log()[0].status, DROPPED);
}

#[tokio::test]
async fn a_slow_answer_outlives_the_client_timeout_but_the_write_happens() {
    let slow = SlowResponses {
        probability: 1.0,
        delay: Duration::from_millis(1500),
    };
    let h = harness(with_faults(FaultPlan {
        slow: Some(slow),
        ..Default::default()
    }))
    .await;
    let request = h
        .http
        .patch(h.url("/users/1001"))
        .bearer_auth(&h.token)
        .json(&title("Late"));
    let result = request.timeout(Duration::from_millis(300)).send().await;
    assert!(result.is_err_and(|e| e.is_timeout()));
    assert_eq!(
        h.sim.admin().user(1001).and_then(|u| u.title).as_deref(),
        Some("Late")
    );
    // The client left during the delay: the request is journaled as abandoned, applied.
    let entry = journaled(&h, 1).await;
    assert_eq!(
        (
            entry.status,
            entry.abandoned,
            entry.applied,
            entry.fault.as_deref()
        ),
        (DROPPED, true, true, Some("delay 1500ms"))
    );
}

/// The request log once it holds `count` entries (an abandoned request is journaled when
/// the server notices its client is gone).
async fn journaled(h: &Harness, count: usize) -> jira_align_sim::LoggedRequest {
    for _ in 0..100 {
        let log = h.sim.admin().request_log();
        if log.len() >= count {
            return log[count - 1].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the request log never held {count} entries");
}

#[tokio::test]
async fn a_client_that_leaves_during_the_added_latency_is_journaled_as_abandoned() {
    let latency = Latency {
        fixed: Duration::from_millis(800),
        jitter: Duration::ZERO,
    };
    let h = harness(SimConfig {
        latency,
        ..Default::default()
    })
    .await;
    let request = h.http.get(h.url("/users/1001")).bearer_auth(&h.token);
    let result = request.timeout(Duration::from_millis(150)).send().await;
    assert!(result.is_err_and(|e| e.is_timeout()));
    let entry = journaled(&h, 1).await;
    assert_eq!(
        (entry.status, entry.abandoned, entry.route),
        (DROPPED, true, RouteKind::GetUser)
    );
    assert!(entry.elapsed_micros < 800_000, "{}", entry.elapsed_micros);
}

#[tokio::test]
async fn a_scripted_burst_of_429_carries_retry_after() {
    let mut burst = ScriptedFault::fail_nth("GET", 2, 429);
    burst.times = 3;
    burst.action = FaultAction::Status {
        status: 429,
        retry_after_secs: Some(5),
    };
    let h = harness(with_faults(FaultPlan {
        scripted: vec![burst],
        ..Default::default()
    }))
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = h.get("/users?$top=1").await;
        if response.status().as_u16() == 429 {
            assert_eq!(
                response.headers().get("retry-after").map(|v| v.as_bytes()),
                Some(&b"5"[..])
            );
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 429, 429, 429, 200]);
}

#[tokio::test]
async fn the_budget_is_per_token_and_answers_429_with_retry_after() {
    let config = SimConfig {
        budget: Some(RequestBudget { per_minute: 3 }),
        ..Default::default()
    };
    let mut h = harness(config).await;
    for _ in 0..3 {
        assert_eq!(h.get("/users?$top=1").await.status().as_u16(), 200);
    }
    let response = h.get("/users?$top=1").await;
    let retry_after: Option<u64> = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    assert_eq!(response.status().as_u16(), 429);
    assert!(
        retry_after.is_some_and(|s| (59..=60).contains(&s)),
        "retry after {retry_after:?}"
    );

    h.token = format!("user:2|{READER_SECRET}");
    assert_eq!(h.get("/users?$top=1").await.status().as_u16(), 200);
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let latency = Latency {
        fixed: Duration::from_millis(120),
        jitter: Duration::from_millis(30),
    };
    let h: Harness = harness(SimConfig {
        latency,
        ..Default::default()
    })
    .await;
    let started = Instant::now();
    let (status, _) = read(h.get("/users/1001").await).await;
    let elapsed = started.elapsed();
    assert_eq!(status, 200);
    assert!(elapsed >= Duration::from_millis(120), "took {elapsed:?}");
    assert!(elapsed < Duration::from_millis(1000), "took {elapsed:?}");
    let entry = &h.sim.admin().request_log()[0];
    assert!(!entry.abandoned);
    assert!(
        (120_000..150_000 + 50_000).contains(&entry.elapsed_micros),
        "the simulator's own time is within the latency: {}",
        entry.elapsed_micros
    );
}
