//! Process and port plumbing shared by both servers: picking free loopback ports, waiting
//! until a server listens, and stopping a server by pid.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::error::FixtureError;
use crate::tools::log_tail;

const POLL: Duration = Duration::from_millis(50);

/// A port on 127.0.0.1 that nothing listened on a moment ago. Another process may take it
/// before the server binds it; callers retry on a failed start.
pub(crate) fn free_loopback_port() -> Result<u16, FixtureError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(FixtureError::io("bind a probe socket on", "127.0.0.1:0"))?;
    let addr = listener
        .local_addr()
        .map_err(FixtureError::io("read the address of", "127.0.0.1:0"))?;
    Ok(addr.port())
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub(crate) fn port_accepts(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Waits until `child` accepts connections on every port, failing early if it exits.
pub(crate) fn wait_until_listening(
    server: &'static str,
    child: &mut Child,
    ports: &[u16],
    timeout: Duration,
    log: &Path,
) -> Result<(), FixtureError> {
    let mut exit_status = || match child.try_wait() {
        Ok(Some(status)) => Some(status.to_string()),
        _ => None,
    };
    wait_for_ports(server, &mut exit_status, ports, timeout, log)
}

/// Waits until the process `pid` (not necessarily a child) accepts connections on every
/// port, failing early if it exits.
pub(crate) fn wait_until_pid_listening(
    server: &'static str,
    pid: u32,
    ports: &[u16],
    timeout: Duration,
    log: &Path,
) -> Result<(), FixtureError> {
    let mut exit_status = || (!pid_alive(pid)).then(|| format!("pid {pid} gone"));
    wait_for_ports(server, &mut exit_status, ports, timeout, log)
}

fn wait_for_ports(
    server: &'static str,
    exit_status: &mut dyn FnMut() -> Option<String>,
    ports: &[u16],
    timeout: Duration,
    log: &Path,
) -> Result<(), FixtureError> {
    let started = Instant::now();
    for &port in ports {
        loop {
            if let Some(status) = exit_status() {
                return Err(FixtureError::ExitedEarly {
                    server,
                    status,
                    log_tail: log_tail(log),
                });
            }
            if port_accepts(port) {
                break;
            }
            if started.elapsed() > timeout {
                return Err(FixtureError::NotReady {
                    server,
                    port,
                    waited: timeout,
                    log_tail: log_tail(log),
                });
            }
            std::thread::sleep(POLL);
        }
    }
    Ok(())
}

/// Whether `pid` names a live (not zombie) process.
pub(crate) fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// The executable name of a live process (`/proc/<pid>/comm`).
pub(crate) fn pid_name(pid: u32) -> Option<String> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(comm.trim().to_owned())
}

fn send_signal(pid: u32, signal: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) takes plain integers and touches no memory of this process; a stale
    // pid at worst yields ESRCH, which is ignored because the process is then already gone.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Stops a process this crate started earlier (possibly from another process) by pid:
/// SIGTERM, then SIGKILL if it is still alive after `grace`.
pub(crate) fn stop_pid(
    server: &'static str,
    pid: u32,
    grace: Duration,
) -> Result<(), FixtureError> {
    send_signal(pid, libc::SIGTERM);
    if wait_for_exit(pid, grace) {
        return Ok(());
    }
    send_signal(pid, libc::SIGKILL);
    if wait_for_exit(pid, Duration::from_secs(5)) {
        return Ok(());
    }
    Err(FixtureError::StopTimeout {
        server,
        pid,
        waited: grace + Duration::from_secs(5),
    })
}

fn wait_for_exit(pid: u32, timeout: Duration) -> bool {
    let started = Instant::now();
    while pid_alive(pid) {
        if started.elapsed() > timeout {
            return false;
        }
        std::thread::sleep(POLL);
    }
    true
}

/// Stops a child of this process: SIGTERM, SIGKILL after `grace`, then reaps it.
pub(crate) fn stop_child(child: &mut Child, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    send_signal(child.id(), libc::SIGTERM);
    let started = Instant::now();
    while started.elapsed() < grace {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(POLL);
    }
    // Errors here mean the child is already gone, which is the goal.
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_port_is_not_listening() {
        let port = free_loopback_port().expect("loopback is available in tests");
        assert_ne!(port, 0);
        assert!(!port_accepts(port));
    }

    #[test]
    fn own_process_is_alive_and_named() {
        let pid = std::process::id();
        assert!(pid_alive(pid));
        assert!(pid_name(pid).is_some());
        assert!(!pid_alive(u32::MAX));
    }

    #[test]
    fn stop_child_ends_a_sleeping_process() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("coreutils sleep is on every test machine");
        let pid = child.id();
        stop_child(&mut child, Duration::from_secs(2));
        assert!(!pid_alive(pid));
    }
}
