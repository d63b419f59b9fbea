//! The Jira Align client against the simulator, in strict mode: listing, every knob setting
//! of create answers, error bodies and paging, and the answers to bad tokens.

#[path = "jira_align_support.rs"]
mod support;

use std::collections::BTreeSet;

use jira_align_sim::{CreateAnswer, ErrorBody, RouteKind, SimConfig, StringMatch};
use jira_align_user_sync::jira_align::{JiraAlignError, PatchOp};
use support::{
    READER_TOKEN, RETIRED_TOKEN, client, config, new_user, seen, simulator, users_with_email,
};

#[tokio::test]
async fn the_listing_has_every_user_once_in_pages_of_100() {
    let sim = simulator(1234, SimConfig::default()).await;
    let client = client(&sim);

    let snapshot = client.list_users().await.expect("the listing succeeds");

    let listed: BTreeSet<u64> = snapshot.users.iter().map(|u| u.id).collect();
    let stored: BTreeSet<u64> = sim.admin().users().iter().map(|u| u.id as u64).collect();
    assert_eq!(snapshot.users.len(), stored.len());
    assert_eq!(listed, stored);

    // 1237 users: 12 full pages and a short 13th; with the default of 10 in flight, up to 9
    // more may have been sent when it lands.
    let pages = seen(&sim, RouteKind::ListUsers);
    assert!((13..=22).contains(&pages), "{pages} pages");
    // Pages still in flight when the short one lands are abandoned uncounted.
    let counted = client.stats().list.success;
    assert!(
        (13..=pages).contains(&counted),
        "{counted} of {pages} pages counted"
    );
    for request in sim.admin().request_log() {
        let query = request.query.unwrap_or_default();
        assert!(query.starts_with("$select=id,externalId,email,"), "{query}");
        assert!(query.contains("&$top=100&$skip="), "{query}");
    }
    sim.admin().assert_no_violations();
}

#[tokio::test]
async fn an_empty_site_lists_its_service_accounts_in_one_request() {
    let sim = simulator(0, SimConfig::default()).await;
    let client = client(&sim);
    let snapshot = client.list_users().await.expect("the listing succeeds");
    assert_eq!(snapshot.users.len(), sim.admin().users().len());
    assert_eq!(seen(&sim, RouteKind::ListUsers), 1);
    sim.admin().assert_no_violations();
}

/// The knob matrix of the simulator, plus the combinations that force a read-back under
/// exact-case filters.
fn variants() -> Vec<(&'static str, SimConfig)> {
    let mut variants = SimConfig::knob_variants();
    let empty = SimConfig {
        create_answer: CreateAnswer::Empty,
        ..SimConfig::default()
    };
    let exact = SimConfig {
        filter_strings: StringMatch::Exact,
        ..empty.clone()
    };
    let problem = SimConfig {
        error_body: ErrorBody::ProblemDetails,
        ..empty.clone()
    };
    variants.extend([
        ("create-empty-exact-case", exact),
        ("create-empty-problem-details", problem),
    ]);
    variants
}

