//! Why a directory read fails, and how `ldap3` failures map onto those reasons. Every variant
//! means the same thing to the caller: the read is void and nobody is deactivated in this run.

use ldap3::LdapError;

/// Why a directory read failed. Messages never contain the bind password.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The server could not be reached or stopped answering before the bind completed.
    #[error("directory {url} is unreachable: {detail}")]
    DirectoryUnreachable { url: String, detail: String },

    /// The TLS handshake or the verification of the server certificate failed.
    #[error("tls with {url} failed: {detail}")]
    TlsFailed { url: String, detail: String },

    /// The server refused the simple bind.
    #[error("bind as {bind_dn} on {url} failed with result code {code}: {detail}")]
    BindFailed {
        url: String,
        bind_dn: String,
        code: u32,
        detail: String,
    },

    /// A configured group (or an override group) does not exist or is not a group.
    #[error("group {group} not found on {url}: {detail} ({named_in})")]
    GroupNotFound {
        url: String,
        group: String,
        detail: String,
        /// The field that names the group: `spec.directory.groups` or an override's
        /// `memberOf`.
        named_in: &'static str,
    },

    /// The read could not be completed: a limit, a dropped connection, a referral, an
    /// unexpected result code, or an empty result that was not allowed.
    #[error("incomplete read of {reading} from {url}: {detail}")]
    IncompleteRead {
        url: String,
        reading: String,
        detail: String,
    },

    /// The configuration cannot work (bad filter, bad CA bundle, missing password...).
    #[error("invalid directory configuration {field}: {detail}")]
    InvalidConfig { field: String, detail: String },

    /// The server demands transport encryption but plaintext was configured.
    #[error(
        "directory {url} requires transport encryption; use ldaps:// or drop \
         tls.dangerouslyAllowPlaintext so that StartTLS is used"
    )]
    TlsRequired { url: String },

    /// A wanted attribute holds a value that cannot be used (not UTF-8, not a number).
    #[error("entry {dn} on {url} has an unusable value of {attribute}: {problem}")]
    InvalidAttribute {
        url: String,
        dn: String,
        attribute: String,
        problem: String,
    },
}

impl DirectoryError {
    /// A static category used as the condition reason and metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            DirectoryError::DirectoryUnreachable { .. } => "DirectoryUnreachable",
            DirectoryError::TlsFailed { .. } => "TlsFailed",
            DirectoryError::BindFailed { .. } => "BindFailed",
            DirectoryError::GroupNotFound { .. } => "GroupNotFound",
            DirectoryError::IncompleteRead { .. } => "IncompleteRead",
            DirectoryError::InvalidConfig { .. } => "InvalidConfig",
            DirectoryError::TlsRequired { .. } => "TlsRequired",
            DirectoryError::InvalidAttribute { .. } => "InvalidDirectoryData",
        }
    }

    pub(crate) fn invalid_config(field: &str, detail: impl Into<String>) -> Self {
        DirectoryError::InvalidConfig {
            field: field.to_string(),
            detail: detail.into(),
        }
    }
}

/// LDAP result codes the reader treats specially (RFC 4511 §4.1.9).
pub(crate) mod rc {
    pub const SUCCESS: u32 = 0;
    pub const TIME_LIMIT_EXCEEDED: u32 = 3;
    pub const SIZE_LIMIT_EXCEEDED: u32 = 4;
    pub const STRONGER_AUTH_REQUIRED: u32 = 8;
    pub const REFERRAL: u32 = 10;
    pub const ADMIN_LIMIT_EXCEEDED: u32 = 11;
    pub const CONFIDENTIALITY_REQUIRED: u32 = 13;
    pub const NO_SUCH_OBJECT: u32 = 32;
}

/// Says what a non-success result code means for a read, in words an operator can act on.
pub(crate) fn describe_result_code(code: u32, text: &str) -> String {
    let meaning = match code {
        rc::TIME_LIMIT_EXCEEDED => "the server's time limit was exceeded",
        rc::SIZE_LIMIT_EXCEEDED => "the server's size limit was exceeded",
        rc::ADMIN_LIMIT_EXCEEDED => "an administrative limit was exceeded",
        rc::REFERRAL => "the server sent a referral, which is not followed",
        rc::CONFIDENTIALITY_REQUIRED => "the server requires transport encryption",
        _ => "the server returned an error",
    };
    let text = text.trim().trim_end_matches('\0');
    if text.is_empty() {
        format!("{meaning} (result code {code})")
    } else {
        format!("{meaning} (result code {code}: {text})")
    }
}

