//! The nested-group walk of generic LDAP mode: breadth first from one group, every DN visited
//! once (which breaks cycles), posixGroup `memberUid` values resolved in batches, and a depth
//! limit that fails the walk rather than silently dropping the members below it.
//! The directory is reached through [`Lookup`], so the walk is tested with an in-memory fake.

use std::collections::HashSet;

use super::dn::normalize_dn;
use super::error::DirectoryError;

/// What a DN turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node<M> {
    /// A group, with its DN-valued members (`member`, `uniqueMember`) and its `memberUid`s.
    Group {
        member_dns: Vec<String>,
        member_uids: Vec<String>,
    },
    /// Anything that is not a group: a user, judged by the lookup.
    Member(M),
    /// No entry has this DN (a dangling member value).
    Missing,
}

/// How the walk reaches the directory.
pub(crate) trait Lookup {
    type Member;

    /// One node per DN, in the order given.
    async fn by_dn(&mut self, dns: &[String]) -> Result<Vec<Node<Self::Member>>, DirectoryError>;

    /// The users whose `uid` is one of `uids`, as (DN, member) pairs; unknown uids are left out.
    async fn by_uid(
        &mut self,
        uids: &[String],
    ) -> Result<Vec<(String, Self::Member)>, DirectoryError>;
}

/// Why a walk stopped.
#[derive(Debug)]
pub(crate) enum WalkError {
    Lookup(DirectoryError),
    NoSuchGroup,
    NotAGroup,
    TooDeep { group: String, depth: u32 },
}

impl From<DirectoryError> for WalkError {
    fn from(err: DirectoryError) -> WalkError {
        WalkError::Lookup(err)
    }
}

/// The members found under one group.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Walk<M> {
    /// Canonical DN and member, each DN once, in discovery order.
    pub members: Vec<(String, M)>,
    /// Groups expanded, the root included.
    pub groups: usize,
    /// Member values naming no entry.
    pub missing: usize,
    /// Member values naming a DN already seen: diamonds and cycles.
    pub repeats: usize,
    /// Deepest nesting level expanded; the root group is level 0.
    pub depth: u32,
}

