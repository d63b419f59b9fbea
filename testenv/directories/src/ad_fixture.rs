//! The Active Directory fixture loaded into the Samba DC: `OU=JiraAlign` with direct,
//! nested, primary-group, disabled, expired and mail-less members, a contractors group and
//! a 1,600-member group, with every expected membership spelled out as constants.

mod ldif;

pub(crate) use ldif::{fixture_ldif, primary_group_change};

/// A named user of the fixture, placed at `CN=<cn>,OU=JiraAlign,DC=example,DC=test`.
/// Its userPrincipalName is `<sam>@example.test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdUser {
    pub sam: &'static str,
    /// The RDN value, unescaped (one contains a comma).
    pub cn: &'static str,
    pub given_name: &'static str,
    pub sn: &'static str,
    /// `None` for the user without a mail address.
    pub mail: Option<&'static str>,
    pub title: &'static str,
    pub department: &'static str,
    pub employee_id: &'static str,
}

#[allow(
    clippy::too_many_arguments,
    reason = "one positional row per user keeps the fixture table readable"
)]
const fn user(
    sam: &'static str,
    cn: &'static str,
    given_name: &'static str,
    sn: &'static str,
    mail: Option<&'static str>,
    title: &'static str,
    department: &'static str,
    employee_id: &'static str,
) -> AdUser {
    AdUser {
        sam,
        cn,
        given_name,
        sn,
        mail,
        title,
        department,
        employee_id,
    }
}

/// Names, DNs and expected memberships of the AD fixture. Lists of sAMAccountNames are
/// sorted.
pub struct AdFixture;

impl AdFixture {
    pub const REALM: &'static str = "EXAMPLE.TEST";
    pub const DOMAIN: &'static str = "EXAMPLE";
    pub const BASE_DN: &'static str = "DC=example,DC=test";
    pub const OU_DN: &'static str = "OU=JiraAlign,DC=example,DC=test";
    /// Where the 1,600 members of `ja-large` live.
    pub const LARGE_OU_DN: &'static str = "OU=LargeGroup,OU=JiraAlign,DC=example,DC=test";

    /// The group the sync reads. Holds users directly, `ja-engineering` (which holds
    /// `ja-platform`), and is frank.fischer's primary group.
    pub const ENTITLED_GROUP_DN: &'static str =
        "CN=jira-align-users,OU=JiraAlign,DC=example,DC=test";
    pub const ENTITLED_GROUP_SAM: &'static str = "jira-align-users";
    pub const ENGINEERING_GROUP_DN: &'static str =
        "CN=ja-engineering,OU=JiraAlign,DC=example,DC=test";
    pub const PLATFORM_GROUP_DN: &'static str = "CN=ja-platform,OU=JiraAlign,DC=example,DC=test";
    /// A group for per-user overrides.
    pub const CONTRACTORS_GROUP_DN: &'static str =
        "CN=ja-contractors,OU=JiraAlign,DC=example,DC=test";
    /// 1,600 direct members: more than one 1,500-value range window.
    pub const LARGE_GROUP_DN: &'static str = "CN=ja-large,OU=JiraAlign,DC=example,DC=test";
    pub const LARGE_GROUP_SIZE: usize = 1600;

    /// The account a sync binds as: a normal user without special rights.
    pub const BIND_SAM: &'static str = "svc-sync";
    pub const BIND_DN: &'static str = "CN=svc-sync,CN=Users,DC=example,DC=test";
    pub const BIND_UPN: &'static str = "svc-sync@example.test";
    pub const BIND_PASSWORD: &'static str = "Sync-Passw0rd!";

    /// Password of every named user (the `ja-large-*` users have none and carry
    /// PASSWD_NOTREQD, userAccountControl 544).
    pub const USER_PASSWORD: &'static str = "Us3r-Passw0rd!";
    /// accountExpires of the expired user: 2020-01-01T00:00:00Z as 100 ns since 1601.
    pub const PAST_ACCOUNT_EXPIRES: i64 = 132_223_104_000_000_000;

