//! The safety rules: who is never deactivated, and the limit that withholds every
//! deactivation of a run that would make too many, until a person approves that exact plan.

use std::collections::HashSet;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Plan, Step, normalize_key};
use crate::crd::Policy;
use crate::snapshot::JiraUser;

/// Runs with at most this many deactivations are never held back by the percentage.
const PERCENT_FLOOR: u64 = 5;

/// Who may not be deactivated.
pub(super) struct Protection {
    keys: HashSet<String>,
    role_ids: HashSet<u64>,
    token_user_id: Option<u64>,
}

impl Protection {
    pub fn new(policy: &Policy, token_user_id: Option<u64>) -> Self {
        Protection {
            keys: policy
                .protected_users
                .iter()
                .map(|k| normalize_key(k))
                .collect(),
            role_ids: policy.protected_role_ids.iter().copied().collect(),
            token_user_id,
        }
    }

    /// What protects this user, if anything.
    pub fn protects(&self, key: &str, user: &JiraUser) -> Option<String> {
        if self.token_user_id == Some(user.id) {
            return Some("token owner".to_string());
        }
        if self.keys.contains(&normalize_key(key)) {
            return Some("protectedUsers".to_string());
        }
        match user.role_id {
            Some(role) if self.role_ids.contains(&role) => {
                Some(format!("protectedRoleIds ({role})"))
            }
            _ => None,
        }
    }
}

/// A set of deactivations held back by the limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeactivationLimit {
    /// Identifies exactly this set of deactivations; approving it means setting the
    /// approval annotation to this value.
    pub hash: String,
    pub check: LimitCheck,
    /// Keys of the users that would be deactivated, in key order.
    pub keys: Vec<String>,
}

/// The numbers behind a limit decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitCheck {
    pub deactivations: u64,
    pub managed_active: u64,
    pub max_count: u64,
    pub max_percent: u64,
}

impl LimitCheck {
    pub fn exceeded(&self) -> bool {
        let over_count = self.deactivations > self.max_count;
        let over_percent = self.deactivations > PERCENT_FLOOR
            && self.deactivations * 100 > self.max_percent * self.managed_active;
        over_count || over_percent
    }
}

/// Hash of a set of deactivations: the sorted Jira Align ids, so the same leavers give the
/// same hash from one run to the next.
pub fn deactivation_hash(ids: &[u64]) -> String {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    let mut hasher = Sha256::new();
    for id in ids {
        hasher.update(id.to_be_bytes());
    }
    hex::encode(&hasher.finalize()[..8])
}

/// Removes every deactivation from the plan when the limit is exceeded and the exact set was
/// not approved. Repairs planned for those users go with them: nothing touches a withheld user.
pub(super) fn enforce_limit(policy: &Policy, approved_hash: Option<&str>, plan: &mut Plan) {
    let deactivating: Vec<&super::UserAction> = plan
        .actions
        .iter()
        .filter(|a| a.steps.contains(&Step::Deactivate))
        .collect();
    let check = LimitCheck {
        deactivations: deactivating.len() as u64,
        managed_active: plan.managed_active,
        max_count: u64::from(policy.max_deactivations),
        max_percent: u64::from(policy.max_deactivation_percent),
    };
    if !check.exceeded() {
        return;
    }
    let ids: Vec<u64> = deactivating.iter().filter_map(|a| a.jira_id).collect();
    let hash = deactivation_hash(&ids);
    if approved_hash.is_some_and(|approved| approved.trim() == hash) {
        plan.approval_used = Some(hash);
        return;
    }
    let keys = deactivating.iter().map(|a| a.key.clone()).collect();
    plan.actions
        .retain(|a| !a.steps.contains(&Step::Deactivate));
    plan.withheld = Some(DeactivationLimit { hash, check, keys });
}
