//! Active Directory mode. Members nested at any depth come from one paged search with the
//! in-chain matching rule; users whose primary group is the group (or a group nested in it)
//! come from a `primaryGroupID` search, since AD lists them in no `member` attribute. The
//! group's direct `member` values, read with range retrieval, then cross-check the result.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::DirectoryConfig;
use super::dn::{is_within, normalize_dn, split_rdns};
use super::entry::RawEntry;
use super::error::DirectoryError;
use super::filter::{IN_CHAIN, and, equals, escape_filter_value, or};
use super::session::{BaseRead, Session};
use super::users::{Roster, judge, require_members, wanted_attributes};

/// Primary-group RIDs per `primaryGroupID` search.
const RID_BATCH: usize = 100;

/// A resolved group: the DN as configured, as the server spells it, and its RID.
#[derive(Clone, Debug)]
pub(crate) struct AdGroup {
    configured: String,
    dn: String,
    rid: Option<u32>,
}

/// Resolves every configured group, then every override group; a missing one fails the read.
pub(crate) async fn resolve_groups(
    session: &Session,
    config: &DirectoryConfig,
) -> Result<(Vec<AdGroup>, Vec<AdGroup>), DirectoryError> {
    let mut configured = Vec::new();
    for group in &config.groups {
        configured.push(resolve(session, config, group).await?);
    }
    let mut overrides = Vec::new();
    for group in &config.override_groups {
        overrides.push(resolve(session, config, group).await?);
    }
    Ok((configured, overrides))
}

async fn resolve(
    session: &Session,
    config: &DirectoryConfig,
    group: &str,
) -> Result<AdGroup, DirectoryError> {
    let attrs = ["objectSid".to_string()];
    let reading = format!("group {group}");
    let detail = match session
        .read_entry(group, "(objectClass=group)", &attrs, &reading)
        .await?
    {
        BaseRead::Found(entry) => {
            return Ok(AdGroup {
                configured: group.to_string(),
                rid: entry.values("objectSid").first().and_then(|sid| rid(sid)),
                dn: entry.dn,
            });
        }
        BaseRead::NotMatched => "the entry is not a group",
        BaseRead::NoSuchObject => "no entry has this dn",
    };
    Err(DirectoryError::GroupNotFound {
        url: config.url.clone(),
        group: group.to_string(),
        detail: detail.to_string(),
        named_in: config.field_naming(group),
    })
}

/// Reads the members of every configured group, and the override group memberships.
pub(crate) async fn read(
    session: &Session,
    config: &DirectoryConfig,
    groups: &[AdGroup],
    overrides: &[AdGroup],
    now: DateTime<Utc>,
) -> Result<Roster, DirectoryError> {
    let attrs = wanted_attributes(config);
    let mut roster = Roster::default();

    for group in groups {
        let found = Membership::read(session, config, group, &attrs).await?;
        let mut member_dns = BTreeSet::new();
        for entry in &found.users {
            member_dns.insert(normalize_dn(&entry.dn));
            roster.add(judge(entry, config, now)?);
        }
        if let Some(user_filter) = &config.user_filter {
            let passing = found.passing(session, config, group, user_filter).await?;
            for dn in member_dns.difference(&passing) {
                roster.filter_out(dn);
            }
        }
        cross_check(session, config, group, &member_dns, &found.nested).await?;
        tracing::debug!(
            group = %group.configured,
            members = member_dns.len(),
            nested = found.nested.len(),
            "read group"
        );
        require_members(config, &group.configured, roster.tally_among(&member_dns))?;
    }

    let only_dn = ["1.1".to_string()];
    for group in overrides {
        let found = Membership::read(session, config, group, &only_dn).await?;
        let dns: BTreeSet<String> = found
            .users
            .iter()
            .map(|entry| normalize_dn(&entry.dn))
            .collect();
        roster.add_group(&group.configured, &dns);
    }
    Ok(roster)
}

/// The user accounts of one group and the groups nested in it.
struct Membership {
    users: Vec<RawEntry>,
    /// Canonical DNs of the nested groups.
    nested: BTreeSet<String>,
    /// RIDs of the group and of every group nested in it, for primary-group members.
    rids: Vec<u32>,
}

