//! Both snapshots indexed by the normalised match key, with the keys that several users
//! share set aside as conflicts.

use std::collections::{BTreeMap, HashMap};

use unicode_normalization::UnicodeNormalization;

use super::Conflict;
use crate::crd::MatchOn;
use crate::snapshot::{DirectorySnapshot, DirectoryUser, JiraAlignSnapshot, JiraUser};

/// The form in which keys are compared: Unicode NFKC, trimmed, lower-cased. `Bob`, `BOB` and
/// a full-width `Ｂｏｂ` are the same key.
pub fn normalize_key(key: &str) -> String {
    key.trim().nfkc().collect::<String>().to_lowercase()
}

/// Members and Jira Align users by normalised key, in key order.
pub(super) struct Index<'a> {
    pub members: BTreeMap<String, &'a DirectoryUser>,
    pub jira: BTreeMap<String, &'a JiraUser>,
    pub conflicts: Vec<Conflict>,
    pub unmanaged: u64,
    emails: HashMap<String, u64>,
}

impl<'a> Index<'a> {
    pub fn build(
        directory: &'a DirectorySnapshot,
        jira: &'a JiraAlignSnapshot,
        match_on: MatchOn,
    ) -> Self {
        let mut member_groups: BTreeMap<String, Vec<&DirectoryUser>> = BTreeMap::new();
        for member in &directory.users {
            let key = match match_on {
                MatchOn::ExternalId => Some(member.key.as_str()),
                MatchOn::Email => member.email.as_deref(),
            };
            // A member without an email cannot be matched by email; it is keyed by its
            // directory key so that it is still planned (and skipped for the missing field).
            let key = key
                .filter(|k| !k.trim().is_empty())
                .unwrap_or(member.key.as_str());
            member_groups
                .entry(normalize_key(key))
                .or_default()
                .push(member);
        }

        let mut unmanaged = 0;
        let mut emails = HashMap::new();
        let mut jira_groups: BTreeMap<String, Vec<&JiraUser>> = BTreeMap::new();
        for user in &jira.users {
            if let Some(email) = user.email.as_deref().filter(|e| !e.trim().is_empty()) {
                emails.entry(normalize_key(email)).or_insert(user.id);
            }
            let key = match match_on {
                MatchOn::ExternalId => user.external_id.as_deref(),
                MatchOn::Email => user.email.as_deref(),
            };
            match key.filter(|k| !k.trim().is_empty()) {
                Some(key) => jira_groups
                    .entry(normalize_key(key))
                    .or_default()
                    .push(user),
                None => unmanaged += 1,
            }
        }

        let mut conflicts = Vec::new();
        let mut members = BTreeMap::new();
        let mut jira_users = BTreeMap::new();
        let keys: std::collections::BTreeSet<&String> =
            member_groups.keys().chain(jira_groups.keys()).collect();
        for key in keys {
            let dir = member_groups
                .get(key)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let ja = jira_groups.get(key).map(Vec::as_slice).unwrap_or_default();
            if dir.len() > 1 || ja.len() > 1 {
                conflicts.push(Conflict {
                    key: dir
                        .first()
                        .map(|m| m.key.clone())
                        .unwrap_or_else(|| key.clone()),
                    directory_dns: dir.iter().map(|m| m.dn.clone()).collect(),
                    jira_ids: ja.iter().map(|u| u.id).collect(),
                });
                continue;
            }
            if let Some(member) = dir.first() {
                members.insert(key.clone(), *member);
            }
            if let Some(user) = ja.first() {
                jira_users.insert(key.clone(), *user);
            }
        }

        Index {
            members,
            jira: jira_users,
            conflicts,
            unmanaged,
            emails,
        }
    }

    /// Active Jira Align users the sync manages.
    pub fn managed_active(&self) -> u64 {
        self.jira.values().filter(|u| u.is_active()).count() as u64
    }

    /// The id of a Jira Align user holding this email, ignoring case.
    pub fn email_holder(&self, email: &str) -> Option<u64> {
        self.emails.get(&normalize_key(email)).copied()
    }
}