/// What went wrong while connecting: TLS problems are told apart from an unreachable server.
pub(crate) fn connect_error(url: &str, err: LdapError, has_ca: bool) -> DirectoryError {
    if let Some(tls) = rustls_cause(&err) {
        return DirectoryError::TlsFailed {
            url: url.to_string(),
            detail: describe_tls_error(tls, has_ca),
        };
    }
    match err {
        LdapError::Timeout { .. } => DirectoryError::DirectoryUnreachable {
            url: url.to_string(),
            detail: "no connection within the timeout".to_string(),
        },
        LdapError::LdapResult { result } => DirectoryError::TlsFailed {
            url: url.to_string(),
            detail: format!(
                "the server refused StartTLS: {}",
                describe_result_code(result.rc, &result.text)
            ),
        },
        LdapError::DNSName { source } => DirectoryError::TlsFailed {
            url: url.to_string(),
            detail: format!("the host name cannot be checked against a certificate: {source}"),
        },
        // A plain LDAP port answers a TLS hello by closing the connection.
        LdapError::Io { source }
            if url.starts_with("ldaps://")
                && source.kind() == std::io::ErrorKind::UnexpectedEof =>
        {
            DirectoryError::TlsFailed {
                url: url.to_string(),
                detail: "the server closed the connection during the TLS handshake; does this \
                         port speak LDAPS (usually 636)? A plain LDAP port (usually 389) takes \
                         ldap://, which upgrades with StartTLS"
                    .to_string(),
            }
        }
        LdapError::UrlParsing { .. } | LdapError::UnknownScheme(_) => {
            DirectoryError::invalid_config(
                "url",
                format!("{url} is not an ldap:// or ldaps:// url"),
            )
        }
        other => DirectoryError::DirectoryUnreachable {
            url: url.to_string(),
            detail: other.to_string(),
        },
    }
}

/// A failure of the transport after the bind: the read can no longer be complete.
pub(crate) fn read_error(url: &str, reading: &str, err: LdapError) -> DirectoryError {
    let detail = match err {
        LdapError::Timeout { .. } => "no answer within the timeout".to_string(),
        LdapError::EndOfStream | LdapError::OpSend { .. } | LdapError::ResultRecv { .. } => {
            "the connection was closed before the read finished".to_string()
        }
        LdapError::FilterParsing => {
            return DirectoryError::invalid_config("filter", format!("cannot build {reading}"));
        }
        LdapError::LdapResult { result } => describe_result_code(result.rc, &result.text),
        other => other.to_string(),
    };
    DirectoryError::IncompleteRead {
        url: url.to_string(),
        reading: reading.to_string(),
        detail,
    }
}

fn rustls_cause(err: &LdapError) -> Option<&rustls::Error> {
    match err {
        LdapError::Io { source } => source
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        LdapError::Rustls { source } => Some(source),
        _ => None,
    }
}

fn describe_tls_error(err: &rustls::Error, has_ca: bool) -> String {
    let trusted = if has_ca {
        "the CA bundle in tls.ca"
    } else {
        "the system CA roots (set tls.ca to trust a private CA)"
    };
    match err {
        rustls::Error::InvalidCertificate(cert) => format!(
            "the server certificate is not trusted ({cert:?}); it must be signed by {trusted} \
             and name the host of the url"
        ),
        other => format!("handshake failed ({other}); certificates are checked against {trusted}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_codes_are_described_with_the_server_text() {
        assert_eq!(
            describe_result_code(4, "Size limit exceeded\0"),
            "the server's size limit was exceeded (result code 4: Size limit exceeded)"
        );
        assert_eq!(
            describe_result_code(10, ""),
            "the server sent a referral, which is not followed (result code 10)"
        );
    }

    #[test]
    fn an_unknown_issuer_names_the_configured_ca() {
        let err = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        assert_eq!(
            describe_tls_error(&err, true),
            "the server certificate is not trusted (UnknownIssuer); it must be signed by the CA \
             bundle in tls.ca and name the host of the url"
        );
    }

    #[test]
    fn reasons_are_stable() {
        let err = DirectoryError::TlsRequired {
            url: "ldap://dc1:389".into(),
        };
        assert_eq!(err.reason(), "TlsRequired");
        let err = DirectoryError::invalid_config("userFilter", "unbalanced parentheses");
        assert_eq!(err.reason(), "InvalidConfig");
        assert_eq!(
            err.to_string(),
            "invalid directory configuration userFilter: unbalanced parentheses"
        );
    }
}
