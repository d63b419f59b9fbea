//! One run of the one-shot sync as a child process, measured from outside: wall time, the
//! moment it finished reading both sides, CPU time and peak resident memory from the
//! kernel's accounting of the child (`wait4`), its JSON report and its request counters.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::BenchError;

/// The log line the sync writes once both sides are read, before planning.
const READ_DONE: &str = "read both sides";
/// Lines of the child's stderr kept for error messages.
const STDERR_KEPT: usize = 20;

/// Everything one run needs.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub operator: PathBuf,
    pub manifest: PathBuf,
    pub token_file: PathBuf,
    pub password_file: PathBuf,
    pub ca_file: PathBuf,
    pub stats_file: PathBuf,
    /// Run the client in its reference configuration (`--baseline-client`).
    pub baseline: bool,
}

/// The client's own counters, from `--stats-file`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClientCounts {
    pub list: u64,
    pub find: u64,
    pub get: u64,
    pub create: u64,
    pub patch: u64,
    pub throttled: u64,
    pub retries: u64,
    pub budget_wait: Duration,
}

impl ClientCounts {
    pub fn total(&self) -> u64 {
        self.list + self.find + self.get + self.create + self.patch
    }

    fn from_json(value: &Value) -> Self {
        let count = |name: &str| value.get(name).and_then(Value::as_u64).unwrap_or(0);
        let wait = value.get("budgetWaitSeconds").and_then(Value::as_f64);
        ClientCounts {
            list: count("list"),
            find: count("find"),
            get: count("get"),
            create: count("create"),
            patch: count("patch"),
            throttled: count("throttled"),
            retries: count("retries"),
            budget_wait: Duration::from_secs_f64(wait.unwrap_or(0.0).max(0.0)),
        }
    }
}

/// What one run cost and said.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub wall: Duration,
    /// From start until both sides were read (directory and Jira Align, concurrently).
    pub read: Option<Duration>,
    /// User plus system CPU time of the process.
    pub cpu: Duration,
    pub peak_rss_bytes: u64,
    pub exit_code: i32,
    /// The JSON report on stdout; `Null` when there was none.
    pub report: Value,
    pub counts: ClientCounts,
    pub stderr_tail: String,
}

/// Runs the sync once and waits for it.
pub fn run(invocation: &Invocation) -> Result<Measurement, BenchError> {
    let _ = std::fs::remove_file(&invocation.stats_file);
    let mut command = Command::new(&invocation.operator);
    command
        .arg("sync")
        .arg("--manifest")
        .arg(&invocation.manifest)
        .arg("--token-file")
        .arg(&invocation.token_file)
        .arg("--bind-password-file")
        .arg(&invocation.password_file)
        .arg("--ca-file")
        .arg(&invocation.ca_file)
        .arg("--stats-file")
        .arg(&invocation.stats_file)
        .args(["--output", "json"]);
    if invocation.baseline {
        command.arg("--baseline-client");
    }
    command.env("RUST_LOG", "info").env("NO_COLOR", "1");
    command.stdin(Stdio::null());
    command.stdout(Stdio::piped()).stderr(Stdio::piped());

    let started = Instant::now();
    let mut child = command.spawn().map_err(|source| BenchError::Spawn {
        program: invocation.operator.clone(),
        source,
    })?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let out_reader = thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut stdout) = stdout {
            let _ = stdout.read_to_end(&mut bytes);
        }
        bytes
    });
    let err_reader = thread::spawn(move || watch_stderr(stderr, started));

    let (exit_code, usage) = wait_with_usage(child.id())?;
    let wall = started.elapsed();
    let stdout = out_reader.join().unwrap_or_default();
    let (read, stderr_tail) = err_reader.join().unwrap_or_default();

    let report = serde_json::from_slice(&stdout).unwrap_or(Value::Null);
    let counts = read_counts(&invocation.stats_file);
    Ok(Measurement {
        wall,
        read,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        peak_rss_bytes: u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
        exit_code,
        report,
        counts,
        stderr_tail,
    })
}

/// Reads the child's log: when the read finished, and the last lines for error messages.
fn watch_stderr(
    stderr: Option<std::process::ChildStderr>,
    started: Instant,
) -> (Option<Duration>, String) {
    let mut read = None;
    let mut tail: Vec<String> = Vec::new();
    let Some(stderr) = stderr else {
        return (read, String::new());
    };
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if read.is_none() && line.contains(READ_DONE) {
            read = Some(started.elapsed());
        }
        tail.push(line);
        if tail.len() > STDERR_KEPT {
            tail.remove(0);
        }
    }
    (read, tail.join("\n"))
}

fn read_counts(path: &Path) -> ClientCounts {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    ClientCounts::from_json(&value)
}

/// Reaps `pid` and returns its exit code (-1 when a signal ended it) and resource usage.
fn wait_with_usage(pid: u32) -> Result<(i32, libc::rusage), BenchError> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| BenchError::Wait {
        source: std::io::Error::other("pid out of range"),
    })?;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is a plain C struct for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers refer to live, writable locals of the right types, and pid
        // is a child of this process that nothing else waits for.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(BenchError::Wait { source: error });
        }
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((code, usage))
}

fn timeval(value: libc::timeval) -> Duration {
    let seconds = u64::try_from(value.tv_sec).unwrap_or(0);
    let micros = u64::try_from(value.tv_usec).unwrap_or(0);
    Duration::from_secs(seconds) + Duration::from_micros(micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_read_from_the_stats_file_shape() {
        let value = serde_json::json!({
            "list": 1008, "find": 2, "get": 750, "create": 500, "patch": 1000,
            "throttled": 3, "retries": 3, "budgetWaitSeconds": 1.5
        });
        let counts = ClientCounts::from_json(&value);
        assert_eq!(counts.total(), 3260);
        assert_eq!((counts.throttled, counts.retries), (3, 3));
        assert_eq!(counts.budget_wait, Duration::from_millis(1500));
    }

    #[test]
    fn a_child_is_timed_and_its_usage_read() {
        let child = Command::new("sh")
            .args(["-c", "exit 3"])
            .spawn()
            .expect("sh starts");
        let (code, usage) = wait_with_usage(child.id()).expect("the child is reaped");
        assert_eq!(code, 3);
        assert!(usage.ru_maxrss > 0);
    }
}
