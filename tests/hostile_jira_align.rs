//! Hostile Jira Align answers in full syncs, from a scripted site: listings that are not
//! JSON, cut short, shorter than their `Content-Length`, not HTTP, nested past any sane
//! depth or of unexpected types, and bad answers to a create and to a status read-back.
//! A bad listing voids the run before any write; a bad answer about one user fails that
//! user alone; a lock state of an unexpected type never leads to a deactivation.

#[path = "common/harness.rs"]
mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::company::{Company, Person, TOKEN};
use common::fake_jira::{FakeJira, Reply, SeenRequest};
use common::fake_ldap::FakeLdap;
use common::world::{Tuning, client_for, manifest, run_with, spec_of};
use jira_align_user_sync::sync::{SyncError, SyncReport};
use serde_json::{Value, json};
use test_directories::OpenLdap;

/// Replies for the site's routes.
#[derive(Clone)]
struct Script {
    /// The listing (`GET /Users?$select=...`).
    list: Reply,
    /// Look-ups (`GET /Users?$filter=...`).
    find: Reply,
    /// `GET /Users/{id}`; when unset, the user with the lock state its last PATCH set.
    get: Option<Reply>,
    /// `POST /Users`.
    create: Reply,
}

fn user(id: u64, key: &str, is_locked: Value) -> Value {
    let person = Person::numbered(1);
    json!({
        "id": id, "externalId": key, "email": format!("{key}@example.test"),
        "firstName": format!("Given{}", &key[1..]), "lastName": format!("Person{}", &key[1..]),
        "title": person.title, "isLocked": is_locked, "roleId": 3, "divisionId": 200,
        "cityId": 11, "userEndDate": null
    })
}

/// The service user, p01 and p02 in step, and the leaver l01 (id 103) still active.
fn good_listing() -> Vec<Value> {
    let mut service = user(1, "svc-sync", json!(0));
    service["roleId"] = json!(9);
    vec![
        service,
        user(101, "p01", json!(0)),
        user(102, "p02", json!(0)),
        user(103, "l01", json!(0)),
    ]
}

impl Script {
    fn listing(users: &[Value]) -> Script {
        Script {
            list: Reply::json(200, Value::from(users.to_vec()).to_string()),
            find: Reply::json(200, "[]"),
            get: None,
            create: Reply::json(201, json!({"id": 500}).to_string()),
        }
    }

    fn responder(self) -> Arc<dyn Fn(&SeenRequest) -> Reply + Send + Sync> {
        let locks: Mutex<HashMap<String, Value>> = Mutex::new(HashMap::new());
        Arc::new(move |request: &SeenRequest| {
            let is_users = request.path().ends_with("/Users");
            let mut locks = locks.lock().expect("the lock is never poisoned");
            match request.method.as_str() {
                "GET" if is_users && request.target.contains("filter") => self.find.clone(),
                "GET" if is_users => self.list.clone(),
                "GET" => self.get.clone().unwrap_or_else(|| {
                    let id: u64 = request
                        .path()
                        .rsplit('/')
                        .next()
                        .and_then(|id| id.parse().ok())
                        .unwrap_or(0);
                    let locked = locks.get(request.path()).cloned().unwrap_or(json!(0));
                    Reply::json(200, json!({"id": id, "isLocked": locked}).to_string())
                }),
                "POST" => self.create.clone(),
                _ => {
                    let ops: Value = serde_json::from_slice(&request.body).unwrap_or_default();
                    let lock = ops
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|op| op["path"] == "/isLocked");
                    if let Some(op) = lock {
                        locks.insert(request.path().to_string(), op["value"].clone());
                    }
                    Reply::Answer {
                        status: 204,
                        content_type: "application/json",
                        body: Vec::new(),
                    }
                }
            }
        })
    }
}

/// One run of the company's directory (`people` members) against the scripted site.
async fn run(people: usize, script: Script) -> (Result<SyncReport, SyncError>, FakeJira) {
    let company = Company::in_step(people, 0);
    let directory = FakeLdap::start(company.fake_directory()).await;
    let site = FakeJira::start(script.responder()).await;
    let spec = spec_of(&manifest(&site.url(), &directory.url()));
    let config = directory.config_for(&spec, OpenLdap::BIND_PASSWORD);
    let tuning = Tuning {
        timeout: Duration::from_millis(500),
        max_attempts: 3,
        ..Tuning::default()
    };
    let client = client_for(&site.url(), TOKEN, tuning);
    (run_with(&spec, config, &client).await, site)
}

