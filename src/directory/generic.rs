//! Generic LDAP mode (OpenLDAP, 389-DS, FreeIPA): groupOfNames/member,
//! groupOfUniqueNames/uniqueMember and posixGroup/memberUid, nested groups walked by the
//! client with cycle detection and a depth limit.

mod lookup;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::DirectoryConfig;
use super::error::DirectoryError;
use super::filter::{equals, or};
use super::session::{BaseRead, Session};
use super::users::{Roster, Tally, require_members};
use super::walker::{WalkError, walk};
use lookup::DirectoryLookup;

/// Object classes whose entries are walked as groups.
const GROUP_CLASSES: [&str; 4] = [
    "groupOfNames",
    "groupOfUniqueNames",
    "posixGroup",
    "groupOfMembers",
];

/// Reads the members of every configured group, and the override group memberships.
pub(crate) async fn read(
    session: &Session,
    config: &DirectoryConfig,
    now: DateTime<Utc>,
) -> Result<Roster, DirectoryError> {
    let mut lookup = DirectoryLookup::new(session, config, now);
    let mut roster = Roster::default();

    for group in &config.groups {
        let found = walk(&mut lookup, group, config.max_nesting_depth)
            .await
            .map_err(|err| walk_error(config, group, err))?;
        tracing::debug!(
            group = %group,
            members = found.members.len(),
            groups = found.groups,
            depth = found.depth,
            missing = found.missing,
            repeats = found.repeats,
            "walked group"
        );
        // A DN has one verdict however many groups reach it, so the group's entitled
        // members are its own entitled verdicts.
        let tally = Tally::of(found.members.iter().map(|(_, verdict)| verdict));
        for (_, verdict) in found.members {
            roster.add(verdict);
        }
        require_members(config, group, tally)?;
    }

    for group in &config.override_groups {
        let found = walk(&mut lookup, group, config.max_nesting_depth)
            .await
            .map_err(|err| walk_error(config, group, err))?;
        let dns: BTreeSet<String> = found.members.into_iter().map(|(dn, _)| dn).collect();
        roster.add_group(group, &dns);
    }
    Ok(roster)
}

/// Checks that every configured and override group exists and is a group.
pub(crate) async fn resolve_groups(
    session: &Session,
    config: &DirectoryConfig,
) -> Result<(), DirectoryError> {
    let attrs = ["objectClass".to_string()];
    let filter = or(&GROUP_CLASSES.map(|class| equals("objectClass", class)));
    for group in config.groups.iter().chain(&config.override_groups) {
        let reading = format!("group {group}");
        let detail = match session.read_entry(group, &filter, &attrs, &reading).await? {
            BaseRead::Found(_) => continue,
            BaseRead::NotMatched => {
                "the entry is not a groupOfNames, groupOfUniqueNames or posixGroup"
            }
            BaseRead::NoSuchObject => "no entry has this dn",
        };
        return Err(not_found(config, group, detail));
    }
    Ok(())
}

fn not_found(config: &DirectoryConfig, group: &str, detail: &str) -> DirectoryError {
    DirectoryError::GroupNotFound {
        url: config.url.clone(),
        group: group.to_string(),
        detail: detail.to_string(),
        named_in: config.field_naming(group),
    }
}

fn walk_error(config: &DirectoryConfig, group: &str, err: WalkError) -> DirectoryError {
    match err {
        WalkError::Lookup(err) => err,
        WalkError::NoSuchGroup => not_found(config, group, "no entry has this dn"),
        WalkError::NotAGroup => not_found(config, group, "the entry is not a group"),
        WalkError::TooDeep {
            group: nested,
            depth,
        } => DirectoryError::IncompleteRead {
            url: config.url.clone(),
            reading: format!("members of {group}"),
            detail: format!(
                "group {nested} is nested {depth} levels deep, more than maxNestingDepth {}",
                config.max_nesting_depth
            ),
        },
    }
}