#[tokio::test]
async fn create_deactivate_reactivate_under_every_knob_setting() {
    for (name, config) in variants() {
        let sim = simulator(150, config).await;
        let client = client(&sim);
        let listed = client.list_users().await.expect("the listing succeeds");
        assert_eq!(listed.users.len(), sim.admin().users().len(), "{name}");

        // A quote in the email exercises OData escaping in the read-back.
        let mut person = new_user(1);
        person.email = "o'brien.new@example.test".into();
        let id = client
            .create_user(&person)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let stored = sim
            .admin()
            .user(id as i64)
            .unwrap_or_else(|| panic!("{name}: no user {id}"));
        assert_eq!(
            stored.email.as_deref(),
            Some("o'brien.new@example.test"),
            "{name}"
        );
        assert_eq!(stored.external_id.as_deref(), Some("new0001"), "{name}");
        assert_eq!(users_with_email(&sim, &person.email), 1, "{name}");

        let refused = client.create_user(&person).await.err();
        let Some(JiraAlignError::BadRequest { message, .. }) = refused else {
            panic!("{name}: a duplicate email is refused as a bad request, got {refused:?}");
        };
        assert!(
            message.ends_with("A user with the email 'o'brien.new@example.test' already exists."),
            "{name}: {message}"
        );

        client
            .patch_user(id, &PatchOp::deactivate())
            .await
            .expect("deactivation succeeds");
        let user = client.get_user(id).await.expect("the user reads back");
        assert_eq!(user.is_locked, -1, "{name}");
        let end_date = || sim.admin().user(id as i64).and_then(|u| u.user_end_date);
        assert!(end_date().is_some(), "{name}");

        client
            .patch_user(id, &PatchOp::reactivate())
            .await
            .expect("reactivation succeeds");
        let user = client.get_user(id).await.expect("the user reads back");
        assert_eq!((user.is_locked, end_date()), (0, None), "{name}");
        assert_eq!(
            user.email.as_deref(),
            Some("o'brien.new@example.test"),
            "{name}"
        );

        sim.admin().assert_no_violations();
    }
}

#[tokio::test]
async fn a_problem_details_body_is_surfaced_for_a_bad_reference() {
    let sim = simulator(
        0,
        SimConfig {
            error_body: ErrorBody::ProblemDetails,
            ..SimConfig::default()
        },
    )
    .await;
    let client = client(&sim);
    let person = jira_align_user_sync::jira_align::NewUser {
        role_id: 999,
        ..new_user(2)
    };
    let error = client
        .create_user(&person)
        .await
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some("jira align refused POST /Users: Bad Request; roleId 999 does not exist.")
    );
    assert_eq!(seen(&sim, RouteKind::CreateUser), 1);
    sim.admin().assert_no_violations();
}

#[tokio::test]
async fn a_missing_user_is_not_found() {
    let sim = simulator(0, SimConfig::default()).await;
    let error = client(&sim)
        .get_user(987_654)
        .await
        .err()
        .map(|e| e.reason());
    assert_eq!(error, Some("JiraAlignNotFound"));
    sim.admin().assert_no_violations();
}

#[tokio::test]
async fn a_wrong_or_retired_token_is_unauthorized_without_retry() {
    let sim = simulator(10, SimConfig::default()).await;
    for token in ["user:1|wrong-secret", RETIRED_TOKEN] {
        let client = support::client_with(config(&sim, token));
        let error = client.list_users().await.err();
        assert_eq!(
            error.as_ref().map(|e| e.reason()),
            Some("JiraAlignUnauthorized")
        );
        let text = error.map(|e| format!("{e} {e:?}")).unwrap_or_default();
        assert!(
            !text.contains("wrong-secret") && !text.contains("retired-secret"),
            "{text}"
        );
        assert_eq!(client.stats().retries, 0);
    }
    assert_eq!(sim.admin().count(RouteKind::ListUsers, 401), 2);
    sim.admin().assert_no_violations();
}

#[tokio::test]
async fn a_token_without_permission_reads_but_may_not_write() {
    let sim = simulator(10, SimConfig::default()).await;
    let client = support::client_with(config(&sim, READER_TOKEN));
    assert_eq!(client.token_user_id(), Some(2));
    assert!(client.list_users().await.is_ok());

    let created = client
        .create_user(&new_user(3))
        .await
        .err()
        .map(|e| e.reason());
    assert_eq!(created, Some("JiraAlignForbidden"));
    let patched = client.patch_user(1001, &PatchOp::deactivate()).await.err();
    let message = patched.as_ref().map(|e| e.to_string());
    assert_eq!(
        message.as_deref(),
        Some(
            "the token's user is not allowed to PATCH /Users/{id} for user 1001: You do not have permission to manage users."
        )
    );
    assert_eq!(sim.admin().count(RouteKind::CreateUser, 403), 1);
    assert_eq!(sim.admin().count(RouteKind::PatchUser, 403), 1);
    assert_eq!(users_with_email(&sim, &new_user(3).email), 0);
    sim.admin().assert_no_violations();
}
