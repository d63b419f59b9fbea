//! How the generic-mode walk reads the directory. Member DNs are read in batches: DNs with
//! the same parent become one one-level search on their RDN values, so a group of 10,000
//! users costs a few dozen requests. DNs a batch does not return are read one by one, which
//! tells a member the user filter leaves out from a member value naming no entry.
//! Every DN's node is remembered, so override groups cost nothing for entries already seen.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use ldap3::Scope;

use super::GROUP_CLASSES;
use crate::directory::DirectoryConfig;
use crate::directory::dn::{is_within_canonical, normalize_dn, split_first_rdn, strip_unique_id};
use crate::directory::entry::RawEntry;
use crate::directory::error::DirectoryError;
use crate::directory::filter::{and, equals, or};
use crate::directory::range::parse_range;
use crate::directory::session::{BaseRead, Session};
use crate::directory::users::{Verdict, judge, wanted_attributes};
use crate::directory::walker::{Lookup, Node};
use crate::snapshot::{ExcludedMember, ExclusionReason};

/// RDN values (or uids) per batched search.
const BATCH: usize = 200;

/// Requests in flight at once on the connection.
const CONCURRENT_READS: usize = 8;

/// Matches every entry.
const ANY: &str = "(objectClass=*)";

/// A DN as written and in canonical form.
type Dn = (String, String);

pub(super) struct DirectoryLookup<'a> {
    session: &'a Session,
    config: &'a DirectoryConfig,
    now: DateTime<Utc>,
    attrs: Vec<String>,
    /// Matches groups, and users that pass the user filter.
    dn_filter: String,
    /// The base DN in canonical form; users must be below it.
    base: String,
    cache: HashMap<String, Node<Verdict>>,
    /// Whether users are cached too. A single group without override groups never meets a
    /// user twice (the walk visits each DN once), so only its groups are kept.
    cache_users: bool,
}

impl<'a> DirectoryLookup<'a> {
    pub fn new(session: &'a Session, config: &'a DirectoryConfig, now: DateTime<Utc>) -> Self {
        let mut attrs = wanted_attributes(config);
        attrs.extend(["objectClass", "member", "uniqueMember", "memberUid"].map(String::from));
        let dn_filter = match &config.user_filter {
            None => ANY.to_string(),
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
            base: normalize_dn(&config.base_dn),
            cache: HashMap::new(),
            cache_users: config.groups.len() > 1 || !config.override_groups.is_empty(),
        }
    }

    /// A group node, or the verdict on a user; users outside the base DN are filtered out.
    async fn node(
        &self,
        entry: RawEntry,
        canonical: &str,
    ) -> Result<Node<Verdict>, DirectoryError> {
        if GROUP_CLASSES.iter().any(|class| entry.has_class(class)) {
            let mut member_dns = self.membership(&entry, "member").await?;
            let unique = self.membership(&entry, "uniqueMember").await?;
            member_dns.extend(
                unique
                    .iter()
                    .map(|value| strip_unique_id(value).to_string()),
            );
            let member_uids = self.membership(&entry, "memberUid").await?;
            return Ok(Node::Group {
                member_dns,
                member_uids,
            });
        }
        if !is_within_canonical(canonical, &self.base) {
            return self.filtered(&entry).map(Node::Member);
        }
        judge(&entry, self.config, self.now).map(Node::Member)
    }

    /// The values of a membership attribute. A server that caps them and answers with
    /// `member;range=0-1499` (Active Directory does) is asked for the rest.
    async fn membership(
        &self,
        entry: &RawEntry,
        attribute: &str,
    ) -> Result<Vec<String>, DirectoryError> {
        let ranged = entry
            .attributes()
            .any(|(name, _)| parse_range(name, attribute).is_some());
        let values = if ranged {
            let reading = format!("{attribute} of {}", entry.dn);
            self.session
                .read_ranged(&entry.dn, attribute, &reading)
                .await?
        } else {
            entry.values(attribute).to_vec()
        };
        values
            .into_iter()
            .map(|value| {
                String::from_utf8(value).map_err(|_| self.bad_value(entry, attribute.to_string()))
            })
            .collect()
    }

    /// The verdict on a user the user filter (or the base DN) leaves out: a disabled or
    /// locked account keeps that reason, any other is filtered out.
    fn filtered(&self, entry: &RawEntry) -> Result<Verdict, DirectoryError> {
        Ok(match judge(entry, self.config, self.now)? {
            Verdict::Entitled(user) => Verdict::excluded(ExcludedMember {
                dn: entry.dn.clone(),
                key: Some(user.key.to_string()),
                reason: ExclusionReason::FilteredOut,
            }),
            excluded => excluded,
        })
    }

    fn bad_value(&self, entry: &RawEntry, attribute: String) -> DirectoryError {
        DirectoryError::InvalidAttribute {
            url: self.config.url.clone(),
            dn: entry.dn.clone(),
            attribute,
            problem: "not utf-8 text".to_string(),
        }
    }

