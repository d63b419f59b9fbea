//! Request bodies the client writes, and the promise that the token appears in no error,
//! no Debug output and no configuration dump, even when a server echoes it back.

use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::*;

const TOKEN: &str = "user:17|TopSecretValue";
const SECRET: &str = "TopSecretValue";

#[test]
fn patches_for_deactivation_and_reactivation() {
    let deactivate = serde_json::to_value(PatchOp::deactivate()).ok();
    assert_eq!(
        deactivate,
        Some(json!([{"op": "replace", "path": "/isLocked", "value": -1}]))
    );
    let reactivate = serde_json::to_value(PatchOp::reactivate()).ok();
    let expected = json!([
        {"op": "replace", "path": "/isLocked", "value": 0},
        {"op": "replace", "path": "/userEndDate", "value": null},
    ]);
    assert_eq!(reactivate, Some(expected));
}

#[test]
fn a_new_user_is_written_in_camel_case_without_absent_options() {
    let user = NewUser {
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        email: "ada@example.com".into(),
        external_id: Some("E-1".into()),
        title: None,
        role_id: 4,
        cost_center_id: 2,
        division_id: 5,
        region_id: 1,
        city_id: 3,
        is_external: false,
    };
    let expected = json!({
        "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
        "externalId": "E-1", "roleId": 4, "costCenterId": 2, "divisionId": 5,
        "regionId": 1, "cityId": 3, "isExternal": false
    });
    assert_eq!(serde_json::to_value(&user).ok(), Some(expected));
}

#[test]
fn the_token_user_id_comes_from_the_documented_shape() {
    let user_id = |token: &str| test_client("http://127.0.0.1:9", token).map(|c| c.token_user_id());
    assert_eq!(user_id(TOKEN).ok(), Some(Some(17)));
    assert_eq!(user_id("opaque-token").ok(), Some(None));
}

fn config(base_url: &str, token: &str) -> ClientConfig {
    ClientConfig {
        timeout: Duration::from_millis(300),
        max_attempts: 2,
        ..ClientConfig::new(base_url, token)
    }
}

/// A client with 1 ms backoffs and a budget of its own.
fn test_client(base_url: &str, token: &str) -> Result<Client, JiraAlignError> {
    let limits = BudgetLimits {
        requests_per_minute: 60_000,
        max_concurrency: 4,
    };
    let policy = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        max_retry_after: Duration::from_millis(10),
    };
    let client = Client::with_budget(config(base_url, token), Arc::new(Budget::new(limits)))?;
    Ok(client.with_retry_policy(policy))
}

/// Answers `GET /Users/{status}` with that status and a body quoting the Authorization
/// header; `/Users/1` answers too late, `/Users/200` with a body that is not JSON.
async fn echo(Path(id): Path<u16>, headers: HeaderMap) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    match id {
        1 => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            StatusCode::OK.into_response()
        }
        200 => (StatusCode::OK, format!("not json {auth}")).into_response(),
        status => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
            let body = json!({ "message": format!("you sent {auth}") }).to_string();
            (status, [(header::RETRY_AFTER, "0")], body).into_response()
        }
    }
}

