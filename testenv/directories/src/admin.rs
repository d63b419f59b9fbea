//! Changing a running server's data as its administrator: `ldapmodify` over LDAPS,
//! trusting the server's generated CA, with the password passed in a file.

use std::path::PathBuf;

use crate::error::FixtureError;
use crate::ldif::{Modification, ModifyOp};
use crate::state_dir::StateDir;
use crate::tools::Tool;

/// Administrative access to a running test server, from `OpenLdap::admin` or
/// `SambaAd::admin`: where and as whom to apply changes.
#[derive(Debug, Clone)]
pub struct DirectoryAdmin {
    pub(crate) ldaps_url: String,
    pub(crate) ca_pem: PathBuf,
    pub(crate) admin_dn: &'static str,
    pub(crate) admin_password: &'static str,
}

impl DirectoryAdmin {
    /// Applies LDIF: add records, and `changetype` records.
    pub fn apply(&self, ldif: &str) -> Result<(), FixtureError> {
        self.apply_with(&Tool::find("ldapmodify")?, ldif)
    }

    /// Like [`DirectoryAdmin::apply`] with an already located `ldapmodify`.
    pub(crate) fn apply_with(&self, ldapmodify: &Tool, ldif: &str) -> Result<(), FixtureError> {
        let scratch = StateDir::temporary("test-directories-apply")?;
        let file = scratch.write("apply.ldif", ldif.as_bytes())?;
        let password = scratch.write("admin.pw", self.admin_password.as_bytes())?;
        let mut command = ldapmodify.command();
        command.env("LDAPTLS_CACERT", &self.ca_pem);
        command.env("LDAPTLS_REQCERT", "demand");
        command.args(["-a", "-x", "-H", &self.ldaps_url, "-D", self.admin_dn]);
        command.arg("-y").arg(&password).arg("-f").arg(&file);
        ldapmodify.run_command(command).map(drop)
    }

    /// Adds `member_dn` to the `member` attribute of `group_dn`.
    pub fn add_member(&self, group_dn: &str, member_dn: &str) -> Result<(), FixtureError> {
        self.modify(group_dn, ModifyOp::Add, "member", &[member_dn])
    }

    /// Removes `member_dn` from the `member` attribute of `group_dn`.
    pub fn remove_member(&self, group_dn: &str, member_dn: &str) -> Result<(), FixtureError> {
        self.modify(group_dn, ModifyOp::Delete, "member", &[member_dn])
    }

    /// Applies one attribute change.
    pub fn modify(
        &self,
        dn: &str,
        op: ModifyOp,
        attribute: &str,
        values: &[&str],
    ) -> Result<(), FixtureError> {
        let change = Modification {
            dn: dn.to_owned(),
            op,
            attribute: attribute.to_owned(),
            values: values.iter().map(|value| (*value).to_owned()).collect(),
        };
        self.apply(&change.to_ldif())
    }
}
