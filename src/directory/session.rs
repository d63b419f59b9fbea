//! One bound directory connection and the three reads the modes are built from: a paged
//! subtree search, a base-scope read of one entry, and a range-retrieved attribute. Every
//! result code is checked; anything short of a complete answer is an error.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ldap3::asn1::{PL, parse_tag};
use ldap3::controls::{Control, ControlType, PagedResults};
use ldap3::{Ldap, LdapResult, ResultEntry, Scope, SearchOptions};
use tokio::task::JoinHandle;

use super::DirectoryConfig;
use super::connect::Transport;
use super::dn::normalize_dn;
use super::entry::RawEntry;
use super::error::{DirectoryError, describe_result_code, rc, read_error};
use super::range::{RANGE_STEP, take_chunk, window};

/// Entries per page of a paged search; below AD's default MaxPageSize of 1000.
pub(crate) const PAGE_SIZE: i32 = 500;

/// Continuation references to these naming contexts never hold user accounts.
const NON_USER_PARTITIONS: [&str; 3] =
    ["cn=configuration", "dc=domaindnszones", "dc=forestdnszones"];

/// The outcome of reading one entry by DN.
#[derive(Debug)]
pub(crate) enum BaseRead {
    Found(RawEntry),
    /// The entry exists but does not match the filter.
    NotMatched,
    NoSuchObject,
}

/// A bound connection. Clones of the inner handle multiplex over the one connection, so
/// base reads can be issued concurrently from `&self`.
pub(crate) struct Session {
    ldap: Ldap,
    driver: JoinHandle<()>,
    url: String,
    timeout: Duration,
    plaintext: bool,
    round_trips: Arc<AtomicU64>,
}