    /// Nodes for DNs not read before: batched with the walk's filter, then batched without
    /// it (members the user filter leaves out), then one by one.
    async fn read_uncached(
        &self,
        dns: Vec<Dn>,
    ) -> Result<Vec<(String, Node<Verdict>)>, DirectoryError> {
        let mut nodes = Vec::with_capacity(dns.len());
        let mut pending = dns;

        let mut found = self.read_batched(&pending, &self.dn_filter).await?;
        pending.retain(|(_, canonical)| !found.contains_key(canonical));
        for (canonical, entry) in found.drain() {
            let node = self.node(entry, &canonical).await?;
            nodes.push((canonical, node));
        }

        if self.config.user_filter.is_some() && !pending.is_empty() {
            let mut left_out = self.read_batched(&pending, ANY).await?;
            pending.retain(|(_, canonical)| !left_out.contains_key(canonical));
            for (canonical, entry) in left_out.drain() {
                nodes.push((canonical, Node::Member(self.filtered(&entry)?)));
            }
        }

        let singles: Vec<(String, Node<Verdict>)> = futures::stream::iter(pending)
            .map(|(dn, canonical)| self.read_single(dn, canonical))
            .buffer_unordered(CONCURRENT_READS)
            .try_collect()
            .await?;
        nodes.extend(singles);
        Ok(nodes)
    }

    /// Reads DNs with one-level searches on their parents, keyed by canonical DN. DNs whose
    /// first RDN cannot be searched for are left to the single reads.
    async fn read_batched(
        &self,
        dns: &[Dn],
        filter: &str,
    ) -> Result<HashMap<String, RawEntry>, DirectoryError> {
        let wanted: BTreeSet<&String> = dns.iter().map(|(_, canonical)| canonical).collect();
        let mut by_parent: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
        for (dn, _) in dns {
            if let Some((kind, value, parent)) = split_first_rdn(dn) {
                let slot = by_parent
                    .entry(normalize_dn(parent))
                    .or_insert_with(|| (parent.to_string(), Vec::new()));
                slot.1.push(equals(&kind, &value));
            }
        }
        let searches: Vec<(String, String)> = by_parent
            .into_values()
            .flat_map(|(parent, rdns)| {
                rdns.chunks(BATCH)
                    .map(|chunk| (parent.clone(), and(&[or(chunk), filter.to_string()])))
                    .collect::<Vec<_>>()
            })
            .collect();

        let batches: Vec<Vec<RawEntry>> = futures::stream::iter(searches)
            .map(|(parent, filter)| async move {
                let reading = format!("members below {parent}");
                self.session
                    .search_paged(&parent, Scope::OneLevel, &filter, &self.attrs, &reading)
                    .await
            })
            .buffer_unordered(CONCURRENT_READS)
            .try_collect()
            .await?;
        let mut found = HashMap::new();
        for entry in batches.into_iter().flatten() {
            let canonical = normalize_dn(&entry.dn);
            if wanted.contains(&canonical) {
                found.insert(canonical, entry);
            }
        }
        Ok(found)
    }

    async fn read_single(
        &self,
        dn: String,
        canonical: String,
    ) -> Result<(String, Node<Verdict>), DirectoryError> {
        let reading = format!("entry {dn}");
        let node = match self
            .session
            .read_entry(&dn, &self.dn_filter, &self.attrs, &reading)
            .await?
        {
            BaseRead::Found(entry) => self.node(entry, &canonical).await?,
            BaseRead::NotMatched => match self
                .session
                .read_entry(&dn, ANY, &self.attrs, &reading)
                .await?
            {
                BaseRead::Found(entry) => Node::Member(self.filtered(&entry)?),
                BaseRead::NotMatched | BaseRead::NoSuchObject => Node::Missing,
            },
            BaseRead::NoSuchObject => Node::Missing,
        };
        Ok((canonical, node))
    }

    /// Users with these uids below the base DN, with the user filter applied.
    async fn search_uids(
        &self,
        uids: &[String],
        user_filter: Option<&str>,
    ) -> Result<Vec<RawEntry>, DirectoryError> {
        let mut found = Vec::new();
        for batch in uids.chunks(BATCH) {
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
        let canonical: Vec<String> = dns.iter().map(|dn| normalize_dn(dn)).collect();
        let unknown: Vec<Dn> = dns
            .iter()
            .zip(&canonical)
            .filter(|(_, canonical)| !self.cache.contains_key(*canonical))
            .map(|(dn, canonical)| (dn.clone(), canonical.clone()))
            .collect();
        let mut fresh = HashMap::new();
        for (canonical, node) in self.read_uncached(unknown).await? {
            if self.cache_users || matches!(node, Node::Group { .. }) {
                self.cache.insert(canonical, node);
            } else {
                fresh.insert(canonical, node);
            }
        }
        Ok(canonical
            .iter()
            .map(|dn| match fresh.remove(dn) {
                Some(node) => node,
                None => self.cache.get(dn).cloned().unwrap_or(Node::Missing),
            })
            .collect())
    }

    async fn by_uid(&mut self, uids: &[String]) -> Result<Vec<(String, Verdict)>, DirectoryError> {
        let user_filter = self.config.user_filter.as_deref();
        let mut found = Vec::new();
        for entry in &self.search_uids(uids, user_filter).await? {
            found.push((entry.dn.clone(), judge(entry, self.config, self.now)?));
        }
        if user_filter.is_some() && found.len() < uids.len() {
            // Tell filtered-out members apart from uids that name nobody.
            let passed: BTreeSet<String> = found.iter().map(|(dn, _)| normalize_dn(dn)).collect();
            for entry in self.search_uids(uids, None).await? {
                if !passed.contains(&normalize_dn(&entry.dn)) {
                    found.push((entry.dn.clone(), self.filtered(&entry)?));
                }
            }
        }
        Ok(found)
    }
}
