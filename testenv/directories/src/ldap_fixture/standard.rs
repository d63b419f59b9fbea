//! The standard generic-LDAP fixture: people, nested `groupOfNames` with a cycle, a
//! `groupOfUniqueNames`, a `posixGroup`, and two locked accounts (ppolicy and
//! `nsAccountLock`), with every expected membership spelled out as constants.

use crate::ldif::{Entry, Modification, ModifyOp};

/// A user of the standard fixture (`uid=<uid>,ou=people,dc=example,dc=com`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LdapUser {
    pub uid: &'static str,
    pub given_name: &'static str,
    pub sn: &'static str,
    /// `None` for the user without a mail address.
    pub mail: Option<&'static str>,
    pub title: &'static str,
    pub department_number: &'static str,
    pub employee_number: &'static str,
}

const fn user(
    uid: &'static str,
    given_name: &'static str,
    sn: &'static str,
    mail: Option<&'static str>,
    title: &'static str,
    department_number: &'static str,
    employee_number: &'static str,
) -> LdapUser {
    LdapUser {
        uid,
        given_name,
        sn,
        mail,
        title,
        department_number,
        employee_number,
    }
}

/// Names, DNs and expected memberships of [`LdifFixture::standard`](super::LdifFixture).
/// Every list of uids is sorted.
pub struct StandardLdap;

impl StandardLdap {
    pub const PEOPLE_DN: &'static str = "ou=people,dc=example,dc=com";
    pub const GROUPS_DN: &'static str = "ou=groups,dc=example,dc=com";

    /// The group the sync reads: direct users plus the nested `engineering` group.
    pub const ENTITLED_GROUP_DN: &'static str = "cn=jira-align-users,ou=groups,dc=example,dc=com";
    /// Nested in `jira-align-users`; holds `platform`, which holds `engineering` again.
    pub const ENGINEERING_GROUP_DN: &'static str = "cn=engineering,ou=groups,dc=example,dc=com";
    pub const PLATFORM_GROUP_DN: &'static str = "cn=platform,ou=groups,dc=example,dc=com";
    /// A `groupOfNames` for per-user overrides.
    pub const CONTRACTORS_GROUP_DN: &'static str = "cn=contractors,ou=groups,dc=example,dc=com";
    /// A `groupOfUniqueNames`; judy's value carries the optional `#'0101'B` UID suffix.
    pub const UNIQUE_GROUP_DN: &'static str = "cn=jira-align-unique,ou=groups,dc=example,dc=com";
    /// A `posixGroup` whose `memberUid` values are uids, one of which matches nobody.
    pub const POSIX_GROUP_DN: &'static str = "cn=jira-align-posix,ou=groups,dc=example,dc=com";

    /// Password of every fixture user (stored as `{SSHA}`).
    pub const USER_PASSWORD: &'static str = "Us3r-Passw0rd!";
    /// Value written to `pwdAccountLockedTime` to lock an account permanently.
    pub const ADMIN_LOCK_TIME: &'static str = "000001010000Z";

