//! Planning: a pure function from the directory snapshot, the Jira Align snapshot and the
//! policy to the list of per-user actions, each carrying its reason. No I/O happens here.

mod index;
mod overrides;
mod safety;
#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::crd::{ActionCounts, MatchOn, OverrideRule, Policy, UserDefaults};
use crate::jira_align::NewUser;
use crate::snapshot::{DirectorySnapshot, DirectoryUser, JiraAlignSnapshot, JiraUser};

pub use index::normalize_key;
pub use safety::{DeactivationLimit, LimitCheck, deactivation_hash};

/// Everything the planner reads.
pub struct PlanInput<'a> {
    pub directory: &'a DirectorySnapshot,
    pub jira: &'a JiraAlignSnapshot,
    pub match_on: MatchOn,
    pub defaults: &'a UserDefaults,
    pub overrides: &'a [OverrideRule],
    pub policy: &'a Policy,
    /// The id of the user who owns the API token; never deactivated.
    pub token_user_id: Option<u64>,
    /// The hash of a previously blocked plan that a person approved.
    pub approved_hash: Option<&'a str>,
}

/// One change to one Jira Align user, in the order it must be applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "step")]
pub enum Step {
    /// Create the user.
    Create {
        user: NewUser,
    },
    /// Fill in the division and city Jira Align needs before a status change.
    Repair {
        division_id: Option<u64>,
        city_id: Option<u64>,
    },
    /// Bring drifted attributes back to the directory's values.
    Update {
        changes: Vec<FieldChange>,
    },
    Reactivate,
    Deactivate,
}

/// A field whose Jira Align value differs from the directory's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    /// The Jira Align field name, e.g. `title`.
    pub field: &'static str,
    pub from: Option<String>,
    pub to: String,
}

/// Everything planned for one user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAction {
    /// The match key as the directory (or, for leavers, Jira Align) spells it.
    pub key: String,
    /// The Jira Align id; none for a create.
    pub jira_id: Option<u64>,
    pub steps: Vec<Step>,
    /// Why, in words a person reads in a plan.
    pub reason: String,
}

/// A user deliberately left alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skip {
    pub key: String,
    pub jira_id: Option<u64>,
    pub reason: SkipReason,
}

/// Why a user is left alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum SkipReason {
    /// Protected by key, role or as the token owner; would otherwise be deactivated.
    Protected { by: String },
    /// The directory entry lacks a field Jira Align requires to create a user.
    MissingDirectoryField { field: &'static str },
    /// Another Jira Align user already has this email.
    EmailInUse { jira_id: u64 },
    /// A status change is needed but the user lacks division or city and repair is off.
    RepairDisabled,
    /// The policy switches this kind of action off.
    PolicyOff { action: &'static str },
}

impl SkipReason {
    /// Why the user is left alone, in words for the status, the CLI table and logs.
    pub fn describe(&self) -> String {
        match self {
            SkipReason::Protected { by } => format!("protected ({by})"),
            SkipReason::MissingDirectoryField { field } => {
                format!("directory entry has no {field}, which Jira Align requires")
            }
            SkipReason::EmailInUse { jira_id } => {
                format!("email already belongs to Jira Align user {jira_id}")
            }
            SkipReason::RepairDisabled => {
                "needs division and city before a status change; repairMissingFields is off".into()
            }
            SkipReason::PolicyOff { action } => format!("policy turns {action} off"),
        }
    }
}

/// Several users share one key; nothing is done for that key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    pub key: String,
    pub directory_dns: Vec<String>,
    pub jira_ids: Vec<u64>,
}

impl Conflict {
    /// What shares the key, in words.
    pub fn describe(&self) -> String {
        let ids: Vec<String> = self.jira_ids.iter().map(u64::to_string).collect();
        format!(
            "key shared by {} directory entries and Jira Align users [{}]",
            self.directory_dns.len(),
            ids.join(", ")
        )
    }
}

/// The result of planning.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub actions: Vec<UserAction>,
    pub skipped: Vec<Skip>,
    pub conflicts: Vec<Conflict>,
    /// Matched users already in step.
    pub unchanged: u64,
    /// Jira Align users with no value for the match key; never touched.
    pub unmanaged: u64,
    /// Active Jira Align users with a key: the base of the percentage limit.
    pub managed_active: u64,
    /// Deactivations withheld because the limit was exceeded and not approved.
    pub withheld: Option<DeactivationLimit>,
    /// The approval this plan used: the limit was exceeded and this exact set approved.
    /// An approval is meant for one run; the controller removes it once used.
    pub approval_used: Option<String>,
}

