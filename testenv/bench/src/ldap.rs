//! The OpenLDAP directories of the benchmark: `test-directories`' bulk fixture loaded offline
//! with `slapadd`, its users split into a chain of nested groups, so one server offers
//! groups of several sizes: `jira-align-users` holds everyone, each `bulk-level-k` the runs
//! from level `k` down.

use std::ops::RangeInclusive;

use test_directories::{BulkNesting, LDAP_BASE_DN, LdifFixture, OpenLdap};

use crate::error::BenchError;
use crate::manifest::DirectoryTarget;

/// A running bulk directory; stopped when dropped.
pub struct LdapDirectory {
    server: OpenLdap,
    users: usize,
    levels: usize,
}

impl LdapDirectory {
    /// Starts slapd with `users` people in `depth + 1` nested groups of equal runs.
    pub fn start(users: usize, depth: usize) -> Result<Self, BenchError> {
        let fixture = LdifFixture::bulk(users, BulkNesting::chain(depth));
        let server = OpenLdap::start(&fixture)?;
        Ok(LdapDirectory {
            server,
            users,
            levels: depth + 1,
        })
    }

    /// The group at nesting `level` (0 is the top group) and the people it holds, nested
    /// groups included.
    pub fn group(&self, level: usize) -> (DirectoryTarget, RangeInclusive<usize>) {
        let group_dn = match level {
            0 => format!("cn=jira-align-users,ou=groups,{LDAP_BASE_DN}"),
            _ => format!("cn=bulk-level-{level},ou=groups,{LDAP_BASE_DN}"),
        };
        let per_level = self.users.div_ceil(self.levels).max(1);
        let target = DirectoryTarget {
            ldaps_url: self.server.ldaps_url(),
            ca_pem: self.server.ca_pem_path().to_path_buf(),
            bind_dn: self.server.bind_dn().to_owned(),
            bind_password: self.server.bind_password().to_owned(),
            base_dn: format!("ou=people,{LDAP_BASE_DN}"),
            group_dn,
            active_directory: false,
        };
        (target, level * per_level + 1..=self.users)
    }

    /// The level whose group holds exactly `members` people, if there is one.
    pub fn level_holding(&self, members: usize) -> Option<usize> {
        (0..self.levels).find(|level| self.group(*level).1.count() == members)
    }
}
