//! The operator under test as a child process: authenticated as the chart's ServiceAccount
//! with a token from the API server, watching only the test's namespaces, logging JSON lines
//! that the test can read back.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::cluster::{RELEASE, Setup, kubectl};

/// How to start one operator process.
#[derive(Clone, Debug)]
pub struct OperatorOptions {
    pub namespaces: Vec<String>,
    /// Lease name in the release namespace; operators sharing one elect a leader.
    pub lease_name: String,
    pub identity: String,
}

/// A running operator. Dropping it kills the process.
pub struct Operator {
    child: Child,
    pub identity: String,
    pub http_addr: SocketAddr,
    logs: Arc<Mutex<Vec<Value>>>,
    _dir: tempfile::TempDir,
}

impl Operator {
    /// Starts the operator and waits until it serves HTTP.
    pub fn start(setup: &Setup, options: &OperatorOptions) -> Operator {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let kubeconfig = service_account_kubeconfig(setup, &dir.path().join("kubeconfig"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_jira-align-user-sync"))
            .args([
                "run",
                "--metrics-addr",
                "127.0.0.1:0",
                "--log-format",
                "json",
            ])
            .args(["--namespaces", &options.namespaces.join(",")])
            .args([
                "--lease-name",
                &options.lease_name,
                "--lease-namespace",
                RELEASE,
            ])
            .args(["--identity", &options.identity, "--lease-seconds", "6"])
            .args(["--shutdown-seconds", "10"])
            .env("KUBECONFIG", &kubeconfig)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the operator binary starts");

        let logs = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr is piped");
        let sink = Arc::clone(&logs);
        let identity = options.identity.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                match serde_json::from_str::<Value>(&line) {
                    Ok(value) => sink.lock().unwrap_or_else(|e| e.into_inner()).push(value),
                    Err(_) => eprintln!("[{identity}] {line}"),
                }
            }
        });

        let mut operator = Operator {
            child,
            identity: options.identity.clone(),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            logs,
            _dir: dir,
        };
        let line = operator.wait_for_log(Duration::from_secs(30), |line| {
            message(line) == "serving /live, /ready and /metrics"
        });
        let addr = line["fields"]["addr"]
            .as_str()
            .expect("the serving line names its address");
        operator.http_addr = addr.parse().expect("the address parses");
        operator
    }

    /// Every JSON log line so far.
    pub fn logs(&self) -> Vec<Value> {
        self.logs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The `sync outcome` lines of resource `name`.
    pub fn outcomes(&self, name: &str) -> Vec<Value> {
        self.logs()
            .into_iter()
            .filter(|line| message(line) == "sync outcome" && line["fields"]["name"] == name)
            .collect()
    }

    /// Waits until resource `name` has at least `count` outcome lines and returns them all.
    pub fn wait_for_outcomes(&self, name: &str, count: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let outcomes = self.outcomes(name);
            if outcomes.len() >= count {
                return outcomes;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "[{}] {name} has {} outcome lines, not {count}; log:\n{:#?}",
                self.identity,
                outcomes.len(),
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for a log line matching `wanted`; panics with the log after `timeout`.
    pub fn wait_for_log(&self, timeout: Duration, wanted: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            if let Some(line) = self.logs().into_iter().find(|line| wanted(line)) {
                return line;
            }
            assert!(
                started.elapsed() < timeout,
                "[{}] no such log line within {timeout:?}; log:\n{:#?}",
                self.identity,
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// GET of `path` on the operator's HTTP server: (status, body).
    pub async fn http_get(&self, path: &str) -> (u16, String) {
        let url = format!("http://{}{path}", self.http_addr);
        let response = reqwest::get(&url)
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// Polls `/ready` until it answers 200; panics after `timeout`.
    pub async fn wait_ready(&self, timeout: Duration) {
        let started = Instant::now();
        while self.http_get("/ready").await.0 != 200 {
            assert!(
                started.elapsed() < timeout,
                "[{}] not ready within {timeout:?}",
                self.identity
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGKILL and waits for the process to be gone: no shutdown, no Lease release.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit code.
    pub fn terminate(&mut self, timeout: Duration) -> Option<i32> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "[{}] did not exit within {timeout:?} of SIGTERM",
            self.identity
        );
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The text of a log line.
pub fn message(line: &Value) -> &str {
    line["fields"]["message"].as_str().unwrap_or_default()
}

/// Writes a kubeconfig that authenticates as the chart's ServiceAccount with a fresh token.
fn service_account_kubeconfig(setup: &Setup, path: &std::path::Path) -> PathBuf {
    let token = kubectl(
        setup,
        &[
            "create",
            "token",
            RELEASE,
            "--namespace",
            RELEASE,
            "--duration",
            "2h",
        ],
    );
    let token = String::from_utf8_lossy(&token.stdout).trim().to_owned();
    let admin =
        std::fs::read_to_string(&setup.kubeconfig).expect("the admin kubeconfig is readable");
    let admin: serde_yaml::Value =
        serde_yaml::from_str(&admin).expect("the admin kubeconfig is YAML");
    let cluster = &admin["clusters"][0]["cluster"];
    let config = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "local", "cluster": {
            "server": cluster["server"].as_str(),
            "certificate-authority-data": cluster["certificate-authority-data"].as_str(),
        }}],
        "users": [{"name": RELEASE, "user": {"token": token}}],
        "contexts": [{"name": "operator", "context": {"cluster": "local", "user": RELEASE}}],
        "current-context": "operator",
    });
    std::fs::write(path, serde_json::to_string_pretty(&config).expect("json"))
        .expect("the kubeconfig is written");
    path.to_path_buf()
}
