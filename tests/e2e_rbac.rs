//! End to end on the API server: the chart's RBAC gives the operator's ServiceAccount exactly
//! what the operator uses, cluster-wide or only in the watched namespaces, and nothing more.

#[path = "support/harness.rs"]
mod support;

use std::path::PathBuf;
use std::process::Command;

use support::cluster::{
    RELEASE, Setup, admin_client, kubectl, kubectl_command, namespace, repo_root, run, setup,
};

/// Where an access question is asked.
#[derive(Clone, Copy, Debug)]
enum Scope<'a> {
    /// In one namespace.
    In(&'a str),
    /// Across every namespace, which is also how cluster-scoped resources are asked about.
    Everywhere,
}

/// A question for `kubectl auth can-i` and the answer the chart must produce: verb, resource
/// (`resource/subresource` for a subresource), scope, "yes" or "no".
type Question<'a> = (&'a str, &'a str, Scope<'a>, &'a str);

/// The impersonation name of ServiceAccount `name` in `namespace`.
fn service_account(namespace: &str, name: &str) -> String {
    format!("system:serviceaccount:{namespace}:{name}")
}

/// Asks the API server whether `subject` may `verb` `resource` in `scope`: "yes", "no", or
/// the error kubectl printed when it could not ask.
fn can_i(setup: &Setup, subject: &str, verb: &str, resource: &str, scope: Scope) -> String {
    let (resource, subresource) = match resource.split_once('/') {
        Some((resource, subresource)) => (resource, Some(subresource)),
        None => (resource, None),
    };
    let subresource = subresource.map(|s| format!("--subresource={s}"));
    let subject = format!("--as={subject}");

    let mut args = vec!["auth", "can-i", verb, resource, &subject];
    args.extend(subresource.as_deref());
    match scope {
        Scope::In(namespace) => args.extend(["--namespace", namespace]),
        Scope::Everywhere => args.push("--all-namespaces"),
    }

    // kubectl exits 1 for "no", so only the printed answer tells a refusal from an error.
    let output = kubectl_command(setup, &args)
        .output()
        .unwrap_or_else(|error| panic!("failed to run kubectl {}: {error}", args.join(" ")));
    let answer = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    match answer.as_str() {
        "yes" | "no" => answer,
        _ => format!(
            "error: {answer} {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    }
}

/// Asks every question as `subject` and asserts every answer, listing all the wrong ones.
fn assert_answers(setup: &Setup, subject: &str, questions: &[Question]) {
    let wrong: Vec<String> = questions
        .iter()
        .filter_map(|&(verb, resource, scope, expected)| {
            let answer = can_i(setup, subject, verb, resource, scope);
            let scope = match scope {
                Scope::In(namespace) => format!("in {namespace}"),
                Scope::Everywhere => "everywhere".to_owned(),
            };
            (answer != expected)
                .then(|| format!("{verb} {resource} {scope}: {answer}, expected {expected}"))
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} answers for {subject} are wrong:\n{}",
        wrong.len(),
        questions.len(),
        wrong.join("\n")
    );
}

/// The names kubectl prints for objects of `kinds` labelled as part of Helm release `release`.
fn release_objects(setup: &Setup, kinds: &str, scope: Scope, release: &str) -> Vec<String> {
    let selector = format!("app.kubernetes.io/instance={release}");
    let mut args = vec!["get", kinds, "--selector", &selector, "--output", "name"];
    match scope {
        Scope::In(namespace) => args.extend(["--namespace", namespace]),
        Scope::Everywhere => args.push("--all-namespaces"),
    }
    let output = kubectl(setup, &args);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

const SYNCS: &str = "jiraalignusersyncs.alignsync.dev";
const SYNC_STATUS: &str = "jiraalignusersyncs.alignsync.dev/status";
const LEASES: &str = "leases.coordination.k8s.io";
const NEW_EVENTS: &str = "events.events.k8s.io";
const DEPLOYMENTS: &str = "deployments.apps";
const CLUSTER_ROLES: &str = "clusterroles.rbac.authorization.k8s.io";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_mode_grants_exactly_what_the_operator_uses() {
    let setup = setup();
    let client = admin_client(setup).await;
    let ns = namespace(&client, "e2e-rbac").await;
    let ns = Scope::In(&ns);
    let home = Scope::In(RELEASE);
    let all = Scope::Everywhere;

    let questions: Vec<Question> = vec![
        // Its own resources: read and watch everywhere, patch (finalizers, annotations).
        ("get", SYNCS, ns, "yes"),
        ("list", SYNCS, all, "yes"),
        ("watch", SYNCS, all, "yes"),
        ("patch", SYNCS, ns, "yes"),
        ("create", SYNCS, ns, "no"),
        ("update", SYNCS, ns, "no"),
        ("delete", SYNCS, ns, "no"),
        ("get", SYNC_STATUS, ns, "yes"),
        ("patch", SYNC_STATUS, ns, "yes"),
        ("update", SYNC_STATUS, ns, "yes"),
        // The Secrets and ConfigMaps the resources name: read only.
        ("get", "secrets", ns, "yes"),
        ("get", "secrets", home, "yes"),
        ("list", "secrets", all, "yes"),
        ("watch", "secrets", all, "yes"),
        ("create", "secrets", ns, "no"),
        ("update", "secrets", ns, "no"),
        ("patch", "secrets", ns, "no"),
        ("delete", "secrets", ns, "no"),
        ("get", "configmaps", ns, "yes"),
        ("list", "configmaps", all, "yes"),
        ("watch", "configmaps", all, "yes"),
        ("create", "configmaps", ns, "no"),
        // Events through either API.
        ("create", "events", ns, "yes"),
        ("create", NEW_EVENTS, ns, "yes"),
        ("delete", "events", ns, "no"),
        // The leader-election Lease, in the release namespace only.
        ("get", LEASES, home, "yes"),
        ("update", LEASES, home, "yes"),
        ("create", LEASES, ns, "no"),
        ("get", LEASES, ns, "no"),
        // Nothing else.
        ("get", "pods", ns, "no"),
        ("create", "pods", ns, "no"),
        ("get", DEPLOYMENTS, ns, "no"),
        ("create", DEPLOYMENTS, home, "no"),
        ("*", "*", all, "no"),
        ("get", CLUSTER_ROLES, all, "no"),
        ("create", CLUSTER_ROLES, all, "no"),
    ];
    assert_answers(setup, &service_account(RELEASE, RELEASE), &questions);
}

/// A second release of the chart, uninstalled when dropped so a failed test leaves no grant
/// behind.
struct Release {
    setup: &'static Setup,
    name: String,
    installed: bool,
}

impl Release {
    /// Installs `charts/alignsync` as `name` into the existing namespace of the same name,
    /// watching `watched` only, with no operator pods.
    fn install(setup: &'static Setup, name: &str, watched: &[&str]) -> Release {
        let watch = format!("watchNamespaces={{{}}}", watched.join(","));
        let mut install = helm(setup);
        install
            .args(["install", name, "charts/alignsync", "--namespace", name])
            .args(["--skip-crds", "--set", "replicas=0", "--set", &watch]);
        run(&mut install, &format!("install release {name}"));
        Release {
            setup,
            name: name.to_owned(),
            installed: true,
        }
    }

    /// Runs `helm uninstall`; panics when it fails.
    fn uninstall(&mut self) {
        self.installed = false;
        run(
            &mut self.uninstall_command(),
            &format!("uninstall release {}", self.name),
        );
    }

    fn uninstall_command(&self) -> Command {
        let mut uninstall = helm(self.setup);
        uninstall
            .args(["uninstall", &self.name, "--namespace", &self.name])
            .current_dir(repo_root());
        uninstall
    }
}

impl Drop for Release {
    fn drop(&mut self) {
        if self.installed
            && let Err(error) = self.uninstall_command().output()
        {
            eprintln!("failed to uninstall release {}: {error}", self.name);
        }
    }
}

/// The harness's Helm binary, pointed at the admin kubeconfig.
fn helm(setup: &Setup) -> Command {
    let cache = std::env::var_os("ALIGNSYNC_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".cache"));
    let mut command = Command::new(cache.join("bin/helm"));
    command.arg("--kubeconfig").arg(&setup.kubeconfig);
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaced_mode_grants_nothing_outside_the_watched_namespaces() {
    let setup = setup();
    let client = admin_client(setup).await;
    let name = namespace(&client, "alignsync-rbac").await;
    let watched_a = namespace(&client, "e2e-rbac-a").await;
    let watched_b = namespace(&client, "e2e-rbac-b").await;
    let other = namespace(&client, "e2e-rbac-other").await;
    let mut release = Release::install(setup, &name, &[&watched_a, &watched_b]);
    let subject = service_account(&name, &name);
    let (a, b, other, home) = (
        Scope::In(&watched_a),
        Scope::In(&watched_b),
        Scope::In(&other),
        Scope::In(&name),
    );

    // The release name contains the chart name, so every object is named after the release.
    let role = format!("role.rbac.authorization.k8s.io/{name}");
    let binding = format!("rolebinding.rbac.authorization.k8s.io/{name}");
    let cluster_wide = "clusterroles,clusterrolebindings";
    assert_eq!(
        release_objects(setup, cluster_wide, Scope::Everywhere, &name),
        Vec::<String>::new()
    );
    for watched in [a, b] {
        let roles = release_objects(setup, "roles,rolebindings", watched, &name);
        assert_eq!(roles, vec![role.clone(), binding.clone()]);
    }
    assert_eq!(
        release_objects(setup, "roles,rolebindings", other, &name),
        Vec::<String>::new()
    );

    let questions: Vec<Question> = vec![
        ("get", "secrets", a, "yes"),
        ("get", "secrets", b, "yes"),
        ("get", "secrets", other, "no"),
        ("get", "secrets", home, "no"),
        ("list", "secrets", Scope::Everywhere, "no"),
        ("watch", SYNCS, a, "yes"),
        ("watch", SYNCS, b, "yes"),
        ("watch", SYNCS, other, "no"),
        ("list", SYNCS, Scope::Everywhere, "no"),
        ("patch", SYNC_STATUS, a, "yes"),
        ("patch", SYNC_STATUS, other, "no"),
        ("create", "events", b, "yes"),
        ("create", "events", other, "no"),
        ("update", LEASES, home, "yes"),
        ("update", LEASES, a, "no"),
        ("get", CLUSTER_ROLES, Scope::Everywhere, "no"),
    ];
    assert_answers(setup, &subject, &questions);

    release.uninstall();
    assert_eq!(can_i(setup, &subject, "get", "secrets", a), "no");
    assert_eq!(
        release_objects(setup, "roles,rolebindings", a, &name),
        Vec::<String>::new()
    );
}
