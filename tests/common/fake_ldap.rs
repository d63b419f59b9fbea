//! A scripted LDAP server on loopback (plain LDAP, no TLS) holding a handful of entries. It
//! answers binds, base reads and paged one-level and subtree searches, a few entries per
//! page, and can misbehave at a chosen page: answer a result code such as sizeLimitExceeded,
//! close the connection, or never answer. Filters are not evaluated: a search returns every
//! entry in scope, which the reader narrows down itself.

// A path, so that the module resolves the same when this file is included on its own.
#[path = "fake_ldap/ber.rs"]
pub mod ber;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jira_align_user_sync::crd::JiraAlignUserSyncSpec;
use jira_align_user_sync::directory::{DirectoryConfig, is_within, normalize_dn};
use ldap3::asn1::StructureTag;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::loopback::{Listening, serve};

/// One entry with raw attribute values.
#[derive(Clone, Debug)]
pub struct FakeEntry {
    pub dn: String,
    pub attrs: Vec<(String, Vec<Vec<u8>>)>,
}

impl FakeEntry {
    pub fn new(dn: &str, attrs: &[(&str, &[&str])]) -> FakeEntry {
        let attrs = attrs
            .iter()
            .map(|(name, values)| {
                let values = values.iter().map(|v| v.as_bytes().to_vec()).collect();
                (name.to_string(), values)
            })
            .collect();
        FakeEntry {
            dn: dn.to_string(),
            attrs,
        }
    }
}

/// How the server misbehaves at a page of a search (pages are counted over every paged
/// search on every connection, from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trouble {
    None,
    /// Send the page's entries, then end the search with this result code.
    ResultCode {
        page: u32,
        code: u32,
        text: String,
    },
    /// Send the page's entries, then close the connection.
    Close {
        page: u32,
    },
    /// Send nothing for this page, ever.
    Stall {
        page: u32,
    },
}

/// The entries, how many go in one page, and the trouble to make.
#[derive(Clone, Debug)]
pub struct FakeDirectory {
    pub entries: Vec<FakeEntry>,
    pub page_size: usize,
    pub trouble: Trouble,
}

impl FakeDirectory {
    /// Three entries a page and no trouble.
    pub fn new(entries: Vec<FakeEntry>) -> FakeDirectory {
        FakeDirectory {
            entries,
            page_size: 3,
            trouble: Trouble::None,
        }
    }
}

/// The running server; dropping it stops accepting.
pub struct FakeLdap {
    server: Listening,
    directory: Arc<Mutex<Arc<FakeDirectory>>>,
    pages: Arc<AtomicU32>,
}

impl FakeLdap {
    pub async fn start(directory: FakeDirectory) -> FakeLdap {
        let pages = Arc::new(AtomicU32::new(0));
        let directory = Arc::new(Mutex::new(Arc::new(directory)));
        let (counter, shared) = (pages.clone(), directory.clone());
        let server = serve(move |stream| {
            let connection = Connection {
                directory: shared.lock().expect("never poisoned").clone(),
                pages: counter.clone(),
            };
            connection.serve(stream)
        })
        .await;
        FakeLdap {
            server,
            directory,
            pages,
        }
    }

    /// Serves `directory` to connections opened from now on, counting pages from 1 again.
    pub fn replace(&self, directory: FakeDirectory) {
        *self.directory.lock().expect("never poisoned") = Arc::new(directory);
        self.pages.store(0, Ordering::Relaxed);
    }

    /// `ldap://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ldap://{}", self.server.addr)
    }

    /// Pages of paged searches asked for so far.
    pub fn pages_asked(&self) -> u32 {
        self.pages.load(Ordering::Relaxed)
    }

    /// The read configuration `spec` gives, for this server: plain LDAP, a short timeout.
    pub fn config_for(&self, spec: &JiraAlignUserSyncSpec, password: &str) -> DirectoryConfig {
        let mut config = DirectoryConfig::from_spec(
            &spec.directory,
            &spec.overrides,
            password.to_string(),
            None,
        );
        config.url = self.url();
        config.dangerously_allow_plaintext = true;
        config.timeout = Duration::from_millis(500);
        config
    }
}

/// What to do after answering one request.
enum Next {
    Continue,
    Close,
    Stall,
}

struct Connection {
    directory: Arc<FakeDirectory>,
    pages: Arc<AtomicU32>,
}