async fn echo_server() -> String {
    let app = Router::new().route("/rest/align/api/2/Users/{id}", get(echo));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn https_to_a_plain_http_port_fails_at_once_naming_tls() {
    let base_url = echo_server().await;
    let client =
        test_client(&base_url.replace("http://", "https://"), TOKEN).expect("valid config");
    let error = client.get_user(404).await.expect_err("no TLS on that port");
    assert_eq!(error.reason(), "JiraAlignTlsFailed", "{error}");
    let message = error.to_string();
    assert!(
        message.starts_with("TLS with jira align failed during GET /Users/{id}: "),
        "{message}"
    );
    assert!(
        message.ends_with(
            "check that the URL's scheme fits the site and that its certificate is trusted"
        ),
        "{message}"
    );
    let stats = client.stats();
    assert_eq!((stats.get.total(), stats.retries), (1, 0));
}

#[tokio::test]
async fn no_error_and_no_debug_output_contains_the_token() {
    let base_url = echo_server().await;
    let client = test_client(&base_url, TOKEN).expect("valid config");

    let mut errors = Vec::new();
    for id in [1, 200, 400, 401, 403, 404, 409, 429, 500, 503] {
        match client.get_user(id).await {
            Err(error) => errors.push(error),
            Ok(user) => panic!("user {id} should fail, got {user:?}"),
        }
    }

    // A port with nothing listening: the connection is refused.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let closed_url = format!("http://{}", closed.local_addr().expect("bound"));
    drop(closed);
    let unreachable = test_client(&closed_url, TOKEN).expect("valid config");
    errors.extend(unreachable.get_user(5).await.err());
    let tls = test_client(&base_url.replace("http://", "https://"), TOKEN).expect("valid config");
    errors.extend(tls.get_user(5).await.err());
    errors.extend(test_client("ftp://x", TOKEN).err());

    let reasons: Vec<&str> = errors.iter().map(JiraAlignError::reason).collect();
    let expected = [
        "JiraAlignTimeout",
        "JiraAlignInvalidResponse",
        "JiraAlignBadRequest",
        "JiraAlignUnauthorized",
        "JiraAlignForbidden",
        "JiraAlignNotFound",
        "JiraAlignUnexpectedStatus",
        "JiraAlignThrottled",
        "JiraAlignServerError",
        "JiraAlignServerError",
        "JiraAlignUnreachable",
        "JiraAlignTlsFailed",
        "JiraAlignInvalidConfig",
    ];
    assert_eq!(reasons, expected);

    let mut dumps: Vec<String> = errors
        .iter()
        .flat_map(|e| [format!("{e}"), format!("{e:?}")])
        .collect();
    dumps.push(format!("{:?}", config(&base_url, TOKEN)));
    dumps.push(format!("{client:?}"));
    for dump in &dumps {
        assert!(!dump.contains(SECRET), "token leaked in: {dump}");
    }
    let bad_request = errors[2].to_string();
    assert_eq!(
        bad_request,
        "jira align refused GET /Users/{id} for user 400: you sent Bearer <redacted>"
    );
}

#[tokio::test]
async fn the_reference_configuration_reads_whole_objects_and_patches_per_kind_of_change() {
    use jira_align_sim::{GeneratorSpec, RouteKind, SimConfig, generate};

    let seed = generate(&GeneratorSpec {
        users: 150,
        ..GeneratorSpec::default()
    });
    let sim = jira_align_sim::start(seed, SimConfig::default())
        .await
        .expect("the simulator binds a local port");
    let config = ClientConfig {
        listing: Listing::FullObjects,
        patches: Patches::PerAction,
        max_concurrency: 1,
        ..ClientConfig::new(sim.base_url(), "user:1|admin-secret")
    };
    let client = Client::new(config).expect("valid config");

    let listed = client.list_users().await.expect("the listing succeeds");
    assert_eq!(listed.users.len(), 153);
    let ops = [
        PatchOp::replace("/divisionId", 200),
        PatchOp::replace("/cityId", 11),
        PatchOp::replace("/title", "Lead"),
        PatchOp::replace("/isLocked", -1),
    ];
    client
        .patch_user(1005, &ops)
        .await
        .expect("the patches apply");

    let log = sim.admin().request_log();
    let queries: Vec<Option<&str>> = log
        .iter()
        .filter(|r| r.route == RouteKind::ListUsers)
        .map(|r| r.query.as_deref())
        .collect();
    assert_eq!(
        queries,
        [Some("$top=100&$skip=0"), Some("$top=100&$skip=100")]
    );
    let bodies: Vec<serde_json::Value> = log
        .iter()
        .filter(|r| r.route == RouteKind::PatchUser)
        .filter_map(|r| r.body.clone())
        .collect();
    assert_eq!(
        bodies,
        [
            json!([
                {"op": "replace", "path": "/divisionId", "value": 200},
                {"op": "replace", "path": "/cityId", "value": 11},
            ]),
            json!([{"op": "replace", "path": "/title", "value": "Lead"}]),
            json!([{"op": "replace", "path": "/isLocked", "value": -1}]),
        ]
    );
    assert_eq!(sim.admin().user(1005).map(|u| u.is_locked), Some(-1));
}

#[tokio::test]
async fn pages_answered_out_of_order_are_listed_in_page_order() {
    use jira_align_sim::{GeneratorSpec, Latency, SimConfig, generate};

    let seed = generate(&GeneratorSpec {
        users: 1_050,
        ..GeneratorSpec::default()
    });
    let config = SimConfig {
        latency: Latency {
            fixed: Duration::from_millis(1),
            jitter: Duration::from_millis(40),
        },
        ..SimConfig::default()
    };
    let sim = jira_align_sim::start(seed, config)
        .await
        .expect("the simulator binds a local port");
    let client = Client::new(ClientConfig::new(sim.base_url(), "user:1|admin-secret"))
        .expect("valid config");

    let listed = client.list_users().await.expect("the listing succeeds");
    let ids: Vec<u64> = listed.users.iter().map(|u| u.id).collect();
    let expected: Vec<u64> = sim.admin().users().iter().map(|u| u.id as u64).collect();
    assert_eq!(ids.len(), 1_053);
    assert_eq!(ids, expected);
}
