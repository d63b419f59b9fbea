//! Errors the simulator reports to its caller: reading seeds and configuration, binding the
//! listener. Errors answered to API clients are HTTP responses, not values of this type.

use std::path::PathBuf;

/// Why the simulator could not load its inputs or start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("failed to read {path}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to parse JSON in {path}")]
    ParseJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("failed to parse YAML in {path}")]
    ParseYaml {
        path: PathBuf,
        #[source]
        source: serde_yaml::Error,
    },
    #[error("invalid seed: {reason}")]
    InvalidSeed { reason: String },
    #[error("invalid generator spec {spec:?}: {reason}")]
    InvalidGeneratorSpec { spec: String, reason: String },
    #[error("failed to bind {addr}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

impl SimError {
    /// A short static label for the kind of failure, usable as a metric label.
    pub fn category(&self) -> &'static str {
        match self {
            SimError::ReadFile { .. } => "read_file",
            SimError::ParseJson { .. } | SimError::ParseYaml { .. } => "parse",
            SimError::InvalidSeed { .. } => "invalid_seed",
            SimError::InvalidGeneratorSpec { .. } => "invalid_generator_spec",
            SimError::Bind { .. } => "bind",
        }
    }
}
