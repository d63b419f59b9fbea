//! The desired state of a sync: which Jira Align site, which directory groups, how new users
//! are filled in, and the safety policy. Field docs are what `kubectl explain` prints.

// Printer columns repeat `type_ = ...` by design; clippy reads that as a duplicate.
#![allow(clippy::duplicated_attributes)]

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::status::JiraAlignUserSyncStatus;

/// Keeps the users of one Jira Align site in step with the members of directory groups.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "alignsync.dev",
    version = "v1alpha1",
    kind = "JiraAlignUserSync",
    namespaced,
    status = "JiraAlignUserSyncStatus",
    shortname = "jaus",
    category = "alignsync",
    doc = "Keeps the users of one Jira Align site in step with the members of directory groups.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason",
        priority = 1
    ),
    printcolumn(name = "Last Sync", type_ = "date", json_path = ".status.lastSyncTime"),
    printcolumn(
        name = "Members",
        type_ = "integer",
        json_path = ".status.directoryMembers"
    ),
    printcolumn(
        name = "Created",
        type_ = "integer",
        json_path = ".status.actions.created"
    ),
    printcolumn(
        name = "Reactivated",
        type_ = "integer",
        json_path = ".status.actions.reactivated"
    ),
    printcolumn(
        name = "Deactivated",
        type_ = "integer",
        json_path = ".status.actions.deactivated"
    ),
    printcolumn(
        name = "Failed",
        type_ = "integer",
        json_path = ".status.actions.failed"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct JiraAlignUserSyncSpec {
    /// The Jira Align site and the API token the operator uses.
    pub jira_align: JiraAlignSpec,

    /// The directory (Active Directory or another LDAP server) and the groups whose members
    /// should have Jira Align accounts.
    pub directory: DirectorySpec,

    /// Which Jira Align field identifies a directory user: `ExternalId` (default; holds the
    /// directory key attribute, as SSO by External ID expects) or `Email`.
    #[serde(default)]
    pub match_on: MatchOn,

    /// Values given to every user the operator creates. Example: `{roleId: 4, regionId: 1,
    /// cityId: 3, costCenterId: 2, divisionId: 5}`.
    pub defaults: UserDefaults,

    /// Ordered rules that replace some defaults for some users, by group membership or by a
    /// directory attribute value. For each field the first matching rule that sets it wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    pub overrides: Vec<OverrideRule>,

    /// What the operator may change, and the safety limits that hold it back.
    #[serde(default)]
    pub policy: Policy,

    /// Time between two syncs, as a duration such as `30m`, `1h` or `1h30m`. Default `1h`;
    /// at least `1m`.
    #[serde(default = "default_interval")]
    #[schemars(
        pattern(r"^([0-9]{1,4}h)?([0-9]{1,6}m)?([0-9]{1,8}s)?$"),
        length(min = 2, max = 16)
    )]
    #[x_kube(validation = Rule::new("duration(self) >= duration('1m')").message("syncInterval must be at least 1m"))]
    pub sync_interval: String,

    /// When true, no sync runs until it is set back to false. Default false.
    #[serde(default)]
    pub suspend: bool,
}

fn default_interval() -> String {
    "1h".to_string()
}

/// A key of a Secret in the resource's own namespace.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    /// Name of the Secret, in the same namespace as this resource. Example: `jira-align-token`.
    #[schemars(
        length(min = 1, max = 253),
        pattern(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    )]
    pub name: String,

    /// Key inside the Secret. Example: `token`.
    #[schemars(length(min = 1, max = 253), pattern(r"^[-._a-zA-Z0-9]+$"))]
    pub key: String,
}

