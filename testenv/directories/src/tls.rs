//! A private CA and a server certificate for the test servers, made with the `openssl` CLI.
//! The server certificate carries `IP:127.0.0.1` and `DNS:localhost` subject alternative
//! names, because rustls ignores the subject CN.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::FixtureError;
use crate::tools::Tool;

/// The files of a generated CA and server certificate (all PEM).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The CA certificate clients must trust.
    pub ca_pem: PathBuf,
    /// The server certificate, signed by the CA.
    pub cert_pem: PathBuf,
    /// The server's private key (mode 0600).
    pub key_pem: PathBuf,
}

impl TlsFiles {
    /// Creates `dir` and writes a new CA plus a server certificate valid for 127.0.0.1,
    /// localhost and every name in `extra_dns`.
    pub fn generate(dir: &Path, extra_dns: &[&str]) -> Result<Self, FixtureError> {
        let openssl = Tool::find("openssl")?;
        std::fs::create_dir_all(dir).map_err(FixtureError::io("create", dir))?;
        let files = Self {
            ca_pem: dir.join("ca.pem"),
            cert_pem: dir.join("server.pem"),
            key_pem: dir.join("server.key"),
        };
        let ca_key = dir.join("ca.key");
        let csr = dir.join("server.csr");
        let extensions = dir.join("server.ext");

        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut ca = openssl.command();
        ca.args(["req", "-x509"]).args(ec).args(["-days", "3650"]);
        ca.arg("-keyout")
            .arg(&ca_key)
            .arg("-out")
            .arg(&files.ca_pem);
        ca.args(["-subj", "/CN=test-directories CA"]);
        ca.args(["-addext", "basicConstraints=critical,CA:TRUE"]);
        ca.args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        openssl.run_command(ca)?;

        let mut request = openssl.command();
        request.arg("req").args(ec).args(["-subj", "/CN=localhost"]);
        request
            .arg("-keyout")
            .arg(&files.key_pem)
            .arg("-out")
            .arg(&csr);
        openssl.run_command(request)?;

        let names: String = extra_dns
            .iter()
            .map(|name| format!(",DNS:{name}"))
            .collect();
        let extension_text = format!(
            "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost{names}\n\
             basicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature,keyEncipherment\n\
             extendedKeyUsage=serverAuth\n"
        );
        std::fs::write(&extensions, extension_text)
            .map_err(FixtureError::io("write", &extensions))?;
        let mut sign = openssl.command();
        sign.args(["x509", "-req", "-days", "3650", "-set_serial", &serial()]);
        sign.arg("-in").arg(&csr).arg("-CA").arg(&files.ca_pem);
        sign.arg("-CAkey")
            .arg(&ca_key)
            .arg("-extfile")
            .arg(&extensions);
        sign.arg("-out").arg(&files.cert_pem);
        openssl.run_command(sign)?;

        restrict_to_owner(&files.key_pem)?;
        Ok(files)
    }
}

/// A serial number unlikely to repeat between runs, so clients caching certificates by
/// issuer and serial never confuse two generated certificates.
fn serial() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    format!("{}", nanos ^ u128::from(std::process::id()))
}

fn restrict_to_owner(path: &Path) -> Result<(), FixtureError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(FixtureError::io("restrict permissions of", path))
}