impl Membership {
    async fn read(
        session: &Session,
        config: &DirectoryConfig,
        group: &AdGroup,
        attrs: &[String],
    ) -> Result<Membership, DirectoryError> {
        let reading = format!("members of {}", group.configured);
        let nested_filter = and(&["(objectClass=group)".to_string(), in_chain(&group.dn)]);
        let sid_attr = ["objectSid".to_string()];
        let root = domain_root(&group.dn).unwrap_or_else(|| config.base_dn.clone());
        let nested = session
            .search_all(&root, &nested_filter, &sid_attr, &reading)
            .await?;
        let mut rids: Vec<u32> = group.rid.into_iter().collect();
        rids.extend(
            nested
                .iter()
                .filter_map(|entry| entry.values("objectSid").first().and_then(|sid| rid(sid))),
        );

        let mut users = session
            .search_all(
                &config.base_dn,
                &person(&[in_chain(&group.dn)]),
                attrs,
                &reading,
            )
            .await?;
        for filter in primary_group_filters(&rids, None) {
            users.extend(
                session
                    .search_all(&config.base_dn, &filter, attrs, &reading)
                    .await?,
            );
        }
        let nested = nested.iter().map(|entry| normalize_dn(&entry.dn)).collect();
        Ok(Membership {
            users,
            nested,
            rids,
        })
    }

    /// Canonical DNs of the group's users that pass the user filter.
    async fn passing(
        &self,
        session: &Session,
        config: &DirectoryConfig,
        group: &AdGroup,
        user_filter: &str,
    ) -> Result<BTreeSet<String>, DirectoryError> {
        let reading = format!("members of {} passing the user filter", group.configured);
        let user_filter = user_filter.trim().to_string();
        let only_dn = ["1.1".to_string()];
        let chain = person(&[in_chain(&group.dn), user_filter.clone()]);
        let mut passing = session
            .search_all(&config.base_dn, &chain, &only_dn, &reading)
            .await?;
        for filter in primary_group_filters(&self.rids, Some(&user_filter)) {
            passing.extend(
                session
                    .search_all(&config.base_dn, &filter, &only_dn, &reading)
                    .await?,
            );
        }
        Ok(passing
            .iter()
            .map(|entry| normalize_dn(&entry.dn))
            .collect())
    }
}

/// Checks the group's direct `member` values against the in-chain result: a user account
/// below the base DN that is a direct member but was not returned means the read is wrong.
async fn cross_check(
    session: &Session,
    config: &DirectoryConfig,
    group: &AdGroup,
    member_dns: &BTreeSet<String>,
    nested: &BTreeSet<String>,
) -> Result<(), DirectoryError> {
    let reading = format!("direct members of {}", group.configured);
    let direct = session.read_ranged(&group.dn, "member", &reading).await?;
    let (mut outside, mut other_objects, mut unresolvable) = (0, 0, 0);
    let attrs = ["objectClass".to_string(), "objectCategory".to_string()];
    for value in &direct {
        let dn = String::from_utf8_lossy(value);
        let canonical = normalize_dn(&dn);
        if member_dns.contains(&canonical) || nested.contains(&canonical) {
            continue;
        }
        if !is_within(&dn, &config.base_dn) {
            outside += 1;
            continue;
        }
        match session
            .read_entry(&dn, "(objectClass=*)", &attrs, &reading)
            .await?
        {
            BaseRead::Found(entry) if is_person_account(&entry) => {
                return Err(session.incomplete(
                    &reading,
                    format!("member {dn} is missing from the in-chain search result"),
                ));
            }
            BaseRead::Found(_) | BaseRead::NotMatched => other_objects += 1,
            BaseRead::NoSuchObject => unresolvable += 1,
        }
    }
    if unresolvable > 0 {
        // TODO: members from other domains or forests are not read; they are reported only here.
        tracing::warn!(
            group = %group.configured,
            unresolvable,
            "group has members this server cannot resolve"
        );
    }
    tracing::debug!(
        group = %group.configured,
        direct = direct.len(),
        outside,
        other_objects,
        "cross-checked direct members"
    );
    Ok(())
}

fn is_person_account(entry: &RawEntry) -> bool {
    let category = entry
        .values("objectCategory")
        .first()
        .map(|value| normalize_dn(&String::from_utf8_lossy(value)));
    entry.has_class("user") && category.is_some_and(|dn| dn.starts_with("cn=person,"))
}

/// `(memberOf:1.2.840.113556.1.4.1941:=<dn>)`, the transitive membership assertion.
fn in_chain(group_dn: &str) -> String {
    format!("(memberOf:{IN_CHAIN}:={})", escape_filter_value(group_dn))
}

