//! One Samba AD DC per machine for the AD tests. Samba hard-codes its LDAP ports
//! (389/636, GC 3268/3269), so instead of one server per test there is one provisioned
//! domain under `<cache>/samba/`, started on first use and left running for the rest of
//! the test run. A file lock serializes test binaries that ask for it at the same time.

mod provision;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::ad_fixture::AdFixture;
use crate::admin::DirectoryAdmin;
use crate::error::FixtureError;
use crate::process::{pid_alive, pid_name, port_accepts, stop_pid, wait_until_pid_listening};
use crate::state_dir::cache_root;
use crate::tls::TlsFiles;
use crate::tools::Tool;

const SERVER: &str = "samba";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Samba ends itself after this long, so a forgotten DC does not outlive a working day
/// by much; the next [`SambaAd::ensure`] starts it again.
const MAXIMUM_RUNTIME: Duration = Duration::from_secs(4 * 3600);

/// Whether the shared DC exists and runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SambaStatus {
    /// No complete provisioned domain in the cache.
    NotProvisioned,
    /// Provisioned, not running.
    Stopped,
    /// Provisioned and running as `pid`.
    Running { pid: u32 },
}

/// Handle on the shared, running Samba AD DC. Dropping it leaves the DC running.
#[derive(Debug, Clone)]
pub struct SambaAd {
    layout: Layout,
    pid: u32,
}

impl SambaAd {
    pub const LDAP_PORT: u16 = 389;
    pub const LDAPS_PORT: u16 = 636;
    pub const GC_LDAPS_PORT: u16 = 3269;
    /// The domain administrator, for tests that change data at runtime.
    pub const ADMIN_DN: &'static str = "CN=Administrator,CN=Users,DC=example,DC=test";
    pub const ADMIN_PASSWORD: &'static str = provision::ADMIN_PASSWORD;

    /// Makes sure the DC is provisioned with the current fixture and running, then
    /// returns a handle. Provisions (about 10 s plus the fixture load) when the cache has
    /// no domain or one built from a different fixture.
    pub fn ensure() -> Result<Self, FixtureError> {
        let layout = Layout::new(cache_root().join("samba"));
        let tools = provision::Tools::find()?;
        let _lock = layout.lock()?;

        if !provision::is_current(&layout.root)? {
            if let Some(pid) = layout.running_pid() {
                stop_pid(SERVER, pid, STOP_GRACE)?;
            }
            provision::provision(&layout.root, &tools)?;
        }
        let pid = match layout.running_pid() {
            Some(pid) => pid,
            None => start(&layout, &tools.samba)?,
        };
        let log = layout.log();
        wait_until_pid_listening(
            SERVER,
            pid,
            &[Self::LDAP_PORT, Self::LDAPS_PORT],
            STARTUP_TIMEOUT,
            &log,
        )?;
        Ok(Self { layout, pid })
    }

    /// Stops the shared DC if it runs. Returns whether one was stopped.
    pub fn stop_all() -> Result<bool, FixtureError> {
        let layout = Layout::new(cache_root().join("samba"));
        std::fs::create_dir_all(&layout.root).map_err(FixtureError::io("create", &layout.root))?;
        let _lock = layout.lock()?;
        let Some(pid) = layout.running_pid() else {
            return Ok(false);
        };
        stop_pid(SERVER, pid, STOP_GRACE)?;
        let _ = std::fs::remove_file(layout.pid_file());
        tracing::info!(pid, "samba stopped");
        Ok(true)
    }

    /// The state of the shared DC, without starting or changing anything.
    pub fn status() -> Result<SambaStatus, FixtureError> {
        let layout = Layout::new(cache_root().join("samba"));
        if !provision::is_current(&layout.root)? {
            return Ok(SambaStatus::NotProvisioned);
        }
        Ok(match layout.running_pid() {
            Some(pid) => SambaStatus::Running { pid },
            None => SambaStatus::Stopped,
        })
    }