impl Plan {
    /// How many users each kind of step touches (skips and conflicts count as skipped).
    pub fn counts(&self) -> ActionCounts {
        let mut counts = ActionCounts {
            unchanged: self.unchanged,
            skipped: (self.skipped.len() + self.conflicts.len()) as u64,
            ..ActionCounts::default()
        };
        for action in &self.actions {
            count_steps(&mut counts, &action.steps);
        }
        counts
    }

    /// Keys of the users this plan deactivates, or would deactivate if approved.
    pub fn deactivation_keys(&self) -> Vec<String> {
        match &self.withheld {
            Some(limit) => limit.keys.clone(),
            None => self
                .actions
                .iter()
                .filter(|a| a.steps.contains(&Step::Deactivate))
                .map(|a| a.key.clone())
                .collect(),
        }
    }
}

/// Adds one to the count of each kind of step.
pub fn count_steps(counts: &mut ActionCounts, steps: &[Step]) {
    for step in steps {
        match step {
            Step::Create { .. } => counts.created += 1,
            Step::Repair { .. } => counts.repaired += 1,
            Step::Update { .. } => counts.updated += 1,
            Step::Reactivate => counts.reactivated += 1,
            Step::Deactivate => counts.deactivated += 1,
        }
    }
}

/// Computes the plan. Deterministic: the same inputs give the same plan, in key order.
pub fn plan(input: &PlanInput<'_>) -> Plan {
    let index = index::Index::build(input.directory, input.jira, input.match_on);
    let mut plan = Plan {
        conflicts: index.conflicts.clone(),
        unmanaged: index.unmanaged,
        managed_active: index.managed_active(),
        ..Plan::default()
    };

    for entry in &index.entries {
        match (entry.member, entry.user) {
            (Some(member), Some(user)) => plan_member(input, member, user, &mut plan),
            (Some(member), None) => plan_create(input, &index, member, &mut plan),
            (None, _) => {}
        }
    }

    let protection = safety::Protection::new(input.policy, input.token_user_id);
    for entry in &index.entries {
        if let (None, Some(user)) = (entry.member, entry.user)
            && user.is_active()
        {
            plan_leaver(input, &protection, &entry.key, user, &mut plan);
        }
    }

    safety::enforce_limit(input.policy, input.approved_hash, &mut plan);
    plan
}

fn plan_member(input: &PlanInput<'_>, member: &DirectoryUser, user: &JiraUser, plan: &mut Plan) {
    let mut steps = Vec::new();
    let policy = input.policy;
    let changes = if policy.update_attributes {
        attribute_drift(member, user)
    } else {
        Vec::new()
    };
    let needs_status = !user.is_active();

    if needs_status && !policy.reactivate {
        plan.skipped.push(skip(
            member.key.to_string(),
            user.id,
            SkipReason::PolicyOff {
                action: "reactivate",
            },
        ));
    }
    let reactivating = needs_status && policy.reactivate;
    match repair_step(input, user) {
        Some(repair) if policy.repair_missing_fields => steps.push(repair),
        Some(_) if reactivating => {
            plan.skipped.push(skip(
                member.key.to_string(),
                user.id,
                SkipReason::RepairDisabled,
            ));
            return;
        }
        _ => {}
    }
    if !changes.is_empty() {
        steps.push(Step::Update { changes });
    }
    if reactivating {
        steps.push(Step::Reactivate);
    }

    if steps.is_empty() {
        if !needs_status {
            plan.unchanged += 1;
        }
        return;
    }
    let reason = describe_member_steps(&steps);
    plan.actions.push(UserAction {
        key: member.key.to_string(),
        jira_id: Some(user.id),
        steps,
        reason,
    });
}