impl Connection {
    async fn serve(self, mut stream: TcpStream) {
        let mut buffer = Vec::new();
        let mut chunk = vec![0u8; 8192];
        loop {
            while let Some(len) = ber::frame_len(&buffer) {
                let frame: Vec<u8> = buffer.drain(..len).collect();
                let Some(request) = ber::parse(&frame) else {
                    return;
                };
                let (answer, next) = self.answer(request);
                if stream.write_all(&answer).await.is_err() {
                    return;
                }
                match next {
                    Next::Continue => {}
                    Next::Close => return,
                    Next::Stall => std::future::pending::<()>().await,
                }
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
        }
    }

    fn answer(&self, request: StructureTag) -> (Vec<u8>, Next) {
        let mut parts = ber::children(request).into_iter();
        let (Some(id), Some(op)) = (parts.next(), parts.next()) else {
            return (Vec::new(), Next::Close);
        };
        let id = ber::number(&id);
        let controls = parts.next();
        match op.id {
            0 => {
                let done = ber::result(ber::BIND_RESPONSE, 0, "");
                (ber::message(id, done, None), Next::Continue)
            }
            3 => self.search(id, op, controls),
            2 => (Vec::new(), Next::Close),
            23 => {
                let refused = ber::result(ber::EXTENDED_RESPONSE, 2, "not supported");
                (ber::message(id, refused, None), Next::Continue)
            }
            _ => (Vec::new(), Next::Continue),
        }
    }

    fn search(&self, id: i64, op: StructureTag, controls: Option<StructureTag>) -> (Vec<u8>, Next) {
        let fields = ber::children(op);
        let base = String::from_utf8_lossy(fields.first().map(ber::bytes).unwrap_or_default())
            .into_owned();
        let scope = fields.get(1).map(ber::number).unwrap_or(0);
        let done = |code: u32, text: &str, cookie: Option<&[u8]>| {
            ber::message(id, ber::result(ber::SEARCH_RESULT_DONE, code, text), cookie)
        };

        if scope == 0 {
            let wanted = normalize_dn(&base);
            return match self
                .directory
                .entries
                .iter()
                .find(|e| normalize_dn(&e.dn) == wanted)
            {
                Some(entry) => {
                    let mut out = entry_message(id, entry);
                    out.extend(done(0, "", None));
                    (out, Next::Continue)
                }
                None => (done(32, "no such object", None), Next::Continue),
            };
        }

        let page = self.pages.fetch_add(1, Ordering::Relaxed) + 1;
        if self.directory.trouble == (Trouble::Stall { page }) {
            return (Vec::new(), Next::Stall);
        }
        let in_scope: Vec<&FakeEntry> = self
            .directory
            .entries
            .iter()
            .filter(|e| in_scope(&e.dn, &base, scope))
            .collect();
        let offset: usize = paged_cookie(controls)
            .and_then(|c| String::from_utf8(c).ok())
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let end = (offset + self.directory.page_size).min(in_scope.len());
        let mut out = Vec::new();
        for entry in in_scope.get(offset..end).unwrap_or_default() {
            out.extend(entry_message(id, entry));
        }
        match &self.directory.trouble {
            Trouble::ResultCode {
                page: at,
                code,
                text,
            } if *at == page => {
                out.extend(done(*code, text, None));
                return (out, Next::Continue);
            }
            Trouble::Close { page: at } if *at == page => return (out, Next::Close),
            _ => {}
        }
        let cookie = if end < in_scope.len() {
            end.to_string().into_bytes()
        } else {
            Vec::new()
        };
        out.extend(done(0, "", Some(&cookie)));
        (out, Next::Continue)
    }
}

/// One-level: direct children of `base`; subtree: `base` and everything below.
fn in_scope(dn: &str, base: &str, scope: i64) -> bool {
    if scope == 1 {
        let parent = dn.split_once(',').map_or("", |(_, parent)| parent);
        return normalize_dn(parent) == normalize_dn(base);
    }
    is_within(dn, base)
}

fn entry_message(id: i64, entry: &FakeEntry) -> Vec<u8> {
    let attrs: Vec<Vec<u8>> = entry
        .attrs
        .iter()
        .map(|(name, values)| {
            let values: Vec<Vec<u8>> = values.iter().map(|v| ber::octets(v)).collect();
            ber::sequence(&[ber::octets(name.as_bytes()), ber::set(&values)])
        })
        .collect();
    let content = [ber::octets(entry.dn.as_bytes()), ber::sequence(&attrs)].concat();
    ber::message(id, ber::tlv(ber::SEARCH_RESULT_ENTRY, &content), None)
}

/// The cookie of the paged results control of a request, if it has one.
fn paged_cookie(controls: Option<StructureTag>) -> Option<Vec<u8>> {
    for control in ber::children(controls?) {
        let parts = ber::children(control);
        let oid = parts.first().map(ber::bytes).unwrap_or_default();
        if oid != ber::PAGED_RESULTS_OID.as_bytes() {
            continue;
        }
        let value = ber::parse(ber::bytes(parts.last()?))?;
        return ber::children(value).get(1).map(|c| ber::bytes(c).to_vec());
    }
    None
}
