//! End to end at admission: `kubectl apply` of resources the CRD schema refuses, each
//! refused with a message that names the field and says what is wrong.

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
    ];
    for (name, pointer, value, wanted) in cases {
        let mut bad = manifest(&ns, name, "https://acme.jiraalign.com", &directory());
        set(&mut bad, pointer, value);
        let (accepted, stderr) = apply(setup, &bad);
        assert!(!accepted, "{name}: accepted");
        for text in wanted {
            assert!(stderr.contains(text), "{name}: {text:?} not in {stderr}");
        }
    }
}
