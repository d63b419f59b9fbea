//! The validate step: turns a spec and its resolved secrets into everything a run needs, or
//! into one `InvalidSpec` finding that names the field. Nothing here touches the network.

use std::time::Duration;

use super::secrets::ResolvedSecrets;
use crate::crd::JiraAlignUserSyncSpec;
use crate::directory::DirectoryConfig;
use crate::jira_align::{Client, site_key};
use crate::sync::client_config;
use crate::validate::{parse_interval, validate};

/// A spec ready to run.
pub struct Prepared {
    pub interval: Duration,
    pub directory: DirectoryConfig,
    pub client: Client,
}

/// Why a spec cannot run as written.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("{}", join(.problems))]
    Fields {
        problems: Vec<crate::validate::FieldError>,
    },

    #[error("spec.directory: {source}")]
    Directory {
        #[source]
        source: crate::directory::DirectoryError,
    },

    #[error("spec.jiraAlign: {source}")]
    JiraAlign {
        #[source]
        source: crate::jira_align::JiraAlignError,
    },
}

fn join(problems: &[crate::validate::FieldError]) -> String {
    let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
    texts.join("; ")
}

impl SpecError {
    pub fn reason(&self) -> &'static str {
        super::outcome::reason::INVALID_SPEC
    }
}

/// The normalised site of a spec, or None when its URL is unusable.
pub fn site_of(spec: &JiraAlignUserSyncSpec) -> Option<String> {
    site_key(&spec.jira_align.url).ok()
}

/// Checks the spec and builds the directory configuration and the Jira Align client, whose
/// site budget `owner` (the resource's `namespace/name`) shares with the site's other owners.
pub fn prepare(
    spec: &JiraAlignUserSyncSpec,
    secrets: &ResolvedSecrets,
    owner: &str,
) -> Result<Prepared, SpecError> {
    let problems = validate(spec);
    if !problems.is_empty() {
        return Err(SpecError::Fields { problems });
    }
    let interval = parse_interval(&spec.sync_interval).ok_or_else(|| SpecError::Fields {
        problems: vec![crate::validate::FieldError {
            field: "spec.syncInterval".to_owned(),
            message: "must be a duration like 30m or 1h".to_owned(),
        }],
    })?;

    let directory = DirectoryConfig::from_spec(
        &spec.directory,
        &spec.overrides,
        secrets.bind_password.clone(),
        secrets.ca_pem.clone(),
    );
    directory
        .validate()
        .map_err(|source| SpecError::Directory { source })?;

    let mut config = client_config(&spec.jira_align, secrets.token.clone());
    config.budget_owner = owner.to_owned();
    let client = Client::new(config).map_err(|source| SpecError::JiraAlign { source })?;

    Ok(Prepared {
        interval,
        directory,
        client,
    })
}

#[cfg(test)]
mod tests;
