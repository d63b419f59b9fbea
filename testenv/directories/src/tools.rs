//! Finding the Debian server binaries and command-line tools, and running them with their
//! failures turned into [`FixtureError`]s.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::FixtureError;

/// Directories searched after PATH: test runners often drop the sbin directories, where
/// Debian puts `slapd`, `slapadd` and `samba`.
const EXTRA_DIRS: [&str; 2] = ["/usr/sbin", "/sbin"];

/// An installed executable.
#[derive(Debug, Clone)]
pub(crate) struct Tool {
    name: &'static str,
    path: PathBuf,
}

impl Tool {
    /// Finds `name` on PATH or in the sbin directories.
    pub(crate) fn find(name: &'static str) -> Result<Self, FixtureError> {
        let path_var = std::env::var_os("PATH").unwrap_or_default();
        let dirs = std::env::split_paths(&path_var).chain(EXTRA_DIRS.iter().map(PathBuf::from));
        dirs.map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
            .map(|path| Self { name, path })
            .ok_or(FixtureError::MissingTool { tool: name })
    }

    /// Finds every tool in `names`, failing on the first one missing.
    pub(crate) fn find_all<const N: usize>(
        names: [&'static str; N],
    ) -> Result<[Tool; N], FixtureError> {
        let mut found = Vec::with_capacity(N);
        for name in names {
            found.push(Self::find(name)?);
        }
        // The vector holds exactly N tools: one per name, or we returned early.
        Ok(found.try_into().expect("one tool per name"))
    }

    /// A command for this tool, with nothing set yet.
    pub(crate) fn command(&self) -> Command {
        Command::new(&self.path)
    }

    /// Runs the tool with `args`, returning its standard output.
    pub(crate) fn run<I, S>(&self, args: I) -> Result<String, FixtureError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = self.command();
        command.args(args);
        self.run_command(command)
    }

    /// Runs a command built from [`Tool::command`], returning its standard output.
    pub(crate) fn run_command(&self, mut command: Command) -> Result<String, FixtureError> {
        let output =
            command
                .stdin(Stdio::null())
                .output()
                .map_err(|source| FixtureError::Spawn {
                    tool: self.name.to_owned(),
                    source,
                })?;
        if !output.status.success() {
            return Err(FixtureError::CommandFailed {
                tool: self.name.to_owned(),
                args: display_args(&command),
                status: output.status,
                stderr: tail(&String::from_utf8_lossy(&output.stderr), 2000),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The arguments of a command for an error message, with password values hidden.
fn display_args(command: &Command) -> String {
    command
        .get_args()
        .map(|arg| {
            let arg = arg.to_string_lossy();
            match arg.find("pass=") {
                Some(at) => format!("{}pass=***", &arg[..at]),
                None => arg.into_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last `max` bytes of `text` (on a character boundary), trimmed.
pub(crate) fn tail(text: &str, max: usize) -> String {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].trim().to_owned()
}

/// The last few kilobytes of a log file, or a note that it could not be read.
pub(crate) fn log_tail(path: &Path) -> String {
    match std::fs::read(path) {
        Ok(bytes) => tail(&String::from_utf8_lossy(&bytes), 3000),
        Err(error) => format!("(log {} unreadable: {error})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tool_names_the_install_script() {
        let error = Tool::find("no-such-directory-tool").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("testenv/install-packages.sh"), "{message}");
        assert_eq!(error.category(), "missing_tool");
    }

    #[test]
    fn password_arguments_are_hidden() {
        let mut command = Command::new("samba-tool");
        command.args(["domain", "provision", "--adminpass=Secret-1", "--realm=X"]);
        assert_eq!(
            display_args(&command),
            "domain provision --adminpass=*** --realm=X"
        );
    }

    #[test]
    fn tail_keeps_the_end_on_a_char_boundary() {
        assert_eq!(tail("abcdef", 3), "def");
        assert_eq!(tail("xé", 1), "");
        assert_eq!(tail("  ab \n", 100), "ab");
    }
}
