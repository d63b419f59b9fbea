//! Runs the `test-directories` binary the way scripts do: start a background slapd, use
//! the printed details, stop it by state dir; and ask the shared Samba DC for its status.

#[path = "support/client.rs"]
mod client;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use test_directories::{SambaAd, StandardLdap};

fn cli(args: &[&str]) -> BTreeMap<String, String> {
    let output = Command::new(env!("CARGO_BIN_EXE_test-directories"))
        .args(args)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{args:?} failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn openldap_runs_in_the_background_until_stopped() {
    let dir = scratch_dir("test-directories-cli");
    let state = dir.to_string_lossy().into_owned();
    let started = cli(&["openldap", "--state-dir", &state]);

    let pid: u32 = started["PID"].parse().expect("PID is a number");
    let pid_file = std::fs::read_to_string(&started["PID_FILE"]).expect("slapd wrote its pid file");
    assert_eq!(pid_file.trim(), pid.to_string());
    assert_eq!(started["BIND_DN"], "cn=sync,ou=service,dc=example,dc=com");
    assert_eq!(started["BASE_DN"], "dc=example,dc=com");
    assert!(started["LDAPS_URL"].starts_with("ldaps://127.0.0.1:"));

    let entitled = client::runtime().block_on(async {
        let ca = Path::new(&started["CA_PEM"]);
        let mut ldap = client::bind(
            &started["LDAP_URL"],
            ca,
            true,
            &started["BIND_DN"],
            &started["BIND_PASSWORD"],
        )
        .await
        .expect("bind with the printed details");
        client::read_values(&mut ldap, StandardLdap::ENTITLED_GROUP_DN, "member").await
    });
    assert_eq!(entitled.len(), StandardLdap::DIRECT_USER_MEMBERS.len() + 1);

    assert_eq!(cli(&["stop", "--state-dir", &state])["STOPPED"], "true");
    assert!(!is_running(pid), "slapd {pid} still runs");
    assert_eq!(cli(&["stop", "--state-dir", &state])["STOPPED"], "false");
    let _ = std::fs::remove_dir_all(&dir);
}

fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.contains(") Z "))
        .unwrap_or(false)
}

#[test]
fn samba_status_reports_the_running_dc() {
    let dc = SambaAd::ensure().unwrap_or_else(|error| panic!("{error}"));
    let status = cli(&["samba", "status"]);
    assert_eq!(status["STATUS"], "running");
    assert_eq!(status["PID"], dc.pid().to_string());
}