    pub const USERS: &'static [LdapUser] = &[
        user(
            "alice",
            "Alice",
            "Adams",
            Some("alice@example.com"),
            "Product Manager",
            "100",
            "E1001",
        ),
        user(
            "bob",
            "Bob",
            "Baker",
            Some("bob@example.com"),
            "Release Train Engineer",
            "200",
            "E1002",
        ),
        user(
            "carol",
            "Carol",
            "Chen",
            Some("carol@example.com"),
            "Software Engineer",
            "300",
            "E1003",
        ),
        user(
            "dan",
            "Dan",
            "Dawson",
            Some("dan@example.com"),
            "Site Reliability Engineer",
            "310",
            "E1004",
        ),
        user(
            "erin",
            "Erin",
            "Evans",
            Some("erin@example.com"),
            "Staff Engineer",
            "310",
            "E1005",
        ),
        user(
            "grace",
            "Grace",
            "Green",
            Some("grace@example.com"),
            "Scrum Master",
            "200",
            "E1007",
        ),
        user(
            "heidi",
            "Heidi",
            "Hall",
            Some("heidi@example.com"),
            "QA Engineer",
            "300",
            "E1008",
        ),
        user(
            "ivan",
            "Ivan",
            "Ito",
            None,
            "Business Analyst",
            "100",
            "E1009",
        ),
        user(
            "judy",
            "Judy",
            "Jones",
            Some("judy@example.com"),
            "Agile Coach",
            "400",
            "E1010",
        ),
        user(
            "ken",
            "Ken",
            "Kim",
            Some("ken@example.com"),
            "Contract Developer",
            "400",
            "E1011",
        ),
        user(
            "mallory",
            "Mallory",
            "Moore",
            Some("mallory@example.com"),
            "Intern",
            "500",
            "E1013",
        ),
    ];

    /// Users listed in `member` of `jira-align-users` itself.
    pub const DIRECT_USER_MEMBERS: &'static [&'static str] =
        &["alice", "bob", "grace", "heidi", "ivan", "judy"];
    /// Users reachable from `jira-align-users` through `member`, nesting included.
    pub const TRANSITIVE_MEMBERS: &'static [&'static str] = &[
        "alice", "bob", "carol", "dan", "erin", "grace", "heidi", "ivan", "judy",
    ];
    /// Users reachable from `engineering` (the same set from `platform`, by the cycle).
    pub const ENGINEERING_TRANSITIVE_MEMBERS: &'static [&'static str] = &["carol", "dan", "erin"];
    /// Locked by ppolicy: `pwdAccountLockedTime: 000001010000Z`.
    pub const PPOLICY_LOCKED: &'static [&'static str] = &["grace"];
    /// Locked the 389-DS way: `nsAccountLock: TRUE`.
    pub const NS_ACCOUNT_LOCKED: &'static [&'static str] = &["heidi"];
    pub const WITHOUT_MAIL: &'static [&'static str] = &["ivan"];
    /// [`Self::TRANSITIVE_MEMBERS`] without the locked accounts.
    pub const EXPECTED_ENTITLED: &'static [&'static str] =
        &["alice", "bob", "carol", "dan", "erin", "ivan", "judy"];
    /// Fixture users not in `jira-align-users` by any path.
    pub const NOT_MEMBERS: &'static [&'static str] = &["ken", "mallory"];
    pub const CONTRACTORS: &'static [&'static str] = &["judy", "ken"];
    pub const UNIQUE_MEMBERS: &'static [&'static str] = &["alice", "judy", "ken"];
    /// Raw `memberUid` values of the posix group, including one that matches no user.
    pub const POSIX_MEMBER_UIDS: &'static [&'static str] =
        &["alice", "former-employee", "ivan", "ken"];
    /// The posix group's `memberUid` values that resolve to a fixture user.
    pub const POSIX_RESOLVED: &'static [&'static str] = &["alice", "ivan", "ken"];

    /// The DN of a fixture user.
    pub fn user_dn(uid: &str) -> String {
        format!("uid={uid},{}", Self::PEOPLE_DN)
    }
}

/// The salted SHA-1 of [`StandardLdap::USER_PASSWORD`], as `slappasswd` prints it.
const USER_PASSWORD_HASH: &str = "{SSHA}9iwxSIH2dtEoZ26a5ZScYjyg6jS1+FUd";

/// The fixture as LDIF for `ldapmodify -a` (so the memberof overlay sees every change).
pub(super) fn ldif() -> String {
    let mut out = String::new();
    for ou in ["people", "groups"] {
        Entry::new(format!("ou={ou},dc=example,dc=com"))
            .attr("objectClass", "organizationalUnit")
            .attr("ou", ou)
            .write_to(&mut out);
    }
    for user in StandardLdap::USERS {
        user_entry(user).write_to(&mut out);
    }

    let dns = |uids: &[&str]| {
        uids.iter()
            .map(|uid| StandardLdap::user_dn(uid))
            .collect::<Vec<_>>()
    };
    // platform is added naming engineering before engineering exists; the modify at the
    // end closes the cycle once both exist, so the overlay records both directions.
    group_of_names("platform", dns(&["dan", "erin"])).write_to(&mut out);
    let mut engineering = dns(&["carol"]);
    engineering.push(StandardLdap::PLATFORM_GROUP_DN.to_owned());
    group_of_names("engineering", engineering).write_to(&mut out);
    let mut entitled = dns(StandardLdap::DIRECT_USER_MEMBERS);
    entitled.push(StandardLdap::ENGINEERING_GROUP_DN.to_owned());
    group_of_names("jira-align-users", entitled).write_to(&mut out);
    group_of_names("contractors", dns(StandardLdap::CONTRACTORS)).write_to(&mut out);

    let unique = [
        StandardLdap::user_dn("alice"),
        format!("{}#'0101'B", StandardLdap::user_dn("judy")),
        StandardLdap::user_dn("ken"),
    ];
    Entry::new(StandardLdap::UNIQUE_GROUP_DN)
        .attr("objectClass", "groupOfUniqueNames")
        .attr("cn", "jira-align-unique")
        .attrs("uniqueMember", unique)
        .write_to(&mut out);
    Entry::new(StandardLdap::POSIX_GROUP_DN)
        .attr("objectClass", "posixGroup")
        .attr("cn", "jira-align-posix")
        .attr("gidNumber", "5000")
        .attrs("memberUid", StandardLdap::POSIX_MEMBER_UIDS)
        .write_to(&mut out);

    Modification {
        dn: StandardLdap::PLATFORM_GROUP_DN.to_owned(),
        op: ModifyOp::Add,
        attribute: "member".to_owned(),
        values: vec![StandardLdap::ENGINEERING_GROUP_DN.to_owned()],
    }
    .write_to(&mut out);
    out
}

