//! The one-shot sync: one run from a `JiraAlignUserSync` manifest file, with secrets from
//! files or environment variables, no cluster needed. Prints the plan or the result as a
//! table or as JSON, and exits with a code a pipeline can branch on.

mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Deserialize;

use crate::crd::JiraAlignUserSync;
use crate::directory::{DirectoryConfig, DirectoryError};
use crate::jira_align::{Client, ClientStats, Listing, Patches};
use crate::sync::{SyncInputs, client_config, run};
use crate::validate::validate;

/// Exit codes of the one-shot sync.
pub mod exit {
    /// Every planned action was applied (or, in a dry run, planned).
    pub const SUCCESS: u8 = 0;
    /// The run finished but some users failed.
    pub const SOME_USERS_FAILED: u8 = 1;
    /// Deactivations were withheld by the safety limit.
    pub const BLOCKED: u8 = 2;
    /// The manifest, a secret or an option is wrong; nothing was read or written.
    pub const BAD_CONFIGURATION: u8 = 3;
    /// A read of the directory or of Jira Align failed; nothing was written.
    pub const SYNC_FAILED: u8 = 4;
}

/// Options of `sync`.
#[derive(Args, Debug)]
pub struct SyncArgs {
    /// The manifest: a JiraAlignUserSync resource in YAML or JSON.
    #[arg(long, short = 'f')]
    pub manifest: PathBuf,
    /// File holding the Jira Align API token.
    #[arg(
        long,
        conflicts_with = "token_env",
        required_unless_present = "token_env"
    )]
    pub token_file: Option<PathBuf>,
    /// Name of the environment variable holding the Jira Align API token.
    #[arg(long)]
    pub token_env: Option<String>,
    /// File holding the directory bind password.
    #[arg(
        long,
        conflicts_with = "bind_password_env",
        required_unless_present = "bind_password_env"
    )]
    pub bind_password_file: Option<PathBuf>,
    /// Name of the environment variable holding the directory bind password.
    #[arg(long)]
    pub bind_password_env: Option<String>,
    /// PEM bundle of the CAs that sign the directory's certificate (the manifest's
    /// `tls.ca` names Kubernetes objects, which the one-shot sync cannot read).
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// Plan only, whatever the manifest says.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply withheld deactivations if their plan hash is this value.
    #[arg(long)]
    pub approve: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub output: Format,
    /// Run the Jira Align client in its reference configuration: one request at a time,
    /// whole user objects, one request per kind of change. For benchmarks only.
    #[arg(long, hide = true)]
    pub baseline_client: bool,
    /// Write the Jira Align client's request counters to this file as JSON after the run.
    #[arg(long, hide = true)]
    pub stats_file: Option<PathBuf>,
}

/// How results are printed.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

