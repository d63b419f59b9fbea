//! The people of the benchmark directories, by index: the key, email and names each directory
//! holds for person `i`, so the Jira Align site can be built to agree with it exactly.

use jira_align_user_sync::snapshot::DirectoryUser;

/// The title every generated directory person has.
pub const TITLE: &str = "Engineer";

/// Which directory the people live in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Population {
    /// The bulk OpenLDAP fixture of `test-directories` (`LdifFixture::bulk`): `uid`
    /// `user000042`, `mail` `user000042@example.com`, `givenName` `Bulk`, `sn` `User42`.
    LdapBulk,
    /// The Active Directory group this benchmark adds to the shared Samba DC:
    /// `sAMAccountName` `bench00042`, `mail` `bench00042@example.test`, `givenName` `Bench`,
    /// `sn` `User42`.
    AdBench,
}

impl Population {
    /// The match key (External ID in Jira Align) of person `i` (1-based).
    pub fn key(self, i: usize) -> String {
        match self {
            Population::LdapBulk => format!("user{i:06}"),
            Population::AdBench => format!("bench{i:05}"),
        }
    }

    pub fn email(self, i: usize) -> String {
        match self {
            Population::LdapBulk => format!("{}@example.com", self.key(i)),
            Population::AdBench => format!("{}@example.test", self.key(i)),
        }
    }

    pub fn first_name(self) -> &'static str {
        match self {
            Population::LdapBulk => "Bulk",
            Population::AdBench => "Bench",
        }
    }

    pub fn last_name(self, i: usize) -> String {
        format!("User{i}")
    }

    /// Person `i` as the directory reader reports a member; `dn` is informative only.
    pub fn directory_user(self, i: usize) -> DirectoryUser {
        DirectoryUser {
            dn: format!("uid={},ou=people,dc=example,dc=com", self.key(i)).into(),
            key: self.key(i).into(),
            email: Some(self.email(i).into()),
            first_name: Some(self.first_name().into()),
            last_name: Some(self.last_name(i).into()),
            title: Some(TITLE.into()),
            ..DirectoryUser::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_named_as_their_directories_name_them() {
        let ldap = Population::LdapBulk;
        assert_eq!(ldap.key(42), "user000042");
        assert_eq!(ldap.email(42), "user000042@example.com");
        assert_eq!(ldap.last_name(42), "User42");
        let ad = Population::AdBench;
        assert_eq!(ad.key(5000), "bench05000");
        assert_eq!(ad.email(7), "bench00007@example.test");
        assert_eq!(ad.first_name(), "Bench");
    }
}
