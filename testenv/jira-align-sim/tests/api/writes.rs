//! Writing: create with its checks, JSON Patch with deactivation and its side effects, the
//! silently ignored paths, the division/city rule, and PUT.

use jira_align_sim::{SimConfig, ViolationKind};
use serde_json::{Value, json};

use crate::support::{harness, harness_with, new_user, plain_spec, read};

const FIXED_NOW: &str = "2024-07-01T10:30:00Z";

fn pinned() -> SimConfig {
    SimConfig {
        fixed_now: FIXED_NOW.parse().ok(),
        ..Default::default()
    }
}

fn deactivate() -> Value {
    json!([{"op": "replace", "path": "/isLocked", "value": -1}])
}

#[tokio::test]
async fn create_answers_201_with_the_stored_user() {
    let h = harness(pinned()).await;
    let (status, user) = read(h.post("/Users", &new_user("new.person@example.test")).await).await;
    assert_eq!(status, 201);
    assert_eq!(user["id"], json!(1021));
    assert_eq!(user["fullName"], json!("New Person"));
    assert_eq!(user["isLocked"], json!(0));
    assert_eq!(user["createDate"], json!(FIXED_NOW));
    assert_eq!(user["userStartDate"], json!("2024-07-01T00:00:00Z"));
    let stored = h.sim.admin().user(1021).expect("the user was stored");
    assert_eq!(stored.external_id.as_deref(), Some("new.person"));
    h.sim.admin().assert_no_violations();
}

#[tokio::test]
async fn a_body_over_4_mib_is_refused_with_413_and_nothing_is_created() {
    let h = harness(SimConfig::default()).await;
    let before = h.sim.admin().users().len();
    let mut body = new_user("huge@example.test");
    body["title"] = json!("x".repeat(4 * 1024 * 1024));
    let response = h.post("/users", &body).await;
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(h.sim.admin().users().len(), before);
    let log = h.sim.admin().request_log();
    assert_eq!(
        (log[0].status, log[0].applied, log[0].abandoned),
        (413, false, false)
    );
}

#[tokio::test]
async fn create_checks_required_fields_and_ids() {
    let h = harness(SimConfig::default()).await;
    let cases = [
        ("cityId", Value::Null, "cityId is required."),
        ("firstName", json!(""), "firstName is required."),
        ("regionId", json!(42), "regionId 42 does not exist."),
        ("roleId", json!(77), "roleId 77 does not exist."),
        (
            "divisionId",
            json!("200"),
            "The value '200' is not valid for divisionId.",
        ),
    ];
    for (field, value, message) in cases {
        let mut body = new_user("checks@example.test");
        body[field] = value;
        let (status, answer) = read(h.post("/users", &body).await).await;
        assert_eq!(
            (status, answer),
            (400, json!({ "message": message })),
            "case {field}"
        );
    }
    assert_eq!(h.sim.admin().users().len(), 23);
}

#[tokio::test]
async fn a_duplicate_email_is_refused_ignoring_case() {
    let h = harness(SimConfig::default()).await;
    let (status, answer) = read(h.post("/users", &new_user("USER000004@Example.Test")).await).await;
    assert_eq!(status, 400);
    let message = "A user with the email 'USER000004@Example.Test' already exists.";
    assert_eq!(answer, json!({ "message": message }));
}

#[tokio::test]
async fn an_unknown_field_on_create_is_ignored_and_recorded() {
    let h = harness(SimConfig::default()).await;
    let mut body = new_user("extra@example.test");
    body["nickname"] = json!("x");
    let (status, _) = read(h.post("/users", &body).await).await;
    assert_eq!(status, 201);
    let violations = h.sim.admin().violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].kind, ViolationKind::UnknownField);
    assert_eq!(violations[0].detail, "create field 'nickname'");
}

