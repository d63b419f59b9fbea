//! Reading: bare-array lists ordered by id, `$top`/`$skip`/`$select`/`$filter`, reads by
//! id, case-insensitive resource names, reference lists, unknown routes.

use jira_align_sim::{RouteKind, SimConfig, ViolationKind};
use serde_json::json;

use crate::support::{harness, read};

fn ids(page: &serde_json::Value) -> Vec<i64> {
    page.as_array()
        .expect("a bare array")
        .iter()
        .map(|u| u["id"].as_i64().unwrap_or(-1))
        .collect()
}

#[tokio::test]
async fn lists_are_bare_arrays_in_id_order_with_skip_and_top() {
    let h = harness(SimConfig::default()).await;
    let (status, page) = h.get_json("/Users?$top=5&$skip=2").await;
    assert_eq!(status, 200);
    assert_eq!(ids(&page), vec![3, 1001, 1002, 1003, 1004]);

    let (_, page) = h.get_json("/users").await;
    assert_eq!(page.as_array().map(Vec::len), Some(23));
    let (status, page) = h.get_json("/users?$skip=23").await;
    assert_eq!((status, page), (200, json!([])));
    h.sim.admin().assert_no_violations();
}

#[tokio::test]
async fn select_and_filter_follow_the_documented_subset() {
    let h = harness(SimConfig::default()).await;
    let path = "/users?$filter=roleID eq 9 and isLocked eq 0&$select=ID,email,isLocked";
    let (status, page) = h.get_json(path).await;
    assert_eq!(status, 200);
    assert_eq!(
        page,
        json!([{"id": 1, "email": "sync@example.test", "isLocked": 0}])
    );

    let path =
        "/users?$filter=(id eq 1001 or id eq 1003) and externalId ne null&$select=externalId";
    let (_, page) = h.get_json(path).await;
    assert_eq!(
        page,
        json!([{"externalId": "user000001"}, {"externalId": "user000003"}])
    );

    let path = "/users?$filter=createDate ge 2023-01-01T23:00:00Z and id gt 1018&$select=id";
    let (_, page) = h.get_json(path).await;
    assert_eq!(page, json!([{"id": 1019}, {"id": 1020}]));
    h.sim.admin().assert_no_violations();
}

#[tokio::test]
async fn bad_filters_and_selects_are_400_with_a_message() {
    let h = harness(SimConfig::default()).await;
    let (status, body) = h.get_json("/users?$filter=nickname eq 'x'").await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"message": "Could not find a property named 'nickname'."})
    );
    let (status, _) = h.get_json("/users?$select=id,nickname").await;
    assert_eq!(status, 400);
    let (status, _) = h
        .get_json("/users?$filter=teams/any(x: x/teamId eq 1)")
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_user_reads_by_id_with_its_derived_fields() {
    let h = harness(SimConfig::default()).await;
    let (status, user) = h.get_json("/USERS/1005").await;
    assert_eq!(status, 200);
    assert_eq!(user["uid"], json!("1005"));
    assert_eq!(user["fullName"], json!("Ken Person000005"));
    assert_eq!(user["status"], json!("Active"));
    let link = format!("{}/rest/align/api/2/users/1005", h.sim.base_url());
    assert_eq!(user["self"], json!(link));

    let (status, body) = h.get_json("/users/999999").await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"message": "User with id 999999 was not found."})
    );
}

#[tokio::test]
async fn reference_lists_serve_the_defaults() {
    let h = harness(SimConfig::default()).await;
    let (_, cities) = h
        .get_json("/Cities?$filter=regionId eq 1&$select=id,name")
        .await;
    assert_eq!(
        cities,
        json!([{"id": 11, "name": "New York"}, {"id": 12, "name": "Austin"}])
    );
    let (status, division) = h.get_json("/divisions/201").await;
    assert_eq!(
        (status, division),
        (200, json!({"id": 201, "name": "Platform"}))
    );
    let (_, centers) = h.get_json("/costcenters?$select=id").await;
    assert_eq!(centers, json!([{"id": 100}, {"id": 101}]));
    let (status, _) = h.get_json("/Regions/77").await;
    assert_eq!(status, 404);
    h.sim.admin().assert_no_violations();
}

#[tokio::test]
async fn unknown_routes_are_404_with_an_empty_body_and_a_violation() {
    let h = harness(SimConfig::default()).await;
    let response = h.get("/items/3").await;
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(response.bytes().await.map(|b| b.len()).ok(), Some(0));

    let violations = h.sim.admin().violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].kind, ViolationKind::UnknownRoute);
    assert_eq!(h.sim.admin().count(RouteKind::Unknown, 404), 1);
}

#[tokio::test]
async fn delete_on_a_user_is_not_supported() {
    let h = harness(SimConfig::default()).await;
    let request = h.http.delete(h.url("/users/1001")).bearer_auth(&h.token);
    let response = request.send().await.expect("the simulator answers");
    assert_eq!(
        response.headers().get("allow").map(|v| v.as_bytes()),
        Some(&b"GET, PATCH, PUT"[..])
    );
    let (status, _) = read(response).await;
    assert_eq!(status, 405);
    assert!(h.sim.admin().user(1001).is_some());
    assert_eq!(
        h.sim.admin().violations()[0].kind,
        ViolationKind::UnsupportedMethod
    );
}