fn user_entry(user: &LdapUser) -> Entry {
    let locked_by_ppolicy = StandardLdap::PPOLICY_LOCKED.contains(&user.uid);
    let locked_by_flag = StandardLdap::NS_ACCOUNT_LOCKED.contains(&user.uid);
    let mut entry =
        Entry::new(StandardLdap::user_dn(user.uid)).attr("objectClass", "inetOrgPerson");
    if locked_by_flag {
        entry = entry.attr("objectClass", "nsAccountLockable");
    }
    entry
        .attr("uid", user.uid)
        .attr("cn", format!("{} {}", user.given_name, user.sn))
        .attr("givenName", user.given_name)
        .attr("sn", user.sn)
        .attr_opt("mail", user.mail)
        .attr("title", user.title)
        .attr("departmentNumber", user.department_number)
        .attr("employeeNumber", user.employee_number)
        .attr("userPassword", USER_PASSWORD_HASH)
        .attr_opt(
            "pwdAccountLockedTime",
            locked_by_ppolicy.then_some(StandardLdap::ADMIN_LOCK_TIME),
        )
        .attr_opt("nsAccountLock", locked_by_flag.then_some("TRUE"))
}

fn group_of_names(cn: &str, members: Vec<String>) -> Entry {
    Entry::new(format!("cn={cn},{}", StandardLdap::GROUPS_DN))
        .attr("objectClass", "groupOfNames")
        .attr("cn", cn)
        .attrs("member", members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(items: &[&str]) -> bool {
        items.windows(2).all(|pair| pair[0] < pair[1])
    }

    #[test]
    fn expectation_lists_are_sorted_and_consistent() {
        for list in [
            StandardLdap::DIRECT_USER_MEMBERS,
            StandardLdap::TRANSITIVE_MEMBERS,
            StandardLdap::EXPECTED_ENTITLED,
            StandardLdap::POSIX_MEMBER_UIDS,
        ] {
            assert!(sorted(list), "{list:?}");
        }
        let locked = [
            StandardLdap::PPOLICY_LOCKED,
            StandardLdap::NS_ACCOUNT_LOCKED,
        ]
        .concat();
        let entitled: Vec<&str> = StandardLdap::TRANSITIVE_MEMBERS
            .iter()
            .copied()
            .filter(|uid| !locked.contains(uid))
            .collect();
        assert_eq!(entitled, StandardLdap::EXPECTED_ENTITLED);
    }

    #[test]
    fn ldif_locks_grace_and_heidi_and_closes_the_cycle() {
        let text = ldif();
        assert!(text.contains(
            "dn: uid=grace,ou=people,dc=example,dc=com\n\
             objectClass: inetOrgPerson\nuid: grace\n"
        ));
        assert!(text.contains("pwdAccountLockedTime: 000001010000Z\n"));
        assert!(text.contains("objectClass: nsAccountLockable\nuid: heidi\n"));
        assert!(text.ends_with(
            "dn: cn=platform,ou=groups,dc=example,dc=com\nchangetype: modify\nadd: member\n\
             member: cn=engineering,ou=groups,dc=example,dc=com\n-\n\n"
        ));
        assert_eq!(text.matches("\nmail: ").count(), 10);
    }
}