fn patches(site: &FakeJira) -> Vec<Value> {
    site.seen()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| serde_json::from_slice(&r.body).expect("patch bodies are JSON"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_that_cannot_be_read_voids_the_run() {
    let good = Value::from(good_listing()).to_string();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: Vec<(&str, Reply, &str, &str)> = vec![
        (
            "HTML instead of JSON",
            Reply::Answer {
                status: 200,
                content_type: "text/html",
                body: b"<html><body>Service Unavailable</body></html>".to_vec(),
            },
            "JiraAlignInvalidResponse",
            "page at $skip=0: body is not JSON",
        ),
        (
            "JSON cut short",
            Reply::json(200, &good.as_bytes()[..good.len() / 2]),
            "JiraAlignInvalidResponse",
            "EOF while parsing",
        ),
        (
            "empty body",
            Reply::json(200, ""),
            "JiraAlignInvalidResponse",
            "body is not JSON",
        ),
        (
            "body shorter than its Content-Length",
            Reply::truncated(&good.as_bytes()[..good.len() / 2], good.len()),
            "JiraAlignUnreachable",
            "after 3 attempts",
        ),
        (
            "not HTTP at all",
            Reply::Raw(b"SSH-2.0-OpenSSH_9.2\r\n\r\n".to_vec()),
            "JiraAlignUnreachable",
            "after 3 attempts",
        ),
        (
            "an object instead of an array",
            Reply::json(200, json!({"value": good_listing()}).to_string()),
            "JiraAlignInvalidResponse",
            "expected a JSON array of users, got an object",
        ),
        (
            "numbers instead of users",
            Reply::json(200, "[1, 2, 3]"),
            "JiraAlignInvalidResponse",
            "item 0: expected a user object, got a number",
        ),
        (
            "an id that is text",
            Reply::json(200, r#"[{"id": "abc", "externalId": "p01"}]"#),
            "JiraAlignInvalidResponse",
            "the user id \"abc\" is not a positive integer",
        ),
        (
            "a negative id",
            Reply::json(200, r#"[{"id": -4, "externalId": "p01"}]"#),
            "JiraAlignInvalidResponse",
            "the user id -4 is not a positive integer",
        ),
        (
            "arrays nested 100,000 deep",
            Reply::json(200, deep),
            "JiraAlignInvalidResponse",
            "item 0: expected a user object, got an array",
        ),
        (
            "a user with no id",
            Reply::json(200, r#"[{"externalId": "p01", "isLocked": 0}]"#),
            "JiraAlignInvalidResponse",
            "item 0: the user has no id",
        ),
    ];

    for (name, list, reason, says) in cases {
        let script = Script {
            list,
            ..Script::listing(&good_listing())
        };
        let (result, site) = run(2, script).await;
        let error = match result {
            Ok(report) => panic!(
                "{name}: the run should fail, it planned {:?}",
                report.counts()
            ),
            Err(error) => error,
        };
        eprintln!(
            "OUTCOME hostile listing, {name}: {}: {error}",
            error.reason()
        );
        assert_eq!(error.reason(), reason, "{name}: {error}");
        assert!(error.to_string().contains(says), "{name}: {error}");
        assert_eq!(
            site.writes(),
            0,
            "{name}: the leaver l01 is not deactivated"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_answer_about_one_user_fails_that_user_alone() {
    // p03 is missing on the site and is created; l01 leaves. The create is answered with
    // HTML, and the read-back after the deactivation is not JSON.
    let script = Script {
        create: Reply::Answer {
            status: 201,
            content_type: "text/html",
            body: b"<html>Created</html>".to_vec(),
        },
        get: Some(Reply::json(200, "{\"id\": 103, \"isLocked\"")),
        ..Script::listing(&good_listing())
    };
    let (result, site) = run(3, script).await;
    let report = result.expect("the run itself succeeds");

    let outcome = report.outcome.as_ref().expect("applied");
    let failures: Vec<(&str, &str)> = outcome
        .errors
        .iter()
        .map(|e| (e.user.as_str(), e.message.as_str()))
        .collect();
    eprintln!("OUTCOME hostile per-user answers: {failures:?}");
    assert_eq!(report.counts().failed, 2);
    assert_eq!(failures[0].0, "l01");
    assert!(failures[0].1.starts_with("could not confirm the status change: unusable answer to GET /Users/{id}: body is not JSON"), "{}", failures[0].1);
    assert_eq!(failures[1].0, "p03");
    assert!(
        failures[1]
            .1
            .contains("the create succeeded without naming the new id"),
        "{}",
        failures[1].1
    );
    let creates = site.seen().iter().filter(|r| r.method == "POST").count();
    assert_eq!(creates, 1, "the create is not repeated");
    assert_eq!(
        patches(&site),
        vec![json!([{"op": "replace", "path": "/isLocked", "value": -1}])]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lock_states_of_unexpected_types_never_deactivate() {
    // l01 has left but its lock state is unreadable: it counts as deactivated already.
    // p02 is a member with an unreadable lock state: it is reactivated, the safe direction.
    // p01's email is a number and its title a list.
    let mut listing = good_listing();
    listing[3]["isLocked"] = json!("weird");
    listing[2]["isLocked"] = json!({"locked": true});
    listing[1]["email"] = json!(12345);
    listing[1]["title"] = json!(["Engineer"]);
    let (result, site) = run(2, Script::listing(&listing)).await;
    let report = result.expect("unexpected field types do not fail the run");

    let sent = patches(&site);
    eprintln!(
        "OUTCOME hostile field types: patches {sent}",
        sent = Value::from(sent.clone())
    );
    let deactivations = sent
        .iter()
        .flat_map(|ops| ops.as_array().cloned().unwrap_or_default())
        .filter(|op| op["path"] == "/isLocked" && op["value"] == -1)
        .count();
    assert_eq!(deactivations, 0);
    assert_eq!(report.counts().deactivated, 0);
    assert_eq!(report.counts().reactivated, 1);
    assert_eq!(
        report.counts().updated,
        1,
        "p01's email and title are written back"
    );
}
