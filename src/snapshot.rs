//! What a sync reads from each side: the entitled directory members and the Jira Align users.
//! Both are plain data, so planning can be tested without any server.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// An entitled member of the configured directory groups. Text is kept as `Box<str>`, a
/// third smaller than `String`, since a read of a large group holds one of these per member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DirectoryUser {
    /// Distinguished name as the server returned it.
    pub dn: Box<str>,
    /// Value of the configured key attribute (case as stored).
    pub key: Box<str>,
    pub email: Option<Box<str>>,
    pub first_name: Option<Box<str>>,
    pub last_name: Option<Box<str>>,
    pub title: Option<Box<str>>,
    /// Override groups (as configured, lower-cased) this user belongs to, nested at any depth.
    pub groups: BTreeSet<String>,
    /// Values of the attributes named by override rules, keyed by lower-cased attribute name.
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// A member of a configured group who is not entitled, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedMember {
    pub dn: String,
    /// The key attribute value, when the entry had one.
    pub key: Option<String>,
    pub reason: ExclusionReason,
}

/// Why a group member is not entitled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExclusionReason {
    /// userAccountControl has ACCOUNTDISABLE, or nsAccountLock is true.
    Disabled,
    /// accountExpires is in the past.
    Expired,
    /// pwdAccountLockedTime is set.
    Locked,
    /// The entry lacks the key attribute.
    MissingKey,
    /// The entry does not match the configured user filter.
    FilteredOut,
}

/// A complete read of the directory: every entitled member, or the read failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DirectorySnapshot {
    pub users: Vec<DirectoryUser>,
    pub excluded: Vec<ExcludedMember>,
}

/// A Jira Align user, holding only the fields a sync reads. Text is kept as `Box<str>`, a
/// third smaller than `String`, since a listing holds one of these per user of the site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct JiraUser {
    pub id: u64,
    pub external_id: Option<Box<str>>,
    pub email: Option<Box<str>>,
    pub first_name: Option<Box<str>>,
    pub last_name: Option<Box<str>>,
    pub title: Option<Box<str>>,
    /// 0 is active, -1 deactivated; any other value is treated as deactivated.
    pub is_locked: i64,
    pub role_id: Option<u64>,
    pub division_id: Option<u64>,
    pub city_id: Option<u64>,
}

impl JiraUser {
    pub fn is_active(&self) -> bool {
        self.is_locked == 0
    }
}

/// Every user of a Jira Align site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct JiraAlignSnapshot {
    pub users: Vec<JiraUser>,
}
