//! Where the servers keep their files: a throwaway directory per OpenLDAP instance, or the
//! repository's `.cache/` for state that outlives one test binary (the Samba DC).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::FixtureError;

/// Environment variable that overrides the cache directory (default: `<repo>/.cache`).
pub const CACHE_ENV: &str = "ALIGNSYNC_CACHE";

/// The directory for long-lived generated state: `$ALIGNSYNC_CACHE`, or `.cache/` at the
/// root of the repository this crate was built from.
pub fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|dir| !dir.is_empty()) {
        return PathBuf::from(dir);
    }
    // This crate lives at <repo>/testenv/directories.
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = manifest_dir.ancestors().nth(2).unwrap_or(manifest_dir);
    repo.join(".cache")
}

/// A directory a server instance writes into.
#[derive(Debug)]
pub(crate) struct StateDir {
    path: PathBuf,
    remove_on_drop: bool,
}

impl StateDir {
    /// A fresh, empty directory under the system temp dir, removed again on drop.
    pub(crate) fn temporary(prefix: &str) -> Result<Self, FixtureError> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir();
        loop {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|elapsed| elapsed.subsec_nanos())
                .unwrap_or_default();
            let serial = COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = format!("{prefix}-{}-{serial}-{nanos:08x}", std::process::id());
            let path = base.join(name);
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    return Ok(Self {
                        path,
                        remove_on_drop: true,
                    });
                }
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(FixtureError::io("create", path)(error)),
            }
        }
    }

    /// A caller-chosen directory, created if missing and kept after drop. It must not hold
    /// a previous instance's files.
    pub(crate) fn kept(path: &Path) -> Result<Self, FixtureError> {
        std::fs::create_dir_all(path).map_err(FixtureError::io("create", path))?;
        let mut entries = std::fs::read_dir(path).map_err(FixtureError::io("list", path))?;
        if entries.next().is_some() {
            return Err(FixtureError::Invalid {
                detail: format!("state directory {} is not empty", path.display()),
            });
        }
        let path = path
            .canonicalize()
            .map_err(FixtureError::io("resolve", path))?;
        Ok(Self {
            path,
            remove_on_drop: false,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the directory on drop (for servers left running in the background).
    pub(crate) fn keep(&mut self) {
        self.remove_on_drop = false;
    }

    /// Writes `contents` to `name` inside the directory, returning the full path.
    pub(crate) fn write(&self, name: &str, contents: &[u8]) -> Result<PathBuf, FixtureError> {
        let path = self.path.join(name);
        std::fs::write(&path, contents).map_err(FixtureError::io("write", &path))?;
        Ok(path)
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        if self.remove_on_drop {
            // Best effort: a leftover temp dir is harmless.
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_dirs_are_distinct_and_removed() {
        let first = StateDir::temporary("state-dir-test").expect("temp dir is writable");
        let second = StateDir::temporary("state-dir-test").expect("temp dir is writable");
        assert_ne!(first.path(), second.path());
        let kept_path = first.path().to_owned();
        let file = first.write("probe", b"x").expect("fresh dir is writable");
        assert_eq!(std::fs::read(file).expect("just written"), b"x");
        drop(first);
        assert!(!kept_path.exists());
    }

    #[test]
    fn kept_dir_must_be_empty() {
        let holder = StateDir::temporary("state-dir-test").expect("temp dir is writable");
        holder
            .write("leftover", b"")
            .expect("fresh dir is writable");
        let error = StateDir::kept(holder.path()).unwrap_err();
        assert_eq!(error.category(), "invalid");
    }

    #[test]
    fn cache_root_is_the_repository_cache_by_default() {
        if std::env::var_os(CACHE_ENV).is_some() {
            return;
        }
        let root = cache_root();
        assert!(root.ends_with(".cache"), "{root:?}");
        let repo = root.parent().expect("the cache dir has a parent");
        assert!(
            repo.join("testenv/directories/Cargo.toml").is_file(),
            "{root:?}"
        );
    }
}
