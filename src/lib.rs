//! An operator that keeps the users of Jira Align sites in step with the members of Active
//! Directory or LDAP groups. The sync is a pipeline: read the directory, read Jira Align,
//! plan, apply, report.

pub mod crd;
pub mod directory;
pub mod jira_align;
pub mod snapshot;
pub mod plan;
pub mod apply;
pub mod sync;
pub mod validate;
pub mod cli;
pub mod logging;
pub mod controller;
