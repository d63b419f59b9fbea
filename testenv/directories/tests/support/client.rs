//! A small ldap3 client for the fixture tests: rustls trusting only the generated CA,
//! binds that check their result code, and searches returning plain strings.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::result::LdapError;
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Connection settings trusting only the CA in `ca_pem`.
pub fn tls_settings(ca_pem: &Path) -> LdapConnSettings {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_pem).expect("the CA file exists") {
        roots
            .add(cert.expect("the CA file is valid PEM"))
            .expect("the CA certificate parses");
    }
    // Named provider, so the config never depends on a process-wide default.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    LdapConnSettings::new()
        .set_config(Arc::new(config))
        .set_conn_timeout(Duration::from_secs(10))
}

/// Connects to `url` (StartTLS first when `starttls`), trusting `ca_pem`.
pub async fn connect(url: &str, ca_pem: &Path, starttls: bool) -> Result<Ldap, LdapError> {
    let settings = tls_settings(ca_pem).set_starttls(starttls);
    let (conn, ldap) = LdapConnAsync::with_settings(settings, url).await?;
    ldap3::drive!(conn);
    Ok(ldap)
}

/// Connects and binds; any non-zero result code is an error.
pub async fn bind(
    url: &str,
    ca_pem: &Path,
    starttls: bool,
    dn: &str,
    password: &str,
) -> Result<Ldap, LdapError> {
    let mut ldap = connect(url, ca_pem, starttls).await?;
    ldap.simple_bind(dn, password).await?.success()?;
    Ok(ldap)
}

/// The result code of a simple bind on a fresh connection (0 = success).
pub async fn bind_rc(url: &str, ca_pem: &Path, starttls: bool, dn: &str, password: &str) -> u32 {
    let mut ldap = connect(url, ca_pem, starttls)
        .await
        .expect("the server accepts connections");
    ldap.simple_bind(dn, password)
        .await
        .expect("the bind gets an answer")
        .rc
}

/// One search result: DN plus every returned attribute, names as the server spells them.
#[derive(Debug, Clone)]
pub struct Found {
    pub dn: String,
    pub attrs: BTreeMap<String, Vec<String>>,
}

impl Found {
    /// Values of `name`, matched case-insensitively; empty when absent.
    pub fn values(&self, name: &str) -> Vec<String> {
        self.attrs
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, values)| values.clone())
            .unwrap_or_default()
    }

    pub fn first(&self, name: &str) -> Option<String> {
        self.values(name).into_iter().next()
    }
}

/// An unpaged search; a non-zero result code is returned as the error.
pub async fn search(
    ldap: &mut Ldap,
    base: &str,
    scope: Scope,
    filter: &str,
    attrs: &[&str],
) -> Result<Vec<Found>, LdapError> {
    let (entries, _) = ldap
        .search(base, scope, filter, attrs.to_vec())
        .await?
        .success()?;
    Ok(entries.into_iter().map(found).collect())
}

/// A paged search (500 per page) that skips continuation references.
pub async fn paged_search(
    ldap: &mut Ldap,
    base: &str,
    filter: &str,
    attrs: &[&str],
) -> Result<Vec<Found>, LdapError> {
    let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![
        Box::new(EntriesOnly::new()),
        Box::new(PagedResults::new(500)),
    ];
    let mut stream = ldap
        .streaming_search_with(adapters, base, Scope::Subtree, filter, attrs.to_vec())
        .await?;
    let mut out = Vec::new();
    while let Some(entry) = stream.next().await? {
        out.push(found(entry));
    }
    stream.finish().await.success()?;
    Ok(out)
}

/// The first value of `attr` from every entry, sorted.
pub fn sorted_values(entries: &[Found], attr: &str) -> Vec<String> {
    let mut values: Vec<String> = entries
        .iter()
        .filter_map(|entry| entry.first(attr))
        .collect();
    values.sort();
    values
}

/// Every value of `attr` of the single entry at `dn`.
pub async fn read_values(ldap: &mut Ldap, dn: &str, attr: &str) -> Vec<String> {
    let entries = search(ldap, dn, Scope::Base, "(objectClass=*)", &[attr])
        .await
        .unwrap_or_else(|error| panic!("read {attr} of {dn}: {error}"));
    entries
        .first()
        .map(|entry| entry.values(attr))
        .unwrap_or_default()
}

/// The error's LDAP result code, if it carries one.
pub fn result_code(error: &LdapError) -> Option<u32> {
    match error {
        LdapError::LdapResult { result } => Some(result.rc),
        _ => None,
    }
}

fn found(entry: ldap3::ResultEntry) -> Found {
    let entry = SearchEntry::construct(entry);
    Found {
        dn: entry.dn,
        attrs: entry.attrs.into_iter().collect(),
    }
}

/// Sorted owned copies of `items`, for comparing with search results.
pub fn sorted(items: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = items.iter().map(|item| (*item).to_owned()).collect();
    out.sort();
    out
}

/// A current-thread runtime for one test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds")
}
