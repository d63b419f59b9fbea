//! The `JiraAlignUserSync` manifest each run of the one-shot sync reads: the simulator, one
//! directory group, the simulator's reference ids as defaults, and a policy that lets the
//! churn scenarios deactivate their leavers.

use std::path::{Path, PathBuf};

use jira_align_user_sync::crd::JiraAlignUserSyncSpec;
use serde_json::{Value, json};

use crate::error::BenchError;

/// Deactivations one run may make; above the largest churn of any scenario.
const MAX_DEACTIVATIONS: u32 = 5_000;
/// Requests per minute when no budget is being measured: far above what ten requests in
/// flight at 50 ms can reach, so the client's own budget never paces the run.
pub const UNLIMITED_PER_MINUTE: u32 = 100_000;
/// Requests in flight; the custom resource's default.
pub const CONCURRENCY: u32 = 10;

/// How to reach and read one directory group.
#[derive(Clone, Debug)]
pub struct DirectoryTarget {
    pub ldaps_url: String,
    pub ca_pem: PathBuf,
    pub bind_dn: String,
    pub bind_password: String,
    pub base_dn: String,
    pub group_dn: String,
    pub active_directory: bool,
}

/// The spec for one run: the site at `site_url`, the directory `target`, a client allowed
/// `per_minute` requests a minute.
pub fn spec_json(site_url: &str, target: &DirectoryTarget, per_minute: u32) -> Value {
    let mode = if target.active_directory {
        "ActiveDirectory"
    } else {
        "Ldap"
    };
    json!({
        "jiraAlign": {
            "url": site_url,
            "tokenSecretRef": {"name": "jira-align-token", "key": "token"},
            "requestsPerMinute": per_minute,
            "maxConcurrency": CONCURRENCY,
            "timeoutSeconds": 30,
        },
        "directory": {
            "url": target.ldaps_url,
            "mode": mode,
            "tls": {"ca": {"configMapRef": {"name": "directory-ca", "key": "ca.pem"}}},
            "bindDn": target.bind_dn,
            "bindPasswordSecretRef": {"name": "directory-bind", "key": "password"},
            "baseDn": target.base_dn,
            "groups": [target.group_dn],
            "maxNestingDepth": 16,
        },
        "matchOn": "ExternalId",
        "defaults": {
            "roleId": jira_align_sim::MEMBER_ROLE_ID,
            "costCenterId": jira_align_sim::DEFAULT_COST_CENTER_ID,
            "divisionId": jira_align_sim::DEFAULT_DIVISION_ID,
            "regionId": jira_align_sim::DEFAULT_REGION_ID,
            "cityId": jira_align_sim::DEFAULT_CITY_ID,
        },
        "policy": {
            "protectedUsers": ["svc-reader"],
            "protectedRoleIds": [9],
            "maxDeactivations": MAX_DEACTIVATIONS,
            "maxDeactivationPercent": 10,
        },
        "syncInterval": "1h",
    })
}

/// The spec as the operator's own type, for the planner benchmark.
pub fn spec(site_url: &str, target: &DirectoryTarget) -> Result<JiraAlignUserSyncSpec, BenchError> {
    let value = spec_json(site_url, target, UNLIMITED_PER_MINUTE);
    serde_json::from_value(value).map_err(|source| BenchError::Manifest {
        detail: source.to_string(),
    })
}

/// Writes the whole resource to `path` (JSON, which the one-shot sync reads as YAML).
pub fn write(path: &Path, spec: Value) -> Result<(), BenchError> {
    let resource = json!({
        "apiVersion": "alignsync.dev/v1alpha1",
        "kind": "JiraAlignUserSync",
        "metadata": {"name": "bench", "namespace": "bench"},
        "spec": spec,
    });
    let text = serde_json::to_string_pretty(&resource).map_err(|source| BenchError::Manifest {
        detail: source.to_string(),
    })?;
    std::fs::write(path, text).map_err(BenchError::io("write", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_parses_as_the_operator_reads_it() {
        let target = DirectoryTarget {
            ldaps_url: "ldaps://127.0.0.1:16636".into(),
            ca_pem: PathBuf::from("/tmp/ca.pem"),
            bind_dn: "cn=sync,ou=service,dc=example,dc=com".into(),
            bind_password: "secret".into(),
            base_dn: "ou=people,dc=example,dc=com".into(),
            group_dn: "cn=jira-align-users,ou=groups,dc=example,dc=com".into(),
            active_directory: false,
        };
        let spec = spec("http://127.0.0.1:8080", &target).expect("spec parses");
        assert_eq!(spec.jira_align.max_concurrency, 10);
        assert_eq!(spec.jira_align.requests_per_minute, 100_000);
        assert_eq!(spec.defaults.city_id, 11);
        assert_eq!(spec.policy.max_deactivations, 5_000);
        assert_eq!(spec.policy.protected_users, ["svc-reader"]);
        assert_eq!(spec.directory.groups.len(), 1);
    }
}