/// Walks `root` and every group nested in it, down to `max_depth` levels below the root.
pub(crate) async fn walk<L: Lookup>(
    lookup: &mut L,
    root: &str,
    max_depth: u32,
) -> Result<Walk<L::Member>, WalkError> {
    let mut result = Walk {
        members: Vec::new(),
        groups: 0,
        missing: 0,
        repeats: 0,
        depth: 0,
    };
    let mut visited = HashSet::from([normalize_dn(root)]);
    let mut level = vec![root.to_string()];
    let mut depth = 0;

    while !level.is_empty() {
        let nodes = lookup.by_dn(&level).await?;
        let mut next = Vec::new();
        let mut uids = Vec::new();
        for (dn, node) in level.iter().zip(nodes) {
            match node {
                Node::Group {
                    member_dns,
                    member_uids,
                } => {
                    if depth > max_depth {
                        return Err(WalkError::TooDeep {
                            group: dn.clone(),
                            depth,
                        });
                    }
                    result.groups += 1;
                    result.depth = depth;
                    for member in member_dns {
                        if visited.insert(normalize_dn(&member)) {
                            next.push(member);
                        } else {
                            result.repeats += 1;
                        }
                    }
                    uids.extend(member_uids);
                }
                Node::Member(_) if depth == 0 => return Err(WalkError::NotAGroup),
                Node::Member(member) => result.members.push((normalize_dn(dn), member)),
                Node::Missing if depth == 0 => return Err(WalkError::NoSuchGroup),
                Node::Missing => result.missing += 1,
            }
        }

        let mut seen_uids = HashSet::new();
        uids.retain(|uid| seen_uids.insert(uid.to_lowercase()));
        if !uids.is_empty() {
            let found = lookup.by_uid(&uids).await?;
            result.missing += uids.len().saturating_sub(found.len());
            for (dn, member) in found {
                let canonical = normalize_dn(&dn);
                if visited.insert(canonical.clone()) {
                    result.members.push((canonical, member));
                } else {
                    result.repeats += 1;
                }
            }
        }

        level = next;
        depth += 1;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A directory in memory: group DN to members, user DN to uid.
    #[derive(Default)]
    struct FakeDirectory {
        groups: HashMap<String, (Vec<String>, Vec<String>)>,
        users: HashMap<String, String>,
        lookups: usize,
    }

    impl FakeDirectory {
        fn group(mut self, dn: &str, members: &[&str], uids: &[&str]) -> Self {
            let members = members.iter().map(|m| m.to_string()).collect();
            let uids = uids.iter().map(|u| u.to_string()).collect();
            self.groups.insert(normalize_dn(dn), (members, uids));
            self
        }

        fn user(mut self, dn: &str, uid: &str) -> Self {
            self.users.insert(normalize_dn(dn), uid.to_string());
            self
        }
    }

    impl Lookup for FakeDirectory {
        type Member = String;

        async fn by_dn(&mut self, dns: &[String]) -> Result<Vec<Node<String>>, DirectoryError> {
            self.lookups += dns.len();
            Ok(dns
                .iter()
                .map(|dn| {
                    let dn = normalize_dn(dn);
                    if let Some((members, uids)) = self.groups.get(&dn) {
                        Node::Group {
                            member_dns: members.clone(),
                            member_uids: uids.clone(),
                        }
                    } else if let Some(uid) = self.users.get(&dn) {
                        Node::Member(uid.clone())
                    } else {
                        Node::Missing
                    }
                })
                .collect())
        }

        async fn by_uid(
            &mut self,
            uids: &[String],
        ) -> Result<Vec<(String, String)>, DirectoryError> {
            Ok(self
                .users
                .iter()
                .filter(|(_, uid)| uids.contains(uid))
                .map(|(dn, uid)| (dn.clone(), uid.clone()))
                .collect())
        }
    }

    fn uids(walk: &Walk<String>) -> Vec<&str> {
        let mut found: Vec<&str> = walk.members.iter().map(|(_, uid)| uid.as_str()).collect();
        found.sort();
        found
    }

    #[tokio::test]
    async fn a_cycle_is_walked_once() {
        let mut fake = FakeDirectory::default()
            .group("cn=a,dc=x", &["cn=b,dc=x", "uid=ann,dc=x"], &[])
            .group("cn=b,dc=x", &["CN=A,DC=X", "uid=bob,dc=x"], &[])
            .user("uid=ann,dc=x", "ann")
            .user("uid=bob,dc=x", "bob");
        let walk = walk(&mut fake, "cn=a,dc=x", 10)
            .await
            .expect("cycle terminates");
        assert_eq!(uids(&walk), vec!["ann", "bob"]);
        assert_eq!(walk.groups, 2);
        assert_eq!(walk.repeats, 1);
        assert_eq!(walk.depth, 1);
        assert_eq!(fake.lookups, 4);
    }

    #[tokio::test]
    async fn users_reached_twice_appear_once() {
        let mut fake = FakeDirectory::default()
            .group(
                "cn=top,dc=x",
                &["cn=l,dc=x", "cn=r,dc=x", "uid=cy,dc=x"],
                &[],
            )
            .group("cn=l,dc=x", &["uid=cy,dc=x"], &[])
            .group("cn=r,dc=x", &["UID=CY, DC=X"], &["cy"])
            .user("uid=cy,dc=x", "cy");
        let walk = walk(&mut fake, "cn=top,dc=x", 10).await.expect("walk");
        assert_eq!(uids(&walk), vec!["cy"]);
        assert_eq!(walk.repeats, 3);
    }

    #[tokio::test]
    async fn posix_member_uids_are_resolved_and_dangling_values_counted() {
        let mut fake = FakeDirectory::default()
            .group(
                "cn=posix,dc=x",
                &["uid=gone,dc=x"],
                &["dee", "DEE", "nobody"],
            )
            .user("uid=dee,dc=x", "dee");
        let walk = walk(&mut fake, "cn=posix,dc=x", 10).await.expect("walk");
        assert_eq!(uids(&walk), vec!["dee"]);
        assert_eq!(walk.missing, 2);
    }

    #[tokio::test]
    async fn nesting_past_the_limit_fails_the_walk() {
        let mut fake = FakeDirectory::default()
            .group("cn=g0,dc=x", &["cn=g1,dc=x"], &[])
            .group("cn=g1,dc=x", &["cn=g2,dc=x"], &[])
            .group("cn=g2,dc=x", &["uid=deep,dc=x"], &[])
            .user("uid=deep,dc=x", "deep");
        let ok = walk(&mut fake, "cn=g0,dc=x", 2)
            .await
            .expect("two levels are allowed");
        assert_eq!(uids(&ok), vec!["deep"]);
        match walk(&mut fake, "cn=g0,dc=x", 1).await {
            Err(WalkError::TooDeep { group, depth }) => {
                assert_eq!(group, "cn=g2,dc=x");
                assert_eq!(depth, 2);
            }
            other => panic!("expected TooDeep, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_root_must_be_an_existing_group() {
        let mut fake = FakeDirectory::default().user("uid=ann,dc=x", "ann");
        assert!(matches!(
            walk(&mut fake, "cn=none,dc=x", 10).await,
            Err(WalkError::NoSuchGroup)
        ));
        assert!(matches!(
            walk(&mut fake, "uid=ann,dc=x", 10).await,
            Err(WalkError::NotAGroup)
        ));
    }
}
