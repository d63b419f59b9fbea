//! Why a benchmark run stopped. Every variant names what was being done, so a failed run
//! says which server, file or scenario to look at.

use std::path::{Path, PathBuf};

/// A benchmark failure.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("directory server: {0}")]
    Directory(#[from] test_directories::FixtureError),
    #[error("jira align simulator: {0}")]
    Simulator(#[from] jira_align_sim::SimError),
    #[error("cannot build the manifest: {detail}")]
    Manifest { detail: String },
    #[error("cannot start {program}: {source}")]
    Spawn {
        program: PathBuf,
        source: std::io::Error,
    },
    #[error("waiting for the sync process failed: {source}")]
    Wait { source: std::io::Error },
    #[error("cannot read the directory group {group}: {detail}")]
    Group { group: String, detail: String },
    #[error("template {path} has no placeholder {name}")]
    Template { path: PathBuf, name: String },
}

impl BenchError {
    /// A closure turning an I/O error on `path` into `BenchError::Io`.
    pub fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BenchError {
        let path = path.to_path_buf();
        move |source| BenchError::Io {
            action,
            path,
            source,
        }
    }
}
