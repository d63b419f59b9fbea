//! Authentication and permission: bearer tokens in either case, 401 for missing, wrong,
//! regenerated or deactivated tokens, 403 for writes by a role that may not manage users.

use jira_align_sim::{ADMIN_SECRET, READER_SECRET, RETIRED_SECRET, SimConfig};
use serde_json::json;

use crate::support::{harness, new_user, read, status_of};

async fn status_with(h: &crate::support::Harness, header: Option<String>) -> u16 {
    let mut request = h.http.get(h.url("/users?$top=1"));
    if let Some(value) = header {
        request = request.header("Authorization", value);
    }
    status_of(request).await
}

#[tokio::test]
async fn bearer_tokens_are_checked() {
    let h = harness(SimConfig::default()).await;
    assert_eq!(
        status_with(&h, Some(format!("bearer user:1|{ADMIN_SECRET}"))).await,
        200
    );
    assert_eq!(
        status_with(&h, Some(format!("Bearer user:1|{ADMIN_SECRET}"))).await,
        200
    );
    assert_eq!(status_with(&h, None).await, 401);
    assert_eq!(
        status_with(&h, Some("bearer user:1|guess".to_owned())).await,
        401
    );
    assert_eq!(
        status_with(&h, Some(format!("bearer user:2|{ADMIN_SECRET}"))).await,
        401
    );
    assert_eq!(
        status_with(&h, Some(format!("bearer user:3|{RETIRED_SECRET}"))).await,
        401
    );
}

#[tokio::test]
async fn a_401_carries_a_message_body() {
    let h = harness(SimConfig::default()).await;
    let response = h
        .http
        .get(h.url("/users"))
        .send()
        .await
        .expect("the simulator answers");
    let (status, body) = read(response).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"message": "Authorization has been denied for this request."})
    );
}

#[tokio::test]
async fn a_reader_may_list_but_not_write() {
    let mut h = harness(SimConfig::default()).await;
    h.token = format!("user:2|{READER_SECRET}");
    assert_eq!(h.get("/users/1001").await.status().as_u16(), 200);
    let (status, body) = read(h.post("/users", &new_user("r@example.test")).await).await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"message": "You do not have permission to manage users."})
    );
    let patch = json!([{"op": "replace", "path": "/title", "value": "x"}]);
    assert_eq!(h.patch("/users/1001", &patch).await.status().as_u16(), 403);
}

#[tokio::test]
async fn a_regenerated_token_replaces_the_old_one() {
    let h = harness(SimConfig::default()).await;
    h.sim.admin().set_token(1, "rotated");
    assert_eq!(
        status_with(&h, Some(format!("bearer user:1|{ADMIN_SECRET}"))).await,
        401
    );
    assert_eq!(
        status_with(&h, Some("bearer user:1|rotated".to_owned())).await,
        200
    );
}

#[tokio::test]
async fn a_deactivated_users_token_stops_working() {
    let h = harness(SimConfig::default()).await;
    let deactivate_self = json!([{"op": "replace", "path": "/isLocked", "value": -1}]);
    assert_eq!(
        h.patch("/users/1", &deactivate_self)
            .await
            .status()
            .as_u16(),
        204
    );
    assert_eq!(h.get("/users/1").await.status().as_u16(), 401);
}
