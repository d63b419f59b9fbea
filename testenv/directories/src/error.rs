//! The one error type of this crate: everything that can go wrong while preparing,
//! starting, seeding or stopping a test directory server.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// What the install hint in [`FixtureError::MissingTool`] tells people to run.
pub const INSTALL_HINT: &str = "run `bash testenv/install-packages.sh` as root";

/// Failure to provide a test directory server.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// A server binary or command-line tool is not installed.
    #[error("`{tool}` is not installed (searched PATH, /usr/sbin and /sbin); {hint}", hint = INSTALL_HINT)]
    MissingTool { tool: &'static str },

    /// A tool could not be started at all.
    #[error("failed to run `{tool}`")]
    Spawn {
        tool: String,
        #[source]
        source: std::io::Error,
    },

    /// A tool ran and reported failure.
    #[error("`{tool} {args}` exited with {status}: {stderr}")]
    CommandFailed {
        tool: String,
        args: String,
        status: ExitStatus,
        stderr: String,
    },

    /// A tool succeeded but printed something this crate cannot interpret.
    #[error("unexpected output from `{tool}`: {detail}")]
    UnexpectedOutput { tool: String, detail: String },

    /// A file or directory operation failed.
    #[error("failed to {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The server process ended before it was ready.
    #[error("{server} exited during startup ({status}); log tail:\n{log_tail}")]
    ExitedEarly {
        server: &'static str,
        status: String,
        log_tail: String,
    },

    /// The server kept running but never accepted connections.
    #[error(
        "{server} did not accept connections on port {port} within {waited:?}; log tail:\n{log_tail}"
    )]
    NotReady {
        server: &'static str,
        port: u16,
        waited: Duration,
        log_tail: String,
    },

    /// A fixed port is taken by a process this crate did not start.
    #[error(
        "port {port} on 127.0.0.1 is already in use by a process not started here ({server} needs it)"
    )]
    PortBusy { server: &'static str, port: u16 },

    /// A process that should have stopped is still alive.
    #[error("{server} (pid {pid}) did not stop within {waited:?}")]
    StopTimeout {
        server: &'static str,
        pid: u32,
        waited: Duration,
    },

    /// The caller asked for something the fixture cannot do.
    #[error("invalid request: {detail}")]
    Invalid { detail: String },
}

impl FixtureError {
    /// A short static label for the kind of failure, stable enough for logs and metrics.
    pub fn category(&self) -> &'static str {
        match self {
            Self::MissingTool { .. } => "missing_tool",
            Self::Spawn { .. } => "spawn",
            Self::CommandFailed { .. } => "command_failed",
            Self::UnexpectedOutput { .. } => "unexpected_output",
            Self::Io { .. } => "io",
            Self::ExitedEarly { .. } => "exited_early",
            Self::NotReady { .. } => "not_ready",
            Self::PortBusy { .. } => "port_busy",
            Self::StopTimeout { .. } => "stop_timeout",
            Self::Invalid { .. } => "invalid",
        }
    }

    /// Wraps an I/O error with what was being done and to which path.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
