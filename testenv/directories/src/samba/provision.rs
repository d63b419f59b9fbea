//! Provisioning the shared domain: a SAN certificate, `samba-tool domain provision`, the
//! AD fixture loaded with `ldbadd`, then the primary-group change. A marker file records
//! which fixture the domain was built from, so a changed fixture triggers a rebuild.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::ad_fixture::{AdFixture, fixture_ldif, primary_group_change};
use crate::error::FixtureError;
use crate::tls::TlsFiles;
use crate::tools::Tool;

pub(super) const ADMIN_PASSWORD: &str = "Adm1n-Passw0rd!";

/// Bumped by hand when provisioning changes in a way the fixture text does not show.
const PROVISION_REVISION: &str = "1";

/// The tools provisioning and starting need, found up front so a missing package is
/// reported before anything is changed.
pub(super) struct Tools {
    pub(super) samba: Tool,
    samba_tool: Tool,
    ldbadd: Tool,
    ldbmodify: Tool,
    ldbsearch: Tool,
}

impl Tools {
    pub(super) fn find() -> Result<Self, FixtureError> {
        let [
            samba,
            samba_tool,
            ldbadd,
            ldbmodify,
            ldbsearch,
            _openssl,
            _ldapmodify,
        ] = Tool::find_all([
            "samba",
            "samba-tool",
            "ldbadd",
            "ldbmodify",
            "ldbsearch",
            "openssl",
            "ldapmodify",
        ])?;
        Ok(Self {
            samba,
            samba_tool,
            ldbadd,
            ldbmodify,
            ldbsearch,
        })
    }
}

pub(super) fn tls_files(root: &Path) -> TlsFiles {
    let dir = root.join("tls");
    TlsFiles {
        ca_pem: dir.join("ca.pem"),
        cert_pem: dir.join("server.pem"),
        key_pem: dir.join("server.key"),
    }
}

pub(super) fn smb_conf(root: &Path) -> PathBuf {
    root.join("dc/etc/smb.conf")
}

fn sam_ldb(root: &Path) -> PathBuf {
    root.join("dc/private/sam.ldb")
}

fn marker(root: &Path) -> PathBuf {
    root.join("fixture.version")
}

/// A fingerprint of everything the domain is built from.
fn fingerprint() -> String {
    // FNV-1a: stable across toolchains, unlike the std hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let fixture = fixture_ldif();
    let inputs = [PROVISION_REVISION.as_bytes(), fixture.as_bytes()];
    for byte in inputs.into_iter().flatten() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}\n")
}

/// Whether the cache holds a complete domain built from the current fixture.
pub(super) fn is_current(root: &Path) -> Result<bool, FixtureError> {
    let Ok(recorded) = std::fs::read_to_string(marker(root)) else {
        return Ok(false);
    };
    Ok(recorded == fingerprint() && smb_conf(root).is_file())
}

/// Builds the domain from scratch in `root/dc`.
pub(super) fn provision(root: &Path, tools: &Tools) -> Result<(), FixtureError> {
    let started = Instant::now();
    for stale in [marker(root), root.join("dc"), root.join("tls")] {
        let removed = if stale.is_dir() {
            std::fs::remove_dir_all(&stale)
        } else {
            std::fs::remove_file(&stale)
        };
        if let Err(error) = removed
            && error.kind() != std::io::ErrorKind::NotFound
        {
            return Err(FixtureError::io("remove", stale)(error));
        }
    }

    let tls = TlsFiles::generate(&root.join("tls"), &["dc1.example.test"])?;
    run_samba_tool_provision(root, &tls, &tools.samba_tool)?;
    let provisioned = started.elapsed();

    let ldif_path = root.join("fixture.ldif");
    std::fs::write(&ldif_path, fixture_ldif()).map_err(FixtureError::io("write", &ldif_path))?;
    let sam = sam_ldb(root);
    let load_started = Instant::now();
    tools
        .ldbadd
        .run([arg("-H"), sam.as_os_str(), ldif_path.as_os_str()])?;
    let rid = group_rid(&tools.ldbsearch, &sam, AdFixture::ENTITLED_GROUP_DN)?;
    let change_path = root.join("primary-group.ldif");
    std::fs::write(&change_path, primary_group_change(rid))
        .map_err(FixtureError::io("write", &change_path))?;
    tools
        .ldbmodify
        .run([arg("-H"), sam.as_os_str(), change_path.as_os_str()])?;
    let loaded = load_started.elapsed();

    std::fs::write(marker(root), fingerprint()).map_err(FixtureError::io("write", marker(root)))?;
    tracing::info!(
        provision_ms = provisioned.as_millis() as u64,
        fixture_ms = loaded.as_millis() as u64,
        entitled_group_rid = rid,
        "samba domain provisioned"
    );
    Ok(())
}

fn arg(text: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(text)
}

fn run_samba_tool_provision(
    root: &Path,
    tls: &TlsFiles,
    samba_tool: &Tool,
) -> Result<(), FixtureError> {
    let dc = root.join("dc");
    let options = [
        "interfaces = lo".to_owned(),
        "bind interfaces only = yes".to_owned(),
        "server services = ldap".to_owned(),
        format!("pid directory = {}", dc.join("run").display()),
        format!("log file = {}", root.join("samba.log.%m").display()),
        "tls enabled = yes".to_owned(),
        format!("tls keyfile = {}", tls.key_pem.display()),
        format!("tls certfile = {}", tls.cert_pem.display()),
        format!("tls cafile = {}", tls.ca_pem.display()),
    ];
    let mut command = samba_tool.command();
    command.args([
        "domain",
        "provision",
        "--server-role=dc",
        "--dns-backend=NONE",
    ]);
    command.arg(format!("--targetdir={}", dc.display()));
    command.arg(format!("--realm={}", AdFixture::REALM));
    command.arg(format!("--domain={}", AdFixture::DOMAIN));
    command.args(["--host-name=dc1", "--host-ip=127.0.0.1"]);
    command.arg(format!("--adminpass={ADMIN_PASSWORD}"));
    for option in options {
        command.arg(format!("--option={option}"));
    }
    samba_tool.run_command(command).map(drop)
}

/// The relative id (last sub-authority of objectSid) of the group at `dn`.
fn group_rid(ldbsearch: &Tool, sam: &Path, dn: &str) -> Result<u32, FixtureError> {
    let output = ldbsearch.run([
        arg("-H"),
        sam.as_os_str(),
        arg("-b"),
        arg(dn),
        arg("-s"),
        arg("base"),
        arg("objectSid"),
    ])?;
    parse_rid(&output).ok_or_else(|| FixtureError::UnexpectedOutput {
        tool: "ldbsearch".to_owned(),
        detail: format!("no objectSid for {dn} in: {output}"),
    })
}

fn parse_rid(ldif: &str) -> Option<u32> {
    let sid = ldif
        .lines()
        .find_map(|line| line.strip_prefix("objectSid: "))?;
    sid.trim().rsplit('-').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rid_is_the_last_sub_authority() {
        let output = "# record 1\ndn: CN=jira-align-users,OU=JiraAlign,DC=example,DC=test\n\
                      objectSid: S-1-5-21-3382466139-3458813450-1610480859-1104\n";
        assert_eq!(parse_rid(output), Some(1104));
        assert_eq!(parse_rid("dn: x\n"), None);
    }

    #[test]
    fn fingerprint_is_stable() {
        assert_eq!(fingerprint(), fingerprint());
        assert_eq!(fingerprint().len(), 17);
    }
}
