//! The validate step against the fixture resource and edits of it.

use std::time::Duration;

use super::*;
use crate::crd::JiraAlignUserSync;

fn fixture() -> JiraAlignUserSync {
    let text = include_str!("../fixtures/engineering.yaml");
    serde_yaml::from_str(text).expect("the fixture is a valid resource")
}

fn secrets(token: &str, password: &str) -> ResolvedSecrets {
    ResolvedSecrets {
        token: token.to_owned(),
        bind_password: password.to_owned(),
        ca_pem: None,
        versions: vec!["secret/jira-align-token@7".to_owned()],
    }
}

fn message(spec: &JiraAlignUserSyncSpec, secrets: &ResolvedSecrets) -> String {
    match prepare(spec, secrets, "team-a/sync") {
        Ok(_) => panic!("expected the spec to be refused"),
        Err(error) => {
            assert_eq!(error.reason(), "InvalidSpec");
            error.to_string()
        }
    }
}

#[test]
fn the_fixture_prepares_with_its_interval_and_site() {
    let resource = fixture();
    let prepared = prepare(
        &resource.spec,
        &secrets("user:1|s3cret", "pw"),
        "team-a/sync",
    );
    let Ok(prepared) = prepared else {
        panic!("the fixture is valid")
    };
    assert_eq!(prepared.interval, Duration::from_secs(5400));
    assert_eq!(prepared.client.token_user_id(), Some(1));
    assert_eq!(prepared.directory.bind_password, "pw");
    assert_eq!(
        site_of(&resource.spec).as_deref(),
        Some("https://acme.jiraalign.com/")
    );
}

#[test]
fn a_malformed_interval_names_its_field() {
    let mut spec = fixture().spec;
    spec.sync_interval = "90".to_owned();
    let text = message(&spec, &secrets("user:1|s3cret", "pw"));
    assert_eq!(text, "spec.syncInterval: must be a duration like 30m or 1h");
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut spec = fixture().spec;
    spec.sync_interval = "30s".to_owned();
    spec.directory.url = "https://dc1".to_owned();
    let text = message(&spec, &secrets("user:1|s3cret", "pw"));
    assert_eq!(
        text,
        "spec.directory.url: must be an ldap:// or ldaps:// URL; spec.syncInterval: must be at least 1m"
    );
}

#[test]
fn a_token_with_spaces_is_refused_before_any_request() {
    let spec = fixture().spec;
    let text = message(&spec, &secrets("user:1| s3cret", "pw"));
    assert_eq!(
        text,
        "spec.jiraAlign: invalid jira align client configuration: token contains spaces or \
         control characters"
    );
}
