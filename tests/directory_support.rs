//! Helpers shared by the directory reader's integration tests: building a spec the way a
//! resource would, reading at a fixed time, and listing results as plain keys.

// Each test binary uses a different subset, and this file is also a (test-less) target.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use jira_align_user_sync::crd::{
    AttributeNames, DirectoryMode, DirectorySpec, OverrideFields, OverrideRule, SecretKeyRef,
    TlsSpec,
};
use jira_align_user_sync::directory::{DirectoryConfig, DirectoryError, read_members_at};
use jira_align_user_sync::snapshot::{DirectorySnapshot, DirectoryUser, ExclusionReason};

/// The time every read is judged at unless a test says otherwise.
pub fn now() -> DateTime<Utc> {
    "2026-06-01T00:00:00Z".parse().expect("valid timestamp")
}

/// A spec for one group, with every optional field at its default.
pub fn spec(
    mode: DirectoryMode,
    url: String,
    bind_dn: &str,
    base_dn: &str,
    group: &str,
) -> DirectorySpec {
    DirectorySpec {
        url,
        mode,
        tls: None,
        bind_dn: bind_dn.to_string(),
        bind_password_secret_ref: SecretKeyRef {
            name: "directory".to_string(),
            key: "password".to_string(),
        },
        base_dn: base_dn.to_string(),
        groups: vec![group.to_string()],
        user_filter: None,
        attributes: AttributeNames::default(),
        allow_empty_groups: false,
        max_nesting_depth: 10,
        timeout_seconds: 30,
    }
}

/// `tls.dangerouslyAllowPlaintext: true`.
pub fn plaintext() -> Option<TlsSpec> {
    Some(TlsSpec {
        ca: None,
        dangerously_skip_verify: None,
        dangerously_allow_plaintext: Some(true),
    })
}

/// An override rule on a group or on an attribute having `value`.
pub fn rule(member_of: Option<&str>, attribute: Option<&str>, value: &str) -> OverrideRule {
    OverrideRule {
        name: None,
        member_of: member_of.map(str::to_string),
        attribute: attribute.map(str::to_string),
        values: vec![value.to_string()],
        set: OverrideFields::default(),
    }
}

pub fn keys(snapshot: &DirectorySnapshot) -> Vec<&str> {
    snapshot.users.iter().map(|user| &*user.key).collect()
}

/// The entitled user with this key.
pub fn user<'a>(snapshot: &'a DirectorySnapshot, key: &str) -> &'a DirectoryUser {
    let found = snapshot.users.iter().find(|user| &*user.key == key);
    found.unwrap_or_else(|| panic!("{key} is not entitled"))
}

/// Excluded members as (key, reason); a missing key shows as "".
pub fn excluded(snapshot: &DirectorySnapshot) -> Vec<(&str, ExclusionReason)> {
    snapshot
        .excluded
        .iter()
        .map(|member| (member.key.as_deref().unwrap_or(""), member.reason))
        .collect()
}

pub async fn read(config: &DirectoryConfig) -> DirectorySnapshot {
    read_at(config, now()).await
}

pub async fn read_at(config: &DirectoryConfig, at: DateTime<Utc>) -> DirectorySnapshot {
    read_members_at(config, at)
        .await
        .unwrap_or_else(|error| panic!("read failed: {error}"))
}

pub async fn read_err(config: &DirectoryConfig) -> DirectoryError {
    match read_members_at(config, now()).await {
        Ok(snapshot) => panic!("expected a failed read, got {} users", snapshot.users.len()),
        Err(error) => error,
    }
}
