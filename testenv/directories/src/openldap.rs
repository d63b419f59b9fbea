//! A throwaway OpenLDAP `slapd` on free loopback ports, seeded from an [`LdifFixture`],
//! with StartTLS and LDAPS from a generated CA. Stopped on drop.

mod config;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::admin::DirectoryAdmin;
use crate::error::FixtureError;
use crate::ldap_fixture::{LDAP_BASE_DN, LdifFixture};
use crate::ldif::ModifyOp;
use crate::process::{
    free_loopback_port, pid_alive, pid_name, stop_child, stop_pid, wait_until_listening,
};
use crate::state_dir::StateDir;
use crate::tls::TlsFiles;
use crate::tools::Tool;

const SERVER: &str = "slapd";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Attempts with freshly chosen ports when another process grabbed one first.
const PORT_ATTEMPTS: usize = 3;

/// How to start an [`OpenLdap`].
#[derive(Debug, Clone, Default)]
pub struct OpenLdapOptions {
    /// Add `olcSecurity: tls=1`: plain `ldap://` without StartTLS is refused with rc 13
    /// (confidentialityRequired), as on a server that demands TLS.
    pub demand_tls: bool,
    /// Keep the files here instead of a temp dir removed on drop. Must be empty or missing.
    pub state_dir: Option<PathBuf>,
    /// Fixed port for `ldap://` (StartTLS); a free one when `None`.
    pub port: Option<u16>,
    /// Fixed port for `ldaps://`; a free one when `None`.
    pub ldaps_port: Option<u16>,
    /// Start slapd in its own process group, so it survives signals sent to this
    /// process's group; for servers left running with [`OpenLdap::detach`].
    pub own_process_group: bool,
}

/// A running slapd. Dropping it stops the server and removes a temporary state dir.
#[derive(Debug)]
pub struct OpenLdap {
    child: Option<Child>,
    pid: u32,
    port: u16,
    ldaps_port: u16,
    tls: TlsFiles,
    // Declared last so the directory is removed only after the server has stopped.
    dir: StateDir,
}

impl OpenLdap {
    /// The read-only bind account every instance has.
    pub const BIND_DN: &'static str = config::BIND_DN;
    pub const BIND_PASSWORD: &'static str = config::BIND_PASSWORD;
    /// The rootdn, for tests that change data behind the sync's back.
    pub const ADMIN_DN: &'static str = config::ADMIN_DN;
    pub const ADMIN_PASSWORD: &'static str = config::ADMIN_PASSWORD;

    /// Starts a fresh slapd on free ports with `fixture` loaded.
    pub fn start(fixture: &LdifFixture) -> Result<Self, FixtureError> {
        Self::start_with(fixture, &OpenLdapOptions::default())
    }

    /// Like [`OpenLdap::start`], but the server demands TLS (`olcSecurity: tls=1`).
    pub fn start_demanding_tls(fixture: &LdifFixture) -> Result<Self, FixtureError> {
        let options = OpenLdapOptions {
            demand_tls: true,
            ..OpenLdapOptions::default()
        };
        Self::start_with(fixture, &options)
    }

    /// Starts a slapd as `options` say, with `fixture` loaded.
    pub fn start_with(
        fixture: &LdifFixture,
        options: &OpenLdapOptions,
    ) -> Result<Self, FixtureError> {
        let [slapd, slapadd, ldapmodify] = Tool::find_all(["slapd", "slapadd", "ldapmodify"])?;
        let started = Instant::now();
        let dir = match &options.state_dir {
            Some(path) => StateDir::kept(path)?,
            None => StateDir::temporary("test-slapd")?,
        };
        for sub in ["slapd.d", "db"] {
            let path = dir.path().join(sub);
            std::fs::create_dir(&path).map_err(FixtureError::io("create", &path))?;
        }
        let tls = TlsFiles::generate(&dir.path().join("tls"), &[])?;

        build_database(&slapadd, &dir, &tls, fixture, options.demand_tls)?;

        let server = spawn_until_listening(&slapd, dir, tls, options)?;
        if !fixture.online.is_empty() {
            server.admin().apply_with(&ldapmodify, &fixture.online)?;
        }
        tracing::info!(
            port = server.port,
            ldaps_port = server.ldaps_port,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "slapd ready"
        );
        Ok(server)
    }