    pub const USERS: &'static [AdUser] = &[
        user(
            "alice.adams",
            "Alice Adams",
            "Alice",
            "Adams",
            Some("alice.adams@example.test"),
            "Product Manager",
            "Product",
            "E1001",
        ),
        user(
            "bob.baker",
            "Bob Baker",
            "Bob",
            "Baker",
            Some("bob.baker@example.test"),
            "Release Train Engineer",
            "Delivery",
            "E1002",
        ),
        user(
            "carol.chen",
            "Carol Chen",
            "Carol",
            "Chen",
            Some("carol.chen@example.test"),
            "Software Engineer",
            "Engineering",
            "E1003",
        ),
        user(
            "dan.dawson",
            "Dan Dawson",
            "Dan",
            "Dawson",
            Some("dan.dawson@example.test"),
            "Site Reliability Engineer",
            "Platform",
            "E1004",
        ),
        user(
            "erin.evans",
            "Erin Evans",
            "Erin",
            "Evans",
            Some("erin.evans@example.test"),
            "Staff Engineer",
            "Platform",
            "E1005",
        ),
        user(
            "frank.fischer",
            "Frank Fischer",
            "Frank",
            "Fischer",
            Some("frank.fischer@example.test"),
            "Portfolio Manager",
            "PMO",
            "E1006",
        ),
        user(
            "grace.green",
            "Grace Green",
            "Grace",
            "Green",
            Some("grace.green@example.test"),
            "Scrum Master",
            "Delivery",
            "E1007",
        ),
        user(
            "heidi.hall",
            "Heidi Hall",
            "Heidi",
            "Hall",
            Some("heidi.hall@example.test"),
            "QA Engineer",
            "Engineering",
            "E1008",
        ),
        user(
            "ivan.ito",
            "Ivan Ito",
            "Ivan",
            "Ito",
            None,
            "Business Analyst",
            "Product",
            "E1009",
        ),
        user(
            "judy.jones",
            "Judy Jones",
            "Judy",
            "Jones",
            Some("judy.jones@example.test"),
            "Agile Coach",
            "Consulting",
            "E1010",
        ),
        user(
            "ken.kim",
            "Ken Kim",
            "Ken",
            "Kim",
            Some("ken.kim@example.test"),
            "Contract Developer",
            "Consulting",
            "E1011",
        ),
        user(
            "mallory.moore",
            "Mallory Moore",
            "Mallory",
            "Moore",
            Some("mallory.moore@example.test"),
            "Intern",
            "Marketing",
            "E1013",
        ),
        user(
            "pat.nguyen",
            "Nguyen, Pat",
            "Pat",
            "Nguyen",
            Some("pat.nguyen@example.test"),
            "Data Engineer",
            "Engineering",
            "E1012",
        ),
    ];

    /// Users in `member` of `jira-align-users` itself (frank is not: primary group).
    pub const DIRECT_USER_MEMBERS: &'static [&'static str] = &[
        "alice.adams",
        "bob.baker",
        "erin.evans",
        "grace.green",
        "ivan.ito",
        "judy.jones",
    ];
    pub const ENGINEERING_DIRECT_USERS: &'static [&'static str] =
        &["carol.chen", "heidi.hall", "pat.nguyen"];
    pub const PLATFORM_DIRECT_USERS: &'static [&'static str] = &["dan.dawson", "erin.evans"];
    /// Users `(memberOf:1.2.840.113556.1.4.1941:=<jira-align-users>)` finds.
    pub const IN_CHAIN_USERS: &'static [&'static str] = &[
        "alice.adams",
        "bob.baker",
        "carol.chen",
        "dan.dawson",
        "erin.evans",
        "grace.green",
        "heidi.hall",
        "ivan.ito",
        "judy.jones",
        "pat.nguyen",
    ];
    /// Groups the in-chain search also returns unless filtered to users.
    pub const IN_CHAIN_GROUPS: &'static [&'static str] = &["ja-engineering", "ja-platform"];
    /// Users whose primaryGroupID is the RID of `jira-align-users`.
    pub const PRIMARY_GROUP_USERS: &'static [&'static str] = &["frank.fischer"];
    /// [`Self::IN_CHAIN_USERS`] plus [`Self::PRIMARY_GROUP_USERS`].
    pub const ALL_MEMBERS: &'static [&'static str] = &[
        "alice.adams",
        "bob.baker",
        "carol.chen",
        "dan.dawson",
        "erin.evans",
        "frank.fischer",
        "grace.green",
        "heidi.hall",
        "ivan.ito",
        "judy.jones",
        "pat.nguyen",
    ];
    /// userAccountControl 514 (ACCOUNTDISABLE), still a direct member.
    pub const DISABLED: &'static [&'static str] = &["grace.green"];
    /// accountExpires in the past, still a member through `ja-engineering`.
    pub const EXPIRED: &'static [&'static str] = &["heidi.hall"];
    pub const WITHOUT_MAIL: &'static [&'static str] = &["ivan.ito"];
    /// [`Self::ALL_MEMBERS`] without the disabled and expired accounts.
    pub const EXPECTED_ENTITLED: &'static [&'static str] = &[
        "alice.adams",
        "bob.baker",
        "carol.chen",
        "dan.dawson",
        "erin.evans",
        "frank.fischer",
        "ivan.ito",
        "judy.jones",
        "pat.nguyen",
    ];
    /// Named users outside `jira-align-users` by every path.
    pub const NOT_MEMBERS: &'static [&'static str] = &["ken.kim", "mallory.moore"];
    pub const CONTRACTORS: &'static [&'static str] = &["judy.jones", "ken.kim"];

    /// The sAMAccountName of `ja-large` member `index` (1-based): `ja-large-0001`, ...
    pub fn large_member(index: usize) -> String {
        format!("ja-large-{index:04}")
    }

    /// Every member of `ja-large`, sorted.
    pub fn large_group_members() -> Vec<String> {
        (1..=Self::LARGE_GROUP_SIZE)
            .map(Self::large_member)
            .collect()
    }

    /// The named user with this sAMAccountName.
    pub fn user(sam: &str) -> Option<&'static AdUser> {
        Self::USERS.iter().find(|user| user.sam == sam)
    }

    /// The DN of a named user, with the RDN value escaped (`CN=Nguyen\, Pat,...`).
    pub fn user_dn(user: &AdUser) -> String {
        format!("CN={},{}", escape_rdn_value(user.cn), Self::OU_DN)
    }
}