#[tokio::test]
async fn deactivation_sets_end_date_and_status_and_reactivation_keeps_the_end_date() {
    let h = harness(pinned()).await;
    let response = h.patch("/users/1002", &deactivate()).await;
    assert_eq!(response.status().as_u16(), 204);
    let (_, user) = h.get_json("/users/1002").await;
    assert_eq!(
        (&user["isLocked"], &user["status"]),
        (&json!(-1), &json!("Inactive"))
    );
    assert_eq!(user["userEndDate"], json!("2024-07-01T00:00:00Z"));
    assert_eq!(user["lastUpdatedDate"], json!(FIXED_NOW));

    let reactivate = json!([{"op": "replace", "path": "/isLocked", "value": 0}]);
    assert_eq!(
        h.patch("/users/1002", &reactivate).await.status().as_u16(),
        204
    );
    let user = h.sim.admin().user(1002).expect("user 1002 exists");
    assert_eq!((user.is_locked, user.status.as_str()), (0, "Active"));
    assert!(
        user.user_end_date.is_some(),
        "the client must clear userEndDate itself"
    );
    h.sim.admin().assert_no_violations();
}

#[tokio::test]
async fn status_and_read_only_paths_are_ignored_with_204() {
    let h = harness(SimConfig::default()).await;
    let before = h.sim.admin().user(1003);
    let body = json!([
        {"op": "replace", "path": "/status", "value": "Inactive"},
        {"op": "replace", "path": "/fullName", "value": "Someone Else"},
        {"op": "replace", "path": "/id", "value": 5},
    ]);
    assert_eq!(h.patch("/users/1003", &body).await.status().as_u16(), 204);
    assert_eq!(h.sim.admin().user(1003), before);
}

#[tokio::test]
async fn a_patch_body_that_is_not_an_array_is_400_and_a_violation() {
    let h = harness(SimConfig::default()).await;
    let body = json!({"op": "replace", "path": "/isLocked", "value": -1});
    let (status, _) = read(h.patch("/users/1004", &body).await).await;
    assert_eq!(status, 400);
    assert_eq!(
        h.sim.admin().violations()[0].kind,
        ViolationKind::PatchNotArray
    );
}

#[tokio::test]
async fn a_user_without_division_or_city_cannot_change_status_alone() {
    let spec = jira_align_sim::GeneratorSpec {
        connector_created: 1.0,
        ..plain_spec(3)
    };
    let h = harness_with(spec, SimConfig::default()).await;
    let (status, answer) = read(h.patch("/users/1002", &deactivate()).await).await;
    assert_eq!(status, 400);
    let message =
        "Cannot update user with id 1002. divisionId and cityId are required to change the status.";
    assert_eq!(answer, json!({ "message": message }));
    assert!(h.sim.admin().user(1002).is_some_and(|u| u.is_active()));

    let body = json!([
        {"op": "replace", "path": "/divisionId", "value": 200},
        {"op": "replace", "path": "/cityId", "value": 11},
        {"op": "replace", "path": "/isLocked", "value": -1},
    ]);
    assert_eq!(h.patch("/users/1002", &body).await.status().as_u16(), 204);
    assert!(h.sim.admin().user(1002).is_some_and(|u| !u.is_active()));
}

#[tokio::test]
async fn a_failed_patch_changes_nothing() {
    let h = harness(SimConfig::default()).await;
    let before = h.sim.admin().user(1005);
    let body = json!([
        {"op": "replace", "path": "/title", "value": "Lead"},
        {"op": "replace", "path": "/email", "value": "user000006@example.test"},
    ]);
    let (status, _) = read(h.patch("/users/1005", &body).await).await;
    assert_eq!(status, 400);
    assert_eq!(h.sim.admin().user(1005), before);
}

#[tokio::test]
async fn put_replaces_the_writable_fields() {
    let h = harness(SimConfig::default()).await;
    let mut body = new_user("user000007@example.test");
    body["title"] = json!("Architect");
    assert_eq!(h.put("/users/1007", &body).await.status().as_u16(), 204);
    let user = h.sim.admin().user(1007).expect("user 1007 exists");
    assert_eq!(
        (user.title.as_deref(), user.first_name.as_deref()),
        (Some("Architect"), Some("New"))
    );
    assert_eq!(user.external_id.as_deref(), Some("user000007"));

    let (status, _) = read(h.put("/users/1007", &json!({"title": "Only"})).await).await;
    assert_eq!(status, 400, "a full replace needs the required fields");
}
