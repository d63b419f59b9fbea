//! Running the one-shot `sync` command of the operator binary on a manifest, with its
//! secrets in files or environment variables, and capturing everything it prints.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Where the command finds a secret.
#[derive(Clone, Debug)]
pub enum Secret {
    /// In a file holding this text.
    File(String),
    /// In this environment variable, set to this text.
    Env(String, String),
    /// A file that does not exist.
    MissingFile,
    /// An environment variable that is not set.
    MissingEnv(String),
}

/// One invocation.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub manifest: Value,
    pub token: Secret,
    pub bind_password: Secret,
    pub ca_file: Option<PathBuf>,
    /// `RUST_LOG` for the run; `info` when unset.
    pub log_filter: Option<String>,
    pub extra_args: Vec<String>,
}

/// What the command did.
#[derive(Clone, Debug)]
pub struct CliRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl CliRun {
    /// The reason in a `sync failed (Reason): ...` line, if the run failed that way.
    pub fn failure_reason(&self) -> Option<&str> {
        let rest = self.stderr.split("sync failed (").nth(1)?;
        rest.split(')').next()
    }

    /// The first line starting with `error:` or `sync failed`.
    pub fn error_line(&self) -> &str {
        self.stderr
            .lines()
            .find(|l| l.starts_with("error:") || l.starts_with("sync failed"))
            .unwrap_or("")
    }
}

/// Runs the command in `dir`, where the manifest and secret files are written.
pub fn run_cli(dir: &Path, invocation: &Invocation) -> CliRun {
    let manifest = dir.join("sync.yaml");
    let yaml = serde_yaml::to_string(&invocation.manifest).expect("the manifest serializes");
    std::fs::write(&manifest, yaml).expect("the manifest is written");

    let mut command = Command::new(env!("CARGO_BIN_EXE_jira-align-user-sync"));
    command.arg("sync").arg("--manifest").arg(&manifest);
    command.env_remove("RUST_LOG");
    if let Some(filter) = &invocation.log_filter {
        command.env("RUST_LOG", filter);
    }
    secret_args(&mut command, dir, "token", &invocation.token);
    secret_args(
        &mut command,
        dir,
        "bind-password",
        &invocation.bind_password,
    );
    if let Some(ca) = &invocation.ca_file {
        command.arg("--ca-file").arg(ca);
    }
    command.args(&invocation.extra_args);

    let output = command.output().expect("the operator binary runs");
    CliRun {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn secret_args(command: &mut Command, dir: &Path, name: &str, secret: &Secret) {
    match secret {
        Secret::File(text) => {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("the secret file is written");
            command.arg(format!("--{name}-file")).arg(path);
        }
        Secret::MissingFile => {
            command
                .arg(format!("--{name}-file"))
                .arg(dir.join(format!("no-such-{name}")));
        }
        Secret::Env(variable, value) => {
            command.env(variable, value);
            command.arg(format!("--{name}-env")).arg(variable);
        }
        Secret::MissingEnv(variable) => {
            command.env_remove(variable);
            command.arg(format!("--{name}-env")).arg(variable);
        }
    }
}
