//! Test data shared by the end-to-end tests: the directory a resource reads, Jira Align
//! seeds, resource manifests and the Secrets they name, and waiting on a resource's status.

use std::time::{Duration, Instant};

use jira_align_sim::{
    ADMIN_SECRET, ADMIN_USER_ID, DEFAULT_CITY_ID, DEFAULT_COST_CENTER_ID, DEFAULT_DIVISION_ID,
    DEFAULT_REGION_ID, GeneratorSpec, MEMBER_ROLE_ID, READER_USER_ID, Seed, User, generate,
};
use jira_align_user_sync::crd::JiraAlignUserSync;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use test_directories::{OpenLdap, SambaAd, StandardLdap};

use super::cluster::put_secret;

pub const TOKEN_SECRET: &str = "jira-align-token";
pub const BIND_SECRET: &str = "directory-bind";
pub const CA_SECRET: &str = "directory-ca";

/// The token of the simulator's user-managing service account.
pub fn admin_token() -> String {
    format!("user:{ADMIN_USER_ID}|{ADMIN_SECRET}")
}

/// Where and how a resource reads its directory.
#[derive(Clone, Debug)]
pub struct Directory {
    pub url: String,
    pub mode: &'static str,
    pub bind_dn: String,
    pub bind_password: String,
    pub base_dn: String,
    pub group: String,
    pub ca_pem: String,
}

impl Directory {
    /// The shared Samba AD DC over LDAPS, reading `jira-align-users`.
    pub fn samba(dc: &SambaAd) -> Directory {
        Directory {
            url: dc.ldaps_url(),
            mode: "ActiveDirectory",
            bind_dn: dc.bind_dn().to_owned(),
            bind_password: dc.bind_password().to_owned(),
            base_dn: dc.base_dn().to_owned(),
            group: test_directories::AdFixture::ENTITLED_GROUP_DN.to_owned(),
            ca_pem: std::fs::read_to_string(dc.ca_pem_path()).expect("the DC's CA is readable"),
        }
    }

    /// A test's own slapd over LDAPS, reading `jira-align-users` of the standard fixture.
    pub fn openldap(server: &OpenLdap) -> Directory {
        Directory {
            url: server.ldaps_url(),
            mode: "Ldap",
            bind_dn: server.bind_dn().to_owned(),
            bind_password: server.bind_password().to_owned(),
            base_dn: server.base_dn().to_owned(),
            group: StandardLdap::ENTITLED_GROUP_DN.to_owned(),
            ca_pem: std::fs::read_to_string(server.ca_pem_path()).expect("slapd's CA is readable"),
        }
    }
}

/// A site with the reference lists, the user-managing service account (user 1) and a
/// deactivated retired account; the active read-only account is left out so that nothing
/// but the test's own users can be deactivated.
pub fn base_seed() -> Seed {
    let mut seed = generate(&GeneratorSpec {
        users: 0,
        ..GeneratorSpec::default()
    });
    seed.users.retain(|user| user.id != READER_USER_ID);
    seed.tokens.retain(|token| token.user_id != READER_USER_ID);
    seed
}

/// A managed Jira Align user keyed by externalId, with every default field set.
pub fn jira_user(id: i64, key: &str, first: &str, last: &str, title: &str, active: bool) -> User {
    User {
        id,
        first_name: Some(first.to_owned()),
        last_name: Some(last.to_owned()),
        email: Some(format!("{key}@example.test")),
        external_id: Some(key.to_owned()),
        title: Some(title.to_owned()),
        role_id: Some(MEMBER_ROLE_ID),
        region_id: Some(DEFAULT_REGION_ID),
        city_id: Some(DEFAULT_CITY_ID),
        cost_center_id: Some(DEFAULT_COST_CENTER_ID),
        division_id: Some(DEFAULT_DIVISION_ID),
        is_locked: if active { 0 } else { -1 },
        user_end_date: (!active).then(|| "2026-01-31T00:00:00Z".parse().expect("a valid date")),
        ..User::default()
    }
}