fn plan_create(
    input: &PlanInput<'_>,
    index: &index::Index<'_>,
    member: &DirectoryUser,
    plan: &mut Plan,
) {
    if !input.policy.create {
        let reason = SkipReason::PolicyOff { action: "create" };
        plan.skipped.push(Skip {
            key: member.key.to_string(),
            jira_id: None,
            reason,
        });
        return;
    }
    let missing = [
        ("email", &member.email),
        ("firstName", &member.first_name),
        ("lastName", &member.last_name),
    ]
    .into_iter()
    .find(|(_, value)| value.as_deref().is_none_or(|v| v.trim().is_empty()));
    if let Some((field, _)) = missing {
        let reason = SkipReason::MissingDirectoryField { field };
        plan.skipped.push(Skip {
            key: member.key.to_string(),
            jira_id: None,
            reason,
        });
        return;
    }
    // Jira Align refuses a second user with the same email; say so instead of failing.
    let email = member.email.as_deref().unwrap_or_default().to_string();
    if let Some(holder) = index.email_holder(&email) {
        let reason = SkipReason::EmailInUse { jira_id: holder };
        plan.skipped.push(Skip {
            key: member.key.to_string(),
            jira_id: None,
            reason,
        });
        return;
    }

    let fields = overrides::resolve(input.defaults, input.overrides, member);
    let user = NewUser {
        first_name: member.first_name.as_deref().unwrap_or_default().to_string(),
        last_name: member.last_name.as_deref().unwrap_or_default().to_string(),
        email,
        external_id: (input.match_on == MatchOn::ExternalId).then(|| member.key.to_string()),
        title: member
            .title
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(str::to_string),
        role_id: fields.role_id,
        cost_center_id: fields.cost_center_id,
        division_id: fields.division_id,
        region_id: fields.region_id,
        city_id: fields.city_id,
        is_external: fields.is_external,
    };
    let reason = match &fields.rules {
        rules if rules.is_empty() => "member without a Jira Align user".to_string(),
        rules => format!(
            "member without a Jira Align user; overrides: {}",
            rules.join(", ")
        ),
    };
    plan.actions.push(UserAction {
        key: member.key.to_string(),
        jira_id: None,
        steps: vec![Step::Create { user }],
        reason,
    });
}

fn plan_leaver(
    input: &PlanInput<'_>,
    protection: &safety::Protection,
    key: &str,
    user: &JiraUser,
    plan: &mut Plan,
) {
    let display_key = match input.match_on {
        MatchOn::ExternalId => user.external_id.as_deref().or(user.email.as_deref()),
        MatchOn::Email => user.email.as_deref().or(user.external_id.as_deref()),
    };
    let display_key = display_key.unwrap_or(key).to_string();
    if let Some(by) = protection.protects(&display_key, user) {
        plan.skipped
            .push(skip(display_key, user.id, SkipReason::Protected { by }));
        return;
    }
    if !input.policy.deactivate {
        let reason = SkipReason::PolicyOff {
            action: "deactivate",
        };
        plan.skipped.push(skip(display_key, user.id, reason));
        return;
    }
    let mut steps = Vec::new();
    match repair_step(input, user) {
        Some(repair) if input.policy.repair_missing_fields => steps.push(repair),
        Some(_) => {
            plan.skipped
                .push(skip(display_key, user.id, SkipReason::RepairDisabled));
            return;
        }
        None => {}
    }
    steps.push(Step::Deactivate);
    plan.actions.push(UserAction {
        key: display_key,
        jira_id: Some(user.id),
        steps,
        reason: "active Jira Align user who is not an entitled member".to_string(),
    });
}

fn skip(key: String, jira_id: u64, reason: SkipReason) -> Skip {
    Skip {
        key,
        jira_id: Some(jira_id),
        reason,
    }
}

/// The repair a user needs before any status change, if any.
fn repair_step(input: &PlanInput<'_>, user: &JiraUser) -> Option<Step> {
    let division_id = user
        .division_id
        .is_none()
        .then_some(input.defaults.division_id);
    let city_id = user.city_id.is_none().then_some(input.defaults.city_id);
    (division_id.is_some() || city_id.is_some()).then_some(Step::Repair {
        division_id,
        city_id,
    })
}

fn attribute_drift(member: &DirectoryUser, user: &JiraUser) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let mut compare = |field: &'static str, want: &Option<Box<str>>, have: &Option<Box<str>>| {
        let Some(want) = want.as_deref().filter(|w| !w.trim().is_empty()) else {
            return;
        };
        let same = match field {
            "email" => have
                .as_deref()
                .is_some_and(|h| index::normalized(h) == index::normalized(want)),
            _ => have.as_deref() == Some(want),
        };
        if !same {
            changes.push(FieldChange {
                field,
                from: have.as_deref().map(str::to_string),
                to: want.to_string(),
            });
        }
    };
    compare("firstName", &member.first_name, &user.first_name);
    compare("lastName", &member.last_name, &user.last_name);
    compare("email", &member.email, &user.email);
    compare("title", &member.title, &user.title);
    changes
}

fn describe_member_steps(steps: &[Step]) -> String {
    let mut parts = Vec::new();
    for step in steps {
        parts.push(match step {
            Step::Repair { .. } => "missing division or city".to_string(),
            Step::Update { changes } => {
                let fields: Vec<_> = changes.iter().map(|c| c.field).collect();
                format!("drifted {}", fields.join(", "))
            }
            Step::Reactivate => "deactivated user who is an entitled member".to_string(),
            Step::Create { .. } | Step::Deactivate => continue,
        });
    }
    parts.join("; ")
}
