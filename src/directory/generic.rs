//! Generic LDAP mode (OpenLDAP, 389-DS, FreeIPA): groupOfNames/member,
//! groupOfUniqueNames/uniqueMember and posixGroup/memberUid, nested groups walked by the
//! client. Each member DN is read with a base-scope search, several at a time over the one
//! connection; `memberUid` values are resolved with batched `uid` searches.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};

use super::DirectoryConfig;
use super::dn::{is_within, normalize_dn, strip_unique_id};
use super::entry::RawEntry;
use super::error::DirectoryError;
use super::filter::{and, equals, or};
use super::session::{BaseRead, Session};
use super::users::{Roster, Verdict, judge, require_members, wanted_attributes};
use super::walker::{Lookup, Node, WalkError, walk};
use crate::snapshot::{ExcludedMember, ExclusionReason};

/// Object classes whose entries are walked as groups.
const GROUP_CLASSES: [&str; 4] = [
    "groupOfNames",
    "groupOfUniqueNames",
    "posixGroup",
    "groupOfMembers",
];

/// Base reads in flight at once on the connection.
const CONCURRENT_READS: usize = 16;

/// `uid` values per batched search.
const UID_BATCH: usize = 100;

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
        let dns: Vec<String> = found.members.iter().map(|(dn, _)| dn.clone()).collect();
        for (_, verdict) in found.members {
            roster.add(verdict);
        }
        require_members(config, group, roster.entitled_among(&dns))?;
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

/// Reads entries for the walk, remembering each DN's node so override groups cost nothing
/// for entries already seen.
struct DirectoryLookup<'a> {
    session: &'a Session,
    config: &'a DirectoryConfig,
    now: DateTime<Utc>,
    attrs: Vec<String>,
    /// Matches groups, and users that pass the user filter.
    dn_filter: String,
    cache: HashMap<String, Node<Verdict>>,
}

impl<'a> DirectoryLookup<'a> {
    fn new(session: &'a Session, config: &'a DirectoryConfig, now: DateTime<Utc>) -> Self {
        let mut attrs = wanted_attributes(config);
        attrs.extend(["objectClass", "member", "uniqueMember", "memberUid"].map(String::from));
        let dn_filter = match &config.user_filter {
            None => "(objectClass=*)".to_string(),
            Some(user_filter) => {
                let mut parts: Vec<String> = GROUP_CLASSES
                    .iter()
                    .map(|c| equals("objectClass", c))
                    .collect();
                parts.push(user_filter.trim().to_string());
                or(&parts)
            }
        };
        DirectoryLookup {
            session,
            config,
            now,
            attrs,
            dn_filter,
            cache: HashMap::new(),
        }
    }

    /// A group node, or the verdict on a user; users outside the base DN are filtered out.
    fn node(&self, entry: RawEntry) -> Result<Node<Verdict>, DirectoryError> {
        if GROUP_CLASSES.iter().any(|class| entry.has_class(class)) {
            let text = |name| {
                entry
                    .texts(name)
                    .map_err(|bad| self.bad_value(&entry, bad.attribute))
            };
            let mut member_dns = text("member")?;
            member_dns.extend(
                text("uniqueMember")?
                    .iter()
                    .map(|v| strip_unique_id(v).to_string()),
            );
            let member_uids = text("memberUid")?;
            return Ok(Node::Group {
                member_dns,
                member_uids,
            });
        }
        if !is_within(&entry.dn, &self.config.base_dn) {
            let key = entry.text(&self.config.attributes.key).ok().flatten();
            return Ok(Node::Member(filtered_out(&entry.dn, key)));
        }
        judge(&entry, self.config, self.now).map(Node::Member)
    }

    fn bad_value(&self, entry: &RawEntry, attribute: String) -> DirectoryError {
        DirectoryError::InvalidAttribute {
            url: self.config.url.clone(),
            dn: entry.dn.clone(),
            attribute,
            problem: "not utf-8 text".to_string(),
        }
    }

    async fn read_uncached(
        &self,
        dns: Vec<String>,
    ) -> Result<Vec<(String, Node<Verdict>)>, DirectoryError> {
        futures::stream::iter(dns)
            .map(|dn| async move {
                let reading = format!("entry {dn}");
                let read = self
                    .session
                    .read_entry(&dn, &self.dn_filter, &self.attrs, &reading)
                    .await?;
                let node = match read {
                    BaseRead::Found(entry) => self.node(entry)?,
                    BaseRead::NotMatched => Node::Member(filtered_out(&dn, None)),
                    BaseRead::NoSuchObject => Node::Missing,
                };
                Ok::<_, DirectoryError>((normalize_dn(&dn), node))
            })
            .buffered(CONCURRENT_READS)
            .try_collect()
            .await
    }

    /// Users with these uids below the base DN, with the user filter applied.
    async fn search_uids(
        &self,
        uids: &[String],
        user_filter: Option<&str>,
    ) -> Result<Vec<RawEntry>, DirectoryError> {
        let mut found = Vec::new();
        for batch in uids.chunks(UID_BATCH) {
            let wanted: Vec<String> = batch.iter().map(|uid| equals("uid", uid)).collect();
            let mut parts = vec![or(&wanted)];
            parts.extend(user_filter.map(|filter| filter.trim().to_string()));
            let reading = format!("posixGroup members by uid ({} values)", batch.len());
            found.extend(
                self.session
                    .search_all(&self.config.base_dn, &and(&parts), &self.attrs, &reading)
                    .await?,
            );
        }
        Ok(found)
    }
}

impl Lookup for DirectoryLookup<'_> {
    type Member = Verdict;

    async fn by_dn(&mut self, dns: &[String]) -> Result<Vec<Node<Verdict>>, DirectoryError> {
        let unknown: Vec<String> = dns
            .iter()
            .filter(|dn| !self.cache.contains_key(&normalize_dn(dn)))
            .cloned()
            .collect();
        for (canonical, node) in self.read_uncached(unknown).await? {
            self.cache.insert(canonical, node);
        }
        Ok(dns
            .iter()
            .map(|dn| {
                self.cache
                    .get(&normalize_dn(dn))
                    .cloned()
                    .unwrap_or(Node::Missing)
            })
            .collect())
    }

    async fn by_uid(&mut self, uids: &[String]) -> Result<Vec<(String, Verdict)>, DirectoryError> {
        let user_filter = self.config.user_filter.as_deref();
        let passing = self.search_uids(uids, user_filter).await?;
        let mut found = Vec::new();
        for entry in &passing {
            found.push((entry.dn.clone(), judge(entry, self.config, self.now)?));
        }
        if user_filter.is_some() && found.len() < uids.len() {
            // Tell filtered-out members apart from uids that name nobody.
            let passed: BTreeSet<String> = found.iter().map(|(dn, _)| normalize_dn(dn)).collect();
            for entry in self.search_uids(uids, None).await? {
                if !passed.contains(&normalize_dn(&entry.dn)) {
                    let key = entry.text(&self.config.attributes.key).ok().flatten();
                    found.push((entry.dn.clone(), filtered_out(&entry.dn, key)));
                }
            }
        }
        Ok(found)
    }
}

fn filtered_out(dn: &str, key: Option<String>) -> Verdict {
    Verdict::Excluded(ExcludedMember {
        dn: dn.to_string(),
        key,
        reason: ExclusionReason::FilteredOut,
    })
}
