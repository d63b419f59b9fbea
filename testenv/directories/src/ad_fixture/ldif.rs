//! The AD fixture as LDIF for `ldbadd` straight into `sam.ldb` (one transaction, far
//! faster than one `samba-tool` call per object), plus the follow-up change that makes
//! `jira-align-users` frank.fischer's primary group once its RID is known.

use super::{AdFixture, AdUser};
use crate::ldif::{Entry, Modification, ModifyOp};

const NORMAL_ACCOUNT: u32 = 0x200;
const ACCOUNT_DISABLE: u32 = 0x2;
const PASSWD_NOTREQD: u32 = 0x20;

/// `unicodePwd` takes the password in double quotes, UTF-16LE encoded.
fn unicode_pwd(password: &str) -> Vec<u8> {
    format!("\"{password}\"")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect()
}

fn named_user(user: &AdUser, password: &[u8]) -> Entry {
    let disabled = AdFixture::DISABLED.contains(&user.sam);
    let expired = AdFixture::EXPIRED.contains(&user.sam);
    let control = NORMAL_ACCOUNT | if disabled { ACCOUNT_DISABLE } else { 0 };
    Entry::new(AdFixture::user_dn(user))
        .attr("objectClass", "user")
        .attr("sAMAccountName", user.sam)
        .attr("userPrincipalName", format!("{}@example.test", user.sam))
        .attr("displayName", format!("{} {}", user.given_name, user.sn))
        .attr("givenName", user.given_name)
        .attr("sn", user.sn)
        .attr_opt("mail", user.mail)
        .attr("title", user.title)
        .attr("department", user.department)
        .attr("employeeID", user.employee_id)
        .attr("unicodePwd", password)
        .attr("userAccountControl", control.to_string())
        .attr_opt(
            "accountExpires",
            expired.then(|| AdFixture::PAST_ACCOUNT_EXPIRES.to_string()),
        )
}

fn large_user(index: usize) -> Entry {
    let sam = AdFixture::large_member(index);
    Entry::new(format!("CN={sam},{}", AdFixture::LARGE_OU_DN))
        .attr("objectClass", "user")
        .attr("userPrincipalName", format!("{sam}@example.test"))
        .attr("mail", format!("{sam}@example.test"))
        .attr("givenName", "Large")
        .attr("sn", format!("Member{index:04}"))
        .attr("title", "Engineer")
        .attr("department", "Scale")
        .attr("employeeID", format!("L{index:05}"))
        .attr("sAMAccountName", sam)
        .attr(
            "userAccountControl",
            (NORMAL_ACCOUNT | PASSWD_NOTREQD).to_string(),
        )
}

fn group(dn: &str, members: impl IntoIterator<Item = String>) -> Entry {
    let sam = dn
        .strip_prefix("CN=")
        .and_then(|rest| rest.split(',').next())
        .unwrap_or(dn);
    Entry::new(dn)
        .attr("objectClass", "group")
        .attr("sAMAccountName", sam)
        .attrs("member", members)
}

fn named_dns(sams: &[&str]) -> Vec<String> {
    sams.iter()
        .filter_map(|sam| AdFixture::user(sam))
        .map(AdFixture::user_dn)
        .collect()
}

