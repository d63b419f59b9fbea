//! Opening an authenticated directory session: TCP with LDAPS or StartTLS (plaintext only when
//! explicitly allowed), certificate verification, and a simple bind whose result is checked.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ldap3::{LdapConnAsync, LdapConnSettings};

use super::DirectoryConfig;
use super::error::{DirectoryError, connect_error, describe_result_code, rc};
use super::session::Session;
use super::tls;

/// How the bytes are protected on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    Ldaps,
    StartTls,
    Plaintext,
}

impl Transport {
    /// The transport a configuration asks for; `None` for an unsupported URL scheme.
    pub fn of(config: &DirectoryConfig) -> Option<Transport> {
        let scheme = config.url.split_once("://")?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "ldaps" => Some(Transport::Ldaps),
            "ldap" if config.dangerously_allow_plaintext => Some(Transport::Plaintext),
            "ldap" => Some(Transport::StartTls),
            _ => None,
        }
    }
}

/// Connects and binds. The password is only handed to the bind request.
pub(crate) async fn open(config: &DirectoryConfig) -> Result<Session, DirectoryError> {
    let url = config.url.as_str();
    let transport = Transport::of(config).ok_or_else(|| {
        DirectoryError::invalid_config("url", format!("{url} is not an ldap:// or ldaps:// url"))
    })?;

    let mut settings = LdapConnSettings::new().set_conn_timeout(config.timeout);
    if transport == Transport::StartTls {
        settings = settings.set_starttls(true);
    }
    if transport != Transport::Plaintext {
        settings = if config.dangerously_skip_verify {
            tracing::warn!(instance = %url, "server certificate verification is disabled");
            // The flag only lets ldap3 connect by IP address; the configuration decides trust.
            settings
                .set_no_tls_verify(true)
                .set_config(tls::unverified_config()?)
        } else {
            settings.set_config(tls::client_config(config.ca_pem.as_deref())?)
        };
    }

    let has_ca = config.ca_pem.is_some();
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, url)
        .await
        .map_err(|err| connect_error(url, err, has_ca))?;
    let instance = url.to_string();
    let driver = tokio::spawn(async move {
        if let Err(err) = conn.drive().await {
            tracing::debug!(instance = %instance, error = %err, "directory connection ended");
        }
    });
    let round_trips = Arc::new(AtomicU64::new(u64::from(transport == Transport::StartTls)));

    round_trips.fetch_add(1, Ordering::Relaxed);
    let bound = ldap
        .with_timeout(config.timeout)
        .simple_bind(&config.bind_dn, &config.bind_password)
        .await;
    let result = match bound {
        Ok(result) => result,
        Err(err) => {
            driver.abort();
            return Err(DirectoryError::DirectoryUnreachable {
                url: url.to_string(),
                detail: format!("no answer to the bind: {err}"),
            });
        }
    };
    if result.rc != rc::SUCCESS {
        driver.abort();
        return Err(bind_error(config, transport, result.rc, &result.text));
    }

    tracing::debug!(instance = %url, transport = ?transport, "bound to directory");
    Ok(Session::new(ldap, driver, config, round_trips))
}

/// A refused bind. Over plaintext, "stronger auth" or "confidentiality required" means the
/// server wants TLS; otherwise the server's diagnostic (e.g. AD's `data 52e`) is kept.
fn bind_error(
    config: &DirectoryConfig,
    transport: Transport,
    code: u32,
    text: &str,
) -> DirectoryError {
    let wants_tls = matches!(
        code,
        rc::STRONGER_AUTH_REQUIRED | rc::CONFIDENTIALITY_REQUIRED
    );
    if transport == Transport::Plaintext && wants_tls {
        return DirectoryError::TlsRequired {
            url: config.url.clone(),
        };
    }
    let detail = match code {
        49 => format!(
            "invalid credentials ({})",
            text.trim().trim_end_matches('\0')
        ),
        _ => describe_result_code(code, text),
    };
    DirectoryError::BindFailed {
        url: config.url.clone(),
        bind_dn: config.bind_dn.clone(),
        code,
        detail,
    }
}
