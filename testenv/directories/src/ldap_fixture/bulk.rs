//! Generated bulk data for benchmarks: N users spread over a chain of nested groups, as
//! LDIF for offline `slapadd`, with the `memberOf` values the overlay would have written.

use super::{LDAP_BASE_DN, LdapExpectation};
use crate::ldif::Entry;

/// How the generated users are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkNesting {
    /// Number of groups nested below `jira-align-users`, each inside the previous one
    /// (`bulk-level-1` in `jira-align-users`, `bulk-level-2` in `bulk-level-1`, ...).
    /// Users are split into `depth + 1` contiguous runs, one per group. 0 puts every user
    /// directly in `jira-align-users`.
    pub depth: usize,
}

impl BulkNesting {
    /// Every user directly in `jira-align-users`.
    pub fn flat() -> Self {
        Self { depth: 0 }
    }

    /// Users spread over `jira-align-users` and `depth` nested groups below it.
    pub fn chain(depth: usize) -> Self {
        Self { depth }
    }
}

pub(super) struct Generated {
    pub(super) ldif: String,
    pub(super) expected: LdapExpectation,
}

/// The uid of generated user `index` (1-based): `user000001`, ...
pub(crate) fn bulk_uid(index: usize) -> String {
    format!("user{index:06}")
}

fn group_dn(level: usize) -> String {
    match level {
        0 => format!("cn=jira-align-users,ou=groups,{LDAP_BASE_DN}"),
        _ => format!("cn=bulk-level-{level},ou=groups,{LDAP_BASE_DN}"),
    }
}

fn user_dn(uid: &str) -> String {
    format!("uid={uid},ou=people,{LDAP_BASE_DN}")
}

/// The level (group index) user `index` (1-based) belongs to.
fn level_of(index: usize, users: usize, levels: usize) -> usize {
    let per_level = users.div_ceil(levels).max(1);
    (index - 1) / per_level
}

pub(super) fn generate(users: usize, nesting: BulkNesting) -> Generated {
    let levels = nesting.depth + 1;
    let mut ldif = String::with_capacity(users * 400 + 1024);
    for ou in ["people", "groups"] {
        Entry::new(format!("ou={ou},{LDAP_BASE_DN}"))
            .attr("objectClass", "organizationalUnit")
            .attr("ou", ou)
            .write_to(&mut ldif);
    }

    let mut members: Vec<Vec<String>> = vec![Vec::new(); levels];
    let mut uids = Vec::with_capacity(users);
    for index in 1..=users {
        let uid = bulk_uid(index);
        let level = level_of(index, users, levels);
        let dn = user_dn(&uid);
        Entry::new(dn.as_str())
            .attr("objectClass", "inetOrgPerson")
            .attr("uid", &uid)
            .attr("cn", format!("Bulk User {index}"))
            .attr("givenName", "Bulk")
            .attr("sn", format!("User{index}"))
            .attr("mail", format!("{uid}@example.com"))
            .attr("title", "Engineer")
            .attr("departmentNumber", format!("{}", 100 + index % 50))
            .attr("employeeNumber", format!("B{index:07}"))
            .attr("memberOf", group_dn(level))
            .write_to(&mut ldif);
        members[level].push(dn);
        uids.push(uid);
    }

    for (level, mut group_members) in members.into_iter().enumerate() {
        if level + 1 < levels {
            group_members.push(group_dn(level + 1));
        }
        let cn = match level {
            0 => "jira-align-users".to_owned(),
            _ => format!("bulk-level-{level}"),
        };
        // groupOfNames requires at least one member; an empty level names its parent.
        if group_members.is_empty() {
            group_members.push(group_dn(level.saturating_sub(1)));
        }
        Entry::new(group_dn(level))
            .attr("objectClass", "groupOfNames")
            .attr("cn", cn)
            .attrs("member", group_members)
            .attr_opt("memberOf", (level > 0).then(|| group_dn(level - 1)))
            .write_to(&mut ldif);
    }

    Generated {
        ldif,
        expected: LdapExpectation {
            group_dn: group_dn(0),
            entitled_uids: uids,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_split_into_contiguous_runs() {
        assert_eq!(level_of(1, 10, 3), 0);
        assert_eq!(level_of(4, 10, 3), 0);
        assert_eq!(level_of(5, 10, 3), 1);
        assert_eq!(level_of(10, 10, 3), 2);
        assert_eq!(level_of(1, 1, 1), 0);
    }

    #[test]
    fn chain_of_two_nests_each_level_in_the_previous() {
        let generated = generate(3, BulkNesting::chain(2));
        let text = generated.ldif;
        assert!(text.contains(
            "dn: cn=jira-align-users,ou=groups,dc=example,dc=com\nobjectClass: groupOfNames\n\
             cn: jira-align-users\nmember: uid=user000001,ou=people,dc=example,dc=com\n\
             member: cn=bulk-level-1,ou=groups,dc=example,dc=com\n\n"
        ));
        assert!(text.contains(
            "member: uid=user000003,ou=people,dc=example,dc=com\n\
             memberOf: cn=bulk-level-1,ou=groups,dc=example,dc=com\n\n"
        ));
        assert_eq!(
            generated.expected.entitled_uids,
            ["user000001", "user000002", "user000003"]
        );
        assert_eq!(text.matches("objectClass: inetOrgPerson").count(), 3);
    }

    #[test]
    fn flat_puts_everyone_in_the_top_group() {
        let generated = generate(2, BulkNesting::flat());
        assert_eq!(
            generated.ldif.matches("objectClass: groupOfNames").count(),
            1
        );
        assert_eq!(
            generated
                .ldif
                .matches("memberOf: cn=jira-align-users,")
                .count(),
            2
        );
    }
}