/// A problem found before anything was read.
#[derive(Debug, thiserror::Error)]
enum ConfigError {
    #[error("cannot read {what} {path}: {source}")]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("environment variable {name} ({what}) is not set or not valid UTF-8")]
    Env { what: &'static str, name: String },
    #[error("manifest {path} is not a valid JiraAlignUserSync: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// Runs the one-shot sync and returns the process exit code.
pub async fn sync(args: SyncArgs) -> ExitCode {
    match sync_inner(args).await {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(exit::BAD_CONFIGURATION)
        }
    }
}

async fn sync_inner(args: SyncArgs) -> Result<u8, ConfigError> {
    let mut resource = read_manifest(&args.manifest)?;
    if args.dry_run {
        resource.spec.policy.dry_run = true;
    }
    if args.baseline_client {
        resource.spec.jira_align.max_concurrency = 1;
    }
    let problems = validate(&resource.spec);
    if !problems.is_empty() {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(ConfigError::Invalid(lines.join("\n       ")));
    }
    if resource.spec.suspend {
        // As the operator does: a suspended resource does not run.
        eprintln!("spec.suspend is true: nothing was read or written");
        return Ok(exit::SUCCESS);
    }

    let token = secret("Jira Align token", &args.token_file, &args.token_env)?;
    let password = secret(
        "bind password",
        &args.bind_password_file,
        &args.bind_password_env,
    )?;
    let ca_pem = match &args.ca_file {
        Some(path) => Some(std::fs::read(path).map_err(|source| ConfigError::Read {
            what: "CA file",
            path: path.clone(),
            source,
        })?),
        // The CLI reads no Secret or ConfigMap: a CA named there must come as a file.
        None if resource
            .spec
            .directory
            .tls
            .as_ref()
            .is_some_and(|t| t.ca.is_some()) =>
        {
            return Err(ConfigError::Invalid(
                "the manifest names spec.directory.tls.ca; pass that CA bundle with --ca-file \
                 (the one-shot sync reads no Secret or ConfigMap)"
                    .to_string(),
            ));
        }
        None => None,
    };

    let spec = &resource.spec;
    let mut config = client_config(&spec.jira_align, token);
    if args.baseline_client {
        config.listing = Listing::FullObjects;
        config.patches = Patches::PerAction;
    }
    let client = Client::new(config).map_err(|e| ConfigError::Invalid(e.to_string()))?;
    let directory = DirectoryConfig::from_spec(&spec.directory, &spec.overrides, password, ca_pem);
    // The CA bundle is the file given, so a problem with it names the file.
    directory
        .validate()
        .map_err(|e| match (&e, &args.ca_file) {
            (DirectoryError::InvalidConfig { field, .. }, Some(path)) if field == "tls.ca" => {
                ConfigError::Invalid(format!("--ca-file {}: {e}", path.display()))
            }
            _ => ConfigError::Invalid(format!("spec.directory: {e}")),
        })?;

    let inputs = SyncInputs {
        spec,
        directory,
        approved_hash: args.approve.as_deref(),
        now: chrono::Utc::now(),
    };
    let result = run(inputs, &client).await;
    if let Some(path) = &args.stats_file {
        write_stats(path, &client.stats());
    }
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            eprintln!("sync failed ({}): {error}", error.reason());
            eprintln!("nothing was written to Jira Align");
            return Ok(exit::SYNC_FAILED);
        }
    };

    match args.output {
        Format::Table => print!("{}", output::table(&report)),
        Format::Json => println!("{}", output::json(&report)),
    }
    if let (Some(approved), Some(limit)) = (&args.approve, &report.plan.withheld) {
        eprintln!(
            "--approve {approved} is not this plan ({}): the users to deactivate differ",
            limit.hash
        );
    }
    Ok(if report.plan.withheld.is_some() {
        exit::BLOCKED
    } else if report.counts().failed > 0 {
        exit::SOME_USERS_FAILED
    } else {
        exit::SUCCESS
    })
}

fn read_manifest(path: &PathBuf) -> Result<JiraAlignUserSync, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        what: "manifest",
        path: path.clone(),
        source,
    })?;
    let manifest_error = |message: String| ConfigError::Manifest {
        path: path.clone(),
        message,
    };
    // A file may hold several documents (Secrets beside the resource, as in examples/); the
    // one-shot sync takes the single JiraAlignUserSync among them.
    let mut found = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&text) {
        let value =
            serde_yaml::Value::deserialize(document).map_err(|e| manifest_error(e.to_string()))?;
        if value.get("kind").and_then(serde_yaml::Value::as_str) == Some("JiraAlignUserSync") {
            found.push(value);
        }
    }
    let value = match found.len() {
        1 => found.remove(0),
        0 => return Err(manifest_error("it holds no JiraAlignUserSync".to_string())),
        n => {
            return Err(manifest_error(format!(
                "it holds {n} JiraAlignUserSyncs; keep one"
            )));
        }
    };
    let expected = <JiraAlignUserSync as kube::Resource>::api_version(&());
    let api_version = value.get("apiVersion").and_then(serde_yaml::Value::as_str);
    if api_version != Some(&*expected) {
        return Err(manifest_error(format!(
            "apiVersion is {}, expected {expected}",
            api_version.map_or("missing".to_string(), |v| format!("\"{v}\""))
        )));
    }
    // The API server refuses fields the schema does not know (kubectl's strict field
    // validation); the one-shot sync refuses them too, so a misspelt field is never silently
    // left at its default. They are named first: a misspelt required field is also missing.
    let mut problems = Vec::new();
    let parsed = serde_ignored::deserialize(value, |path| {
        let field = field_path(&path);
        if field != "apiVersion" && field != "kind" {
            problems.push(format!("unknown field \"{field}\""));
        }
    });
    match parsed {
        Ok(resource) if problems.is_empty() => Ok(resource),
        Ok(_) => Err(manifest_error(problems.join(", "))),
        Err(e) => {
            problems.push(e.to_string());
            Err(manifest_error(problems.join(", ")))
        }
    }
}