/// The Jira Align site.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JiraAlignSpec {
    /// Base URL of the site, without the API path. Example: `https://acme.jiraalign.com`.
    #[schemars(
        length(min = 8, max = 2048),
        pattern(r"^https?://[^/\s?#]+(/[^\s?#]*)?$")
    )]
    #[x_kube(validation = Rule::new("!self.contains('/rest/align/api')").message("jiraAlign.url is the site URL, without the /rest/align/api/2 path"))]
    #[x_kube(validation = Rule::new("self.startsWith('https://') || self.matches('^http://(127[.][0-9.]+|localhost|[[]::1[]])(:[0-9]+)?(/.*)?$')").message("jiraAlign.url must use https:// (plain http:// only to a loopback address), so the token is never sent in clear text"))]
    pub url: String,

    /// The Secret key holding an API 2.0 token of a user allowed to manage users
    /// (`user:<id>|<secret>`).
    pub token_secret_ref: SecretKeyRef,

    /// Most requests per minute this operator sends to the site, shared by every resource that
    /// names the same URL; when they set different values, the smallest holds. Default 600.
    #[serde(default = "default_rpm")]
    #[schemars(range(min = 1, max = 100000))]
    pub requests_per_minute: u32,

    /// Most requests in flight at once to the site, shared like requestsPerMinute (the
    /// smallest holds). Default 10. The load on the site is bounded by requestsPerMinute;
    /// this only hides the latency of each answer.
    #[serde(default = "default_concurrency")]
    #[schemars(range(min = 1, max = 64))]
    pub max_concurrency: u32,

    /// Timeout of one request, in seconds. Default 30.
    #[serde(default = "default_timeout")]
    #[schemars(range(min = 1, max = 600))]
    pub timeout_seconds: u32,
}

fn default_rpm() -> u32 {
    600
}
fn default_concurrency() -> u32 {
    10
}
fn default_timeout() -> u32 {
    30
}

/// How the directory is read.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.url.startsWith('ldaps://') || !has(self.tls) || !has(self.tls.dangerouslyAllowPlaintext) || !self.tls.dangerouslyAllowPlaintext || !has(self.tls.ca)").message("tls.ca has no effect with tls.dangerouslyAllowPlaintext on an ldap:// URL"))]
#[x_kube(validation = Rule::new("!self.url.startsWith('ldaps://') || !has(self.tls) || !has(self.tls.dangerouslyAllowPlaintext) || !self.tls.dangerouslyAllowPlaintext").message("tls.dangerouslyAllowPlaintext applies only to ldap:// URLs"))]
pub struct DirectorySpec {
    /// Server URL: `ldaps://host:636`, or `ldap://host:389` which is upgraded with StartTLS.
    /// Example: `ldaps://dc1.corp.example.com`.
    #[schemars(length(min = 8, max = 1024), pattern(r"^ldaps?://[^/\s?#]+/?$"))]
    pub url: String,

    /// `ActiveDirectory` (default: nested groups by the in-chain rule, primary groups, disabled
    /// and expired accounts) or `Ldap` (OpenLDAP, 389-DS, FreeIPA: groupOfNames,
    /// groupOfUniqueNames and posixGroup, walked with cycle detection).
    #[serde(default)]
    pub mode: DirectoryMode,

    /// TLS settings. Certificates are verified by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSpec>,

    /// DN used for the simple bind.
    /// Example: `CN=svc-jira-sync,OU=Service,DC=corp,DC=example,DC=com`.
    #[schemars(length(min = 3, max = 1024), pattern(r"^[^=,]+=.+$"))]
    pub bind_dn: String,

    /// The Secret key holding the bind password.
    pub bind_password_secret_ref: SecretKeyRef,

    /// Base DN under which users are searched. Example: `DC=corp,DC=example,DC=com`.
    #[schemars(length(min = 3, max = 1024), pattern(r"^[^=,]+=.+$"))]
    pub base_dn: String,

    /// DNs of the groups whose members (nested at any depth) are entitled to Jira Align; the
    /// union of all of them. Example: `[CN=jira-align-users,OU=Groups,DC=corp,DC=example,DC=com]`.
    #[schemars(
        length(min = 1, max = 20),
        inner(length(min = 3, max = 1024), pattern(r"^[^=,]+=.+$"))
    )]
    pub groups: Vec<String>,

    /// An extra LDAP filter that narrows the users, ANDed with membership. Example:
    /// `(department=Engineering)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 3, max = 4096), pattern(r"^\(.*\)$"))]
    pub user_filter: Option<String>,

    /// Directory attribute names to read. Defaults depend on the mode.
    #[serde(default)]
    pub attributes: AttributeNames,

    /// Accept a read that finds no entitled member. Default false: an empty result is taken
    /// as a broken read and nobody is deactivated.
    #[serde(default)]
    pub allow_empty_groups: bool,

    /// Most levels of nested groups walked in `Ldap` mode. Default 10.
    #[serde(default = "default_depth")]
    #[schemars(range(min = 1, max = 64))]
    pub max_nesting_depth: u32,

    /// Timeout of connect and of each directory operation, in seconds. Default 30.
    #[serde(default = "default_timeout")]
    #[schemars(range(min = 1, max = 600))]
    pub timeout_seconds: u32,
}