/// Escapes an RDN value as RFC 4514 requires for the characters the fixture uses.
fn escape_rdn_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (index, ch) in value.chars().enumerate() {
        let leading = index == 0 && (ch == ' ' || ch == '#');
        if leading || matches!(ch, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn without<'a>(all: &[&'a str], drop: &[&str]) -> Vec<&'a str> {
        all.iter()
            .copied()
            .filter(|sam| !drop.contains(sam))
            .collect()
    }

    #[test]
    fn expectation_lists_agree() {
        let mut all = [AdFixture::IN_CHAIN_USERS, AdFixture::PRIMARY_GROUP_USERS].concat();
        all.sort_unstable();
        assert_eq!(all, AdFixture::ALL_MEMBERS);
        let inactive = [AdFixture::DISABLED, AdFixture::EXPIRED].concat();
        assert_eq!(
            without(AdFixture::ALL_MEMBERS, &inactive),
            AdFixture::EXPECTED_ENTITLED
        );
        let mut reached = [
            AdFixture::DIRECT_USER_MEMBERS,
            AdFixture::ENGINEERING_DIRECT_USERS,
            AdFixture::PLATFORM_DIRECT_USERS,
        ]
        .concat();
        reached.sort_unstable();
        reached.dedup();
        assert_eq!(reached, AdFixture::IN_CHAIN_USERS);
        let named: Vec<&str> = AdFixture::USERS.iter().map(|user| user.sam).collect();
        assert_eq!(
            without(&named, AdFixture::ALL_MEMBERS),
            AdFixture::NOT_MEMBERS
        );
    }

    #[test]
    fn user_dn_escapes_the_comma() {
        let pat = AdFixture::user("pat.nguyen").expect("pat is a fixture user");
        assert_eq!(
            AdFixture::user_dn(pat),
            "CN=Nguyen\\, Pat,OU=JiraAlign,DC=example,DC=test"
        );
        assert_eq!(escape_rdn_value("#a=b"), "\\#a\\=b");
    }

    #[test]
    fn large_members_are_numbered_from_one() {
        let members = AdFixture::large_group_members();
        assert_eq!(members.len(), 1600);
        assert_eq!(members[0], "ja-large-0001");
        assert_eq!(members[1599], "ja-large-1600");
    }
}
