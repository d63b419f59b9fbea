//! End to end at admission: `kubectl apply` of resources the CRD schema refuses, each
//! refused with a message that names the field and says what is wrong: 38 cases, from
//! missing fields and wrong types to out-of-range limits, bad URL schemes, unknown enum
//! values, oversized lists and contradictions across fields.

#[path = "support/harness.rs"]
mod support;

use std::io::Write;
use std::process::Stdio;

use serde_json::{Value, json};
use support::cluster::{admin_client, kubectl_command, namespace, setup};
use support::fixture::{Directory, manifest};

fn directory() -> Directory {
    Directory {
        url: "ldaps://dc1.corp.example.com".into(),
        mode: "ActiveDirectory",
        bind_dn: "CN=svc-sync,CN=Users,DC=corp,DC=example,DC=com".into(),
        bind_password: String::new(),
        base_dn: "DC=corp,DC=example,DC=com".into(),
        group: "CN=jira-align-users,OU=Groups,DC=corp,DC=example,DC=com".into(),
        ca_pem: String::new(),
    }
}

/// Applies `manifest` with kubectl; returns (accepted, stderr).
fn apply(setup: &support::cluster::Setup, manifest: &Value) -> (bool, String) {
    let mut child = kubectl_command(setup, &["apply", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl starts");
    let text = serde_json::to_string(manifest).expect("json");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("manifest written");
    let output = child.wait_with_output().expect("kubectl finishes");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Sets the member at `pointer`, creating it in its parent object.
fn set(manifest: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer with a parent");
    let parent = manifest
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("{parent} exists"));
    parent[key] = value;
}

/// Removes the member at `pointer`.
fn remove(manifest: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer with a parent");
    let parent = manifest.pointer_mut(parent).and_then(Value::as_object_mut);
    parent
        .unwrap_or_else(|| panic!("{pointer} has a parent"))
        .remove(key);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_resources_are_refused_with_the_field_named() {
    let setup = setup();
    let client = admin_client(setup).await;
    let ns = namespace(&client, "e2e-admission").await;
    let mut valid = manifest(&ns, "valid", "https://acme.jiraalign.com", &directory());
    valid["spec"]["matchOn"] = json!("Email");
    assert_eq!(apply(setup, &valid), (true, String::new()));

    let cases: Vec<(&str, &str, Value, Vec<&str>)> = vec![
        (
            "interval",
            "/spec/syncInterval",
            json!("1 day"),
            vec!["spec.syncInterval", "should match"],
        ),
        (
            "scheme",
            "/spec/jiraAlign/url",
            json!("ftp://acme.example.com"),
            vec!["spec.jiraAlign.url", "should match"],
        ),
        (
            "rate",
            "/spec/jiraAlign/requestsPerMinute",
            json!(0),
            vec![
                "spec.jiraAlign.requestsPerMinute",
                "should be greater than or equal to 1",
            ],
        ),
        (
            "enum",
            "/spec/matchOn",
            json!("Username"),
            vec!["spec.matchOn", "Unsupported value: \"Username\""],
        ),
        (
            "tls",
            "/spec/directory/tls",
            json!({"ca": {"secretRef": {"name": "ca", "key": "ca.pem"}}, "dangerouslySkipVerify": true}),
            vec![
                "spec.directory.tls",
                "tls.ca and tls.dangerouslySkipVerify contradict each other",
            ],
        ),
        (
            "namespace",
            "/spec/jiraAlign/tokenSecretRef",
            json!({"name": "token", "key": "token", "namespace": "kube-system"}),
            vec!["unknown field \"spec.jiraAlign.tokenSecretRef.namespace\""],
        ),
        (
            "override",
            "/spec/overrides",
            json!([{"memberOf": "CN=x,DC=corp", "attribute": "department", "values": ["x"], "set": {"roleId": 5}}]),
            vec![
                "spec.overrides[0]",
                "an override rule needs exactly one of memberOf or attribute",
            ],
        ),
        (
            "override-not-a-dn",
            "/spec/overrides",
            json!([{"memberOf": "contractors", "set": {"roleId": 5}}]),
            vec!["spec.overrides[0].memberOf in body should match"],
        ),
        (
            "override-values-with-member-of",
            "/spec/overrides",
            json!([{"memberOf": "CN=x,DC=corp", "values": ["x"], "set": {"roleId": 5}}]),
            vec![
                "spec.overrides[0]",
                "values apply only to an attribute rule, not to memberOf",
            ],
        ),
        (
            "skip-verify-and-plaintext",
            "/spec/directory/tls",
            json!({"dangerouslySkipVerify": true, "dangerouslyAllowPlaintext": true}),
            vec![
                "spec.directory.tls",
                "tls.dangerouslySkipVerify and tls.dangerouslyAllowPlaintext contradict each other",
            ],
        ),
        (
            "base-dn",
            "/spec/directory/baseDn",
            json!("not a dn"),
            vec!["spec.directory.baseDn in body should match"],
        ),
        (
            "interval-overflow",
            "/spec/syncInterval",
            json!("99999999999h"),
            vec!["spec.syncInterval in body should match"],
        ),
        (
            "no-site",
            "/spec/jiraAlign",
            Value::Null,
            vec!["spec.jiraAlign: Required value"],
        ),
        (
            "no-groups",
            "/spec/directory/groups",
            Value::Null,
            vec!["spec.directory.groups: Required value"],
        ),
        (
            "empty-groups",
            "/spec/directory/groups",
            json!([]),
            vec!["spec.directory.groups in body should have at least 1 items"],
        ),
        (
            "too-many-groups",
            "/spec/directory/groups",
            json!(
                (0..21)
                    .map(|i| format!("CN=g{i},DC=corp"))
                    .collect::<Vec<_>>()
            ),
            vec!["spec.directory.groups: Too many: 21: must have at most 20 items"],
        ),
        (
            "http-directory",
            "/spec/directory/url",
            json!("http://dc1.corp"),
            vec!["spec.directory.url in body should match"],
        ),
        (
            "directory-path",
            "/spec/directory/url",
            json!("ldaps://dc1/ou=x"),
            vec!["spec.directory.url in body should match"],
        ),
        (
            "site-query",
            "/spec/jiraAlign/url",
            json!("https://acme.jiraalign.com?x=1"),
            vec!["spec.jiraAlign.url in body should match"],
        ),
        (
            "rate-type",
            "/spec/jiraAlign/requestsPerMinute",
            json!("fast"),
            vec!["spec.jiraAlign.requestsPerMinute in body must be of type integer"],
        ),
        (
            "concurrency",
            "/spec/jiraAlign/maxConcurrency",
            json!(65),
            vec!["spec.jiraAlign.maxConcurrency in body should be less than or equal to 64"],
        ),
        (
            "timeout",
            "/spec/jiraAlign/timeoutSeconds",
            json!(0),
            vec!["spec.jiraAlign.timeoutSeconds in body should be greater than or equal to 1"],
        ),
        (
            "mode",
            "/spec/directory/mode",
            json!("OpenLDAP"),
            vec!["spec.directory.mode: Unsupported value: \"OpenLDAP\""],
        ),
        (
            "role-zero",
            "/spec/defaults/roleId",
            json!(0),
            vec!["spec.defaults.roleId in body should be greater than or equal to 1"],
        ),
        (
            "no-city",
            "/spec/defaults/cityId",
            Value::Null,
            vec!["spec.defaults.cityId: Required value"],
        ),
        (
            "percent",
            "/spec/policy",
            json!({"maxDeactivationPercent": 101}),
            vec!["spec.policy.maxDeactivationPercent in body should be less than or equal to 100"],
        ),
        (
            "negative",
            "/spec/policy",
            json!({"maxDeactivations": -1}),
            vec!["spec.policy.maxDeactivations in body should be greater than or equal to 0"],
        ),
        (
            "role-type",
            "/spec/policy",
            json!({"protectedRoleIds": ["admin"]}),
            vec!["spec.policy.protectedRoleIds[0] in body must be of type integer"],
        ),
        (
            "secret-name",
            "/spec/jiraAlign/tokenSecretRef",
            json!({"name": "Bad_Name", "key": "token"}),
            vec!["spec.jiraAlign.tokenSecretRef.name in body should match"],
        ),
        (
            "secret-key",
            "/spec/jiraAlign/tokenSecretRef",
            json!({"name": "token"}),
            vec!["spec.jiraAlign.tokenSecretRef.key: Required value"],
        ),
        (
            "plaintext-ldaps",
            "/spec/directory/tls",
            json!({"dangerouslyAllowPlaintext": true}),
            vec![
                "spec.directory",
                "tls.dangerouslyAllowPlaintext applies only to ldap:// URLs",
            ],
        ),
        (
            "two-ca-sources",
            "/spec/directory/tls",
            json!({"ca": {"secretRef": {"name": "a", "key": "k"}, "configMapRef": {"name": "b", "key": "k"}}}),
            vec![
                "spec.directory.tls.ca",
                "tls.ca needs exactly one of secretRef or configMapRef",
            ],
        ),
        (
            "attribute-without-values",
            "/spec/overrides",
            json!([{"attribute": "department", "set": {"roleId": 5}}]),
            vec![
                "spec.overrides[0]",
                "an override rule on an attribute needs values",
            ],
        ),
        (
            "override-sets-nothing",
            "/spec/overrides",
            json!([{"memberOf": "CN=x,DC=corp", "set": {}}]),
            vec!["spec.overrides[0].set in body should have at least 1 properties"],
        ),
        (
            "filter",
            "/spec/directory/userFilter",
            json!("department=Sales"),
            vec!["spec.directory.userFilter in body should match"],
        ),
        (
            "empty-interval",
            "/spec/syncInterval",
            json!(""),
            vec!["spec.syncInterval in body should be at least 2 chars long"],
        ),
        (
            "key-attribute",
            "/spec/directory/attributes",
            json!({"key": "1bad"}),
            vec!["spec.directory.attributes.key in body should match"],
        ),
        (
            "suspend-type",
            "/spec/suspend",
            json!("yes"),
            vec!["spec.suspend in body must be of type boolean"],
        ),
        (
            "too-many-overrides",
            "/spec/overrides",
            json!(
                (0..51)
                    .map(|i| json!({"memberOf": format!("CN=g{i},DC=corp"), "set": {"roleId": 5}}))
                    .collect::<Vec<_>>()
            ),
            vec!["spec.overrides: Too many: 51: must have at most 50 items"],
        ),
        (
            "interval-too-short",
            "/spec/syncInterval",
            json!("10s"),
            vec!["spec.syncInterval", "syncInterval must be at least 1m"],
        ),
        (
            "api-path",
            "/spec/jiraAlign/url",
            json!("https://acme.jiraalign.com/rest/align/api/2"),
            vec!["spec.jiraAlign.url", "without the /rest/align/api/2 path"],
        ),
        (
            "plain-http-site",
            "/spec/jiraAlign/url",
            json!("http://acme.jiraalign.com"),
            vec!["spec.jiraAlign.url", "must use https://"],
        ),
        (
            "group-not-a-dn",
            "/spec/directory/groups",
            json!(["jira-align-users"]),
            vec!["spec.directory.groups[0] in body should match"],
        ),
    ];
    assert!(
        cases.len() >= 25,
        "the table covers at least 25 invalid resources"
    );
    for (name, pointer, value, wanted) in cases {
        let mut bad = manifest(&ns, name, "https://acme.jiraalign.com", &directory());
        if value.is_null() {
            remove(&mut bad, pointer);
        } else {
            set(&mut bad, pointer, value);
        }
        let (accepted, stderr) = apply(setup, &bad);
        assert!(!accepted, "{name}: accepted");
        for text in wanted {
            assert!(stderr.contains(text), "{name}: {text:?} not in {stderr}");
        }
    }
}
