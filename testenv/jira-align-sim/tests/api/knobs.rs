//! Every knob for behaviour the documentation leaves open, exercised in each setting.

use jira_align_sim::{
    CreateAnswer, DuplicateExternalId, ErrorBody, PutSemantics, SimConfig, StringMatch,
    TopOverLimit, ViolationKind,
};
use serde_json::json;

use crate::support::{harness, new_user, read};

#[tokio::test]
async fn top_over_100_is_clamped_or_rejected_and_always_recorded() {
    let h = harness(SimConfig {
        top_over_limit: TopOverLimit::Clamp,
        ..Default::default()
    })
    .await;
    let (status, page) = h.get_json("/users?$top=500").await;
    assert_eq!((status, page.as_array().map(Vec::len)), (200, Some(23)));
    assert_eq!(
        h.sim.admin().violations()[0].kind,
        ViolationKind::TopOverLimit
    );

    let h = harness(SimConfig {
        top_over_limit: TopOverLimit::Reject,
        ..Default::default()
    })
    .await;
    let (status, body) = h.get_json("/users?$top=101").await;
    assert_eq!(status, 400);
    let message = "The limit of '100' for Top query has been exceeded. The value from the incoming request is '101'.";
    assert_eq!(body, json!({ "message": message }));
}

#[tokio::test]
async fn create_answers_an_object_a_bare_id_or_nothing() {
    let answers = [
        (CreateAnswer::Object, Some(1021)),
        (CreateAnswer::BareId, Some(1021)),
        (CreateAnswer::Empty, None),
    ];
    for (answer, expected_id) in answers {
        let h = harness(SimConfig {
            create_answer: answer,
            ..Default::default()
        })
        .await;
        let (status, body) = read(h.post("/users", &new_user("knob@example.test")).await).await;
        assert_eq!(status, 201, "{answer:?}");
        let id = match answer {
            CreateAnswer::Object => body["id"].as_i64(),
            _ => body.as_i64(),
        };
        assert_eq!(id, expected_id, "{answer:?}");
        assert!(
            h.sim.admin().user(1021).is_some(),
            "{answer:?} stores the user"
        );
    }
}

#[tokio::test]
async fn a_duplicate_external_id_is_accepted_or_refused() {
    let mut body = new_user("other@example.test");
    body["externalId"] = json!("USER000001");

    let h = harness(SimConfig::default()).await;
    assert_eq!(read(h.post("/users", &body).await).await.0, 201);

    let reject = SimConfig {
        duplicate_external_id: DuplicateExternalId::Reject,
        ..Default::default()
    };
    let h = harness(reject).await;
    let (status, answer) = read(h.post("/users", &body).await).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer,
        json!({"message": "A user with the externalId 'USER000001' already exists."})
    );
    let patch = json!([{"op": "replace", "path": "/externalId", "value": "user000001"}]);
    assert_eq!(h.patch("/users/1002", &patch).await.status().as_u16(), 400);
}

#[tokio::test]
async fn error_bodies_take_the_configured_shape() {
    let h = harness(SimConfig {
        error_body: ErrorBody::ProblemDetails,
        ..Default::default()
    })
    .await;
    let response = h.get("/users/424242").await;
    let content_type = response.headers().get("content-type").cloned();
    let (status, body) = read(response).await;
    assert_eq!(status, 404);
    assert_eq!(
        content_type.as_ref().map(|v| v.as_bytes()),
        Some(&b"application/problem+json"[..])
    );
    let expected = json!({
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "User with id 424242 was not found.",
    });
    assert_eq!(body, expected);
}

#[tokio::test]
async fn put_merges_replaces_or_is_not_allowed() {
    let partial = json!({"title": "Merged"});
    let h = harness(SimConfig {
        put_semantics: PutSemantics::Merge,
        ..Default::default()
    })
    .await;
    assert_eq!(h.put("/users/1001", &partial).await.status().as_u16(), 204);
    let user = h.sim.admin().user(1001).expect("user 1001 exists");
    assert_eq!(
        (user.title.as_deref(), user.first_name.as_deref()),
        (Some("Merged"), Some("Grace"))
    );

    let h = harness(SimConfig {
        put_semantics: PutSemantics::NotAllowed,
        ..Default::default()
    })
    .await;
    assert_eq!(h.put("/users/1001", &partial).await.status().as_u16(), 405);
}

#[tokio::test]
async fn filter_string_case_follows_the_knob() {
    let path = "/users?$filter=email eq 'USER000002@example.test'&$select=id";
    let h = harness(SimConfig::default()).await;
    assert_eq!(h.get_json(path).await.1, json!([{"id": 1002}]));
    let h = harness(SimConfig {
        filter_strings: StringMatch::Exact,
        ..Default::default()
    })
    .await;
    assert_eq!(h.get_json(path).await.1, json!([]));
}

#[tokio::test]
async fn every_knob_variant_serves_a_plain_listing() {
    for (name, config) in SimConfig::knob_variants() {
        let h = harness(config).await;
        assert_eq!(h.list_all().await.len(), 23, "variant {name}");
        h.sim.admin().assert_no_violations();
    }
}