fn default_depth() -> u32 {
    10
}

/// The kind of directory server.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DirectoryMode {
    #[default]
    ActiveDirectory,
    Ldap,
}

/// TLS options for the directory connection.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!has(self.ca) || !has(self.dangerouslySkipVerify) || !self.dangerouslySkipVerify").message("tls.ca and tls.dangerouslySkipVerify contradict each other"))]
#[x_kube(validation = Rule::new("!has(self.dangerouslySkipVerify) || !self.dangerouslySkipVerify || !has(self.dangerouslyAllowPlaintext) || !self.dangerouslyAllowPlaintext").message("tls.dangerouslySkipVerify and tls.dangerouslyAllowPlaintext contradict each other: plaintext has no certificate to verify"))]
pub struct TlsSpec {
    /// CA bundle (PEM) that signs the server certificate, from a Secret or ConfigMap in the
    /// same namespace. Default: the system roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<CaSource>,

    /// Do not verify the server certificate. Anyone on the network path can then read the
    /// bind password. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dangerously_skip_verify: Option<bool>,

    /// With an `ldap://` URL, skip StartTLS and send the bind password in clear text.
    /// Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dangerously_allow_plaintext: Option<bool>,
}

/// Where a CA bundle comes from: exactly one of a Secret key or a ConfigMap key.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.secretRef) != has(self.configMapRef)").message("tls.ca needs exactly one of secretRef or configMapRef"))]
pub struct CaSource {
    /// A Secret key holding the PEM bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretKeyRef>,
    /// A ConfigMap key holding the PEM bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_ref: Option<SecretKeyRef>,
}

/// Names of the directory attributes the sync reads.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct AttributeNames {
    /// The stable key of a user, compared with Jira Align's External ID (or used to report
    /// conflicts when matching on email). Default `sAMAccountName` in ActiveDirectory mode,
    /// `uid` in Ldap mode. Other common choices: `userPrincipalName`, `employeeID`, `mail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128), pattern(r"^[A-Za-z][A-Za-z0-9-]*$"))]
    pub key: Option<String>,
    /// Email attribute. Default `mail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128), pattern(r"^[A-Za-z][A-Za-z0-9-]*$"))]
    pub email: Option<String>,
    /// First name attribute. Default `givenName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128), pattern(r"^[A-Za-z][A-Za-z0-9-]*$"))]
    pub first_name: Option<String>,
    /// Last name attribute. Default `sn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128), pattern(r"^[A-Za-z][A-Za-z0-9-]*$"))]
    pub last_name: Option<String>,
    /// Job title attribute. Default `title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128), pattern(r"^[A-Za-z][A-Za-z0-9-]*$"))]
    pub title: Option<String>,
}

/// The Jira Align field that identifies a user.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MatchOn {
    #[default]
    ExternalId,
    Email,
}

/// Field values for created users. Ids are those of the site's reference lists.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserDefaults {
    /// System role id, normally a low-privilege role. Example: `4`.
    #[schemars(range(min = 1))]
    pub role_id: u64,
    /// Cost center id. Example: `2`.
    #[schemars(range(min = 1))]
    pub cost_center_id: u64,
    /// Organization structure (division) id; also what repair sets on users lacking one.
    #[schemars(range(min = 1))]
    pub division_id: u64,
    /// Region id. Example: `1`.
    #[schemars(range(min = 1))]
    pub region_id: u64,
    /// City id; also what repair sets on users lacking one. Example: `3`.
    #[schemars(range(min = 1))]
    pub city_id: u64,
    /// Whether created users are External users. Default false.
    #[serde(default)]
    pub is_external: bool,
}