    /// `ldap://127.0.0.1:389`: simple binds need StartTLS (strong auth is required).
    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", Self::LDAP_PORT)
    }

    /// `ldaps://127.0.0.1:636`.
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", Self::LDAPS_PORT)
    }

    /// `ldaps://127.0.0.1:3269`, the global catalog.
    pub fn gc_ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", Self::GC_LDAPS_PORT)
    }

    /// The CA that signed the DC's certificate (SAN `IP:127.0.0.1`, `DNS:localhost`).
    pub fn ca_pem_path(&self) -> PathBuf {
        self.layout.tls().ca_pem
    }

    pub fn bind_dn(&self) -> &'static str {
        AdFixture::BIND_DN
    }

    pub fn bind_password(&self) -> &'static str {
        AdFixture::BIND_PASSWORD
    }

    pub fn base_dn(&self) -> &'static str {
        AdFixture::BASE_DN
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The cache directory holding the domain, certificates and `samba.log`.
    pub fn state_dir(&self) -> &Path {
        &self.layout.root
    }

    /// Changes data as the domain administrator over LDAPS. The DC is shared by every
    /// test: change only objects your test owns, and undo the change.
    pub fn admin(&self) -> DirectoryAdmin {
        DirectoryAdmin {
            ldaps_url: self.ldaps_url(),
            ca_pem: self.ca_pem_path(),
            admin_dn: Self::ADMIN_DN,
            admin_password: Self::ADMIN_PASSWORD,
        }
    }
}

/// Where the shared DC keeps its files.
#[derive(Debug, Clone)]
struct Layout {
    root: PathBuf,
}

impl Layout {
    fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn pid_file(&self) -> PathBuf {
        self.root.join("samba.pid")
    }

    fn log(&self) -> PathBuf {
        self.root.join("samba.log")
    }

    fn tls(&self) -> TlsFiles {
        provision::tls_files(&self.root)
    }

    /// Takes the machine-wide lock; released when the returned file is dropped.
    fn lock(&self) -> Result<File, FixtureError> {
        std::fs::create_dir_all(&self.root).map_err(FixtureError::io("create", &self.root))?;
        let path = self.root.join("lock");
        let file = File::create(&path).map_err(FixtureError::io("create", &path))?;
        file.lock().map_err(FixtureError::io("lock", &path))?;
        Ok(file)
    }

    /// The pid of the DC this cache started, if it still runs.
    fn running_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.pid_file()).ok()?;
        let pid: u32 = text.trim().parse().ok()?;
        (pid_alive(pid) && pid_name(pid).as_deref() == Some(SERVER)).then_some(pid)
    }
}

/// Starts samba in the background (own process group, so the test run's signals do
/// not reach it) and records its pid.
fn start(layout: &Layout, samba: &Tool) -> Result<u32, FixtureError> {
    for port in [SambaAd::LDAP_PORT, SambaAd::LDAPS_PORT] {
        if port_accepts(port) {
            return Err(FixtureError::PortBusy {
                server: SERVER,
                port,
            });
        }
    }
    let started = Instant::now();
    let log_path = layout.log();
    let log = File::create(&log_path).map_err(FixtureError::io("create", &log_path))?;
    let log_err = log
        .try_clone()
        .map_err(FixtureError::io("reopen", &log_path))?;
    let mut command: Command = samba.command();
    // -i keeps it in the foreground logging to stdout; stdin is /dev/null, which samba
    // does not watch for EOF (it only does for pipes and sockets).
    command
        .args(["-i", "-M", "single", "-s"])
        .arg(provision::smb_conf(&layout.root));
    command.arg(format!("--maximum-runtime={}", MAXIMUM_RUNTIME.as_secs()));
    command.stdin(Stdio::null()).stdout(log).stderr(log_err);
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let child = command.spawn().map_err(|source| FixtureError::Spawn {
        tool: SERVER.to_owned(),
        source,
    })?;
    let pid = child.id();
    let pid_file = layout.pid_file();
    std::fs::write(&pid_file, format!("{pid}\n")).map_err(FixtureError::io("write", &pid_file))?;
    wait_until_pid_listening(
        SERVER,
        pid,
        &[SambaAd::LDAP_PORT, SambaAd::LDAPS_PORT],
        STARTUP_TIMEOUT,
        &log_path,
    )?;
    tracing::info!(
        pid,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "samba started"
    );
    Ok(pid)
}
