//! An operator that keeps the users of Jira Align sites in step with the members of Active
//! Directory or LDAP groups. The sync is a pipeline: read the directory, read Jira Align,
//! plan, apply, report.

pub mod apply;
pub mod cli;
pub mod controller;
pub mod crd;
pub mod directory;
pub mod jira_align;
pub mod logging;
pub mod memory;
pub mod plan;
pub mod snapshot;
pub mod sync;
pub mod validate;
