//! TLS client settings for the directory connection: a user-supplied CA bundle or the system
//! roots, with the aws-lc-rs provider named explicitly so that no process-wide default is needed.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::error::DirectoryError;

/// A client configuration trusting exactly the CAs of `ca_pem`, or the system roots when none
/// is given.
pub(crate) fn client_config(ca_pem: Option<&[u8]>) -> Result<Arc<ClientConfig>, DirectoryError> {
    let roots = match ca_pem {
        Some(pem) => roots_from_pem(pem)?,
        None => system_roots()?,
    };
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(no_tls_version)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A client configuration that accepts any server certificate (tls.dangerouslySkipVerify).
/// The handshake signatures are still checked, so the session is encrypted to whoever holds
/// the presented key, but that may be anyone on the network path.
pub(crate) fn unverified_config() -> Result<Arc<ClientConfig>, DirectoryError> {
    let provider = provider();
    let verifier = Arc::new(AcceptAnyCertificate {
        algorithms: provider.signature_verification_algorithms,
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(no_tls_version)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The crypto provider, named so that no process-wide default has to be installed.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn no_tls_version(err: rustls::Error) -> DirectoryError {
    DirectoryError::invalid_config("tls", format!("no usable tls version: {err}"))
}

#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// What is wrong with a PEM bundle, in words (the parser's own text shows markers as bytes).
fn pem_problem(error: &rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    match error {
        Error::MissingSectionEnd { end_marker } => format!(
            "a block has no closing -----END {}----- line; is the file cut short?",
            String::from_utf8_lossy(end_marker)
        ),
        Error::IllegalSectionStart { line } => {
            format!("a malformed BEGIN line: {}", String::from_utf8_lossy(line))
        }
        other => other.to_string(),
    }
}

/// Parses a PEM bundle; a bundle without a single usable certificate is a configuration error.
pub(crate) fn roots_from_pem(pem: &[u8]) -> Result<RootCertStore, DirectoryError> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|err| {
            DirectoryError::invalid_config(
                "tls.ca",
                format!("the CA bundle is not valid PEM: {}", pem_problem(&err)),
            )
        })?;
        roots.add(cert).map_err(|err| {
            DirectoryError::invalid_config("tls.ca", format!("a CA certificate is unusable: {err}"))
        })?;
    }
    if roots.is_empty() {
        return Err(DirectoryError::invalid_config(
            "tls.ca",
            "the CA bundle holds no certificate",
        ));
    }
    Ok(roots)
}

/// The operating system's trusted roots. Unreadable individual certificates are skipped, but
/// an empty store is an error: every server would then fail verification with a vague message.
fn system_roots() -> Result<RootCertStore, DirectoryError> {
    let loaded = rustls_native_certs::load_native_certs();
    for err in &loaded.errors {
        tracing::warn!(error = %err, "skipping an unreadable system CA certificate");
    }
    let mut roots = RootCertStore::empty();
    let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
    tracing::debug!(added, ignored, "loaded system CA roots");
    if roots.is_empty() {
        return Err(DirectoryError::invalid_config(
            "tls.ca",
            "no system CA roots are available; set tls.ca to the CA that signs the server",
        ));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_bundle_is_refused() {
        let err = roots_from_pem(b"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid directory configuration tls.ca: the CA bundle holds no certificate"
        );
    }

    #[test]
    fn a_bundle_of_garbage_is_refused() {
        let pem = b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
        let err = roots_from_pem(pem).unwrap_err();
        assert_eq!(err.reason(), "InvalidConfig");
    }

    #[test]
    fn a_bundle_cut_short_says_so_in_words() {
        let err = roots_from_pem(b"-----BEGIN CERTIFICATE-----\nMIIB\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid directory configuration tls.ca: the CA bundle is not valid PEM: a block \
             has no closing -----END CERTIFICATE----- line; is the file cut short?"
        );
    }
}
