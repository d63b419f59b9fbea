//! Reading the entitled members of directory groups over LDAP (Active Directory or generic).
//! A read returns every entitled member or fails as a whole: a partial read must never reach
//! the planner, because missing members would look like leavers.

use std::time::Duration;

use crate::crd::DirectoryMode;
use crate::snapshot::DirectorySnapshot;

/// Everything needed to read the directory, with secrets resolved.
#[derive(Clone)]
pub struct DirectoryConfig {
    pub url: String,
    pub mode: DirectoryMode,
    pub bind_dn: String,
    pub bind_password: String,
    pub base_dn: String,
    pub groups: Vec<String>,
    pub user_filter: Option<String>,
    pub attributes: ResolvedAttributes,
    /// PEM bundle of CAs to trust instead of the system roots.
    pub ca_pem: Option<Vec<u8>>,
    pub dangerously_skip_verify: bool,
    pub dangerously_allow_plaintext: bool,
    pub allow_empty_groups: bool,
    pub max_nesting_depth: u32,
    pub timeout: Duration,
    /// Group DNs named by override rules; membership is reported per user.
    pub override_groups: Vec<String>,
    /// Attribute names named by override rules; values are reported per user.
    pub override_attributes: Vec<String>,
}

/// Attribute names with the mode's defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedAttributes {
    pub key: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub title: String,
}

impl std::fmt::Debug for DirectoryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryConfig")
            .field("url", &self.url)
            .field("mode", &self.mode)
            .field("bind_dn", &self.bind_dn)
            .field("bind_password", &"<redacted>")
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

/// Why a directory read failed. Every variant means: nobody is deactivated in this run.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("directory read not implemented")]
    NotImplemented,
}

impl DirectoryError {
    /// A static category used as the condition reason and metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            DirectoryError::NotImplemented => "DirectoryUnreachable",
        }
    }
}

/// Reads every entitled member of the configured groups.
pub async fn read_members(config: &DirectoryConfig) -> Result<DirectorySnapshot, DirectoryError> {
    let _ = config;
    Err(DirectoryError::NotImplemented)
}
