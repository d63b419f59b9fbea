//! Field values for a new user: the defaults, replaced field by field by the first matching
//! override rule that sets that field.

use crate::crd::{OverrideRule, UserDefaults};
use crate::snapshot::DirectoryUser;

/// The fields of a new user, with the names of the rules that contributed.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ResolvedFields {
    pub role_id: u64,
    pub cost_center_id: u64,
    pub division_id: u64,
    pub region_id: u64,
    pub city_id: u64,
    pub is_external: bool,
    pub rules: Vec<String>,
}

pub(super) fn resolve(
    defaults: &UserDefaults,
    rules: &[OverrideRule],
    member: &DirectoryUser,
) -> ResolvedFields {
    let mut role_id = None;
    let mut cost_center_id = None;
    let mut division_id = None;
    let mut region_id = None;
    let mut city_id = None;
    let mut is_external = None;
    let mut applied = Vec::new();

    for (position, rule) in rules.iter().enumerate() {
        if !matches(rule, member) {
            continue;
        }
        let set = &rule.set;
        let before = (
            role_id,
            cost_center_id,
            division_id,
            region_id,
            city_id,
            is_external,
        );
        role_id = role_id.or(set.role_id);
        cost_center_id = cost_center_id.or(set.cost_center_id);
        division_id = division_id.or(set.division_id);
        region_id = region_id.or(set.region_id);
        city_id = city_id.or(set.city_id);
        is_external = is_external.or(set.is_external);
        if before
            != (
                role_id,
                cost_center_id,
                division_id,
                region_id,
                city_id,
                is_external,
            )
        {
            applied.push(
                rule.name
                    .clone()
                    .unwrap_or_else(|| format!("#{}", position + 1)),
            );
        }
    }

    ResolvedFields {
        role_id: role_id.unwrap_or(defaults.role_id),
        cost_center_id: cost_center_id.unwrap_or(defaults.cost_center_id),
        division_id: division_id.unwrap_or(defaults.division_id),
        region_id: region_id.unwrap_or(defaults.region_id),
        city_id: city_id.unwrap_or(defaults.city_id),
        is_external: is_external.unwrap_or(defaults.is_external),
        rules: applied,
    }
}

/// Whether a rule applies to a member: by nested group membership or by attribute value,
/// both ignoring case.
fn matches(rule: &OverrideRule, member: &DirectoryUser) -> bool {
    if let Some(group) = &rule.member_of {
        return member.groups.contains(&group.to_lowercase());
    }
    let Some(attribute) = &rule.attribute else {
        return false;
    };
    let Some(values) = member.attributes.get(&attribute.to_lowercase()) else {
        return false;
    };
    values.iter().any(|have| {
        rule.values
            .iter()
            .any(|want| want.eq_ignore_ascii_case(have))
    })
}