/// A resource for `site_url` reading `directory`, with the Secrets named as
/// [`put_secrets`] writes them. Tests edit the JSON before creating it.
pub fn manifest(namespace: &str, name: &str, site_url: &str, directory: &Directory) -> Value {
    json!({
        "apiVersion": "alignsync.dev/v1alpha1",
        "kind": "JiraAlignUserSync",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "jiraAlign": {
                "url": site_url,
                "tokenSecretRef": {"name": TOKEN_SECRET, "key": "token"},
                "requestsPerMinute": 6000,
            },
            "directory": {
                "url": directory.url,
                "mode": directory.mode,
                "tls": {"ca": {"secretRef": {"name": CA_SECRET, "key": "ca.pem"}}},
                "bindDn": directory.bind_dn,
                "bindPasswordSecretRef": {"name": BIND_SECRET, "key": "password"},
                "baseDn": directory.base_dn,
                "groups": [directory.group],
            },
            "defaults": {
                "roleId": MEMBER_ROLE_ID,
                "costCenterId": DEFAULT_COST_CENTER_ID,
                "divisionId": DEFAULT_DIVISION_ID,
                "regionId": DEFAULT_REGION_ID,
                "cityId": DEFAULT_CITY_ID,
            },
            "syncInterval": "1h",
        }
    })
}

/// Writes the token, bind password and CA Secrets a [`manifest`] names.
pub async fn put_secrets(
    client: &kube::Client,
    namespace: &str,
    token: &str,
    directory: &Directory,
) {
    put_secret(client, namespace, TOKEN_SECRET, "token", token).await;
    put_secret(
        client,
        namespace,
        BIND_SECRET,
        "password",
        &directory.bind_password,
    )
    .await;
    put_secret(client, namespace, CA_SECRET, "ca.pem", &directory.ca_pem).await;
}

/// Creates the resource `manifest` describes.
pub async fn create(client: &kube::Client, manifest: &Value) -> JiraAlignUserSync {
    let resource: JiraAlignUserSync =
        serde_json::from_value(manifest.clone()).expect("the manifest is a resource");
    let namespace = resource
        .metadata
        .namespace
        .clone()
        .expect("the manifest has a namespace");
    Api::<JiraAlignUserSync>::namespaced(client.clone(), &namespace)
        .create(&PostParams::default(), &resource)
        .await
        .unwrap_or_else(|error| panic!("failed to create the resource: {error}"))
}

/// Merges `patch` into the resource (metadata or spec).
pub async fn patch(client: &kube::Client, namespace: &str, name: &str, patch: Value) {
    Api::<JiraAlignUserSync>::namespaced(client.clone(), namespace)
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap_or_else(|error| panic!("failed to patch {namespace}/{name}: {error}"));
}

/// Sets one annotation.
pub async fn annotate(client: &kube::Client, namespace: &str, name: &str, key: &str, value: &str) {
    patch(
        client,
        namespace,
        name,
        json!({"metadata": {"annotations": {key: value}}}),
    )
    .await;
}

/// Whether `site` has an active user with this externalId.
pub fn active(site: &jira_align_sim::RunningSimulator, key: &str) -> bool {
    let users = site.admin().users();
    users
        .iter()
        .any(|u| u.external_id.as_deref() == Some(key) && u.is_active())
}

/// The action counts of the resource's last run (all zero before it has one).
pub fn actions(resource: &JiraAlignUserSync) -> jira_align_user_sync::crd::ActionCounts {
    let status = resource.status.as_ref();
    status.and_then(|s| s.actions.clone()).unwrap_or_default()
}

/// The Ready condition as (status, reason, message).
pub fn ready(resource: &JiraAlignUserSync) -> Option<(String, String, String)> {
    let status = resource.status.as_ref()?;
    let ready = status.conditions.iter().find(|c| c.type_ == "Ready")?;
    Some((
        ready.status.clone(),
        ready.reason.clone(),
        ready.message.clone(),
    ))
}

/// The Ready reason, or "" before the first status.
pub fn reason(resource: &JiraAlignUserSync) -> String {
    ready(resource)
        .map(|(_, reason, _)| reason)
        .unwrap_or_default()
}

/// Polls the resource until `wanted` holds; panics with its last state after `timeout`.
pub async fn wait_for(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    timeout: Duration,
    wanted: impl Fn(&JiraAlignUserSync) -> bool,
) -> JiraAlignUserSync {
    let api: Api<JiraAlignUserSync> = Api::namespaced(client.clone(), namespace);
    let started = Instant::now();
    loop {
        let current = api
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("failed to read {name}: {e}"));
        if wanted(&current) {
            return current;
        }
        assert!(
            started.elapsed() < timeout,
            "{namespace}/{name} did not reach the wanted state within {timeout:?}; status: {:#?}",
            current.status
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the Ready reason is `wanted`.
pub async fn wait_for_reason(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    wanted: &str,
) -> JiraAlignUserSync {
    wait_for(client, namespace, name, Duration::from_secs(90), |r| {
        reason(r) == wanted
    })
    .await
}
