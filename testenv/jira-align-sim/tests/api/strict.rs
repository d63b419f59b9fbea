//! Strict mode: requests that break the documented contract are recorded as violations.

use jira_align_sim::{SimConfig, ViolationKind};
use serde_json::json;

use crate::support::{harness, read};

fn kinds(h: &crate::support::Harness) -> Vec<ViolationKind> {
    h.sim
        .admin()
        .violations()
        .into_iter()
        .map(|v| v.kind)
        .collect()
}

#[tokio::test]
async fn query_options_without_dollar_are_ignored_and_recorded() {
    let h = harness(SimConfig::default()).await;
    let (status, page) = h.get_json("/users?top=5&$orderby=id").await;
    assert_eq!((status, page.as_array().map(Vec::len)), (200, Some(23)));
    assert_eq!(
        kinds(&h),
        vec![
            ViolationKind::MissingDollar,
            ViolationKind::UndocumentedQueryOption
        ]
    );
}

#[tokio::test]
async fn writes_need_a_json_content_type_and_odata_parameters_are_fine() {
    let h = harness(SimConfig::default()).await;
    let body = json!([{"op": "replace", "path": "/title", "value": "x"}]).to_string();
    let send = |content_type: &'static str| {
        let request = h.http.patch(h.url("/users/1001")).bearer_auth(&h.token);
        request
            .header("content-type", content_type)
            .body(body.clone())
            .send()
    };
    let odata = "application/json;odata.metadata=minimal;odata.streaming=true";
    assert_eq!(send(odata).await.expect("answered").status().as_u16(), 204);
    assert!(h.sim.admin().violations().is_empty());

    let (status, _) = read(send("text/plain").await.expect("answered")).await;
    assert_eq!(status, 415);
    assert_eq!(kinds(&h), vec![ViolationKind::ContentType]);
}

#[tokio::test]
async fn strict_mode_off_records_nothing() {
    let h = harness(SimConfig {
        strict: false,
        ..Default::default()
    })
    .await;
    h.get("/users?$top=1000").await;
    h.get("/unknown").await;
    h.patch("/users/1001", &json!({"op": "replace"})).await;
    assert!(h.sim.admin().violations().is_empty());
    assert_eq!(h.sim.admin().request_log().len(), 3);
}

#[tokio::test]
#[should_panic(expected = "the client broke the documented API contract")]
async fn assert_no_violations_fails_the_test() {
    let h = harness(SimConfig::default()).await;
    h.get("/users?$top=101").await;
    h.sim.admin().assert_no_violations();
}