    /// `ldap://127.0.0.1:PORT`; StartTLS is available (and required in demand-TLS mode).
    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// `ldaps://127.0.0.1:PORT`.
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.ldaps_port)
    }

    /// The CA certificate that signed the server certificate.
    pub fn ca_pem_path(&self) -> &Path {
        &self.tls.ca_pem
    }

    pub fn bind_dn(&self) -> &'static str {
        Self::BIND_DN
    }

    pub fn bind_password(&self) -> &'static str {
        Self::BIND_PASSWORD
    }

    pub fn base_dn(&self) -> &'static str {
        LDAP_BASE_DN
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn ldaps_port(&self) -> u16 {
        self.ldaps_port
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Where the instance keeps its config, database, certificates and `slapd.log`.
    pub fn state_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Adds `member_dn` to the `member` attribute of `group_dn`.
    pub fn add_member(&self, group_dn: &str, member_dn: &str) -> Result<(), FixtureError> {
        self.admin().add_member(group_dn, member_dn)
    }

    /// Removes `member_dn` from the `member` attribute of `group_dn`.
    pub fn remove_member(&self, group_dn: &str, member_dn: &str) -> Result<(), FixtureError> {
        self.admin().remove_member(group_dn, member_dn)
    }

    /// Locks an account permanently through ppolicy (`pwdAccountLockedTime: 000001010000Z`).
    pub fn lock_account(&self, dn: &str) -> Result<(), FixtureError> {
        let locked = ["000001010000Z"];
        self.admin()
            .modify(dn, ModifyOp::Replace, "pwdAccountLockedTime", &locked)
    }

    /// Removes a ppolicy lock set by [`OpenLdap::lock_account`].
    pub fn unlock_account(&self, dn: &str) -> Result<(), FixtureError> {
        self.admin()
            .modify(dn, ModifyOp::Delete, "pwdAccountLockedTime", &[])
    }

    /// Changes data as the rootdn over LDAPS (any change, not just the helpers above).
    pub fn admin(&self) -> DirectoryAdmin {
        DirectoryAdmin {
            ldaps_url: self.ldaps_url(),
            ca_pem: self.tls.ca_pem.clone(),
            admin_dn: Self::ADMIN_DN,
            admin_password: Self::ADMIN_PASSWORD,
        }
    }

    /// Stops the server now (SIGTERM, then SIGKILL), instead of on drop.
    pub fn stop(mut self) -> Result<(), FixtureError> {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child, STOP_GRACE);
        }
        Ok(())
    }

    /// Leaves the server running after this value is gone and keeps its state dir;
    /// returns the pid. [`OpenLdap::stop_state_dir`] stops it later.
    pub fn detach(mut self) -> u32 {
        self.child = None;
        self.dir.keep();
        self.pid
    }

    /// Stops a detached server by the pid file in its state dir. Returns whether a
    /// running slapd was found.
    pub fn stop_state_dir(dir: &Path) -> Result<bool, FixtureError> {
        let pid_file = dir.join("slapd.pid");
        let Ok(text) = std::fs::read_to_string(&pid_file) else {
            return Ok(false);
        };
        let pid: u32 = text
            .trim()
            .parse()
            .map_err(|_| FixtureError::UnexpectedOutput {
                tool: SERVER.to_owned(),
                detail: format!("pid file {} holds {text:?}", pid_file.display()),
            })?;
        if !pid_alive(pid) || pid_name(pid).as_deref() != Some(SERVER) {
            return Ok(false);
        }
        stop_pid(SERVER, pid, STOP_GRACE)?;
        Ok(true)
    }
}

impl Drop for OpenLdap {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child, STOP_GRACE);
        }
    }
}

/// Writes `cn=config` and loads the skeleton plus the fixture's offline LDIF with
/// `slapadd`, before slapd runs.
fn build_database(
    slapadd: &Tool,
    dir: &StateDir,
    tls: &TlsFiles,
    fixture: &LdifFixture,
    demand_tls: bool,
) -> Result<(), FixtureError> {
    let config_text = config::config_ldif(dir.path(), tls, demand_tls);
    let config = dir.write("config.ldif", config_text.as_bytes())?;
    let slapd_d = dir.path().join("slapd.d");
    let slapd_d = slapd_d.as_os_str();
    slapadd.run([
        arg("-n0"),
        arg("-F"),
        slapd_d,
        arg("-l"),
        config.as_os_str(),
    ])?;

    let offline = format!("{}{}", config::skeleton_ldif(), fixture.offline);
    let data = dir.write("data.ldif", offline.as_bytes())?;
    let started = Instant::now();
    slapadd.run([
        arg("-q"),
        arg("-n1"),
        arg("-F"),
        slapd_d,
        arg("-l"),
        data.as_os_str(),
    ])?;
    tracing::debug!(
        bytes = offline.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "slapadd loaded"
    );
    Ok(())
}

fn arg(text: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(text)
}

/// Spawns slapd and waits for both ports, retrying with new ports if chosen ones were
/// taken in the meantime.
fn spawn_until_listening(
    slapd: &Tool,
    dir: StateDir,
    tls: TlsFiles,
    options: &OpenLdapOptions,
) -> Result<OpenLdap, FixtureError> {
    let fixed_ports = options.port.is_some() || options.ldaps_port.is_some();
    let attempts = if fixed_ports { 1 } else { PORT_ATTEMPTS };
    let log = dir.path().join("slapd.log");
    let mut last_error = None;
    for _ in 0..attempts {
        let port = options.port.map_or_else(free_loopback_port, Ok)?;
        let ldaps_port = options.ldaps_port.map_or_else(free_loopback_port, Ok)?;
        let mut child = spawn(
            slapd,
            dir.path(),
            port,
            ldaps_port,
            &log,
            options.own_process_group,
        )?;
        match wait_until_listening(
            SERVER,
            &mut child,
            &[port, ldaps_port],
            STARTUP_TIMEOUT,
            &log,
        ) {
            Ok(()) => {
                let pid = child.id();
                return Ok(OpenLdap {
                    child: Some(child),
                    pid,
                    port,
                    ldaps_port,
                    tls,
                    dir,
                });
            }
            Err(error) => {
                stop_child(&mut child, STOP_GRACE);
                last_error = Some(error);
            }
        }
    }
    // The loop ran at least once, so an error was recorded.
    Err(last_error.expect("at least one start attempt"))
}

fn spawn(
    slapd: &Tool,
    dir: &Path,
    port: u16,
    ldaps_port: u16,
    log: &Path,
    own_process_group: bool,
) -> Result<Child, FixtureError> {
    let log_file = File::create(log).map_err(FixtureError::io("create", log))?;
    let log_err = log_file
        .try_clone()
        .map_err(FixtureError::io("reopen", log))?;
    let mut command: Command = slapd.command();
    // -d 0 keeps slapd in the foreground (our child) without debug output.
    command.args(["-d", "0", "-F"]).arg(dir.join("slapd.d"));
    command.arg("-h").arg(format!(
        "ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{ldaps_port}/"
    ));
    command
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err);
    if own_process_group {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    command.spawn().map_err(|source| FixtureError::Spawn {
        tool: SERVER.to_owned(),
        source,
    })
}
