//! The options of the `run` subcommand, each with an environment variable fallback so the
//! Helm chart can set them either way.

use std::net::SocketAddr;
use std::time::Duration;

/// How log lines are written.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines with key=value fields.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Runs the operator: watches `JiraAlignUserSync` resources and keeps each site in step.
#[derive(clap::Args, Clone, Debug)]
pub struct RunArgs {
    /// Address of the HTTP server for `/live`, `/ready` and `/metrics`.
    #[arg(long, env = "ALIGNSYNC_METRICS_ADDR", default_value = "0.0.0.0:8080")]
    pub metrics_addr: SocketAddr,

    /// Namespaces to watch, comma-separated; empty watches every namespace.
    #[arg(
        long,
        env = "ALIGNSYNC_NAMESPACES",
        value_delimiter = ',',
        default_value = ""
    )]
    pub namespaces: Vec<String>,

    /// Most resources synced at the same time (per watched namespace).
    #[arg(long, env = "ALIGNSYNC_CONCURRENCY", default_value_t = 4)]
    pub concurrency: u16,

    /// Name of the Lease that elects the one replica allowed to sync.
    #[arg(
        long,
        env = "ALIGNSYNC_LEASE_NAME",
        default_value = "jira-align-user-sync"
    )]
    pub lease_name: String,

    /// Namespace of the Lease; default the namespace of the pod (`POD_NAMESPACE`), else
    /// `default`.
    #[arg(long, env = "ALIGNSYNC_LEASE_NAMESPACE")]
    pub lease_namespace: Option<String>,

    /// Seconds a Lease stays valid without renewal; a replica takes over after that.
    #[arg(long, env = "ALIGNSYNC_LEASE_SECONDS", default_value_t = 15)]
    pub lease_seconds: u32,

    /// `text` or `json`.
    #[arg(long, env = "ALIGNSYNC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Name of this replica in the Lease and in Events; default the pod name (`POD_NAME`),
    /// else `<hostname>-<pid>`.
    #[arg(long, env = "ALIGNSYNC_IDENTITY")]
    pub identity: Option<String>,

    /// Seconds a shutdown waits for running syncs before abandoning them.
    #[arg(long, env = "ALIGNSYNC_SHUTDOWN_SECONDS", default_value_t = 25)]
    pub shutdown_seconds: u32,
}

impl RunArgs {
    /// The watched namespaces, blanks dropped; empty means all.
    pub fn watched_namespaces(&self) -> Vec<String> {
        let mut namespaces: Vec<String> = self
            .namespaces
            .iter()
            .map(|ns| ns.trim().to_owned())
            .filter(|ns| !ns.is_empty())
            .collect();
        namespaces.sort();
        namespaces.dedup();
        namespaces
    }

    pub fn lease_namespace(&self) -> String {
        self.lease_namespace
            .clone()
            .or_else(|| std::env::var("POD_NAMESPACE").ok())
            .filter(|ns| !ns.is_empty())
            .unwrap_or_else(|| "default".to_owned())
    }

    pub fn identity(&self) -> String {
        self.identity
            .clone()
            .or_else(|| std::env::var("POD_NAME").ok())
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| format!("{}-{}", hostname(), std::process::id()))
    }

    pub fn lease_duration(&self) -> Duration {
        Duration::from_secs(u64::from(self.lease_seconds.max(3)))
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.shutdown_seconds))
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Harness {
        #[command(flatten)]
        run: RunArgs,
    }

    #[test]
    fn namespaces_are_split_trimmed_and_deduplicated() {
        let harness = Harness::parse_from(["x", "--namespaces", "team-b, team-a,,team-b"]);
        assert_eq!(harness.run.watched_namespaces(), vec!["team-a", "team-b"]);
    }

    #[test]
    fn no_namespaces_means_all() {
        let harness = Harness::parse_from(["x", "--namespaces", ""]);
        assert_eq!(harness.run.watched_namespaces(), Vec::<String>::new());
        assert_eq!(harness.run.concurrency, 4);
        assert_eq!(harness.run.log_format, LogFormat::Text);
    }

    #[test]
    fn an_explicit_identity_and_lease_namespace_win() {
        let harness = Harness::parse_from([
            "x",
            "--identity",
            "replica-a",
            "--lease-namespace",
            "ops",
            "--log-format",
            "json",
        ]);
        assert_eq!(harness.run.identity(), "replica-a");
        assert_eq!(harness.run.lease_namespace(), "ops");
        assert_eq!(harness.run.log_format, LogFormat::Json);
    }
}