impl Session {
    pub fn new(
        ldap: Ldap,
        driver: JoinHandle<()>,
        config: &DirectoryConfig,
        round_trips: Arc<AtomicU64>,
    ) -> Session {
        Session {
            ldap,
            driver,
            url: config.url.clone(),
            timeout: config.timeout,
            plaintext: Transport::of(config) == Some(Transport::Plaintext),
            round_trips,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Requests sent so far, StartTLS and bind included.
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// Every entry below `base` matching `filter`, read page by page. A continuation
    /// reference to anything but AD's configuration and DNS partitions fails the read.
    pub async fn search_all(
        &self,
        base: &str,
        filter: &str,
        attrs: &[String],
        reading: &str,
    ) -> Result<Vec<RawEntry>, DirectoryError> {
        self.search_paged(base, Scope::Subtree, filter, attrs, reading)
            .await
    }

    /// Like [`Session::search_all`], with the scope chosen by the caller.
    pub async fn search_paged(
        &self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: &[String],
        reading: &str,
    ) -> Result<Vec<RawEntry>, DirectoryError> {
        let mut entries = Vec::new();
        let mut cookie = Vec::new();
        loop {
            let mut ldap = self.prepared();
            ldap.with_controls(PagedResults {
                size: PAGE_SIZE,
                cookie: std::mem::take(&mut cookie),
            });
            let fail = |err| read_error(&self.url, reading, err);
            let mut stream = ldap
                .streaming_search(base, scope, filter, attrs)
                .await
                .map_err(fail)?;
            while let Some(item) = stream.next().await.map_err(fail)? {
                if item.is_intermediate() {
                    continue;
                }
                if item.is_ref() {
                    self.check_reference(item, reading)?;
                    continue;
                }
                entries.push(self.parse(item, reading)?);
            }
            let result = stream.finish().await;
            self.check_result(&result, reading)?;
            cookie = next_cookie(&result);
            if cookie.is_empty() {
                return Ok(entries);
            }
        }
    }

    /// Reads the entry named `dn` if it matches `filter`.
    pub async fn read_entry(
        &self,
        dn: &str,
        filter: &str,
        attrs: &[String],
        reading: &str,
    ) -> Result<BaseRead, DirectoryError> {
        let mut ldap = self.prepared();
        let ldap3::SearchResult(found, result) = ldap
            .search(dn, Scope::Base, filter, attrs)
            .await
            .map_err(|err| read_error(&self.url, reading, err))?;
        if result.rc == rc::NO_SUCH_OBJECT {
            return Ok(BaseRead::NoSuchObject);
        }
        self.check_result(&result, reading)?;
        match found
            .into_iter()
            .find(|item| !item.is_ref() && !item.is_intermediate())
        {
            Some(item) => Ok(BaseRead::Found(self.parse(item, reading)?)),
            None => Ok(BaseRead::NotMatched),
        }
    }

    /// Every value of `attribute` on `dn`, asked for in windows of [`RANGE_STEP`] values.
    pub async fn read_ranged(
        &self,
        dn: &str,
        attribute: &str,
        reading: &str,
    ) -> Result<Vec<Vec<u8>>, DirectoryError> {
        let mut values = Vec::new();
        let mut low = 0;
        loop {
            let attrs = [window(attribute, low, RANGE_STEP)];
            let entry = match self
                .read_entry(dn, "(objectClass=*)", &attrs, reading)
                .await?
            {
                BaseRead::Found(entry) => entry,
                BaseRead::NotMatched | BaseRead::NoSuchObject => {
                    return Err(
                        self.incomplete(reading, format!("{dn} disappeared during the read"))
                    );
                }
            };
            let chunk = take_chunk(&entry, attribute, low)
                .map_err(|detail| self.incomplete(reading, detail))?;
            values.extend(chunk.values);
            match chunk.next_low {
                Some(next) => low = next,
                None => return Ok(values),
            }
        }
    }

    /// Ends the session politely; errors are irrelevant once the read is complete.
    pub async fn close(mut self) {
        let _ = self.ldap.with_timeout(self.timeout).unbind().await;
    }

    pub fn incomplete(&self, reading: &str, detail: String) -> DirectoryError {
        DirectoryError::IncompleteRead {
            url: self.url.clone(),
            reading: reading.to_string(),
            detail,
        }
    }

    /// A handle for the next request, with the per-operation timeouts set.
    fn prepared(&self) -> Ldap {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let mut ldap = self.ldap.clone();
        let seconds = i32::try_from(self.timeout.as_secs()).unwrap_or(i32::MAX);
        ldap.with_timeout(self.timeout)
            .with_search_options(SearchOptions::new().timelimit(seconds));
        ldap
    }

    fn parse(&self, item: ResultEntry, reading: &str) -> Result<RawEntry, DirectoryError> {
        RawEntry::parse(item.0)
            .map_err(|detail| self.incomplete(reading, format!("malformed entry: {detail}")))
    }

    fn check_result(&self, result: &LdapResult, reading: &str) -> Result<(), DirectoryError> {
        match result.rc {
            rc::SUCCESS => Ok(()),
            rc::CONFIDENTIALITY_REQUIRED if self.plaintext => Err(DirectoryError::TlsRequired {
                url: self.url.clone(),
            }),
            code => Err(self.incomplete(reading, describe_result_code(code, &result.text))),
        }
    }

    fn check_reference(&self, item: ResultEntry, reading: &str) -> Result<(), DirectoryError> {
        let uris = match item.0.payload {
            PL::C(parts) => parts,
            PL::P(_) => Vec::new(),
        };
        for uri in uris {
            let PL::P(bytes) = uri.payload else { continue };
            let uri = String::from_utf8_lossy(&bytes).into_owned();
            if !is_non_user_partition(&uri) {
                return Err(self.incomplete(
                    reading,
                    format!("the server referred to {uri}, which is not followed"),
                ));
            }
            let reference = uri;
            tracing::debug!(instance = %self.url, %reference, "ignoring continuation reference");
        }
        Ok(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// The paged-results cookie of a finished page; empty when the search is complete.
fn next_cookie(result: &LdapResult) -> Vec<u8> {
    let paged = result.ctrls.iter().find_map(|ctrl| match ctrl {
        Control(Some(ControlType::PagedResults), raw) => raw.val.as_deref(),
        _ => None,
    });
    let Some(value) = paged else {
        return Vec::new();
    };
    // realSearchControlValue ::= SEQUENCE { size INTEGER, cookie OCTET STRING } (RFC 2696)
    let Ok((_, tag)) = parse_tag(value) else {
        return Vec::new();
    };
    match tag.payload {
        PL::C(parts) => match parts.into_iter().nth(1).map(|part| part.payload) {
            Some(PL::P(cookie)) => cookie,
            _ => Vec::new(),
        },
        PL::P(_) => Vec::new(),
    }
}

/// Whether a continuation reference points at AD's configuration or DNS application
/// partitions, which a subtree search from a domain root always reports.
fn is_non_user_partition(uri: &str) -> bool {
    let Some((_, rest)) = uri.split_once("://") else {
        return false;
    };
    let Some((_, path)) = rest.split_once('/') else {
        return false;
    };
    let dn = percent_decode(path.split('?').next().unwrap_or(""));
    let canonical = normalize_dn(&dn);
    let first = canonical.split(',').next().unwrap_or("");
    NON_USER_PARTITIONS.contains(&first)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = text
            .get(index + 1..index + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_and_dns_references_are_harmless() {
        assert!(is_non_user_partition(
            "ldaps://example.test/CN=Configuration,DC=example,DC=test"
        ));
        assert!(is_non_user_partition(
            "ldap://DomainDnsZones.example.test/DC=DomainDnsZones,DC=example,DC=test"
        ));
        assert!(is_non_user_partition(
            "ldap://x/CN%3DConfiguration%2CDC%3Dx"
        ));
        assert!(!is_non_user_partition(
            "ldap://child.example.test/DC=child,DC=example,DC=test"
        ));
        assert!(!is_non_user_partition("ldap://example.test"));
    }

    #[test]
    fn cookies_are_read_from_the_paged_control() {
        let raw = |val: Option<Vec<u8>>| ldap3::controls::RawControl {
            ctype: "1.2.840.113556.1.4.319".to_string(),
            crit: false,
            val,
        };
        let result = |ctrls| LdapResult {
            rc: 0,
            matched: String::new(),
            text: String::new(),
            refs: vec![],
            ctrls,
        };
        // SEQUENCE { INTEGER 0, OCTET STRING "ab" }
        let value = vec![0x30, 0x07, 0x02, 0x01, 0x00, 0x04, 0x02, b'a', b'b'];
        let paged = Control(Some(ControlType::PagedResults), raw(Some(value)));
        assert_eq!(next_cookie(&result(vec![paged])), b"ab".to_vec());
        let empty = vec![0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x00];
        let done = Control(Some(ControlType::PagedResults), raw(Some(empty)));
        assert_eq!(next_cookie(&result(vec![done])), Vec::<u8>::new());
        let missing = Control(Some(ControlType::PagedResults), raw(None));
        assert_eq!(next_cookie(&result(vec![missing])), Vec::<u8>::new());
        assert_eq!(next_cookie(&result(vec![])), Vec::<u8>::new());
    }
}
