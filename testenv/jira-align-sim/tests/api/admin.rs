//! The admin surface: in-process and over HTTP under `/__admin/`, plus configuration files.

use std::path::PathBuf;

use jira_align_sim::{CreateAnswer, FaultAction, RouteKind, Seed, SimConfig, TopOverLimit, User};
use serde_json::{Value, json};

use crate::support::{Harness, harness, new_user, read, status_of};

async fn admin_get(h: &Harness, path: &str) -> (u16, Value) {
    let url = format!("{}/__admin{path}", h.sim.base_url());
    read(h.http.get(url).send().await.expect("the simulator answers")).await
}

async fn admin_send(h: &Harness, method: reqwest::Method, path: &str, body: String) -> u16 {
    let url = format!("{}/__admin{path}", h.sim.base_url());
    let request = h
        .http
        .request(method, url)
        .header("content-type", "application/json")
        .body(body);
    status_of(request).await
}

#[tokio::test]
async fn state_requests_and_counts_are_readable_over_http() {
    let h = harness(SimConfig::default()).await;
    h.get("/users?$top=2").await;
    h.get("/users/999").await;

    let (status, state) = admin_get(&h, "/state").await;
    assert_eq!(status, 200);
    assert_eq!(state["users"].as_array().map(Vec::len), Some(23));
    assert_eq!(
        state["tokens"][0],
        json!({"userId": 1, "secret": "admin-secret"})
    );
    let (_, users) = admin_get(&h, "/users").await;
    assert_eq!(users[0]["id"], json!(1));

    let (_, counts) = admin_get(&h, "/counts").await;
    let expected = json!([
        {"route": "listUsers", "status": 200, "count": 1},
        {"route": "getUser", "status": 404, "count": 1},
    ]);
    assert_eq!(counts, expected);
    let (_, log) = admin_get(&h, "/requests").await;
    assert_eq!(log[0]["query"], json!("$top=2"));
    assert_eq!(log[1]["userId"], json!(1));
    let (_, violations) = admin_get(&h, "/violations").await;
    assert_eq!(violations, json!([]));
    assert_eq!(admin_get(&h, "/nope").await.0, 404);
    assert_eq!(h.sim.admin().count(RouteKind::Unknown, 404), 0);
}

#[tokio::test]
async fn config_changes_at_runtime_over_http() {
    let h = harness(SimConfig::default()).await;
    let body = json!({"createAnswer": "bareId", "topOverLimit": "reject"}).to_string();
    assert_eq!(
        admin_send(&h, reqwest::Method::PUT, "/config", body).await,
        204
    );
    let (_, config) = admin_get(&h, "/config").await;
    assert_eq!(
        (&config["createAnswer"], &config["strict"]),
        (&json!("bareId"), &json!(true))
    );
    assert_eq!(
        read(h.post("/users", &new_user("n@example.test")).await).await,
        (201, json!(1021))
    );
    assert_eq!(h.sim.admin().config().top_over_limit, TopOverLimit::Reject);

    let bad = json!({"createAnswer": "sometimes"}).to_string();
    assert_eq!(
        admin_send(&h, reqwest::Method::PUT, "/config", bad).await,
        400
    );
}

#[tokio::test]
async fn reset_restores_the_seed_and_clears_the_journal() {
    let h = harness(SimConfig::default()).await;
    h.post("/users", &new_user("gone@example.test")).await;
    h.get("/nowhere").await;
    assert_eq!(
        admin_send(&h, reqwest::Method::POST, "/reset", String::new()).await,
        204
    );
    assert_eq!(h.sim.admin().users().len(), 23);
    assert!(h.sim.admin().request_log().is_empty());
    h.sim.admin().assert_no_violations();

    let mut seed = h.sim.admin().state();
    seed.users.truncate(2);
    seed.tokens.truncate(1);
    let body = serde_json::to_string(&seed).expect("seeds serialize");
    assert_eq!(
        admin_send(&h, reqwest::Method::POST, "/reset", body).await,
        204
    );
    assert_eq!(h.sim.admin().users().len(), 2);

    h.sim.admin().reset(Seed {
        users: vec![User {
            id: 1,
            ..Default::default()
        }],
        ..Default::default()
    });
    assert_eq!(
        h.get("/users").await.status().as_u16(),
        401,
        "the new seed has no tokens"
    );
}

#[tokio::test]
async fn tokens_rotate_over_http() {
    let h = harness(SimConfig::default()).await;
    let body = json!({"userId": 1, "secret": "fresh"}).to_string();
    assert_eq!(
        admin_send(&h, reqwest::Method::POST, "/tokens", body).await,
        204
    );
    assert_eq!(h.get("/users").await.status().as_u16(), 401);
}

fn config_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("configs")
        .join(name)
}

#[test]
fn sample_configuration_files_load() {
    let flaky = SimConfig::from_file(&config_file("flaky.yaml")).expect("flaky.yaml is valid");
    assert_eq!(flaky.faults.error_503, 0.05);
    assert_eq!(flaky.latency.fixed.as_millis(), 20);
    assert_eq!(flaky.faults.scripted[0].action, FaultAction::Drop);
    assert!(flaky.faults.scripted[0].after_apply);

    let knobs = SimConfig::from_file(&config_file("strict-alternatives.json")).expect("valid JSON");
    assert_eq!(knobs.create_answer, CreateAnswer::Empty);
    assert_eq!(knobs.budget.map(|b| b.per_minute), Some(600));
    assert!(SimConfig::from_file(&config_file("missing.yaml")).is_err());
}