/// One override rule: when a user matches, the fields in `set` replace the defaults.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.memberOf) != has(self.attribute)").message("an override rule needs exactly one of memberOf or attribute"))]
#[x_kube(validation = Rule::new("!has(self.attribute) || (has(self.values) && size(self.values) > 0)").message("an override rule on an attribute needs values"))]
#[x_kube(validation = Rule::new("!has(self.memberOf) || !has(self.values) || size(self.values) == 0").message("values apply only to an attribute rule, not to memberOf"))]
pub struct OverrideRule {
    /// A short name shown in plans. Example: `contractors`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63))]
    pub name: Option<String>,
    /// Matches members (nested at any depth) of this group DN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 3, max = 1024), pattern(r"^[^=,]+=.+$"))]
    pub member_of: Option<String>,
    /// Matches users whose value of this attribute is one of `values` (ignoring case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128), pattern(r"^[A-Za-z][A-Za-z0-9-]*$"))]
    pub attribute: Option<String>,
    /// Attribute values that match. Example: `[Finance, Accounting]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub values: Vec<String>,
    /// The fields this rule sets.
    pub set: OverrideFields,
}

/// Fields an override may set; each one left out keeps the default.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("minProperties" = 1))]
pub struct OverrideFields {
    /// Role id for matching users, instead of defaults.roleId. Example: `6`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub role_id: Option<u64>,
    /// Cost center id for matching users, instead of defaults.costCenterId.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub cost_center_id: Option<u64>,
    /// Division id for matching users, instead of defaults.divisionId. Repair always sets
    /// the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub division_id: Option<u64>,
    /// Region id for matching users, instead of defaults.regionId.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub region_id: Option<u64>,
    /// City id for matching users, instead of defaults.cityId. Repair always sets the
    /// default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub city_id: Option<u64>,
    /// Whether matching users are created as External users, instead of
    /// defaults.isExternal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_external: Option<bool>,
}

/// What a sync may do, and the limits that hold it back.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// Create Jira Align users for members who have none. Default true.
    #[serde(default = "yes")]
    pub create: bool,
    /// Deactivate managed users who are no longer entitled. Default true.
    #[serde(default = "yes")]
    pub deactivate: bool,
    /// Reactivate deactivated users who are members again. Default true.
    #[serde(default = "yes")]
    pub reactivate: bool,
    /// Update first name, last name, email and title when they drift from the directory.
    /// Default true.
    #[serde(default = "yes")]
    pub update_attributes: bool,
    /// Set the default division and city on managed users lacking them (Jira Align refuses
    /// status changes otherwise). Default true.
    #[serde(default = "yes")]
    pub repair_missing_fields: bool,
    /// Keys (as matched) of users who are never deactivated. Example: `[svc-jira, jdoe]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1000), inner(length(min = 1, max = 256)))]
    pub protected_users: Vec<String>,
    /// System role ids whose holders are never deactivated (administrators, integration
    /// users). The token's own user is always protected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub protected_role_ids: Vec<u64>,
    /// Most deactivations one run may make; a run that would make more deactivates nobody and
    /// waits for approval. Default 25.
    #[serde(default = "default_max_count")]
    #[schemars(range(max = 1000000))]
    pub max_deactivations: u32,
    /// Most deactivations one run may make, as a percentage of the managed active users.
    /// Default 10. Runs with at most 5 deactivations are not held back by the percentage.
    #[serde(default = "default_max_percent")]
    #[schemars(range(max = 100))]
    pub max_deactivation_percent: u32,
    /// Compute and report the plan without changing anything in Jira Align. Default false.
    #[serde(default)]
    pub dry_run: bool,
}

fn yes() -> bool {
    true
}
fn default_max_count() -> u32 {
    25
}
fn default_max_percent() -> u32 {
    10
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            create: true,
            deactivate: true,
            reactivate: true,
            update_attributes: true,
            repair_missing_fields: true,
            protected_users: Vec::new(),
            protected_role_ids: Vec::new(),
            max_deactivations: default_max_count(),
            max_deactivation_percent: default_max_percent(),
            dry_run: false,
        }
    }
}