/// User accounts of people (not computers or contacts) matching every extra part.
fn person(extra: &[String]) -> String {
    let mut parts = vec![
        "(objectCategory=person)".to_string(),
        "(objectClass=user)".to_string(),
    ];
    parts.extend_from_slice(extra);
    and(&parts)
}

/// Searches for users whose primary group is one of `rids`, in batches.
fn primary_group_filters(rids: &[u32], user_filter: Option<&str>) -> Vec<String> {
    rids.chunks(RID_BATCH)
        .map(|batch| {
            let any: Vec<String> = batch
                .iter()
                .map(|rid| equals("primaryGroupID", &rid.to_string()))
                .collect();
            let mut extra = vec![or(&any)];
            extra.extend(user_filter.map(str::to_string));
            person(&extra)
        })
        .collect()
}

/// The domain naming context holding a DN (its trailing `DC=` parts), where nested groups are
/// searched; groups often live outside the users' base DN.
fn domain_root(dn: &str) -> Option<String> {
    let rdns = split_rdns(dn);
    let domain: Vec<&str> = rdns
        .iter()
        .rev()
        .take_while(|rdn| {
            rdn.trim()
                .get(..3)
                .is_some_and(|head| head.eq_ignore_ascii_case("dc="))
        })
        .map(|rdn| rdn.trim())
        .collect();
    if domain.is_empty() {
        return None;
    }
    Some(domain.into_iter().rev().collect::<Vec<_>>().join(","))
}

/// The relative identifier of a binary SID: its last sub-authority, little-endian.
pub(crate) fn rid(sid: &[u8]) -> Option<u32> {
    let count = usize::from(*sid.get(1)?);
    if count == 0 || sid.len() != 8 + 4 * count {
        return None;
    }
    let last: [u8; 4] = sid[sid.len() - 4..].try_into().ok()?;
    Some(u32::from_le_bytes(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rids_come_from_the_last_sub_authority() {
        // S-1-5-21-1-2-3-1104
        let mut sid = vec![1, 5, 0, 0, 0, 0, 0, 5];
        for part in [21u32, 1, 2, 3, 1104] {
            sid.extend(part.to_le_bytes());
        }
        assert_eq!(rid(&sid), Some(1104));
        assert_eq!(rid(&sid[..sid.len() - 1]), None);
        assert_eq!(rid(&[1, 0, 0, 0, 0, 0, 0, 5]), None);
        assert_eq!(rid(&[]), None);
    }

    #[test]
    fn member_filters_escape_the_group_dn() {
        assert_eq!(
            person(&[in_chain("CN=R&D (EU),OU=G,DC=example,DC=test")]),
            "(&(objectCategory=person)(objectClass=user)\
             (memberOf:1.2.840.113556.1.4.1941:=CN=R&D \\28EU\\29,OU=G,DC=example,DC=test))"
        );
        assert_eq!(
            primary_group_filters(&[513, 1104], Some("(department=IT)")),
            vec![
                "(&(objectCategory=person)(objectClass=user)\
                  (|(primaryGroupID=513)(primaryGroupID=1104))(department=IT))"
                    .to_string()
            ]
        );
        assert!(primary_group_filters(&[], None).is_empty());
    }

    #[test]
    fn nested_groups_are_searched_from_the_domain_root() {
        let root = |dn| domain_root(dn);
        assert_eq!(
            root("CN=g,OU=Groups,DC=example,DC=test").as_deref(),
            Some("DC=example,DC=test")
        );
        assert_eq!(
            root("cn=g, dc=example, ou=x, dc=test").as_deref(),
            Some("dc=test")
        );
        assert_eq!(root("CN=a\\,DC=b,O=corp"), None);
    }

    #[test]
    fn people_are_told_from_other_objects() {
        let user = RawEntry::new(
            "CN=a,DC=x",
            vec![
                ("objectClass", vec![b"top", b"person", b"user"]),
                (
                    "objectCategory",
                    vec![b"CN=Person,CN=Schema,CN=Configuration,DC=x"],
                ),
            ],
        );
        assert!(is_person_account(&user));
        let computer = RawEntry::new(
            "CN=pc,DC=x",
            vec![
                ("objectClass", vec![b"top", b"user", b"computer"]),
                (
                    "objectCategory",
                    vec![b"CN=Computer,CN=Schema,CN=Configuration,DC=x"],
                ),
            ],
        );
        assert!(!is_person_account(&computer));
    }
}
