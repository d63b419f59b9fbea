//! The local control plane the end-to-end tests run against: started (and built) once per
//! test binary, with the CRD applied and the Helm chart installed, so the operator runs with
//! exactly the RBAC the chart grants.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::Api;
use kube::api::{ObjectMeta, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

/// The Helm release (and its namespace) that holds the operator's ServiceAccount and RBAC.
pub const RELEASE: &str = "alignsync-e2e";

/// What the one-time setup produced.
#[derive(Debug)]
pub struct Setup {
    /// The admin kubeconfig written by `control-plane.sh up`.
    pub kubeconfig: PathBuf,
}

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cache_dir() -> PathBuf {
    std::env::var_os("ALIGNSYNC_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".cache"))
}

/// Starts the control plane if needed, applies the CRD and installs the chart; once.
pub fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let bin = cache_dir().join("bin");
        let built = ["etcd", "kube-apiserver", "kubectl", "helm"]
            .iter()
            .all(|b| bin.join(b).is_file());
        if !built {
            run(
                Command::new("bash").arg("testenv/control-plane/build.sh"),
                "build the control plane",
            );
        }
        run(
            Command::new("bash").args(["testenv/control-plane/control-plane.sh", "up"]),
            "start the control plane",
        );
        let setup = Setup {
            kubeconfig: cache_dir().join("control-plane/kubeconfig"),
        };

        kubectl(
            &setup,
            &[
                "apply",
                "--server-side",
                "--force-conflicts",
                "-f",
                "crds/jiraalignusersync.yaml",
            ],
        );
        kubectl(
            &setup,
            &[
                "wait",
                "--for=condition=Established",
                "--timeout=60s",
                "crd/jiraalignusersyncs.alignsync.dev",
            ],
        );
        let kubeconfig = setup.kubeconfig.to_string_lossy().into_owned();
        let helm = cache_dir().join("bin/helm");
        run(
            Command::new(helm).args([
                "upgrade",
                "--install",
                RELEASE,
                "charts/alignsync",
                "--namespace",
                RELEASE,
                "--create-namespace",
                "--skip-crds",
                "--set",
                &format!("fullnameOverride={RELEASE}"),
                "--kubeconfig",
                &kubeconfig,
            ]),
            "install the chart",
        );
        setup
    })
}

/// Runs `command` in the repository root and panics with its output when it fails.
pub fn run(command: &mut Command, what: &str) -> Output {
    let output = command
        .current_dir(repo_root())
        .output()
        .unwrap_or_else(|error| panic!("failed to {what}: {error}"));
    assert!(
        output.status.success(),
        "failed to {what}: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// kubectl as the cluster admin; panics when it fails.
pub fn kubectl(setup: &Setup, args: &[&str]) -> Output {
    run(
        &mut kubectl_command(setup, args),
        &format!("kubectl {}", args.join(" ")),
    )
}

/// kubectl as the cluster admin, for commands that are expected to fail.
pub fn kubectl_command(setup: &Setup, args: &[&str]) -> Command {
    let mut command = Command::new(cache_dir().join("bin/kubectl"));
    command
        .arg("--kubeconfig")
        .arg(&setup.kubeconfig)
        .args(args)
        .current_dir(repo_root());
    command
}

/// A client with the admin's rights, bound to the calling test's runtime.
pub async fn admin_client(setup: &Setup) -> kube::Client {
    jira_align_user_sync::jira_align::install_crypto_provider();
    let kubeconfig =
        Kubeconfig::read_from(&setup.kubeconfig).expect("the admin kubeconfig is readable");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("the admin kubeconfig is valid");
    kube::Client::try_from(config).expect("a client builds from the admin kubeconfig")
}

/// Creates a namespace with a fresh name starting with `prefix`. Namespaces are not deleted:
/// without a controller manager nothing would ever finalize them.
pub async fn namespace(client: &kube::Client, prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "{prefix}-{:x}{:05x}",
        std::process::id() & 0xfff,
        nanos >> 12
    );
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .unwrap_or_else(|error| panic!("failed to create namespace {name}: {error}"));
    name
}

/// Creates or replaces a Secret with one string key.
pub async fn put_secret(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    key: &str,
    value: &str,
) {
    let secret = Secret {
        metadata: named(name),
        data: Some([(key.to_owned(), ByteString(value.as_bytes().to_vec()))].into()),
        ..Secret::default()
    };
    apply(client, namespace, &secret).await;
}

/// Creates or replaces a ConfigMap with one key.
pub async fn put_config_map(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    key: &str,
    value: &str,
) {
    let map = ConfigMap {
        metadata: named(name),
        data: Some([(key.to_owned(), value.to_owned())].into()),
        ..ConfigMap::default()
    };
    apply(client, namespace, &map).await;
}

fn named(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        ..ObjectMeta::default()
    }
}

/// Server-side apply of a namespaced object, as the tests' own field manager.
async fn apply<K>(client: &kube::Client, namespace: &str, object: &K)
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + serde::Serialize
        + serde::de::DeserializeOwned
        + Clone
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let name = object.meta().name.clone().unwrap_or_default();
    let params = kube::api::PatchParams::apply("alignsync-e2e").force();
    api.patch(&name, &params, &kube::api::Patch::Apply(object))
        .await
        .unwrap_or_else(|error| {
            let kind = K::kind(&K::DynamicType::default()).into_owned();
            panic!("failed to write {kind} {namespace}/{name}: {error}")
        });
}
