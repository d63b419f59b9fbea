//! The Helm chart and the example resources: `helm lint`, what `helm template` renders in
//! cluster and namespaced mode (RBAC, Deployment hardening, alerts), the chart's copy of the
//! CRD, and that every example parses and validates (and the invalid one fails as documented).

use std::path::{Path, PathBuf};
use std::process::Command;

use jira_align_user_sync::crd::JiraAlignUserSync;
use jira_align_user_sync::validate::{FieldError, validate};
use serde::Deserialize;
use serde_yaml::Value;

const CHART: &str = "charts/alignsync";
const RELEASE_NAMESPACE: &str = "ops";

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The pinned Helm that `testenv/control-plane/build.sh helm` builds; a missing binary fails
/// the test rather than skipping it.
fn helm() -> Command {
    let cache = std::env::var_os("ALIGNSYNC_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".cache"));
    let binary = cache.join("bin/helm");
    assert!(
        binary.is_file(),
        "{} is missing: build it with testenv/control-plane/build.sh helm",
        binary.display()
    );
    let mut command = Command::new(binary);
    command.current_dir(repo_root());
    command
}

/// Runs helm with `args` and returns (success, stdout, stderr).
fn run_helm(args: &[&str]) -> (bool, String, String) {
    let output = helm().args(args).output().expect("helm starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), stdout, stderr)
}

/// Renders the chart as release `rel` in namespace `ops` with extra `--set` values.
fn render(sets: &[&str]) -> Vec<Value> {
    let mut args = vec!["template", "rel", CHART, "--namespace", RELEASE_NAMESPACE];
    for set in sets {
        args.extend(["--set", set]);
    }
    let (ok, stdout, stderr) = run_helm(&args);
    assert!(ok, "helm template {sets:?} failed: {stderr}");
    serde_yaml::Deserializer::from_str(&stdout)
        .map(|document| Value::deserialize(document).expect("helm renders valid YAML"))
        .filter(|object| !object.is_null())
        .collect()
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn one<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    let found = of_kind(objects, kind);
    assert_eq!(found.len(), 1, "expected exactly one {kind}");
    found[0]
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("test literal is valid YAML")
}

/// The rules the operator gets in each watched namespace (or cluster-wide), exactly.
const WATCH_RULES: &str = r#"
- {apiGroups: [alignsync.dev], resources: [jiraalignusersyncs], verbs: [get, list, watch, patch]}
- {apiGroups: [alignsync.dev], resources: [jiraalignusersyncs/status], verbs: [get, patch, update]}
- {apiGroups: [""], resources: [secrets], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [events], verbs: [create, patch]}
- {apiGroups: [events.k8s.io], resources: [events], verbs: [create, patch]}
"#;

const LEASE_RULES: &str = r#"
- {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update, patch, watch]}
"#;

const SUBJECTS: &str = "[{kind: ServiceAccount, name: rel-alignsync, namespace: ops}]";

#[test]
fn lint_passes_in_every_mode() {
    for sets in [
        vec![],
        vec!["watchNamespaces={team-a,team-b}"],
        vec![
            "metrics.serviceMonitor.enabled=true",
            "prometheusRule.enabled=true",
        ],
    ] {
        let mut args = vec!["lint", "--strict", CHART];
        for set in &sets {
            args.extend(["--set", set]);
        }
        let (ok, stdout, stderr) = run_helm(&args);
        assert!(ok, "helm lint {sets:?} failed:\n{stdout}{stderr}");
        assert!(
            stdout.contains("1 chart(s) linted, 0 chart(s) failed"),
            "{stdout}"
        );
    }
}

#[test]
fn cluster_mode_grants_exactly_the_listed_rules() {
    let objects = render(&[]);

    let cluster_role = one(&objects, "ClusterRole");
    assert_eq!(cluster_role["metadata"]["name"], "rel-alignsync");
    assert_eq!(cluster_role["rules"], yaml(WATCH_RULES));

    let binding = one(&objects, "ClusterRoleBinding");
    assert_eq!(binding["roleRef"]["kind"], "ClusterRole");
    assert_eq!(binding["roleRef"]["name"], "rel-alignsync");
    assert_eq!(binding["subjects"], yaml(SUBJECTS));

    // The only Role is the Lease one, in the release namespace.
    let role = one(&objects, "Role");
    assert_eq!(role["metadata"]["name"], "rel-alignsync-leader-election");
    assert_eq!(role["metadata"]["namespace"], RELEASE_NAMESPACE);
    assert_eq!(role["rules"], yaml(LEASE_RULES));
    let role_binding = one(&objects, "RoleBinding");
    assert_eq!(
        role_binding["roleRef"]["name"],
        "rel-alignsync-leader-election"
    );
    assert_eq!(role_binding["subjects"], yaml(SUBJECTS));

    let account = one(&objects, "ServiceAccount");
    assert_eq!(account["metadata"]["name"], "rel-alignsync");
    assert_eq!(account["metadata"]["namespace"], RELEASE_NAMESPACE);
}

#[test]
fn namespaced_mode_binds_one_role_per_namespace_and_nothing_cluster_wide() {
    let objects = render(&["watchNamespaces={team-a,team-b}"]);

    assert!(of_kind(&objects, "ClusterRole").is_empty());
    assert!(of_kind(&objects, "ClusterRoleBinding").is_empty());

    let roles = of_kind(&objects, "Role");
    let placed: Vec<(&str, &str)> = roles
        .iter()
        .map(|r| {
            let meta = &r["metadata"];
            (
                meta["namespace"].as_str().unwrap_or(""),
                meta["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        placed,
        [
            ("ops", "rel-alignsync-leader-election"),
            ("team-a", "rel-alignsync"),
            ("team-b", "rel-alignsync"),
        ]
    );
    for role in &roles[1..] {
        assert_eq!(role["rules"], yaml(WATCH_RULES));
    }
    for binding in of_kind(&objects, "RoleBinding") {
        assert_eq!(binding["roleRef"]["kind"], "Role");
        assert_eq!(binding["subjects"], yaml(SUBJECTS));
    }
    assert_eq!(of_kind(&objects, "RoleBinding").len(), 3);

    let args = &one(&objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"];
    assert_eq!(
        args.as_sequence().and_then(|a| a.last()),
        Some(&yaml("--namespaces=team-a,team-b"))
    );
}

#[test]
fn deployment_is_hardened_and_runs_the_operator() {
    let objects = render(&[]);
    let deployment = one(&objects, "Deployment");
    assert_eq!(deployment["spec"]["replicas"], 2);

    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "rel-alignsync");
    assert_eq!(
        pod["securityContext"],
        yaml(
            "{runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: {type: RuntimeDefault}}"
        )
    );

    let container = &pod["containers"][0];
    assert_eq!(container["image"], "localhost/jira-align-user-sync:0.1.0");
    assert_eq!(
        container["securityContext"],
        yaml(
            "{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, \
             privileged: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}"
        )
    );
    assert_eq!(
        container["args"],
        yaml(
            "[run, --metrics-addr=0.0.0.0:8080, --lease-namespace=ops, --lease-name=rel-alignsync, \
             '--identity=$(POD_NAME)', --concurrency=4, --log-format=json]"
        )
    );
    assert_eq!(
        container["livenessProbe"]["httpGet"],
        yaml("{path: /live, port: metrics}")
    );
    assert_eq!(
        container["readinessProbe"]["httpGet"],
        yaml("{path: /ready, port: metrics}")
    );
    assert_eq!(
        container["resources"],
        yaml("{requests: {cpu: 50m, memory: 64Mi}, limits: {cpu: 500m, memory: 256Mi}}")
    );

    let service = one(&objects, "Service");
    assert_eq!(service["metadata"]["name"], "rel-alignsync-metrics");
    assert_eq!(
        service["spec"]["ports"],
        yaml("[{name: metrics, port: 8080, targetPort: metrics, protocol: TCP}]")
    );
}

#[test]
fn monitoring_objects_are_optional_and_alert_on_the_operator_metrics() {
    let plain = render(&[]);
    assert!(of_kind(&plain, "ServiceMonitor").is_empty());
    assert!(of_kind(&plain, "PrometheusRule").is_empty());

    let objects = render(&[
        "metrics.serviceMonitor.enabled=true",
        "prometheusRule.enabled=true",
        "prometheusRule.failedRuns=5",
    ]);
    let monitor = one(&objects, "ServiceMonitor");
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], "metrics");
    assert_eq!(monitor["spec"]["endpoints"][0]["honorLabels"], true);

    let rules = &one(&objects, "PrometheusRule")["spec"]["groups"][0]["rules"];
    let alerts: Vec<(&str, &str)> = rules
        .as_sequence()
        .expect("rules is a list")
        .iter()
        .map(|r| {
            (
                r["alert"].as_str().unwrap_or(""),
                r["expr"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let job = r#"job="rel-alignsync-metrics""#;
    let success = format!("alignsync_last_success_timestamp_seconds{{{job}}}");
    let created = format!("alignsync_resource_created_timestamp_seconds{{{job}}}");
    let stale = format!(
        "(time() - max by (namespace, name) ({success}) > 10800)\nor\n\
         (time() - max by (namespace, name) ({created}) > 10800\n  \
         unless on (namespace, name) {success})"
    );
    assert_eq!(
        alerts,
        [
            ("AlignSyncStale", stale.as_str()),
            ("AlignSyncRunBlocked", format!(r#"sum(increase(alignsync_runs_total{{{job}, result="blocked", reason="DeactivationLimitExceeded"}}[1h])) > 0"#).as_str()),
            ("AlignSyncRunsFailing", format!(r#"sum(increase(alignsync_runs_total{{{job}, result="failure"}}[1h])) >= 5"#).as_str()),
        ]
    );
}

#[test]
fn the_values_schema_rejects_typos_and_bad_namespaces() {
    let (ok, _, stderr) = run_helm(&["template", "rel", CHART, "--set", "replica=3"]);
    assert!(!ok);
    assert!(
        stderr.contains("additional properties 'replica' not allowed"),
        "{stderr}"
    );

    let (ok, _, stderr) = run_helm(&[
        "template",
        "rel",
        CHART,
        "--set",
        "watchNamespaces={Team_A}",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("'Team_A' does not match pattern"),
        "{stderr}"
    );
}

#[test]
fn the_chart_ships_the_generated_crd_and_the_crate_version() {
    let generated =
        std::fs::read(repo_root().join("crds/jiraalignusersync.yaml")).expect("crds/ copy");
    let shipped = std::fs::read(repo_root().join(CHART).join("crds/jiraalignusersync.yaml"))
        .expect("chart copy");
    assert!(
        generated == shipped,
        "charts/alignsync/crds/jiraalignusersync.yaml differs from crds/: \
         cp crds/jiraalignusersync.yaml charts/alignsync/crds/"
    );

    let chart: Value = serde_yaml::from_slice(
        &std::fs::read(repo_root().join(CHART).join("Chart.yaml")).expect("Chart.yaml"),
    )
    .expect("Chart.yaml is YAML");
    assert_eq!(chart["appVersion"], env!("CARGO_PKG_VERSION"));
}

/// The JiraAlignUserSync documents of an example file (Secrets and Namespaces skipped).
fn example_resources(file: &str) -> Vec<JiraAlignUserSync> {
    let text =
        std::fs::read_to_string(repo_root().join("examples").join(file)).expect("example exists");
    serde_yaml::Deserializer::from_str(&text)
        .map(|document| Value::deserialize(document).expect("example is YAML"))
        .filter(|object| object["kind"] == "JiraAlignUserSync")
        .map(|object| serde_yaml::from_value(object).expect("example matches the CRD types"))
        .collect()
}

#[test]
fn every_valid_example_parses_and_validates() {
    let expected = [
        ("active-directory.yaml", vec!["corp"]),
        ("openldap.yaml", vec!["engineering"]),
        ("two-sites.yaml", vec!["emea", "amer"]),
        ("overrides.yaml", vec!["corp-with-overrides"]),
        ("dry-run.yaml", vec!["corp-dry-run"]),
    ];
    for (file, names) in expected {
        let resources = example_resources(file);
        let found: Vec<&str> = resources
            .iter()
            .filter_map(|r| r.metadata.name.as_deref())
            .collect();
        assert_eq!(found, names, "{file}");
        for resource in &resources {
            assert_eq!(validate(&resource.spec), Vec::<FieldError>::new(), "{file}");
        }
    }
    assert_eq!(
        example_resources("overrides.yaml")[0].spec.overrides.len(),
        3
    );
    assert!(example_resources("dry-run.yaml")[0].spec.policy.dry_run);
}

#[test]
fn the_invalid_example_fails_with_the_documented_message() {
    let resources = example_resources("invalid.yaml");
    assert_eq!(resources.len(), 1);
    let problems = validate(&resources[0].spec);
    let expected = "tls.ca and tls.dangerouslySkipVerify contradict each other";
    assert_eq!(
        problems,
        [FieldError {
            field: "spec.directory.tls".to_string(),
            message: expected.to_string()
        }]
    );

    let text =
        std::fs::read_to_string(repo_root().join("examples/invalid.yaml")).expect("example exists");
    let kubectl = format!(
        "# The JiraAlignUserSync \"contradictory-tls\" is invalid: spec.directory.tls: \
         Invalid value: {expected}\n"
    );
    assert!(
        text.contains(&kubectl),
        "invalid.yaml must quote: {kubectl}"
    );
}
