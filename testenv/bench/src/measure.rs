//! One run of the one-shot sync as a child process, measured from outside: wall time, the
//! moment it finished reading both sides, CPU time and peak resident memory from the
//! kernel's accounting of the process, its JSON report and its request counters.
//!
//! CPU and memory come from GNU `time`, which forks the sync from its own small process:
//! Linux carries the resident size of the process that forks (here the benchmark, which holds
//! the simulator's site) into the child's peak, so the benchmark cannot fork the sync itself.

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
/// GNU time, from the Debian package `time`.
pub const GNU_TIME: &str = "/usr/bin/time";

/// Everything one run needs.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub operator: PathBuf,
    pub manifest: PathBuf,
    pub token_file: PathBuf,
    pub password_file: PathBuf,
    pub ca_file: PathBuf,
    pub stats_file: PathBuf,
    /// Where GNU time writes the process's usage.
    pub usage_file: PathBuf,
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
    let _ = std::fs::remove_file(&invocation.usage_file);
    let mut command = Command::new(GNU_TIME);
    command
        .args(["--format", "%x %M %U %S", "--output"])
        .arg(&invocation.usage_file)
        .arg(&invocation.operator)
        .args(sync_arguments(invocation));
    command.env("RUST_LOG", "info").env("NO_COLOR", "1");
    command.stdin(Stdio::null());
    command.stdout(Stdio::piped()).stderr(Stdio::piped());

    let started = Instant::now();
    let mut child = command.spawn().map_err(|source| BenchError::Spawn {
        program: GNU_TIME.into(),
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

    let status = child.wait().map_err(|source| BenchError::Wait { source })?;
    let wall = started.elapsed();
    let stdout = out_reader.join().unwrap_or_default();
    let (read, stderr_tail) = err_reader.join().unwrap_or_default();

    let usage_text = std::fs::read_to_string(&invocation.usage_file).unwrap_or_default();
    let usage = Usage::parse(&usage_text).unwrap_or(Usage {
        exit_code: status.code().unwrap_or(-1),
        ..Usage::default()
    });
    let report = serde_json::from_slice(&stdout).unwrap_or(Value::Null);
    let counts = read_counts(&invocation.stats_file);
    Ok(Measurement {
        wall,
        read,
        cpu: usage.cpu,
        peak_rss_bytes: usage.peak_rss_bytes,
        exit_code: usage.exit_code,
        report,
        counts,
        stderr_tail,
    })
}

/// The arguments of the sync after the operator's path.
fn sync_arguments(invocation: &Invocation) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    args.push("sync".into());
    for (flag, path) in [
        ("--manifest", &invocation.manifest),
        ("--token-file", &invocation.token_file),
        ("--bind-password-file", &invocation.password_file),
        ("--ca-file", &invocation.ca_file),
        ("--stats-file", &invocation.stats_file),
    ] {
        args.push(flag.into());
        args.push(path.into());
    }
    args.extend(["--output".into(), "json".into()]);
    if invocation.baseline {
        args.push("--baseline-client".into());
    }
    args
}

/// The sync's command line, for a person to run it by hand.
pub fn command_line(invocation: &Invocation) -> String {
    std::iter::once(invocation.operator.clone().into_os_string())
        .chain(sync_arguments(invocation))
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What GNU time reports with `--format "%x %M %U %S"`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Usage {
    exit_code: i32,
    peak_rss_bytes: u64,
    cpu: Duration,
}

impl Usage {
    /// Reads the last line (earlier ones say why a command failed, such as a signal).
    fn parse(text: &str) -> Option<Usage> {
        let line = text.lines().rev().find(|line| !line.trim().is_empty())?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [code, kib, user, system] = fields.as_slice() else {
            return None;
        };
        let seconds = |text: &str| text.parse::<f64>().ok().map(Duration::from_secs_f64);
        Some(Usage {
            exit_code: code.parse().ok()?,
            peak_rss_bytes: kib.parse::<u64>().ok()? * 1024,
            cpu: seconds(user)? + seconds(system)?,
        })
    }
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
    fn usage_is_read_from_the_last_line_gnu_time_writes() {
        let text = "Command exited with non-zero status 2\n2 48212 1.52 0.31\n";
        assert_eq!(
            Usage::parse(text),
            Some(Usage {
                exit_code: 2,
                peak_rss_bytes: 48_212 * 1024,
                cpu: Duration::from_millis(1_830),
            })
        );
        assert_eq!(Usage::parse("garbage"), None);
    }

    #[test]
    fn a_child_run_through_gnu_time_reports_its_own_usage() {
        let dir = std::env::temp_dir().join(format!("bench-usage-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let usage_file = dir.join("usage");
        let status = Command::new(GNU_TIME)
            .args(["--format", "%x %M %U %S", "--output"])
            .arg(&usage_file)
            .args(["sh", "-c", "exit 3"])
            .status()
            .expect("GNU time runs");
        let text = std::fs::read_to_string(&usage_file).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        let usage = Usage::parse(&text).expect("a usage line");
        assert_eq!((status.code(), usage.exit_code), (Some(3), 3));
        assert!(usage.peak_rss_bytes > 0 && usage.peak_rss_bytes < 64 * 1024 * 1024);
    }
}