/// Everything but the primary-group change, in dependency order.
pub(crate) fn fixture_ldif() -> String {
    let mut out = String::with_capacity(AdFixture::LARGE_GROUP_SIZE * 500);
    for ou in [AdFixture::OU_DN, AdFixture::LARGE_OU_DN] {
        Entry::new(ou)
            .attr("objectClass", "organizationalUnit")
            .write_to(&mut out);
    }

    let password = unicode_pwd(AdFixture::USER_PASSWORD);
    for user in AdFixture::USERS {
        named_user(user, &password).write_to(&mut out);
    }
    Entry::new(AdFixture::BIND_DN)
        .attr("objectClass", "user")
        .attr("sAMAccountName", AdFixture::BIND_SAM)
        .attr("userPrincipalName", AdFixture::BIND_UPN)
        .attr(
            "description",
            "Read-only account of the Jira Align user sync",
        )
        .attr("unicodePwd", unicode_pwd(AdFixture::BIND_PASSWORD))
        .attr("userAccountControl", NORMAL_ACCOUNT.to_string())
        .write_to(&mut out);
    for index in 1..=AdFixture::LARGE_GROUP_SIZE {
        large_user(index).write_to(&mut out);
    }

    group(
        AdFixture::PLATFORM_GROUP_DN,
        named_dns(AdFixture::PLATFORM_DIRECT_USERS),
    )
    .write_to(&mut out);
    let mut engineering = named_dns(AdFixture::ENGINEERING_DIRECT_USERS);
    engineering.push(AdFixture::PLATFORM_GROUP_DN.to_owned());
    group(AdFixture::ENGINEERING_GROUP_DN, engineering).write_to(&mut out);
    // frank starts as a direct member: AD only lets a user's primary group be a group
    // the user belongs to, and drops the `member` link once it becomes primary.
    let mut entitled = named_dns(
        &[
            AdFixture::DIRECT_USER_MEMBERS,
            AdFixture::PRIMARY_GROUP_USERS,
        ]
        .concat(),
    );
    entitled.push(AdFixture::ENGINEERING_GROUP_DN.to_owned());
    group(AdFixture::ENTITLED_GROUP_DN, entitled).write_to(&mut out);
    group(
        AdFixture::CONTRACTORS_GROUP_DN,
        named_dns(AdFixture::CONTRACTORS),
    )
    .write_to(&mut out);
    let large = (1..=AdFixture::LARGE_GROUP_SIZE).map(|index| {
        format!(
            "CN={},{}",
            AdFixture::large_member(index),
            AdFixture::LARGE_OU_DN
        )
    });
    group(AdFixture::LARGE_GROUP_DN, large).write_to(&mut out);
    out
}

/// Makes the group with relative id `rid` the primary group of every primary-group user.
pub(crate) fn primary_group_change(rid: u32) -> String {
    named_dns(AdFixture::PRIMARY_GROUP_USERS)
        .into_iter()
        .map(|dn| {
            Modification {
                dn,
                op: ModifyOp::Replace,
                attribute: "primaryGroupID".to_owned(),
                values: vec![rid.to_string()],
            }
            .to_ldif()
        })
        .collect()
}

/// The password as `ldbadd` sees it in the LDIF, for tests.
#[cfg(test)]
fn encoded_password(password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(unicode_pwd(password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_quoted_utf16() {
        assert_eq!(unicode_pwd("ab"), [0x22, 0, 0x61, 0, 0x62, 0, 0x22, 0]);
        let text = fixture_ldif();
        let line = format!(
            "unicodePwd:: {}\n",
            encoded_password(AdFixture::USER_PASSWORD)
        );
        assert_eq!(text.matches(&line).count(), AdFixture::USERS.len());
    }

    #[test]
    fn disabled_and_expired_users_carry_their_flags() {
        let text = fixture_ldif();
        assert_eq!(text.matches("userAccountControl: 514\n").count(), 1);
        assert_eq!(text.matches("userAccountControl: 544\n").count(), 1600);
        assert_eq!(
            text.matches("accountExpires: 132223104000000000\n").count(),
            1
        );
        assert_eq!(text.matches("\nmember: ").count(), 2 + 4 + 8 + 2 + 1600);
    }

    #[test]
    fn primary_group_change_targets_frank() {
        assert_eq!(
            primary_group_change(1105),
            "dn: CN=Frank Fischer,OU=JiraAlign,DC=example,DC=test\nchangetype: modify\n\
             replace: primaryGroupID\nprimaryGroupID: 1105\n-\n\n"
        );
    }
}