/// Spells a field path the way the API server does: `spec.overrides[0].set`.
fn field_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", field_path(parent)),
        Path::Map { parent, key } => match field_path(parent) {
            prefix if prefix.is_empty() => key.clone(),
            prefix => format!("{prefix}.{key}"),
        },
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => field_path(parent),
    }
}

fn secret(
    what: &'static str,
    file: &Option<PathBuf>,
    env: &Option<String>,
) -> Result<String, ConfigError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            what,
            path: path.clone(),
            source,
        })?;
        return Ok(text.trim_end_matches(['\r', '\n']).to_string());
    }
    let name = env.clone().unwrap_or_default();
    std::env::var(&name).map_err(|_| ConfigError::Env { what, name })
}

/// Writes the client's counters as JSON; a failure is reported and does not change the
/// outcome of a run that has already happened.
fn write_stats(path: &PathBuf, stats: &ClientStats) {
    let value = serde_json::json!({
        "list": stats.list.total(),
        "find": stats.find.total(),
        "get": stats.get.total(),
        "create": stats.create.total(),
        "patch": stats.patch.total(),
        "throttled": stats.throttled,
        "retries": stats.retries,
        "budgetWaitSeconds": stats.budget_wait.as_secs_f64(),
    });
    if let Err(error) = std::fs::write(path, value.to_string()) {
        tracing::warn!(path = %path.display(), %error, "cannot write the request counters");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<JiraAlignUserSync, String> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("sync.yaml");
        std::fs::write(&path, text).expect("the manifest is written");
        read_manifest(&path).map_err(|e| {
            let message = e.to_string();
            let prefix = format!(
                "manifest {} is not a valid JiraAlignUserSync: ",
                path.display()
            );
            message
                .strip_prefix(&prefix)
                .unwrap_or(&message)
                .to_string()
        })
    }

    fn example(name: &str) -> String {
        std::fs::read_to_string(format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR")))
            .expect("the example exists")
    }

    #[test]
    fn every_valid_example_reads_without_unknown_fields() {
        for name in [
            "active-directory.yaml",
            "openldap.yaml",
            "overrides.yaml",
            "dry-run.yaml",
        ] {
            let resource = read(&example(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                resource.metadata.name.is_some(),
                "{name} names its resource"
            );
        }
    }

    #[test]
    fn a_misspelt_field_is_refused_with_its_path() {
        let text = example("openldap.yaml").replace("    bindDn:", "    bindDN:");
        assert_ne!(text, example("openldap.yaml"));
        assert_eq!(
            read(&text).unwrap_err(),
            "unknown field \"spec.directory.bindDN\", missing field `bindDn`"
        );
    }

    #[test]
    fn an_unknown_optional_field_is_refused_even_when_the_rest_reads() {
        let text =
            example("openldap.yaml").replace("  directory:\n", "  directory:\n    pageSise: 10\n");
        assert_eq!(
            read(&text).unwrap_err(),
            "unknown field \"spec.directory.pageSise\""
        );
    }

    #[test]
    fn another_api_version_is_refused() {
        let text = example("openldap.yaml").replace("alignsync.dev/v1alpha1", "alignsync.dev/v1");
        assert_eq!(
            read(&text).unwrap_err(),
            "apiVersion is \"alignsync.dev/v1\", expected alignsync.dev/v1alpha1"
        );
    }

    #[test]
    fn unknown_fields_inside_lists_and_at_the_top_are_all_named() {
        let text = example("overrides.yaml")
            .replace(
                "      set:\n        isExternal: true",
                "      sett:\n        isExternal: true",
            )
            .replace(
                "kind: JiraAlignUserSync",
                "kind: JiraAlignUserSync\nextra: 1",
            );
        let error = read(&text).unwrap_err();
        assert_eq!(
            error,
            "unknown field \"extra\", unknown field \"spec.overrides[0].sett\", \
             missing field `set`"
        );
    }
}
