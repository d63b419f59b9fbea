//! Real directory servers for tests and demos: a throwaway OpenLDAP `slapd` per test
//! ([`OpenLdap`]) and one shared Samba AD DC per machine ([`SambaAd`]), each seeded with a
//! fixture whose expected memberships are exposed as constants ([`StandardLdap`],
//! [`AdFixture`]).
//!
//! The servers come from Debian packages; `testenv/install-packages.sh` installs them.
//! Without them every start fails with [`FixtureError::MissingTool`] naming that script.

mod ad_fixture;
mod admin;
mod error;
mod ldap_fixture;
mod ldif;
mod openldap;
mod process;
mod samba;
mod state_dir;
mod tls;
mod tools;

pub use ad_fixture::{AdFixture, AdUser};
pub use admin::DirectoryAdmin;
pub use error::{FixtureError, INSTALL_HINT};
pub use ldap_fixture::{
    BulkNesting, LDAP_BASE_DN, LdapExpectation, LdapUser, LdifFixture, LoadMode, SKELETON_DNS,
    StandardLdap,
};
pub use ldif::ModifyOp;
pub use openldap::{OpenLdap, OpenLdapOptions};
pub use samba::{SambaAd, SambaStatus};
pub use state_dir::{CACHE_ENV, cache_root};
pub use tls::TlsFiles;
